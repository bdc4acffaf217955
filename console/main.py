"""The console app: the agent desk and the ops console (knowledge-base curation, dashboard), their API, the live
feed, and the loops that keep the bot in step."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from console.api.routes import (
    attachments,
    auth,
    compensation,
    contact,
    dashboard,
    desk,
    escalations,
    events,
    kb,
    labels,
    privacy,
    review,
    teams,
    widget,
)
from console.api.routes.attachments import upload_too_large
from console.core.knowledge import Curator
from console.core.live import Broadcaster, announce_positions, auto_assign, redeliver, watch_sla
from console.core.rasa import RasaClient
from console.core.security import SESSION_COOKIE, LoginThrottle
from desk.attachments import FileStore
from desk.errors import ConflictError, DeskError, FileRejectedError, ForbiddenError, InvalidInputError, NotFoundError
from desk.service import desk_store
from kefu.config import Settings, get_settings
from kefu.orders import order_client
from kefu.tracker_events import TrackerUnavailableError
from knowledge_base.errors import (
    EmptyKnowledgeBaseError,
    EntryNotFoundError,
    ImportFileError,
    IndexMissingError,
    KnowledgeBaseError,
    KnowledgeBaseUnavailableError,
    ModelSetupError,
)

STATIC = Path(__file__).with_name("static")
# The pages' scripts are ES modules, which browsers run only when served as JavaScript: do not leave .js to the
# host's MIME table (some map it to text/plain).
mimetypes.add_type("text/javascript", ".js")
STATUS = {NotFoundError: 404, ConflictError: 409, ForbiddenError: 403, InvalidInputError: 422}
# A knowledge-base error that is none of these is a conflict with the stored state (cluster closed, id taken).
KB_STATUS = {EntryNotFoundError: 404, ImportFileError: 422, EmptyKnowledgeBaseError: 503, IndexMissingError: 503,
             ModelSetupError: 503,
             KnowledgeBaseUnavailableError: 503}
# Everything is served from this origin: no CDN, no inline script, no framing by other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: Settings | None = None, background: bool = True) -> FastAPI:
    """The console for these settings; `background=False` skips the live loops (API tests)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        if background:
            broadcaster = app.state.broadcaster
            tasks = [
                asyncio.create_task(broadcaster.run()),
                asyncio.create_task(redeliver(app.state.store, app.state.rasa, settings.handoff_redeliver_s)),
                asyncio.create_task(announce_positions(app.state.store, app.state.rasa, broadcaster.changed,
                                                       min_gap_s=settings.desk_position_update_s)),
                asyncio.create_task(watch_sla(app.state.store, settings.desk_sla_check_s)),
                # The embedding model takes seconds to load: do it now, not in the first ops user's publish.
                asyncio.create_task(asyncio.to_thread(app.state.curator.warm_up)),
            ]
            if settings.desk_auto_assign:
                tasks.append(asyncio.create_task(auto_assign(
                    app.state.store, app.state.rasa, broadcaster.queue_changed, settings.desk_assign_every_s,
                    settings.desk_reassign_after)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.rasa.close()

    app = FastAPI(title="Kefu console", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.store = desk_store(settings)
    app.state.broadcaster = Broadcaster(app.state.store)
    app.state.user_throttle = LoginThrottle(max_failures=5)
    app.state.address_throttle = LoginThrottle(max_failures=30)
    app.state.rasa = RasaClient(settings.rasa_url, settings.auth_token())
    app.state.curator = Curator(settings)
    app.state.files = FileStore(settings.attachments_path)
    app.state.typing_seen = {}
    app.state.orders = order_client(settings)
    for router in (auth.router, escalations.router, desk.router, events.router, widget.router, kb.router,
                   review.router, dashboard.router, labels.router, teams.router, contact.router, privacy.router,
                   attachments.router, compensation.router):
        app.include_router(router)

    @app.exception_handler(KnowledgeBaseError)
    async def kb_error(request: Request, exc: KnowledgeBaseError) -> JSONResponse:
        code = next((c for kind, c in KB_STATUS.items() if isinstance(exc, kind)), 409)
        body: dict[str, object] = {"detail": str(exc).splitlines()[0]}
        if isinstance(exc, ImportFileError):
            body["problems"] = exc.problems  # the validation report: every bad row with its line and reason
        return JSONResponse(body, status_code=code)

    @app.exception_handler(TrackerUnavailableError)
    async def tracker_error(request: Request, exc: TrackerUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DeskError)
    async def desk_error(request: Request, exc: DeskError) -> JSONResponse:
        if isinstance(exc, FileRejectedError):
            return JSONResponse({"detail": str(exc), "reason": exc.reason}, status_code=exc.status)
        code = next((c for kind, c in STATUS.items() if isinstance(exc, kind)), 503)
        return JSONResponse({"detail": str(exc)}, status_code=code)

    @app.middleware("http")
    async def upload_limit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Refused before the body is read: a huge upload must not fill the temporary folder first.
        if request.method == "POST" and request.url.path.endswith("/attachments"):
            refused = upload_too_large(request, settings.attachment_max_bytes)
            if refused is not None:
                return refused
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/health", include_in_schema=False)
    def read_health() -> dict[str, str]:
        return {"status": "ok"}

    def signed_in(request: Request) -> dict[str, object] | None:
        token = request.cookies.get(SESSION_COOKIE)
        login = app.state.store.login_for(token) if token else None
        return login[0] if login else None

    @app.get("/", include_in_schema=False)
    def read_root(request: Request) -> RedirectResponse:
        user = signed_in(request)
        return RedirectResponse("/ops" if user and user["role"] == "ops" else "/desk")

    @app.get("/login", include_in_schema=False)
    def read_login_page() -> FileResponse:
        return FileResponse(STATIC / "login.html")

    @app.get("/desk", include_in_schema=False, response_model=None)
    def read_desk_page(request: Request) -> FileResponse | RedirectResponse:
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/login?next=/desk")
        return FileResponse(STATIC / "desk.html") if user["role"] != "ops" else RedirectResponse("/ops")

    @app.get("/ops", include_in_schema=False, response_model=None)
    def read_ops_page(request: Request) -> FileResponse | RedirectResponse:
        user = signed_in(request)
        if user is None:
            return RedirectResponse("/login?next=/ops")
        return FileResponse(STATIC / "ops.html") if user["role"] != "agent" else RedirectResponse("/desk")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
