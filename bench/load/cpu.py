"""CPU-seconds of each server process (with the processes it started, such as NLU workers) over a measurement."""

from __future__ import annotations

from collections.abc import Mapping

import psutil


def cpu_seconds(pid: int, part: str = "all") -> float:
    """User plus system CPU-seconds of a process and every live descendant (0 for a process that is gone);
    `part` "own" counts the process alone, "children" its descendants alone."""
    try:
        root = psutil.Process(pid)
        procs = {"all": [root, *root.children(recursive=True)], "own": [root],
                 "children": root.children(recursive=True)}[part]
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
    """Snapshots the CPU-seconds of named processes; `per_message` divides what they used since by a count.
    Rasa's own process and its NLU workers are counted apart ("rasa", "rasa_nlu")."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        self.parts: dict[str, tuple[int, str]] = {}
        for name, pid in pids.items():
            if name == "rasa":
                self.parts["rasa"] = (pid, "own")
                self.parts["rasa_nlu"] = (pid, "children")
            else:
                self.parts[name] = (pid, "all")
        self.start = {name: cpu_seconds(pid, part) for name, (pid, part) in self.parts.items()}

    def used(self) -> dict[str, float]:
        """CPU-seconds per process since the snapshot."""
        return {name: round(cpu_seconds(pid, part) - self.start[name], 2)
                for name, (pid, part) in self.parts.items()}

    def per_message(self, messages: int) -> dict[str, float]:
        """Milliseconds of CPU per customer message, per process and in all."""
        used = self.used()
        out = {name: round(1000 * s / max(messages, 1), 1) for name, s in used.items()}
        out["all"] = round(sum(out.values()), 1)
        return out
