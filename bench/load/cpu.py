"""CPU-seconds of each server process (with the processes it started, such as NLU workers) over a measurement."""

from __future__ import annotations

from collections.abc import Mapping

import psutil


def cpu_seconds(pid: int) -> float:
    """User plus system CPU-seconds of a process and every live descendant (0 for a process that is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


class CpuMeter:
    """Snapshots the CPU-seconds of named processes; `per_message` divides what they used since by a count."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.pids = dict(pids)
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def used(self) -> dict[str, float]:
        """CPU-seconds per process since the snapshot."""
        return {name: round(cpu_seconds(pid) - self.start[name], 2) for name, pid in self.pids.items()}

    def per_message(self, messages: int) -> dict[str, float]:
        """Milliseconds of CPU per customer message, per process and in all."""
        used = self.used()
        out = {name: round(1000 * s / max(messages, 1), 1) for name, s in used.items()}
        out["all"] = round(sum(out.values()), 1)
        return out
