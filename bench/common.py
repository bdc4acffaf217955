"""Helpers shared by the benchmarks: percentiles, a results folder, a summary table."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summarise_ms(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/NAME.json and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def table(rows: list[tuple[str, object]]) -> str:
    """A two-column plain-text table."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def kefu_on_a_kb_copy(prefix: str, own_index: bool = False, **overrides: Any) -> Iterator[Any]:
    """Start Rasa, the action server and the console on free ports over a copy of the real KB (review rows land in
    the copy), with any settings overridden; yields their Settings and stops them on exit. `own_index` copies the
    index too, for benchmarks that publish (the live index is never written)."""
    with servers_on_a_kb_copy(prefix, own_index, **overrides) as (settings, _):
        yield settings


@contextmanager
def servers_on_a_kb_copy(prefix: str, own_index: bool = False, **overrides: Any) -> Iterator[tuple[Any, Any]]:
    """kefu_on_a_kb_copy, yielding the Supervisor too (its children's PIDs, for CPU accounting)."""
    from kefu.config import Settings, get_settings
    from kefu.serve import Supervisor

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    live = get_settings()
    store = Path(live.kb_url.removeprefix("sqlite:///"))
    if not store.exists() or not live.kb_index_path.exists():
        raise SystemExit("no knowledge base yet: run `make kb` first")
    with sqlite3.connect(store) as source, sqlite3.connect(workdir / "kb.db") as copy:
        source.backup(copy)  # consistent even with a WAL in use
    index = live.kb_index_path
    if own_index:
        index = Path(shutil.copytree(index, workdir / "index"))
    # The benchmarks' agents claim from the queue themselves unless a benchmark measures auto-assignment.
    overrides.setdefault("desk_auto_assign", False)
    settings = Settings(rasa_port=free_port(), action_port=free_port(), console_port=free_port(), data_dir=workdir,
                        kb_database_url=f"sqlite:///{workdir}/kb.db", kb_index_dir=index, **overrides)
    supervisor = Supervisor(settings, echo=False)
    print("starting servers…", flush=True)
    supervisor.start()
    supervisor.wait_for_nlu_workers()  # Rasa answers once one has loaded; measure the whole pool
    try:
        yield settings, supervisor
    finally:
        supervisor.stop()


@contextmanager
def cluster_on_the_demo_kb(prefix: str, replicas: int, **overrides: Any) -> Iterator[tuple[Any, Any]]:
    """The cluster profile (kefu/cluster.py) on free ports in a throw-away folder, `replicas` of each server, the demo
    knowledge base in its own PostgreSQL and the live index copied (built by `make kb` from the same demo KB);
    yields its Settings and the Cluster, and stops it on exit."""

    from kefu.cluster import Cluster, free_port_base, proxy_ports
    from kefu.config import Settings, get_settings

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    workdir.chmod(0o755)  # PostgreSQL runs as the `postgres` user when we are root
    live = get_settings()
    if not live.kb_index_path.exists():
        raise SystemExit("no knowledge base yet: run `make kb` first")
    shutil.copytree(live.kb_index_path, workdir / "cluster" / "index")
    ports = free_port_base(replicas)
    overrides.setdefault("desk_auto_assign", False)
    base = Settings(**proxy_ports(ports), data_dir=workdir, cluster_port_base=ports, rasa_replicas=replicas,
                    action_replicas=replicas, console_replicas=replicas, **overrides)
    cluster = Cluster.create(base)
    print(f"starting the cluster ({replicas} of each server)…", flush=True)
    try:
        cluster.start()
        assert cluster.servers is not None
        cluster.servers.wait_for_nlu_workers()
        yield cluster.settings, cluster
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
