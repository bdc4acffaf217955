"""Start Kefu's processes, wait until they answer, restart one that dies, and stop them together.

Start-up is all or none (a server that cannot start is a configuration problem to report, not to retry). Once
all are up, a server that dies (killed, out of memory, a crash) is restarted with backoff, 1 s doubling to 30 s
and back to 1 s after a minute of running, while the others keep serving; the supervisor says so on stderr and in
data/logs/supervisor.log. Each server leads its own process group, and the whole group goes with it: Rasa's NLU
workers and the action server's Sanic worker and resource tracker do not outlive a killed server to hold its
port."""

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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from kefu.config import ROOT, Settings
from kefu.pii import mask
from kefu.vocabulary import NLU_ALL_LOADED

PROGRESS_EVERY_S = 10.0
# Restart backoff: the first wait, the longest, and how long a server must run for the next crash to start over.
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0
RESTART_RESET_AFTER_S = 60.0


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
    started_at: float = 0.0
    restarts: int = 0  # crashes in a row (reset after RESTART_RESET_AFTER_S of running)
    restart_at: float | None = None  # when a crashed server is due to start again
    back: bool = True  # has answered its ready URL since it last started
    log_offset: int = 0  # where the log file stood when it was last started
    # A readiness check for servers without an HTTP URL (PostgreSQL, Redis): used instead of ready_url.
    ready: Callable[[], bool] | None = None
    # Run as this user (PostgreSQL refuses to run as root).
    user: str | None = None
    # How to ask it to stop (PostgreSQL: SIGINT, its fast shutdown; SIGTERM would wait for every client to leave).
    stop_signal: int = signal.SIGTERM

    def start(self, echo: bool) -> None:
        """Start the process; a thread copies its output to the log file (and the console when echo)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        # A new session, so Ctrl-C reaches only the supervisor, which then stops children in order.
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.user,
            group=self.user,
        )
        self.started_at = time.monotonic()
        threading.Thread(target=self._pump, args=(echo,), daemon=True).start()

    def _pump(self, echo: bool) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            for raw in self.proc.stdout:
                # Servers log what customers typed; phone numbers, addresses and the like never reach the files.
                line = mask(raw.decode("utf-8", "replace").rstrip())
                log.write(line.encode() + b"\n")
                log.flush()
                self.tail.append(line)
                if echo:
                    print(f"[{self.name}] {line}", flush=True)

    def logged(self, text: str) -> bool:
        """Whether the process has logged a line containing text since it was last started."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self.log_offset)
                return text.encode() in log.read()
        except OSError:
            return False

    def is_ready(self) -> bool:
        """True when the ready URL answers 200 (or the ready check passes)."""
        if self.ready is not None:
            return self.ready()
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
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.kill_group()

    def kill_group(self) -> None:
        """Kill what the server started and left behind (it leads its own process group: start_new_session)."""
        if self.proc is not None:
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
                # No --log-file: Rasa would write every message unmasked there; its output goes through _pump.
            ],
            env=settings.rasa_env(),
            ready_url=f"{settings.rasa_url}/webhooks/rest/",
            log_path=logs / "rasa.log",
        ),
    ]


class Supervisor:
    """Runs the children as one unit: all up, or none."""

    def __init__(self, settings: Settings, echo: bool = False, children: list[Child] | None = None) -> None:
        self.settings = settings
        self.echo = echo
        self.children = build_children(settings) if children is None else children
        self.stopped = False

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

    def wait_for_nlu_workers(self, within: float = 180.0) -> None:
        """Wait until every Rasa's NLU workers have all loaded: Rasa answers once one has, and the others join
        over the next seconds; benchmarks and timed tests measure the whole pool."""
        deadline = time.monotonic() + within
        # With KEFU_NLU_WORKERS=0 Rasa parses in its own process (ready means loaded); the cluster gives each
        # replica at least one worker.
        rasas = [c for c in self.children if c.name.startswith("rasa") and c.env.get("KEFU_NLU_WORKERS") != "0"]
        while not all(c.logged(NLU_ALL_LOADED) for c in rasas):
            if time.monotonic() > deadline:
                raise ServeError(f"Rasa's NLU workers did not all load within {within:.0f} s")
            self.check_alive()
            time.sleep(0.2)

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
        self.stopped = True
        for child in reversed(self.children):
            child.restart_at = None
            child.stop()

    def watch(self, now: float | None = None) -> list[str]:
        """Once the servers are up, call this every half second: it restarts a server that died (with backoff)
        and returns what happened, a line each."""
        now = time.monotonic() if now is None else now
        said: list[str] = []
        if self.stopped:
            return said
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restart_at = None
                    child.back = False
                    child.start(self.echo)
                    said.append(f"restarting {child.name} (restart {child.restarts} in a row)")
                continue
            code = child.exit_code()
            if code is not None:
                child.kill_group()  # its workers, so the port is free for the next one
                if now - child.started_at >= RESTART_RESET_AFTER_S:
                    child.restarts = 0
                delay = min(RESTART_MAX_S, RESTART_FIRST_S * 2 ** child.restarts)
                child.restarts += 1
                child.restart_at = now + delay
                tail = "".join(f"\n    {line}" for line in list(child.tail)[-5:])
                said.append(f"{child.name} exited with code {code}; the others keep serving; restarting it in "
                            f"{delay:.0f} s (log: {child.log_path}).{' Last lines:' if tail else ''}{tail}")
            elif not child.back and child.is_ready():
                child.back = True
                said.append(f"{child.name} is back, {now - child.started_at:.0f} s after its restart")
        return said


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


def on_stop_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stopping


def watch_until_stopped(stopping: threading.Event, watch: Callable[[], list[str]], log_path: Path) -> None:
    """Every half second until `stopping`: restart what died (watch), saying so on stderr and in the log."""
    while not stopping.wait(0.5):
        for line in watch():
            print(f"kefu: {line}", file=sys.stderr, flush=True)
            with log_path.open("a", encoding="utf-8") as log:
                log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
    print("kefu: stopping…", flush=True)


def serve(settings: Settings) -> int:
    """Run until Ctrl-C (or SIGTERM), restarting a server that dies; return the process exit code."""
    stopping = on_stop_signals()
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
        watch_until_stopped(stopping, supervisor.watch, settings.data_path / "logs" / "supervisor.log")
        return 0
    except ServeError as exc:
        print(f"kefu: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
