"""``tregsim run``: the main job on built-in defaults.

Until the virtual-trial issue lands, the main job is the best end-to-end run tregsim has: the
seed study's two arms in MOG35-55 EAE and a person with RRMS on label-range rhIGF-1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tregsim.calibration.human_pk import target_results
from tregsim.io import write_json
from tregsim.pk.translation import translation_table
from tregsim.report.pk import pk_section
from tregsim.protocol import load_protocol
from tregsim.report.html import Report
from tregsim.report.figures import compare_figure
from tregsim.simulate import SimulationResult, simulate

MOUSE_ARMS = ("bilbao2014-eae-vehicle", "bilbao2014-eae-igf1")
HUMAN_ARM = "rrms-igf1-sc"


def run_main_job(folder: Path, quick: bool = False, progress_factory: Callable | None = None) -> dict[str, Any]:
    """Run the default arms, write each into a sub-folder and one report.html; return the summary."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, SimulationResult] = {}
    for name in (*MOUSE_ARMS, HUMAN_ARM):
        proto = load_protocol(name)
        if quick:
            n = {"animals": 6} if proto.species == "mouse" else {"subjects": 3}
            proto = proto.model_copy(update=n)
        if progress_factory is not None:
            with progress_factory(proto.n_subjects, f"{name}") as advance:
                res = simulate(proto, progress=advance)
        else:
            res = simulate(proto)
        res.write(folder / name)
        results[name] = res
    translation = translation_table("rrms")
    summary = {"command": "run", "quick": quick, "arms": {k: r.metrics for k, r in results.items()},
               "dose_translation": translation, "pk_targets": target_results(),
               "note": "main job until the virtual-trial command exists: seed-study arms, one RRMS regimen, "
                       "and the mouse-to-human dose translation"}
    write_json(folder / "summary.json", summary)
    rep = Report("tregsim run: the seed study in silico and a first look at patients",
                 "built-in defaults; each arm's data are in its own sub-folder")
    rep.heading("MOG35-55 EAE: vehicle vs continuous rhIGF-1 (Bilbao 2014 design)")
    rep.text("The pump dose of the seed study is not in tregsim's sources: 1 mg/kg/day is an explicit assumption. "
             "Mouse immune and damage parameters are hand-set priors until the calibration issue fits them.", note=True)
    rep.table([{"arm": k, **{m: v for m, v in r.metrics.items()}} for k, r in results.items() if k in MOUSE_ARMS])
    rep.figure(compare_figure({k: results[k] for k in MOUSE_ARMS}), "mean over animals and 10-90 % range")
    rep.heading("RRMS: rhIGF-1 50 ug/kg SC every 12 h for 24 weeks")
    rep.table([{"metric": m, "value": v} for m, v in results[HUMAN_ARM].metrics.items()])
    rep.figure(compare_figure({HUMAN_ARM: results[HUMAN_ARM]}), "mean over subjects and 10-90 % range")
    pk_section(rep, translation)
    rep.write(folder / "report.html")
    return summary
