"""The embedded default survives a crash: each server in turn is killed with SIGKILL in the middle of a
conversation; the supervisor restarts it while the others keep serving, nothing it started outlives it, Rasa
tells the customer honestly while the action server is away, the assistant answers again within 30 s, and the
conversation keeps every message exactly once."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from kefu.config import Settings
from kefu.serve import Child, Supervisor
from knowledge_base import io, service
from knowledge_base.__main__ import DEMO_FILES
from tests.e2e.conftest import free_port, say, texts

# The embedded default's supervisor (the cluster profile has tests/e2e/test_cluster.py for its kills).
pytestmark = pytest.mark.embedded_only

BACK_WITHIN_S = 30.0
SORRY_ZH = "抱歉，系统暂时出了点问题"
SENDER = "crash-recovery"


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Supervisor, list[str]]]:
    """The three servers, with the supervisor's watch running as `make run` runs it; what it said."""
    settings = Settings(rasa_port=free_port(), action_port=free_port(), console_port=free_port(),
                        data_dir=tmp_path_factory.mktemp("kefu-crash"), nlu_workers=2)
    entries = [e for path in DEMO_FILES for e in io.read_file(path)]
    service.store(settings).import_entries(entries, author="e2e")
    service.publish(settings)
    supervisor = Supervisor(settings)
    supervisor.start()
    supervisor.wait_for_nlu_workers()
    said: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.25):
            said.extend(supervisor.watch())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield settings, supervisor, said
    finally:
        stop.set()
        watcher.join(5)
        supervisor.stop()


def child(supervisor: Supervisor, name: str) -> Child:
    return next(c for c in supervisor.children if c.name == name)


def group_alive(pgid: int) -> list[int]:
    """Live members of a process group (zombies excluded)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry))
    return members


def kill(supervisor: Supervisor, name: str) -> int:
    """SIGKILL one server (not its workers: the supervisor must clean those up); its pid."""
    proc = child(supervisor, name).proc
    assert proc is not None
    pid = proc.pid
    assert len(group_alive(pid)) >= 1
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_until(check: object, within: float, what: str) -> float:
    """Poll check() until true; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            if check():  # type: ignore[operator]
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {within:.0f} s")


def tracker_user_texts(settings: Settings) -> list[str]:
    resp = httpx.get(f"{settings.rasa_url}/conversations/{SENDER}/tracker",
                     params={"token": settings.auth_token()}, timeout=30)
    resp.raise_for_status()
    return [e["text"] for e in resp.json()["events"] if e["event"] == "user"]


def test_each_server_killed_in_turn_is_back_within_30_s_and_nothing_is_lost(
        watched: tuple[Settings, Supervisor, list[str]]) -> None:
    settings, supervisor, said = watched
    sent: list[str] = []

    def ask(text: str) -> str:
        reply = texts(say(settings, SENDER, text))
        sent.append(text)
        return reply

    assert "您好" in ask("你好")
    assert "发票" in ask("怎么开发票")

    # The action server: the customer is told honestly at once, and answered again once it is back.
    pid = kill(supervisor, "actions")
    wait_until(lambda: not group_alive(pid), 10, "the action server's workers dying with it")
    assert SORRY_ZH in ask("退货运费谁出")
    took = wait_until(lambda: "运费" in ask("退货运费谁出") and child(supervisor, "actions").back, BACK_WITHIN_S,
                      "an answer from the restarted action server")
    print(f"action server: answering again {took:.1f} s after the kill")

    # The console: the customer chat (REST) keeps working meanwhile, and the desk's API is back.
    pid = kill(supervisor, "console")
    assert "发票" in ask("怎么开发票")
    took = wait_until(lambda: httpx.get(f"{settings.console_url}/health", timeout=2).status_code == 200,
                      BACK_WITHIN_S, "the console's health")
    print(f"console: healthy again {took:.1f} s after the kill")
    assert not group_alive(pid)

    # Rasa, with its NLU workers: none outlives it, and the same conversation goes on after the restart.
    pid = kill(supervisor, "rasa")
    wait_until(lambda: not group_alive(pid), 10, "Rasa's NLU workers dying with it")
    try:
        took = wait_until(lambda: "发票" in ask("怎么开发票"), BACK_WITHIN_S, "an answer from the restarted Rasa")
    except AssertionError as exc:  # say what the supervisor saw, and how far Rasa got
        raise AssertionError(f"{exc}; the supervisor said:\n" + "\n".join(said) + "\nRasa's last lines:\n"
                             + "\n".join(child(supervisor, "rasa").tail)) from None
    print(f"rasa: answering again {took:.1f} s after the kill")

    assert [line.split(" ")[0] for line in said if " exited with code -9" in line] == ["actions", "console", "rasa"]
    assert sum(line.endswith("after its restart") for line in said) == 3
    # Every message the customer got a reply to is in the conversation, once, in order.
    assert tracker_user_texts(settings) == sent
