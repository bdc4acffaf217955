"""A throwaway redis-server on loopback for tests (Debian's package; `make test` installs it). Standard library only,
so both environments can use it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(port: int) -> bool:
    """Whether a Redis server answers PING on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """Start redis-server on the port (no persistence) and wait until it answers."""
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError("redis-server is not installed: `make test` installs Debian's redis-server")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not ping(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    return proc


@contextmanager
def redis_server() -> Iterator[str]:
    """A running redis-server's URL (redis://127.0.0.1:PORT/0), stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kefu-redis-") as folder:
        proc = start(port, Path(folder))
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
