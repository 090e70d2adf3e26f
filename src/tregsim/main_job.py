"""``tregsim run``: the main job on built-in defaults.

Until the virtual-trial issue lands, the main job is the best end-to-end run tregsim has:

1. the seed study in silico (``reproduce bilbao2014``: every experiment, every hypothesis, targets);
2. mouse-to-patient dose translation (free IGF-1 exposure of label and neurology regimens);
3. a person with RRMS on a label-range regimen (``rrms-igf1-sc``).

Each part writes its own folder; ``report.html`` and ``summary.json`` at the top bring them together.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from tregsim.calibration.human_pk import target_results
from tregsim.experiments import bilbao2014 as b14
from tregsim.experiments.reproduce import reproduce_bilbao2014
from tregsim.io import write_json
from tregsim.pk.translation import translation_table
from tregsim.protocol import HYPOTHESES, load_protocol
from tregsim.report.bilbao2014 import score_figure, survival_figure
from tregsim.report.figures import compare_figure
from tregsim.report.html import Report
from tregsim.report.pk import pk_section
from tregsim.simulate import simulate

HUMAN_ARM = "rrms-igf1-sc"


def _bar(progress_factory: Callable | None, total: int, label: str):
    return progress_factory(total, label) if progress_factory is not None else nullcontext(lambda n=1: None)


def run_main_job(folder: Path, quick: bool = False, progress_factory: Callable | None = None) -> dict[str, Any]:
    """Run the default job into ``folder`` and return its summary."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    animals = 20 if quick else 40
    with _bar(progress_factory, len(HYPOTHESES) * len(b14.EAE_EXPERIMENTS), "seed study") as advance:
        repro = reproduce_bilbao2014(animals=animals, progress=advance)
    repro.write(folder / "bilbao2014")
    proto = load_protocol(HUMAN_ARM)
    if quick:
        proto = proto.model_copy(update={"subjects": 4})
    with _bar(progress_factory, proto.n_subjects, HUMAN_ARM) as advance:
        human = simulate(proto, progress=advance)
    human.write(folder / HUMAN_ARM)
    translation = translation_table("rrms", population_size=40 if quick else 100)
    rsum = repro.summary()
    summary = {
        "command": "run", "quick": quick,
        "bilbao2014": {"default_hypothesis": rsum["default_hypothesis"], "hypotheses": rsum["hypotheses"],
                       "targets": rsum["targets"]},
        "rrms": {"protocol": HUMAN_ARM, "metrics": human.metrics},
        "dose_translation": translation, "pk_targets": target_results(),
        "note": "main job until the virtual-trial command exists",
    }
    write_json(folder / "summary.json", summary)

    rep = Report("tregsim run: IGF-1, regulatory T cells and MS, from mouse to patient",
                 "built-in defaults; every part's data and full report are in its own sub-folder")
    h = rsum["default_hypothesis"]
    met = rsum["hypotheses"][h]
    rep.heading("1. The seed study in silico (Bilbao 2014, with DiToro 2020 and Lovett-Racke 1998)")
    rep.text(f"Default hypothesis {h}: {met['targets_met']}/{met['targets_total']} mouse targets and "
             f"{met['checks_met']}/{met['checks_total']} further checks met with {animals} seeded animals per arm. "
             + " ".join(f"{hh}: {d['targets_met']}/{d['targets_total']} targets"
                        + (f" (misses {', '.join(d['missed'])})" if d["missed"] else "") + "."
                        for hh, d in rsum["hypotheses"].items() if hh != h)
             + " Full report: bilbao2014/report.html.")
    rep.figure(score_figure(repro.cohorts[h]), "mean clinical score ± SEM per arm")
    rep.figure(survival_figure(repro.cohorts[h]), "Kaplan-Meier survival; death = score 5")
    rep.table(repro.targets(), ["id", "simulated", "low", "high", "pass", "unit", "source"])
    rep.heading("2. From mouse to patient")
    pk_section(rep, translation)
    rep.heading(f"3. A person with RRMS on rhIGF-1 ({HUMAN_ARM})")
    rep.text("Human disability, lesion and relapse readouts are not calibrated yet (the virtual-trial issue "
             "calibrates them to placebo arms); read these curves as model behaviour, not predictions.", note=True)
    rep.table([{"metric": m, "value": v} for m, v in human.metrics.items()])
    rep.figure(compare_figure({HUMAN_ARM: human}), "mean over subjects and 10-90 % range")
    rep.write(folder / "report.html")
    return summary
