"""Write fitted values into a parameter table (mark F, the fit named in the source)."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

from tregsim.model.parameters import ParameterRow, load_table

COLUMNS = ("name", "scope", "value", "prior", "unit", "low", "high", "mark", "source", "description")


def apply_fit(species: str, values: dict[tuple[str, str], float], sd_log: dict[tuple[str, str], float],
              fit: str, tied: dict[tuple[str, str], tuple[str, ...]] | None = None,
              rows: list[ParameterRow] | None = None) -> list[ParameterRow]:
    """Rows of the ``species`` table with the fitted (name, scope) values replaced.

    Arguments:
        values: fitted value per (name, scope); every key must exist in the table.
        sd_log: approximate SD of log(value) (Gauss-Newton, band-scaled residuals).
        fit: one line naming the fit (what was fitted to what, by which method).
        tied: scoped values that also hold in other diseases' scopes (written to those rows too).
        rows: start from these rows instead of the shipped table (to apply several fits in turn).
    """
    rows = list(rows if rows is not None else load_table(species))
    index = {(r.name, r.scope): i for i, r in enumerate(rows)}
    targets = {k: (v, sd_log.get(k, math.nan)) for k, v in values.items()}
    for key, diseases in (tied or {}).items():
        for d in diseases:
            targets[(key[0], f"disease:{d}")] = targets[key]
    for key, (v, sd) in targets.items():
        if key not in index:
            # a value fitted under a non-default hypothesis gets its own row, modelled on the row it replaces
            template = (key[0], key[1].split("+", 1)[1] if "+" in key[1] else "base")
            if not key[1].startswith("hypothesis:") or template not in index:
                raise KeyError(f"{species} table has no row {key}")
            rows.append(replace(rows[index[template]], scope=key[1]))
            index[key] = len(rows) - 1
        r = rows[index[key]]
        note = f"; sd(log) {sd:.2g}" if math.isfinite(sd) else ""
        if math.isfinite(sd) and sd > 1:
            note += " (practically non-identifiable from these targets)"
        at_bound = math.isclose(v, r.low, rel_tol=1e-3) or math.isclose(v, r.high, rel_tol=1e-3)
        # keep the documentation of the prior (the start) after the fit's own note
        prior_doc = r.source[r.source.index("prior: "):] if "prior: " in r.source else f"prior: {r.source}"
        rows[index[key]] = replace(r, value=float(f"{v:.6g}"), mark="F",
                                   source=f"{fit}{note}{'; AT A BOUND' if at_bound else ''}; {prior_doc}")
    for r in rows:
        r.check()
    return rows


def write_table(rows: list[ParameterRow], path: Path) -> Path:
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")  # the shipped tables are LF text: output = shipped bytes
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r.name, r.scope, repr(r.value), repr(r.prior), r.unit, repr(r.low), repr(r.high), r.mark, r.source,
                        r.description])
    tmp.replace(path)
    return path
