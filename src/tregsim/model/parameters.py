"""Parameter tables: every value with its unit, bounds, source and [V]/[U] mark.

The tables are data files shipped in the package (``tregsim/data/parameters_<species>.csv``).
Each row is one value of one parameter in one *scope*:

* ``base`` -- the species' default;
* ``disease:<name>`` -- overrides for a disease state (``igfd``, ``rrms``, ``eae_severe`` ...);
* ``hypothesis:<name>`` -- overrides that define a named mechanism (and values fitted under it);
* ``hypothesis:<name>+disease:<name>`` -- a disease-specific value fitted under a hypothesis.

Resolution order is base, disease, hypothesis, hypothesis+disease.  Values are stored in
model units (see :mod:`tregsim.model.definition`); the ``source`` column gives
the published value and any conversion.

Run ``python -m tregsim.model.parameters`` to print docs/parameters.md.
"""

from __future__ import annotations

import csv
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from tregsim.model.definition import DERIVED_NAMES, INPUT_NAMES, KINETIC_PARAMETERS, PARAMETER_INDEX, PARAMETER_ORDER, SWITCH_NAMES

SPECIES = ("mouse", "human")
MARKS = ("V", "U", "F")  # verified, unverified prior/assumption, fitted (source names the fit)


@dataclass(frozen=True)
class ParameterRow:
    """One row of a parameter table."""

    name: str
    scope: str
    value: float
    unit: str
    low: float
    high: float
    mark: str
    source: str
    description: str
    #: the documented prior (start) of a fitted value; equal to ``value`` for rows that are not fitted
    prior: float = math.nan

    def __post_init__(self) -> None:
        if math.isnan(self.prior):
            object.__setattr__(self, "prior", self.value)

    def check(self) -> None:
        """Raise ValueError if the row is inconsistent (bounds, mark, finiteness)."""
        if not all(math.isfinite(x) for x in (self.value, self.prior, self.low, self.high)):
            raise ValueError(f"{self.name} [{self.scope}]: value, prior and bounds must be finite")
        for what, x in (("value", self.value), ("prior", self.prior)):
            if not self.low <= x <= self.high:
                raise ValueError(f"{self.name} [{self.scope}]: {what} {x} outside [{self.low}, {self.high}]")
        if self.mark not in MARKS:
            raise ValueError(f"{self.name} [{self.scope}]: mark {self.mark!r} not one of {MARKS}")
        if not self.source.strip() or not self.unit.strip():
            raise ValueError(f"{self.name} [{self.scope}]: unit and source are required")


_TABLE_DIR: str | None = None


def use_tables(folder: str | None) -> None:
    """Read ``parameters_<species>.csv`` from ``folder`` instead of the shipped tables (None restores them).

    ``tregsim calibrate`` uses it so that a later fit (the mouse EAE) sees the values of an earlier one (the
    human PK, which the mouse PK is scaled from), exactly as the shipped tables will once they are copied.
    """
    global _TABLE_DIR
    _TABLE_DIR = None if folder is None else str(folder)
    _load_table.cache_clear()


def load_table(species: str) -> tuple[ParameterRow, ...]:
    """Read and check the parameter table of ``species`` ('mouse' or 'human')."""
    return _load_table(species, _TABLE_DIR)


@lru_cache(maxsize=None)
def _load_table(species: str, folder: str | None) -> tuple[ParameterRow, ...]:
    if species not in SPECIES:
        raise ValueError(f"unknown species {species!r}; allowed: {', '.join(SPECIES)}")
    if folder is not None:
        from pathlib import Path

        text = Path(folder, f"parameters_{species}.csv").read_text(encoding="utf-8")
    else:
        text = resources.files("tregsim.data").joinpath(f"parameters_{species}.csv").read_text(encoding="utf-8")
    rows = []
    for rec in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        row = ParameterRow(
            name=rec["name"], scope=rec["scope"], value=float(rec["value"]), unit=rec["unit"],
            low=float(rec["low"]), high=float(rec["high"]), mark=rec["mark"], source=rec["source"],
            description=rec["description"],
            prior=float(rec["prior"]) if rec.get("prior", "").strip() else math.nan,
        )
        row.check()
        rows.append(row)
    names = {r.name for r in rows if r.scope == "base"}
    missing = set(KINETIC_PARAMETERS) - names
    if missing:
        raise ValueError(f"parameters_{species}.csv lacks base values for {sorted(missing)}")
    return tuple(rows)


def scopes(species: str) -> set[str]:
    """All scopes (``disease:x``, ``hypothesis:y``) that the species table defines."""
    return {r.scope for r in load_table(species)}


def resolve_rows(species: str, disease: str | None = None, hypothesis: str | None = None) -> dict[str, ParameterRow]:
    """The table row that sets each parameter for a species, disease and hypothesis (the last scope wins)."""
    rows = load_table(species)
    chosen: dict[str, ParameterRow] = {}
    for scope in ("base", f"disease:{disease}", f"hypothesis:{hypothesis}",
                  f"hypothesis:{hypothesis}+disease:{disease}"):
        for r in rows:
            if r.scope == scope:
                chosen[r.name] = r
    return chosen


def resolve(species: str, disease: str | None = None, hypothesis: str | None = None) -> dict[str, float]:
    """Kinetic parameter values for a species, disease and hypothesis (model units)."""
    return {name: r.value for name, r in resolve_rows(species, disease, hypothesis).items()}


def parameter_vector(values: dict[str, float], inputs: dict[str, float] | None = None,
                     switches: dict[str, float] | None = None, derived: dict[str, float] | None = None
                     ) -> np.ndarray:
    """Pack kinetic values, derived values (computed here when absent), inputs (default 0) and switches
    (default 0) in generated-code order."""
    p = np.zeros(len(PARAMETER_ORDER))
    for name in KINETIC_PARAMETERS:
        p[PARAMETER_INDEX[name]] = values[name]
    if derived is not None:
        values = {**values, **derived}
    if any(name not in values for name in DERIVED_NAMES):
        from tregsim.model.subject import derived_parameters  # derived from the kinetic values at baseline

        values = {**values, **derived_parameters(values)}
    for name in DERIVED_NAMES:
        p[PARAMETER_INDEX[name]] = values[name]
    for name, v in (inputs or {}).items():
        if name not in INPUT_NAMES:
            raise KeyError(name)
        p[PARAMETER_INDEX[name]] = v
    for name, v in (switches or {}).items():
        if name not in SWITCH_NAMES:
            raise KeyError(name)
        p[PARAMETER_INDEX[name]] = v
    return p


def markdown() -> str:
    """docs/parameters.md: every table row, generated from the data files."""
    out = ["# tregsim parameters", "",
           "Generated from `src/tregsim/data/parameters_*.csv` by `make docs`; do not edit by hand.", "",
           "`prior` is the documented start (and prior centre) of a fitted value; for other rows it equals "
           "the value.", "",
           "Marks: **V** read in the primary source; **U** unverified prior or explicit assumption "
           "(wide bounds); **F** fitted by tregsim's own calibration (the source names the fit).", "",
           "Values are in model units: days, cells, ug/kg body weight, L/kg, ng/mL.", ""]
    for species in SPECIES:
        out += [f"## {species}", "", "| name | scope | value | prior | unit | bounds | mark | source | description |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in load_table(species):
            out.append(f"| `{r.name}` | {r.scope} | {r.value:.6g} | {r.prior:.6g} | {r.unit} | {r.low:.4g} - {r.high:.4g} | "
                       f"{r.mark} | {r.source} | {r.description} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    sys.stdout.write(markdown())
