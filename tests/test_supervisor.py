"""kefu/serve.py: once up, a server that dies is restarted with backoff while the others keep running, and what it
started dies with it."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.config import Settings
from kefu.serve import RESTART_RESET_AFTER_S, Child, Supervisor

# A server that starts a worker of its own (as Rasa starts its NLU workers) and runs until killed.
SERVER = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)']); " \
         "time.sleep(300)"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(")")[-1].split()[0] != "Z"


def group(pid: int) -> list[int]:
    """The live processes of a process group."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pid and alive(int(entry)):
                    pids.append(int(entry))
            except (ProcessLookupError, FileNotFoundError):
                pass
    return pids


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    children = [Child(name=name, argv=[sys.executable, "-c", SERVER], env=dict(os.environ),
                      ready_url="http://127.0.0.1:9/", log_path=tmp_path / f"{name}.log")
                for name in ("actions", "console", "rasa")]
    supervisor = Supervisor(Settings(data_dir=tmp_path), children=children)
    for child in children:
        child.start(echo=False)
    time.sleep(0.5)  # each has started its worker
    try:
        yield supervisor
    finally:
        supervisor.stop()


def test_a_killed_server_is_restarted_with_backoff_and_its_worker_dies_with_it(supervisor: Supervisor) -> None:
    actions, console, rasa = supervisor.children
    assert actions.proc is not None and console.proc is not None and rasa.proc is not None
    others = (console.proc.pid, rasa.proc.pid)
    first = actions.proc.pid
    workers = [p for p in group(first) if p != first]
    assert len(workers) == 1

    os.kill(first, signal.SIGKILL)
    actions.proc.wait(5)
    now = time.monotonic()
    said = supervisor.watch(now)
    assert len(said) == 1 and said[0].startswith("actions exited with code -9") and "restarting it in 1 s" in said[0]
    time.sleep(0.2)
    assert not alive(workers[0])  # the orphaned worker went with it
    assert supervisor.watch(now + 0.5) == []  # not yet
    assert supervisor.watch(now + 1.0) == ["restarting actions (restart 1 in a row)"]
    assert actions.proc.pid != first and alive(actions.proc.pid)
    assert (console.proc.pid, rasa.proc.pid) == others and all(alive(p) for p in others)

    # A second crash soon after waits twice as long; a crash after a minute of running starts over at 1 s.
    os.kill(actions.proc.pid, signal.SIGKILL)
    actions.proc.wait(5)
    assert "restarting it in 2 s" in supervisor.watch(now + 2)[0]
    assert supervisor.watch(now + 3.5) == []
    assert supervisor.watch(now + 4) == ["restarting actions (restart 2 in a row)"]
    os.kill(actions.proc.pid, signal.SIGKILL)
    actions.proc.wait(5)
    assert "restarting it in 1 s" in supervisor.watch(actions.started_at + RESTART_RESET_AFTER_S + 1)[0]


def test_stopping_cancels_a_pending_restart(supervisor: Supervisor) -> None:
    rasa = supervisor.children[2]
    assert rasa.proc is not None
    os.kill(rasa.proc.pid, signal.SIGKILL)
    rasa.proc.wait(5)
    now = time.monotonic()
    assert supervisor.watch(now)[0].startswith("rasa exited")
    supervisor.stop()
    assert supervisor.watch(now + 60) == []


def test_waiting_for_the_nlu_workers_reads_only_what_rasa_logged_since_its_last_start(tmp_path: Path) -> None:
    from kefu.serve import ServeError
    from kefu.vocabulary import NLU_ALL_LOADED

    says = f"import time; time.sleep(0.5); print({NLU_ALL_LOADED!r}, flush=True); time.sleep(300)"
    log = tmp_path / "rasa.log"
    log.write_text(f"{NLU_ALL_LOADED} (an earlier run)\n")
    rasa = Child(name="rasa", argv=[sys.executable, "-c", says], env={**os.environ, "KEFU_NLU_WORKERS": "2"},
                 ready_url="http://127.0.0.1:9/", log_path=log)
    # Rasa parsing in its own process (KEFU_NLU_WORKERS=0) logs no such line and is not waited for.
    own = Child(name="rasa-2", argv=[sys.executable, "-c", "import time; time.sleep(300)"],
                env={**os.environ, "KEFU_NLU_WORKERS": "0"}, ready_url="http://127.0.0.1:9/",
                log_path=tmp_path / "rasa-2.log")
    supervisor = Supervisor(Settings(data_dir=tmp_path), children=[rasa, own])
    try:
        for child in (rasa, own):
            child.start(echo=False)
        assert not rasa.logged(NLU_ALL_LOADED)  # the earlier run's line does not count
        started = time.monotonic()
        supervisor.wait_for_nlu_workers(within=20)
        assert time.monotonic() - started >= 0.3
        assert rasa.logged(NLU_ALL_LOADED)
        rasa.stop()
        rasa.argv = [sys.executable, "-c", "import time; time.sleep(300)"]
        rasa.start(echo=False)
        with pytest.raises(ServeError, match="did not all load within 1 s"):
            supervisor.wait_for_nlu_workers(within=1)
    finally:
        supervisor.stop()
