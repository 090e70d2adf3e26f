"""``tregsim calibrate``: refit the fitted parameters to the targets and write the updated tables.

The package's own tables are never overwritten: the fitted tables, the fit summaries and a report
go to the output folder, from where a maintainer may copy them into ``src/tregsim/data``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tregsim.calibration import human_pk, mouse_eae
from tregsim.calibration.apply import apply_fit, write_table
from tregsim.io import write_json
from tregsim.model.parameters import load_table, resolve
from tregsim.protocol import HYPOTHESES
from tregsim.report.html import Report

FITS = ("human_pk", "mouse_eae")
HUMAN_PK_FIT = ("tregsim human PK fit (calibration/human_pk.py: bounded least squares to the human_pk rows "
                "of targets.csv)")
MOUSE_FIT = ("tregsim mouse EAE fit (calibration/mouse_eae.py: bounded least squares of expected cohort metrics, "
             f"{mouse_eae.N_NODES}-node Gauss-Hermite over the immunisation, to the mouse rows of targets.csv)")


def mouse_rows_for(hypothesis: str, fit: mouse_eae.MouseFit
                   ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float], dict]:
    """Fitted values, their log-SDs and the tied scopes, keyed by the table rows they belong to
    (plain scopes for the default hypothesis, hypothesis-scoped rows for the others)."""
    values = {mouse_eae.hypothesis_scope(k, hypothesis): v for k, v in fit.values_.items()}
    sd = {mouse_eae.hypothesis_scope(k, hypothesis): v for k, v in fit.sd_log_.items()}
    tied: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, diseases in mouse_eae.TIED.items():
        hk = mouse_eae.hypothesis_scope(key, hypothesis)
        if hk not in values:
            continue
        if hk == key:
            tied[key] = diseases
        else:  # hypothesis+disease rows: write the tied diseases' rows explicitly
            for d in diseases:
                tk = mouse_eae.hypothesis_scope((key[0], f"disease:{d}"), hypothesis)
                values[tk], sd[tk] = values[hk], sd[hk]
    return values, sd, tied


def _key(k: tuple[str, str]) -> str:
    return f"{k[0]}|{k[1]}"


def calibrate(out: Path, only: tuple[str, ...] = FITS, max_nfev: int = 40) -> dict[str, Any]:
    """Run the requested fits starting from the current table values; write tables, summary, report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"command": "calibrate", "fits": {}}
    rep = Report("tregsim calibrate", "fits of the free parameters to the calibration targets")
    if "human_pk" in only:
        rows = {(r.name, r.scope): r for r in load_table("human")}
        bounds = {k: (rows[k].low, rows[k].high) for k in human_pk.FIT_PARAMETERS}
        fit = human_pk.fit_human_pk(resolve("human", "healthy"), resolve("human", "igfd"), bounds, max_nfev=max_nfev)
        write_table(apply_fit("human", fit.values_, fit.sd_log_, f"{HUMAN_PK_FIT}; cost {fit.cost_:.3g}"),
                    out / "parameters_human.csv")
        results = human_pk.target_results(*human_pk.with_values(resolve("human", "healthy"), resolve("human", "igfd"),
                                                                 fit.values_))
        summary["fits"]["human_pk"] = {"values": {_key(k): v for k, v in fit.values_.items()},
                                       "sd_log": {_key(k): v for k, v in fit.sd_log_.items()},
                                       "cost": fit.cost_, "targets": results}
        rep.heading("Human IGF-1 PK")
        rep.table(results, ["id", "simulated", "low", "high", "pass", "unit", "source"])
    if "mouse_eae" in only:
        rows = None
        summary["fits"]["mouse_eae"] = {}
        for hypothesis in HYPOTHESES:  # each hypothesis gets its own fit: judged at its best, not at another's
            mfit = mouse_eae.fit_mouse(max_nfev=max_nfev, hypothesis=hypothesis)
            values, sd, tied = mouse_rows_for(hypothesis, mfit)
            rows = apply_fit("mouse", values, sd, f"{MOUSE_FIT} under hypothesis {hypothesis}; cost {mfit.cost_:.3g}",
                             tied, rows=rows)
            summary["fits"]["mouse_eae"][hypothesis] = {
                "values": {_key(k): v for k, v in values.items()}, "sd_log": {_key(k): v for k, v in sd.items()},
                "cost": mfit.cost_, "residuals": mfit.residuals_, "expected_metrics": mfit.expected_}
            rep.heading(f"Mouse EAE under {hypothesis} (expected cohort metrics at the fit)")
            rep.table([{"target": k, "residual": v} for k, v in mfit.residuals_.items()])
        write_table(rows, out / "parameters_mouse.csv")
    write_json(out / "summary.json", summary)
    rep.write(out / "report.html")
    return summary
