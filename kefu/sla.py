"""SLA targets as settings spell them ("urgent=60/300/1800; high=…; normal=…"); parsed when Settings loads and again
by the desk (desk/sla.py runs the clocks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

LEVELS = ("urgent", "high", "normal")
MAX_TARGET_S = 7 * 24 * 3600
DEFAULT_SPEC = "urgent=60/300/1800; high=120/600/3600; normal=300/900/7200"


@dataclass(frozen=True)
class Targets:
    """Seconds allowed for the first response, each next response and the resolution."""

    first_response_s: int
    next_response_s: int
    resolution_s: int

    def as_dict(self) -> dict[str, int]:
        """The JSON shape."""
        return asdict(self)

    def check(self) -> Targets:
        """These targets, or ValueError when one is not between 1 s and a week."""
        for name, value in self.as_dict().items():
            if not 0 < value <= MAX_TARGET_S:
                raise ValueError(f"{name} must be between 1 and {MAX_TARGET_S} seconds, not {value}")
        return self


def parse_targets(spec: str) -> dict[str, Targets]:
    """Targets per level from "urgent=60/300/1800; high=120/600/3600; normal=300/900/7200" (seconds: first
    response / next response / resolution); every level must be given once. ValueError names the problem."""
    found: dict[str, Targets] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        level, _, values = part.partition("=")
        level = level.strip().lower()
        try:
            first, next_, resolution = (int(v) for v in values.split("/"))
        except ValueError:
            raise ValueError(f"SLA targets must look like {DEFAULT_SPEC!r} (seconds), not {part!r}") from None
        if level not in LEVELS or level in found:
            raise ValueError(f"SLA levels are {', '.join(LEVELS)}, each once: {part!r}")
        found[level] = Targets(first, next_, resolution).check()
    missing = [level for level in LEVELS if level not in found]
    if missing:
        raise ValueError(f"SLA targets for {', '.join(missing)} are missing in {spec!r}")
    return found
