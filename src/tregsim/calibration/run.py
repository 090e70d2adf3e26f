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
from tregsim.report.html import Report

FITS = ("human_pk", "mouse_eae")
HUMAN_PK_FIT = ("tregsim human PK fit (calibration/human_pk.py: bounded least squares to the human_pk rows "
                "of targets.csv)")
MOUSE_FIT = ("tregsim mouse EAE fit (calibration/mouse_eae.py: bounded least squares of expected cohort metrics, "
             f"{mouse_eae.N_NODES}-node Gauss-Hermite over the immunisation, to the mouse rows of targets.csv)")


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
        mfit = mouse_eae.fit_mouse(max_nfev=max_nfev)
        write_table(apply_fit("mouse", mfit.values_, mfit.sd_log_, f"{MOUSE_FIT}; cost {mfit.cost_:.3g}",
                              mouse_eae.TIED), out / "parameters_mouse.csv")
        summary["fits"]["mouse_eae"] = {"values": {_key(k): v for k, v in mfit.values_.items()},
                                        "sd_log": {_key(k): v for k, v in mfit.sd_log_.items()},
                                        "cost": mfit.cost_, "residuals": mfit.residuals_,
                                        "expected_metrics": mfit.expected_}
        rep.heading("Mouse EAE (expected cohort metrics at the fit)")
        rep.table([{"target": k, "residual": v} for k, v in mfit.residuals_.items()])
    write_json(out / "summary.json", summary)
    rep.write(out / "report.html")
    return summary
