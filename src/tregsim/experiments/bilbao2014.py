"""The seed study in silico: Bilbao et al. 2014 (EMBO Mol Med 6:1423) and the studies that disagree.

Experiments (ids as in ``summary.json``):

* ``in_vitro_mouse``, ``in_vitro_human`` -- T cells stimulated in culture for ``CULTURE_DAYS`` with a
  range of rhIGF-1 concentrations; Treg and Teff counts relative to no IGF-1.  Culture medium has no
  IGFBP-3, so the nominal concentration is free IGF-1.  Stimulated cells divide at
  ``culture_division_rate`` (an assumption, about once a day) and IGF1R signalling multiplies Treg
  proliferation by ``1 + Emax_treg * occupancy(C)`` as in vivo, so ``fold = exp(rate * Emax * occ * days)``
  with the in-vivo-fitted Emax and EC50: a prediction, not a fit.  The Teff fold comes the same way from
  the model's Teff proliferation capacity ``aE_eff``; IGF1R raises it only if ``Emax_teff_prolif`` > 0
  (0 in both built-in hypotheses: Bilbao found the effect specific to Treg, DiToro puts IGF1R's Teff
  effect on Th17 differentiation), so the Teff check can fail if the model changes.
* ``eae_*`` -- cohorts of seeded animals: MOG35-55 EAE with vehicle or rhIGF-1 mini-pump, with
  Treg-specific or pan-T-cell IGF1R knockout, pump started after onset (Lovett-Racke 1998), and the
  severe variant with high mortality (Bilbao press release).
* ``naive`` -- unimmunised mice at their immune steady state (for the Treg share of CD4).

Design constants that the sources do not give are explicit assumptions here ([U]): the pump dose,
the post-onset start day and the in-vitro reference concentration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tregsim.metrics import mouse_metrics
from tregsim.model.observables import compute
from tregsim.model.parameters import resolve
from tregsim.model.subject import Subject, build_subject, build_subjects
from tregsim.protocol import HYPOTHESES, SimulationProtocol, parse_protocol
from tregsim.engine.ensemble import EnsembleSolver
from tregsim.solve.batch import CohortSolver
from tregsim.targets import Target, targets_by_id

PUMP_DOSE_MG_KG_DAY = 1.0  # [U] Bilbao 2014's pump dose is not in tregsim's sources
PUMP_DAYS = 28.0  # one Alzet 2004 pump
POST_ONSET_START_DAY = 14.0  # [U] after the mean onset (day ~13.6, IL-27p28 WT)
DURATION_DAYS = 40.0
CULTURE_DAYS = 3.0  # [U] a standard 72-h proliferation assay
IN_VITRO_CONCENTRATIONS = (0.0, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # ng/mL
IN_VITRO_REFERENCE_NG_ML = 100.0  # [U] reference concentration for the reported fold
OUTPUT_STEP_DAYS = 0.25


@dataclass(frozen=True)
class EAEExperiment:
    """One in-vivo arm: disease, pump (or vehicle), its start day and knockouts."""

    id: str
    description: str
    disease: str = "eae_mog35_55"
    igf1: bool = False
    start_day: float = 0.0
    knockouts: tuple[str, ...] = ()

    def protocol(self, hypothesis: str, animals: int, seed: int) -> SimulationProtocol:
        drug = "igf1" if self.igf1 else "placebo"
        reg = dict(drug=drug, route="minipump", dose=PUMP_DOSE_MG_KG_DAY, dose_unit="mg/kg/day",
                   start_day=self.start_day, stop_day=min(self.start_day + PUMP_DAYS, DURATION_DAYS))
        return parse_protocol(dict(
            kind="simulation", name=f"bilbao2014:{self.id}", species="mouse", disease=self.disease,
            hypothesis=hypothesis, knockouts=list(self.knockouts), duration_days=DURATION_DAYS,
            output_every_hours=OUTPUT_STEP_DAYS * 24, animals=animals, seed=seed, regimens=[reg]))


EAE_EXPERIMENTS: tuple[EAEExperiment, ...] = (
    EAEExperiment("eae_vehicle", "MOG35-55 EAE, vehicle pump from immunisation"),
    EAEExperiment("eae_igf1", "MOG35-55 EAE, rhIGF-1 pump from immunisation", igf1=True),
    EAEExperiment("eae_vehicle_treg_igf1r_ko", "Foxp3-Cre Igf1r fl/fl, vehicle", knockouts=("treg_igf1r",)),
    EAEExperiment("eae_igf1_treg_igf1r_ko", "Foxp3-Cre Igf1r fl/fl, rhIGF-1", igf1=True, knockouts=("treg_igf1r",)),
    EAEExperiment("eae_vehicle_pan_t_igf1r_ko", "IGF1R deleted in all T cells (DiToro 2020), vehicle",
                  knockouts=("pan_t_igf1r",)),
    EAEExperiment("eae_igf1_pan_t_igf1r_ko", "IGF1R deleted in all T cells, rhIGF-1", igf1=True,
                  knockouts=("pan_t_igf1r",)),
    EAEExperiment("eae_igf1_post_onset", f"rhIGF-1 pump started on day {POST_ONSET_START_DAY:g}, after onset "
                  "(Lovett-Racke 1998)", igf1=True, start_day=POST_ONSET_START_DAY),
    EAEExperiment("eae_severe_vehicle", "severe EAE (Bilbao: < 50% survival), vehicle", disease="eae_severe"),
    EAEExperiment("eae_severe_igf1", "severe EAE, rhIGF-1 pump", disease="eae_severe", igf1=True),
)
EAE_BY_ID = {e.id: e for e in EAE_EXPERIMENTS}
ONSET_SCORE = 1.0


@dataclass
class Cohort:
    """Observables of one in-vivo arm: arrays (animals, times), with the times (day)."""

    experiment: EAEExperiment
    t: np.ndarray
    obs: dict[str, np.ndarray]
    metrics: dict[str, Any] = field(default_factory=dict)


def course_days(t: np.ndarray, mean_score: np.ndarray) -> float:
    """Length of the acute course: day (from immunisation) at which the mean score, after its peak,
    falls below half the peak (linear interpolation).  A course that has not resolved by the end of the
    run is +inf: longer than anything the run can measure, so a target's upper bound can fail."""
    i = int(np.argmax(mean_score))
    half = mean_score[i] / 2.0
    if mean_score[i] <= 0:
        return math.nan
    after = np.nonzero(mean_score[i:] < half)[0]
    if after.size == 0:
        return math.inf
    j = i + int(after[0])
    s0, s1 = mean_score[j - 1], mean_score[j]
    return float(t[j - 1] + (s0 - half) / (s0 - s1) * (t[j] - t[j - 1]))


def cohort_metrics(t: np.ndarray, obs: dict[str, np.ndarray]) -> dict[str, Any]:
    m = mouse_metrics(t, obs)
    mean_score = obs["clinical_score"].mean(axis=0)
    m["course_days"] = course_days(t, mean_score)
    m["teff_cns_max"] = float(obs["teff_cns"].mean(axis=0).max())
    m["score_sem_max"] = float((obs["clinical_score"].std(axis=0, ddof=1) / math.sqrt(len(obs["clinical_score"]))
                                ).max()) if len(obs["clinical_score"]) > 1 else 0.0
    return m


def run_subjects(subjects: list[Subject], t: np.ndarray, solver: CohortSolver | EnsembleSolver | None = None
                 ) -> dict[str, np.ndarray]:
    """Solve a cohort (default: the ensemble engine) and return observables (animals, times)."""
    y = (solver or EnsembleSolver()).solve_cohort(subjects, t)
    per = [compute("mouse", y[i], s.p, s.values) for i, s in enumerate(subjects)]
    return {k: np.stack([o[k] for o in per]) for k in per[0]}


def run_eae(exp: EAEExperiment, hypothesis: str, animals: int = 20, seed: int = 1,
            overrides: dict[str, float] | None = None, solver: CohortSolver | EnsembleSolver | None = None) -> Cohort:
    """One seeded cohort of ``animals`` mice."""
    proto = exp.protocol(hypothesis, animals, seed)
    subjects = build_subjects(proto, range(animals), seed, overrides)
    t = np.arange(0.0, DURATION_DAYS + 1e-9, OUTPUT_STEP_DAYS)
    obs = run_subjects(subjects, t, solver)
    return Cohort(exp, t, obs, cohort_metrics(t, obs))


def naive_treg_fraction(hypothesis: str, overrides: dict[str, float] | None = None) -> float:
    """Treg share of the modelled CD4 T cells (resting and activated, lymphoid organs) in a naive,
    unimmunised mouse: the time average over 60 days after its run-in to steady state."""
    proto = parse_protocol(dict(kind="simulation", species="mouse", disease="healthy", hypothesis=hypothesis,
                                duration_days=60, animals=1, output_every_hours=24))
    t = np.arange(0.0, 60.0 + 1e-9, 1.0)
    from tregsim.model.definition import STATE_INDEX as ix

    y = EnsembleSolver().solve_cohort([build_subject(proto, 0, 0, overrides=overrides)], t)[0]
    treg = y[:, ix["treg_resting"]] + y[:, ix["treg_periphery"]]
    teff = y[:, ix["teff_resting"]] + y[:, ix["teff_periphery"]]
    return float(np.mean(treg / (treg + teff)))


def culture_proliferation(values: dict[str, float], concentrations_ng_ml: np.ndarray,
                          knockouts: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Treg and Teff proliferation capacity at each culture concentration relative to none, from the model's
    own assignments (``aR_eff``, ``aE_eff``): culture medium has no IGFBP, so the nominal rhIGF-1
    concentration is free IGF-1."""
    from tregsim.model.codegen import python_assignments
    from tregsim.model.definition import STATE_INDEX, STATES
    from tregsim.model.parameters import parameter_vector
    from tregsim.model.subject import switches_for

    c = np.asarray(concentrations_ng_ml, dtype=float)
    y = np.zeros((len(STATES), c.size))
    y[STATE_INDEX["igf1_free"]] = c * values["V_free"]  # c_free = igf1_free / V_free
    a = python_assignments()(y, parameter_vector(values, switches=switches_for(list(knockouts))))
    return {"treg": np.asarray(a["aR_eff"] / values["aR"], dtype=float),
            "teff": np.asarray(a["aE_eff"] / values["aE"], dtype=float)}


def in_vitro(species: str, hypothesis: str, overrides: dict[str, float] | None = None) -> dict[str, Any]:
    """rhIGF-1 dose-response of stimulated Treg and Teff in culture (fold over no IGF-1).

    Cells divide at ``culture_division_rate`` times the model's proliferation capacity relative to no
    IGF-1, for ``CULTURE_DAYS``: fold = exp(rate * (capacity - 1) * days).  Both folds come from the
    model's assignments, so a model in which IGF1R raised Teff division would show it here.
    """
    v = resolve(species, "healthy", hypothesis)
    if overrides:
        v.update({k: x for k, x in overrides.items() if k in v})
    c = np.asarray(IN_VITRO_CONCENTRATIONS)
    cap = culture_proliferation(v, c)
    rate = v["culture_division_rate"] * CULTURE_DAYS
    treg = np.exp(rate * (cap["treg"] - 1.0))
    teff = np.exp(rate * (cap["teff"] - 1.0))
    ref = IN_VITRO_CONCENTRATIONS.index(IN_VITRO_REFERENCE_NG_ML)
    return {"treg_fold": float(treg[ref]), "teff_fold": float(teff[ref]),
            "reference_ng_ml": IN_VITRO_REFERENCE_NG_ML, "culture_days": CULTURE_DAYS,
            "concentrations_ng_ml": c.tolist(), "treg_fold_curve": treg.tolist(), "teff_fold_curve": teff.tolist()}


# --------------------------------------------------------------------------- targets

def _peak(ex: dict[str, dict], eid: str) -> float:
    return float(ex[eid]["peak_score_mean"])


def simulated_targets(ex: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The simulated value of every mouse target in targets.csv, from experiment metrics."""
    def ratio(a: float, b: float) -> float:
        return a / b if b not in (0, 0.0) and math.isfinite(b) else math.nan

    benefit_pre = _peak(ex, "eae_vehicle") - _peak(ex, "eae_igf1")
    benefit_post = _peak(ex, "eae_vehicle") - _peak(ex, "eae_igf1_post_onset")
    veh = ex["eae_vehicle"]
    return {
        "eae_incidence": veh["incidence"],
        "eae_onset_day": veh["onset_day_mean"] if veh["onset_day_mean"] is not None else math.nan,
        "eae_peak_score": veh["peak_score_mean"],
        "eae_peak_day": veh["peak_day"],
        "eae_course_days": veh["course_days"],
        "mouse_treg_fraction_cd4": ex["naive"]["treg_fraction_cd4"],
        "bilbao_vehicle_survival": ex["eae_severe_vehicle"]["survival"],
        "bilbao_igf1_survival": ex["eae_severe_igf1"]["survival"],
        "bilbao_treg_ko_effect": _peak(ex, "eae_igf1_treg_igf1r_ko") - _peak(ex, "eae_vehicle_treg_igf1r_ko"),
        "bilbao_spinal_treg_up": ratio(ex["eae_igf1"]["treg_cns_max"], ex["eae_vehicle"]["treg_cns_max"]),
        "ditoro_pan_t_ko": ratio(_peak(ex, "eae_vehicle_pan_t_igf1r_ko"), _peak(ex, "eae_vehicle")),
        "lovett_timing": ratio(benefit_post, benefit_pre) if benefit_pre > 0 else math.nan,
    }


def mouse_targets() -> dict[str, Target]:
    return targets_by_id("mouse_eae")


def target_results(ex: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    sim = simulated_targets(ex)
    return [t.as_result(sim[t.id]) for t in mouse_targets().values()]


def acceptance_checks(ex: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's claims beyond targets.csv: in-vitro folds and the direction of the core effects."""
    rows = [
        ("IGF-1 lowers the mean peak score by more than 0.3", _peak(ex, "eae_vehicle") - _peak(ex, "eae_igf1"), 0.3, None),
        ("in vitro Treg fold > 1.2 (mouse)", ex["in_vitro_mouse"]["treg_fold"], 1.2, None),
        ("in vitro Treg fold > 1.2 (human)", ex["in_vitro_human"]["treg_fold"], 1.2, None),
        ("in vitro Teff fold near 1 (mouse, 0.9-1.1)", ex["in_vitro_mouse"]["teff_fold"], 0.9, 1.1),
        ("in vitro Teff fold near 1 (human, 0.9-1.1)", ex["in_vitro_human"]["teff_fold"], 0.9, 1.1),
    ]
    return [{"check": c, "simulated": v, "low": lo, "high": hi,
             "pass": bool(math.isfinite(v) and v > lo and (hi is None or v <= hi))} for c, v, lo, hi in rows]


def run_hypothesis(hypothesis: str, animals: int = 20, seed: int = 1, overrides: dict[str, float] | None = None,
                   progress=None) -> tuple[dict[str, dict[str, Any]], dict[str, Cohort]]:
    """Every experiment under one hypothesis: (metrics by experiment id, cohorts by id)."""
    ex: dict[str, dict[str, Any]] = {
        "in_vitro_mouse": in_vitro("mouse", hypothesis, overrides),
        "in_vitro_human": in_vitro("human", hypothesis),
        "naive": {"treg_fraction_cd4": naive_treg_fraction(hypothesis, overrides)},
    }
    cohorts: dict[str, Cohort] = {}
    for exp in EAE_EXPERIMENTS:
        c = run_eae(exp, hypothesis, animals, seed, overrides)
        cohorts[exp.id] = c
        ex[exp.id] = {"description": exp.description, "animals": animals, **c.metrics}
        if progress is not None:
            progress(1)
    return ex, cohorts


__all__ = ["EAE_EXPERIMENTS", "HYPOTHESES", "run_hypothesis", "target_results", "acceptance_checks"]
