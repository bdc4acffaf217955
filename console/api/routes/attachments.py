"""Images and files in hand-overs, both ways, and who is typing.

Customers upload from the web chat (and the WeChat channel, after fetching an image through WeChat's media API)
while their conversation has an active hand-over; the file then rides on their next message through the bot, so
the transcript, the desk and the tracker agree. Agents upload from the desk; the reply carries the file and the bot
delivers it. Every upload is checked by its content (desk/attachments.py) before anything is written, and every
file is served from `/files/{token}` with its checked type only, as a download unless it is an image, under a policy
that runs nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel

from console.api.models import AttachmentOut, MessageOut, errors
from console.api.routes.escalations import tell_bot
from console.deps import AgentDep, RasaDep, SettingsDep, StoreDep
from desk.attachments import FileStore, check_upload, placeholder
from desk.errors import DeskError, FileRejectedError, NotFoundError

logger = logging.getLogger(__name__)
router = APIRouter(tags=["attachments"])
# The customer's web chat runs on the shop's own pages: its uploads and typing come from any origin.
ANY_ORIGIN = {"Access-Control-Allow-Origin": "*"}
# A file is shown, never run: no script, no plugin, no same-origin access even if a browser sniffed HTML in it.
FILE_HEADERS = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
                "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400",
                "Cross-Origin-Resource-Policy": "cross-origin", "Referrer-Policy": "no-referrer"}
# Multipart framing around the file itself.
FORM_OVERHEAD = 64 * 1024
TYPING_EVERY_S = 2.0


def upload_too_large(request: Request, max_bytes: int) -> JSONResponse | None:
    """411/413 for an upload request without a length or longer than a file may be, before its body is read."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return JSONResponse({"detail": "uploads need a Content-Length"}, status_code=411)
    if int(length) > max_bytes + FORM_OVERHEAD:
        return JSONResponse({"detail": f"The file is larger than the limit of {max_bytes:,} bytes.",
                             "reason": "FileTooLarge"}, status_code=413, headers=ANY_ORIGIN)
    return None


def rejected(exc: FileRejectedError, headers: dict[str, str] | None = None) -> JSONResponse:
    """An upload's refusal as the client reads it: the status, a reason code and a sentence."""
    return JSONResponse({"detail": str(exc), "reason": exc.reason}, status_code=exc.status, headers=headers)


async def _store(request: Request, store: StoreDep, conversation_id: str, role: str,
                 file: UploadFile, max_bytes: int) -> dict[str, Any]:
    """Check an upload, keep it on disk, then record it (the file is removed again if the record fails)."""
    data = await file.read(max_bytes + 1)
    checked = check_upload(file.filename or "file", data, max_bytes)
    files: FileStore = request.app.state.files
    token, key = files.put(data, checked.extension)
    try:
        return store.add_attachment(conversation_id, role, checked, token, key)
    except Exception:
        files.delete(key)
        raise


@router.post("/api/escalations/{escalation_id}/attachments", response_model=MessageOut, status_code=201,
             responses=errors(401, 403, 404, 409, 411, 413, 415))
async def send_attachment(escalation_id: int, request: Request, agent: AgentDep, store: StoreDep,
                          settings: SettingsDep, rasa: RasaDep, tasks: BackgroundTasks,
                          file: Annotated[UploadFile, File()],
                          text: Annotated[str, Form(max_length=4000)] = "") -> Any:
    """An agent sends an image or a file (with optional words) to the customer of a hand-over they hold."""
    escalation = store.get_escalation(escalation_id)
    store.check_owned(escalation_id, agent["id"])  # before the file is kept: only the holder may send one
    try:
        attachment = await _store(request, store, escalation["conversation_id"], "agent", file,
                                  settings.attachment_max_bytes)
    except FileRejectedError as exc:
        return rejected(exc)
    message = store.add_agent_message(escalation_id, agent["id"], text.strip() or placeholder(attachment["filename"]),
                                      attachment=attachment["token"])
    tasks.add_task(tell_bot, rasa, message.pop("conversation_id"), "EXTERNAL_agent_reply",
                   {"desk_message_id": message["id"]})
    return JSONResponse(MessageOut(**message).model_dump(), status_code=201)


@router.post("/api/widget/attachments", response_model=AttachmentOut, status_code=201,
             responses=errors(409, 411, 413, 415))
async def upload_customer_file(request: Request, store: StoreDep, settings: SettingsDep,
                               conversation_id: Annotated[str, Form(min_length=1, max_length=128)],
                               file: Annotated[UploadFile, File()]) -> Any:
    """A customer's image or PDF for the agent of their active hand-over (409 without one). The web chat then sends
    a message carrying the returned token."""
    try:
        attachment = await _store(request, store, conversation_id, "customer", file, settings.attachment_max_bytes)
    except FileRejectedError as exc:
        return rejected(exc, ANY_ORIGIN)
    return JSONResponse(attachment, status_code=201, headers=ANY_ORIGIN)


@router.get("/files/{token}", include_in_schema=False)
def read_file(token: str, request: Request, store: StoreDep) -> FileResponse:
    """A file of a hand-over, to whoever holds its unguessable address (the customer and the desk)."""
    if not 16 <= len(token) <= 64:
        raise NotFoundError("no such file")
    attachment, key = store.attachment_file(token)
    files: FileStore = request.app.state.files
    path = files.path(key)
    if not path.is_file():
        raise NotFoundError("the file is no longer kept")
    disposition = "inline" if attachment["image"] else "attachment"
    name = quote(attachment["filename"])
    return FileResponse(path, media_type=attachment["content_type"], headers={
        **FILE_HEADERS, "Content-Disposition": f"{disposition}; filename*=UTF-8''{name}"})


class TypingIn(BaseModel):
    """The agent is typing (true) or stopped (false)."""

    typing: bool = True


@router.post("/api/widget/typing", status_code=204, response_model=None, responses=errors(404))
def customer_typing(request: Request, store: StoreDep,
                    conversation_id: Annotated[str, Form(min_length=1, max_length=128)]) -> Response:
    """Show the desk that the customer of an active hand-over is typing (at most one event per 2 s each). A form
    post, so that the web chat on a shop's own pages needs no CORS preflight."""
    seen: dict[str, float] = request.app.state.typing_seen
    now = time.monotonic()
    if now - seen.get(conversation_id, 0.0) >= TYPING_EVERY_S:
        if len(seen) > 10_000:
            seen.clear()
        seen[conversation_id] = now
        if store.customer_typing(conversation_id) is None:
            return JSONResponse({"detail": "no hand-over in progress"}, status_code=404, headers=ANY_ORIGIN)
    return Response(status_code=204, headers=ANY_ORIGIN)


@router.post("/api/escalations/{escalation_id}/typing", status_code=204, responses=errors(401, 403, 404, 409))
async def agent_typing(escalation_id: int, body: TypingIn, agent: AgentDep, store: StoreDep,
                       rasa: RasaDep) -> None:
    """Show the web customer of a hand-over you hold that you are typing (socket.io customers; others see nothing)."""
    escalation = store.check_owned(escalation_id, agent["id"])
    if escalation["channel"] != "socketio":
        return
    try:
        await rasa.typing(escalation["conversation_id"], body.typing, agent["display_name"])
    except DeskError as exc:  # typing is a courtesy: the reply itself goes through the outbox
        logger.info("%s", exc)
