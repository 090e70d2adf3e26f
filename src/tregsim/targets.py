"""Calibration targets (a copy of the project's targets.csv, shipped with the package).

Each target has a published central ``value`` (may be missing) and a band
[low, high]; an empty bound is open.  Sources are in the ``source`` column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Target:
    id: str
    system: str
    quantity: str
    value: float
    low: float
    high: float
    unit: str
    source: str
    mark: str

    def passes(self, simulated: float) -> bool:
        """True when ``simulated`` is finite and inside [low, high] (open bounds ignored)."""
        return bool(math.isfinite(simulated) and self.low <= simulated <= self.high)

    def as_result(self, simulated: float) -> dict:
        """The contract's target record: id, simulated, low, high, pass."""
        return {"id": self.id, "simulated": float(simulated), "low": None if math.isinf(self.low) else self.low,
                "high": None if math.isinf(self.high) else self.high, "pass": self.passes(simulated),
                "unit": self.unit, "source": self.source}


def _num(text: str, default: float) -> float:
    return float(text) if text.strip() else default


def parse_targets(text: str) -> tuple[Target, ...]:
    rows = csv.DictReader(text.splitlines())
    return tuple(Target(r["id"], r["system"], r["quantity"], _num(r["value"], math.nan), _num(r["low"], -math.inf),
                        _num(r["high"], math.inf), r["unit"], r["source"], r["mark"]) for r in rows)


@lru_cache(maxsize=None)
def load_targets(path: str | None = None) -> tuple[Target, ...]:
    """The shipped targets, or those of a CSV file with the same columns."""
    if path is not None:
        return parse_targets(Path(path).read_text(encoding="utf-8"))
    return parse_targets(resources.files("tregsim.data").joinpath("targets.csv").read_text(encoding="utf-8"))


_ACTIVE: str | None = None


def use_targets(path: str | None) -> None:
    """Make the targets of ``path`` (same columns as the shipped file) the active ones; None restores
    the shipped targets.  Used by ``tregsim calibrate --targets``."""
    global _ACTIVE
    if path is not None:
        load_targets(str(path))  # parse now, so a bad file fails here
    _ACTIVE = None if path is None else str(path)


def targets_by_id(system_prefix: str = "") -> dict[str, Target]:
    """The active targets whose system starts with ``system_prefix``, by id."""
    return {t.id: t for t in load_targets(_ACTIVE) if t.system.startswith(system_prefix)}
