"""Start Kefu's processes, wait until they answer, stop them together, and report one that dies."""

from __future__ import annotations

import collections
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from kefu.config import ROOT, Settings

PROGRESS_EVERY_S = 10.0


class ServeError(Exception):
    """A process failed to start or died."""


@dataclass
class Child:
    """One supervised process: how to start it and how to tell that it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=30))

    def start(self, echo: bool) -> None:
        """Start the process; a thread copies its output to the log file (and the console when echo)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A new session, so Ctrl-C reaches only the supervisor, which then stops children in order.
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, args=(echo,), daemon=True).start()

    def _pump(self, echo: bool) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            for raw in self.proc.stdout:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip()
                self.tail.append(line)
                if echo:
                    print(f"[{self.name}] {line}", flush=True)

    def is_ready(self) -> bool:
        """True when the ready URL answers 200."""
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def exit_code(self) -> int | None:
        """The exit code, or None while it runs."""
        return None if self.proc is None else self.proc.poll()

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate politely, then kill; then whatever it started (Rasa's NLU workers) that outlived it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        # The child leads its own process group (start_new_session): its workers are in it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def build_children(settings: Settings) -> list[Child]:
    """The action server, the console and the Rasa server, configured from settings."""
    logs = settings.data_path / "logs"
    app_python = sys.executable
    # Rasa's own command line through bot/server.py, which trims what Rasa spends per message (see there).
    rasa_python = str(settings.path(settings.rasa_venv) / "bin" / "python")
    model = settings.path(settings.rasa_model)
    if not model.exists():
        raise ServeError(f"No trained Rasa model at {model}: run `make train` first.")
    return [
        Child(
            name="actions",
            argv=[app_python, "-m", "actions.server", "--actions", "actions", "--port", str(settings.action_port)],
            env=settings.app_env(),
            # Ready once the embedding model and index are loaded: Rasa's KB-aware routing asks at once.
            ready_url=f"http://{settings.host}:{settings.action_port}/kb/health",
            log_path=logs / "actions.log",
        ),
        Child(
            name="console",
            argv=[app_python, "-m", "console", "serve", "--port", str(settings.console_port)],
            env=settings.app_env(),
            ready_url=f"{settings.console_url}/health",
            log_path=logs / "console.log",
        ),
        Child(
            name="rasa",
            argv=[
                rasa_python,
                "-m",
                "bot.server",
                "run",
                "--model",
                str(model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--interface",
                settings.host,
                "--port",
                str(settings.rasa_port),
                "--enable-api",
                f"--auth-token={settings.auth_token()}",
                "--cors",
                "*",
                "--log-file",
                str(logs / "rasa-debug.log"),
            ],
            env=settings.rasa_env(),
            ready_url=f"{settings.rasa_url}/webhooks/rest/",
            log_path=logs / "rasa.log",
        ),
    ]


class Supervisor:
    """Runs the children as one unit: all up, or none."""

    def __init__(self, settings: Settings, echo: bool = False) -> None:
        self.settings = settings
        self.echo = echo
        self.children = build_children(settings)

    def start(self, cancel: threading.Event | None = None, progress: bool = False) -> float:
        """Start every child and wait until all answer (or cancel is set); return the seconds it took.

        With progress, say every PROGRESS_EVERY_S which ones are still loading (Rasa's model, the embedder)."""
        started = time.monotonic()
        said = started
        try:
            for child in self.children:
                child.start(self.echo)
            deadline = started + self.settings.startup_timeout_s
            waiting = list(self.children)
            while waiting:
                if cancel is not None and cancel.is_set():
                    raise ServeError("start-up cancelled")
                self.check_alive()
                waiting = [c for c in waiting if not c.is_ready()]
                if progress and waiting and time.monotonic() - said >= PROGRESS_EVERY_S:
                    said = time.monotonic()
                    print(f"  start  {said - started:.0f} s  waiting for {', '.join(c.name for c in waiting)}",
                          flush=True)
                if time.monotonic() > deadline:
                    names = ", ".join(c.name for c in waiting)
                    raise ServeError(f"{names} did not answer within {self.settings.startup_timeout_s:.0f} s")
                time.sleep(0.5)
        except BaseException:
            # All or none: a child that died (or a Ctrl-C) during start-up takes the others down with it.
            self.stop()
            raise
        return time.monotonic() - started

    def check_alive(self) -> None:
        """Raise ServeError naming the first child that has exited."""
        for child in self.children:
            code = child.exit_code()
            if code is not None:
                tail = "\n".join(f"    {line}" for line in list(child.tail)[-15:])
                raise ServeError(
                    f"{child.name} exited with code {code} (log: {child.log_path}). Last lines:\n{tail}"
                )

    def stop(self) -> None:
        """Stop children in reverse start order."""
        for child in reversed(self.children):
            child.stop()


def ensure_first_user(settings: Settings) -> str | None:
    """With no console user yet, create `admin` with a random password kept in data_dir; return that password."""
    from console.core.security import hash_password
    from desk.service import desk_store

    store = desk_store(settings)
    secret_file = settings.data_path / "console_admin_password"
    if store.agents():
        return secret_file.read_text().strip() if secret_file.exists() else None
    password = secrets.token_urlsafe(12)
    store.create_agent("admin", display_name="Admin", role="admin", password_hash=hash_password(password))
    secret_file.write_text(password + "\n")
    secret_file.chmod(0o600)
    return password


def first_user_line(settings: Settings) -> str:
    """The banner's hint on how to sign in to the desk."""
    secret_file = settings.data_path / "console_admin_password"
    if secret_file.exists():
        return (f"  sign in  as admin, with the password in {secret_file}; add agents and ops users with\n"
                "           .venv/bin/python -m console create-user NAME --role agent|ops")
    return "  sign in  with your console user (add one: .venv/bin/python -m console create-user NAME --role agent|ops)"


def banner(settings: Settings, seconds: float) -> str:
    """What a person needs to start talking to Kefu: where to chat, where agents and ops work, how to sign in."""
    url = settings.rasa_url
    console = settings.console_url
    wechat = "on" if settings.wechat_token.get_secret_value() else "off: set WECHAT_* in .env"
    return f"""
Kefu is up ({seconds:.0f} s).
  chat       {console}/chat   (the customer web chat; on any page: <script src="{console}/widget.js" async>)
  agent desk {console}/desk   escalated customers arrive here
  ops        {console}/ops    review queue, FAQ entries, import/export, try it, dashboard
{first_user_line(settings)}
  REST       POST {url}/webhooks/rest/webhook   {{"sender": "me", "message": "你好"}}
  socket.io  {url}/socket.io  (events: session_request, user_uttered, bot_uttered)
  HTTP API   {url}/status  (token in {settings.data_path / "rasa_token"} unless KEFU_RASA_TOKEN is set)
  WeChat     {url}/webhooks/wechat/webhook  ({wechat})
  logs       {settings.data_path / "logs"}
Try:  curl -s {url}/webhooks/rest/webhook -d '{{"sender":"demo","message":"我要查订单"}}'
Press Ctrl-C to stop."""


def serve(settings: Settings) -> int:
    """Run until Ctrl-C or until a child dies; return the process exit code."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        ensure_first_user(settings)
        # Each server's output goes to data/logs only: after the banner the console stays quiet until Ctrl-C.
        supervisor = Supervisor(settings, echo=os.environ.get("KEFU_VERBOSE") == "1")
    except ServeError as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"▸ start  {', '.join(c.name for c in supervisor.children)} (logs in {settings.data_path / 'logs'})",
              flush=True)
        seconds = supervisor.start(stopping, progress=True)
        print(f"✓ start  {seconds:.0f} s", flush=True)
        print(banner(settings, seconds), flush=True)
        while not stopping.wait(0.5):
            supervisor.check_alive()
        print("kefu: stopping…", flush=True)
        return 0
    except ServeError as exc:
        print(f"kefu: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
