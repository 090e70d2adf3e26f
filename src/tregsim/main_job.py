"""``tregsim run``: the main job on built-in defaults.

The whole story on built-in defaults:

1. the seed study in silico (``reproduce bilbao2014``: every experiment, every hypothesis, targets);
2. mouse-to-patient dose translation (free IGF-1 exposure of label regimens, predicted glucose and the
   probability of level-2 hypoglycaemia);
3. the default in-silico trial ``rrms-igf1-trial`` (placebo, IGF-1 at two label doses, low-dose IL-2 as in the
   MS-IL2 trial, and IGF-1 + IL-2; FREEDOMS-like, patients from the shipped virtual RRMS population);
4. the answer in plain words (:func:`answer`).

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
from tregsim.protocol import HYPOTHESES
from tregsim.report.bilbao2014 import score_figure, survival_figure
from tregsim.report.html import Report
from tregsim.report.pk import pk_section

TRIAL = "rrms-igf1-trial"
QUICK_PATIENTS = 24  # per arm, --quick (five arms)


#: Patients per arm of a FREEDOMS-sized trial, the "feasible N" at which the answer quotes assurance.
FEASIBLE_N = 300
#: Assurance draws of the main job (each one two-arm trial: placebo against the primary IGF-1 arm).
ASSURANCE_DRAWS = {True: 4, False: 20}


def _run_assurance(out: Path, quick: bool, progress_factory: Callable | None) -> dict[str, Any]:
    """Assurance of the default trial's primary comparison (placebo vs the primary IGF-1 arm): draws by the
    built-in rule (:mod:`tregsim.trial.assurance`), each one two-arm trial of the main trial's size."""
    from tregsim.trial.design import load_trial
    from tregsim.trial.population import default_population
    from tregsim.trial.run import run_trial

    full = load_trial(TRIAL)
    keep = [a for a in full.arms if a.name in (full.control_arm, full.primary)]
    two = full.model_copy(update={"arms": keep, "replicates": 1})
    draws = ASSURANCE_DRAWS[quick]
    with _bar(progress_factory, draws, "assurance (trials drawn)") as advance:
        res = run_trial(two, out=out, patients=QUICK_PATIENTS if quick else None, replicates=1,
                        population=default_population(), assurance=draws,
                        progress=lambda phase, done, total: advance(1) if phase == "assurance" else None)
    return res.summary


def _run_dose_response(quick: bool) -> Any:
    """The population's relapse rate against Treg proliferation and IGF-1 dose (same patients and triggers)."""
    import numpy as np

    from tregsim.trial.population import default_population, relapse_rate_curve

    return relapse_rate_curve(default_population(), multipliers=np.array([1.0, 1.02, 1.05, 1.1]) if quick else np.array([1.0, 1.01, 1.02, 1.03, 1.05, 1.1, 1.2]),
                              doses_ug_kg=np.array([0, 10, 20, 40, 60, 80, 120]) if not quick else np.array([0, 25, 50, 100]),
                              n=16 if quick else 64,
                              years=1.0, seed=11)


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
    trial = _run_trial(folder / TRIAL, quick, progress_factory)
    assurance = _run_assurance(folder / "assurance", quick, progress_factory)
    with _bar(progress_factory, 1, "population dose-response") as advance:
        dose = _run_dose_response(quick)
        advance(1)
    translation = translation_table("rrms", population_size=40 if quick else 100)
    rsum = repro.summary()
    summary = {
        "command": "run", "quick": quick,
        "bilbao2014": {"default_hypothesis": rsum["default_hypothesis"], "hypotheses": rsum["hypotheses"],
                       "targets": rsum["targets"]},
        "dose_translation": translation, "pk_targets": target_results(),
        "trial": trial.summary,
        "assurance": {k: v for k, v in assurance.items() if k.startswith("assurance") or k in
                      ("power", "n_for_80_power", "patients_per_arm", "primary_arm", "control", "comparisons")},
        "dose_response": dose.to_dict("records"),
    }
    summary["answer"] = answer(trial.summary, translation, quick, arm_drugs(TRIAL), summary["assurance"], dose)
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
    rep.heading(f"3. The in-silico trial ({TRIAL})")
    trial_section(rep, trial)
    rep.heading("4. Uncertainty: assurance, and the population's dose-response")
    assurance_section(rep, summary["assurance"], dose)
    rep.heading("5. The answer")
    rep.bullets(summary["answer"])
    rep.write(folder / "report.html")
    return summary


def _run_trial(out: Path, quick: bool, progress_factory: Callable | None):
    """The default trial with the shipped virtual population (``quick``: 40 patients per arm)."""
    from tregsim.trial.population import default_population
    from tregsim.trial.run import run_trial

    state: dict[str, Any] = {}

    def progress(phase: str, done: int, total: int) -> None:  # the main job's bars, one per phase
        if progress_factory is None:
            return
        if state.get("phase") != phase:
            if "bar" in state:
                state["bar"].__exit__(None, None, None)
            state.update(phase=phase, done=0, bar=progress_factory(total, f"trial: {phase}"))
            state["advance"] = state["bar"].__enter__()
        state["advance"](done - state["done"])
        state["done"] = done

    try:
        return run_trial(TRIAL, out=out, patients=QUICK_PATIENTS if quick else None, replicates=1,
                         population=default_population(), progress=progress)
    finally:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)


def trial_section(rep: Report, trial) -> None:
    """The trial's comparisons and power in the main report (the full report is in its own folder)."""
    s = trial.summary
    rep.text("Arms: placebo, rhIGF-1 at two label doses, low-dose IL-2 (1 MIU SC daily for 5 days then every 2 weeks, "
             "as the MS-IL2 trial, Louapre 2023) and IGF-1 + IL-2. "
             "Patients are drawn from the shipped virtual RRMS population (prevalence weights fitted to "
             "FREEDOMS, Bagnato 2000 and Bordi 2013; trial/population.py). Full report: "
             f"{TRIAL}/report.html.")
    rep.table([{"arm": a, **{k: v for k, v in d.items() if not isinstance(v, dict)}} for a, d in s["arms"].items()])
    rep.table(s["comparisons"], ["arm", "vs", "endpoint", "estimate", "ci_low", "ci_high", "p_value", "test"])
    n80 = s.get("n_for_80_power_by_arm") or {s.get("primary_arm", "igf1"): s.get("n_for_80_power", {})}
    rep.table([{"arm": a, "endpoint": e, "n_for_80_power_per_arm": v} for a, d in n80.items() for e, v in d.items()])


def assurance_section(rep: Report, assurance: dict[str, Any], dose: Any) -> None:
    """Power at the point estimate beside assurance, and the dose-response figure, in the main report."""
    from tregsim.trial.report import dose_response_figure

    curve = ((assurance.get("assurance_curve") or {}).get(assurance.get("primary_arm")) or {})
    rep.text(f"Assurance of the primary comparison ({assurance.get('primary_arm')} vs {assurance.get('control')}), "
             f"{assurance.get('assurance_draws')} drawn trials of {assurance.get('patients_per_arm')} patients per "
             f"arm: {assurance.get('assurance_rule', '')}. Full report: assurance/report.html.")
    rows = []
    for e, c in curve.items():
        for n, a in zip(c["n"], c["assurance"]):
            if n in (100, 200, FEASIBLE_N, 600, 1000):
                rows.append({"endpoint": e, "patients_per_arm": n, "assurance": a})
    if rows:
        rep.table(rows)
    if dose is not None and len(dose):
        rep.figure(dose_response_figure(dose), "relapse rate of the same virtual patients (same triggers) "
                                               "relative to untreated, as Treg proliferation capacity is "
                                               "multiplied (left) and as IGF-1 is given SC every 12 h (right)")
        rep.table(dose.to_dict("records"), ["kind", "x", "arr", "rate_ratio", "n"])


def _fmt(x: float | None, nd: int = 2) -> str:
    return "not estimable" if x is None or x != x else f"{x:.{nd}f}"


def arm_drugs(trial_ref: str) -> dict[str, tuple[str, ...]]:
    """Each arm of a trial protocol and the active drugs it gives (sorted; () for a control arm)."""
    from tregsim.trial.design import load_trial

    t = load_trial(trial_ref)
    return {a.name: tuple(sorted({r.drug for r in a.regimens if r.drug != "placebo"})) for a in t.arms}


def _comparison(trial: dict[str, Any], arm: str, endpoint: str) -> dict[str, Any] | None:
    return next((c for c in trial.get("comparisons", []) if c["arm"] == arm and c["endpoint"] == endpoint), None)


def four_way(trial: dict[str, Any], drugs: dict[str, tuple[str, ...]]) -> list[str]:
    """Plain-language comparison of placebo, IGF-1, low-dose IL-2 and IGF-1 + IL-2 (the first arm of each kind).

    Each treated arm's relapse-rate ratio against placebo with its 95% CI and p-value, every arm's blood Treg
    fold, and whether the combination did better than either drug alone (arm values; the trial compares every
    arm with placebo only)."""
    kinds = {"IGF-1": ("igf1",), "low-dose IL-2": ("il2",), "IGF-1 + IL-2": ("igf1", "il2")}
    arms = trial["arms"]
    chosen = {k: next((a for a, d in drugs.items() if d == v and a in arms), None) for k, v in kinds.items()}
    if not all(chosen.values()):
        return []
    control = next((a for a, d in drugs.items() if not d and a in arms), None)
    out = []
    parts = []
    for kind, arm in chosen.items():
        c = _comparison(trial, arm, "annualized_relapse_rate")
        if c is None or c["estimate"] is None or c["estimate"] != c["estimate"]:
            parts.append(f"{kind} ({arm}) not estimable")
        else:
            parts.append(f"{kind} ({arm}) {_fmt(c['estimate'])} (95% CI {_fmt(c['ci_low'])}-{_fmt(c['ci_high'])}, "
                         f"p = {_fmt(c['p_value'], 3)})")
    out.append("Four-way comparison, relapse-rate ratio against placebo: " + "; ".join(parts) + ".")
    folds = [f"{k} {_fmt(arms[a].get('treg_blood_fold'))}" for k, a in (("placebo", control), *chosen.items())
             if a is not None]
    out.append("Mean blood Treg fold over treatment: " + ", ".join(folds) + " (model: IGF-1 raises the Treg "
               "proliferation capacity, IL-2 the proliferation signal through CD25; the two multiply).")
    arr = {k: arms[a].get("annualized_relapse_rate") for k, a in chosen.items()}
    if all(v is not None and v == v for v in arr.values()):
        best = min(arr["IGF-1"], arr["low-dose IL-2"])
        verdict = "fewer" if arr["IGF-1 + IL-2"] < best else "not fewer"
        out.append(f"IGF-1 + IL-2 gave {verdict} relapses per patient-year ({_fmt(arr['IGF-1 + IL-2'])}) than the "
                   f"better single drug ({_fmt(best)}); arm values only (not a tested contrast).")
    return out


def power_and_assurance_at(trial: dict[str, Any], assurance: dict[str, Any] | None, n: int = FEASIBLE_N,
                           endpoint: str = "annualized_relapse_rate") -> tuple[float | None, float | None]:
    """(power at the point estimate, assurance) of the primary comparison at ``n`` patients per arm: power
    from the main trial's pooled effect scaled to ``n`` (power.py), assurance from the draws' expected-power
    curve (None where not available)."""
    import math

    from tregsim.trial.power import power_at

    curve = ((trial.get("power_curve") or {}).get(trial.get("primary_arm")) or {}).get(endpoint) or {}
    z, n_ref = curve.get("z_pooled"), curve.get("n_pooled")
    power = (float(power_at(z, n_ref, n)) if z is not None and n_ref and math.isfinite(z) else None)
    a = (((assurance or {}).get("assurance_curve") or {}).get((assurance or {}).get("primary_arm")) or {}).get(endpoint)
    assured = float(a["assurance"][a["n"].index(n)]) if a and n in a["n"] else None
    return power, assured


def answer(trial: dict[str, Any], translation: dict[str, Any], quick: bool,
           drugs: dict[str, tuple[str, ...]] | None = None, assurance: dict[str, Any] | None = None,
           dose: Any = None) -> list[str]:
    """Plain-language conclusions from the trial's summary and the dose translation (``drugs``: each arm's
    active drugs, for the comparison of placebo, IGF-1, IL-2 and IGF-1 + IL-2; ``assurance``: the primary
    comparison's assurance run; ``dose``: the population dose-response table)."""
    out = []
    arms = trial["arms"]
    placebo = arms.get("placebo", {})
    out.append(f"Placebo arm: {_fmt(placebo.get('annualized_relapse_rate'))} relapses per patient-year, "
               f"{_fmt(placebo.get('gd_lesions_per_scan'))} Gd+ lesions per scan, 12-week confirmed progression "
               f"{_fmt(placebo.get('cdp_12w'))} (FREEDOMS placebo: 0.40, 1.1, 0.24).")
    for c in trial["comparisons"]:
        if c["endpoint"] not in ("annualized_relapse_rate", "gd_lesions_per_scan", "cdp_12w"):
            continue
        if c["estimate"] is None or c["estimate"] != c["estimate"]:
            out.append(f"{c['arm']} vs {c['vs']}, {c['endpoint']}: not estimable ({c['test']}); "
                       f"arm values: {_fmt(arms[c['arm']].get(c['endpoint']))} vs "
                       f"{_fmt(arms.get(c['vs'], {}).get(c['endpoint']))}.")
            continue
        out.append(f"{c['arm']} vs {c['vs']}, {c['endpoint']}: {c['test']} {_fmt(c['estimate'])} "
                   f"(95% CI {_fmt(c['ci_low'])}-{_fmt(c['ci_high'])}, p = {_fmt(c['p_value'], 3)}).")
    n80 = trial.get("n_for_80_power_by_arm") or {}
    for arm, d in n80.items():
        v = d.get("annualized_relapse_rate")
        if v is not None and v == v:
            out.append(f"{arm}: about {int(round(v))} patients per arm give 80% power on the relapse rate "
                       f"(two-sided 5%, {trial.get('treatment_weeks', 96)} weeks).")
    if drugs:
        out += four_way(trial, drugs)
    power, assured = power_and_assurance_at(trial, assurance)
    if assurance and "assurance" in assurance:
        se = (assurance.get("assurance_se") or {}).get("annualized_relapse_rate")
        w = assurance.get("assurance_hypothesis_weights") or {}
        out.append(f"Uncertainty: with {FEASIBLE_N} patients per arm (FREEDOMS-sized), {trial.get('primary_arm')} "
                   f"against placebo has {_fmt(power)} power on the relapse rate if the model's parameters are "
                   f"exactly right, and an assurance of {_fmt(assured)} averaged over the human IGF-1 receptor "
                   f"pharmacology's uncertainty and the hypotheses ({assurance.get('assurance_draws')} drawn trials; "
                   f"at the simulated {assurance.get('patients_per_arm')} per arm the share of drawn trials that "
                   f"succeeded was {_fmt(assurance['assurance'].get('annualized_relapse_rate'))} +/- {_fmt(se)}). "
                   "Hypothesis weights from the mouse data: "
                   + ", ".join(f"{h} {d['weight']:.2g}" for h, d in w.items()) + ".")
    if dose is not None and len(dose):
        d = dose[dose["kind"].str.startswith("IGF-1")]
        if len(d):
            pts = ", ".join(f"{x:g} ug/kg {r:.2f}" for x, r in zip(d["x"], d["rate_ratio"]))
            out.append(f"Population dose-response (the same {int(d['n'].iloc[0])} virtual patients and triggers "
                       f"at every dose, one year, SC every 12 h): relapse rate relative to untreated {pts}. It is "
                       "graded, with no step; the relapse rate is steep in Treg proliferation capacity, so modest "
                       "Treg effects remove many relapses -- a property of the model's core to weigh, not a "
                       "measured human effect.")
    rows = {r["regimen"]: r for r in translation["rows"]}
    hypo = [f"{name}: glucose nadir {_fmt(r['glucose_nadir_mmol_l'])} mmol/L, P(< 3.0 mmol/L) "
            f"{_fmt(r.get('p_glucose_below_3_mmol_l'))}" for name, r in rows.items()]
    out.append("Risk of hypoglycaemia by regimen (virtual people with PK and glucose variability): " + "; ".join(hypo) + ".")
    out.append("On the claim that IGF-1 trials in MS 'may be relatively quick and easy': the model predicts a "
               "relapse-rate effect that a conventional 2-year parallel trial can detect at the sample sizes "
               "above; but its size rests on mouse-calibrated receptor pharmacology that no human study has "
               "measured (the gap between power and assurance is that uncertainty), the model's relapses are "
               "steep in Treg proliferation, and hypoglycaemia, the label's dose-limiting toxicity, is predicted "
               "as shown. Quick, perhaps; easy to believe before a human pharmacodynamic study, no.")
    if quick:
        out.append(f"This was a --quick run ({QUICK_PATIENTS} patients per arm): estimates are imprecise.")
    return out
