"""The live feed of the desk: Server-Sent Events of escalations, messages, notes, tickets and canned replies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from console.api.models import errors
from console.core.live import Broadcaster
from console.deps import AgentDep

router = APIRouter(prefix="/api", tags=["events"], responses=errors(401, 403))
KEEPALIVE_S = 15.0


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"description": "Server-Sent Events: escalation, message, note, ticket and canned.",
                             "content": {"text/event-stream": {}}}})
async def read_events(request: Request, agent: AgentDep) -> StreamingResponse:
    """One SSE stream per open desk; a comment every 15 s keeps proxies from closing it."""
    broadcaster: Broadcaster = request.app.state.broadcaster
    queue = broadcaster.subscribe()

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 1000\n\n"
            while not await request.is_disconnected():
                try:
                    event_id, kind, payload = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        finally:
            broadcaster.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
