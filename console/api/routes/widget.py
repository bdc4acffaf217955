"""The customer web chat: the one-script-tag bubble widget (`/widget.js`), the mobile chat page (`/chat`) and the
other built files (`/widget/{asset}`), all from `widget/dist` (built by `make widget`; nothing from a CDN)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from kefu.config import ROOT, Settings

router = APIRouter(tags=["widget"])

WIDGET_DIST = ROOT / "widget" / "dist"
NOT_BUILT = "The web chat is not built: run `make widget`."
# One flat folder of built files: a name, never a path.
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.(js|css|map|txt)$")
MEDIA_TYPES = {"js": "application/javascript", "css": "text/css", "map": "application/json",
               "txt": "text/plain; charset=utf-8"}
SERVER_PLACEHOLDER = "__KEFU_SERVER__"
# Built files keep their names across builds, so browsers must revalidate (the ETag makes that cheap).
REVALIDATE = {"Cache-Control": "no-cache"}
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]")


def _built(name: str) -> Path:
    """A file of widget/dist, or 503 when the widget has not been built, 404 when the build has no such file."""
    if not (WIDGET_DIST / "widget.js").is_file():
        raise HTTPException(503, NOT_BUILT)
    path = WIDGET_DIST / name
    if not path.is_file():
        raise HTTPException(404, f"No such web chat file: {name}")
    return path


def rasa_origin(request: Request) -> str:
    """The Rasa server as a customer's browser reaches it: `public_rasa_url` when set, else `rasa_url`, unless Rasa
    listens on every interface, in which case the host the browser used for the console."""
    settings: Settings = request.app.state.settings
    if settings.public_rasa_url:
        public = urlsplit(settings.public_rasa_url)
        return f"{public.scheme}://{public.netloc}"
    url = urlsplit(settings.rasa_url)
    if url.hostname in WILDCARD_HOSTS or settings.host in WILDCARD_HOSTS:
        host = request.url.hostname or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"{request.url.scheme}://{host}:{settings.rasa_port}"
    return f"{url.scheme}://{url.netloc}"


def chat_csp(origin: str) -> str:
    """The console's policy, with Rasa's socket.io added to connect-src (websocket, and HTTP for long-polling)."""
    socket = origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"connect-src 'self' {origin} {socket}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


@router.get("/widget.js", include_in_schema=False)
def read_widget_script() -> FileResponse:
    """The bubble widget: one self-contained script (socket.io client and styles bundled in)."""
    return FileResponse(_built("widget.js"), media_type="application/javascript", headers=REVALIDATE)


@router.get("/chat", include_in_schema=False)
def read_chat_page(request: Request) -> HTMLResponse:
    """The mobile chat page, told where Rasa is and allowed (by its CSP) to connect there."""
    origin = rasa_origin(request)
    page = _built("chat.html").read_text(encoding="utf-8")
    page = page.replace(SERVER_PLACEHOLDER, html.escape(origin, quote=True))
    return HTMLResponse(page, headers={**REVALIDATE, "Content-Security-Policy": chat_csp(origin)})


@router.get("/widget/{asset}", include_in_schema=False)
def read_widget_asset(asset: str) -> FileResponse:
    """Another built file (the chat page's script and styles, licences)."""
    match = ASSET_NAME.match(asset)
    if match is None:
        raise HTTPException(404, f"No such web chat file: {asset}")
    return FileResponse(_built(asset), media_type=MEDIA_TYPES[match.group(1)], headers=REVALIDATE)
