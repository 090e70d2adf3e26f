"""From mouse to patient: free IGF-1 exposure of human regimens against the protective mouse exposure.

* The protective mouse exposure is the mean free plasma IGF-1 at steady state on the seed-study
  mini-pump (``bilbao2014-eae-igf1``: 1 mg/kg/day, itself an assumption, see experiments.bilbao2014),
  the exposure at which the calibrated model reproduces Bilbao's protection.  Free IGF-1 is the
  species-independent currency: only free IGF-1 acts on IGF1R (BRIEF 4); plasma free concentration
  is taken as the concentration at the site of action in both species (explicit assumption).
* Each human regimen is dosed SC to steady state (14 days); over the last 24 h we report free Cmax,
  Ctrough, AUC(0-24 h) and total Cmax.
* Hypoglycaemia, the dose-limiting toxicity (Increlex label: 42% of 71 treated children, 5 severe), is
  judged by predicted glucose: the nadir of a typical person (the fitted values) and the share of a
  virtual population (:mod:`tregsim.pk.population`: between-person variability of the PK and glucose
  parameters with literature CVs) whose glucose falls below 3.0 mmol/L (ADA level 2) at any time over
  the first 7 days, fasting (no meals: conservative).
* The mouse side says whether the assumed pump dose is tolerable for a mouse: its glucose nadir on the
  pump by the same (allometrically scaled) model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from tregsim.calibration.human_pk import concentrations
from tregsim.pk.population import HYPO_LEVEL1_MMOL_L, HYPO_LEVEL2_MMOL_L, population_glucose
from tregsim.experiments.bilbao2014 import PUMP_DOSE_MG_KG_DAY
from tregsim.model.parameters import resolve
from tregsim.schedule import Bolus, Infusion, Schedule

STEADY_STATE_DAYS = 14.0
LABEL_MAX = ("label maximum", 0.12, 12.0)
POPULATION_SIZE = 100
POPULATION_DAYS = 7.0  # glucose nadirs are reached within the first days (free IGF-1 reaches steady state in hours)
POPULATION_SEED = 2014


@dataclass(frozen=True)
class Regimen:
    """An SC regimen: ``mg_kg`` per injection every ``every_hours``."""

    name: str
    mg_kg: float
    every_hours: float

    @property
    def mg_kg_day(self) -> float:
        return self.mg_kg * 24.0 / self.every_hours


HUMAN_REGIMENS: tuple[Regimen, ...] = (
    Regimen("label start 0.04 mg/kg BID", 0.04, 12.0),
    Regimen("label 0.08 mg/kg BID", 0.08, 12.0),
    Regimen("label maximum 0.12 mg/kg BID", 0.12, 12.0),
    Regimen("neurology 0.05 mg/kg/day (ALS trials)", 0.05, 24.0),
    Regimen("neurology 0.10 mg/kg/day (ALS trials)", 0.10, 24.0),
)


@dataclass(frozen=True)
class Exposure:
    """Steady-state exposure over the last 24 h (ng/mL; AUC ng*h/mL)."""

    free_cmax: float
    free_ctrough: float
    free_auc24: float
    total_cmax: float
    total_ctrough: float
    glucose_nadir: float = float("nan")

    @property
    def free_cavg(self) -> float:
        return self.free_auc24 / 24.0


def regimen_schedule(reg: Regimen, values: dict[str, float], days: float = STEADY_STATE_DAYS) -> Schedule:
    """SC doses of ``reg`` from day 0 until ``days`` (exclusive)."""
    times = np.arange(0.0, days - 1e-9, reg.every_hours / 24.0)
    return Schedule(boluses=[Bolus(float(t), "igf1_depot_sc", reg.mg_kg * 1000.0 * values["F_sc"]) for t in times])


def regimen_timecourse(reg: Regimen, disease: str = "healthy", days: float = STEADY_STATE_DAYS
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Time (day), total and free plasma IGF-1 (ng/mL) and glucose (mmol/L) on an SC regimen, every 15 min."""
    values = resolve("human", disease)
    t = np.arange(0.0, days + 1e-9, 1.0 / 96.0)
    total, free, glucose = concentrations(values, regimen_schedule(reg, values, days), t, glucose=True)
    return t, total, free, glucose


def human_exposure(reg: Regimen, disease: str = "healthy") -> Exposure:
    t, total, free, glucose = regimen_timecourse(reg, disease)
    last = t >= STEADY_STATE_DAYS - 1.0 - 1e-9
    th = (t[last] - t[last][0]) * 24.0
    return Exposure(float(free[last].max()), float(free[last].min()), float(np.trapezoid(free[last], th)),
                    float(total[last].max()), float(total[last].min()), float(glucose.min()))


def regimen_hypoglycaemia(reg: Regimen, disease: str = "rrms", n: int = POPULATION_SIZE,
                          random_state: int = POPULATION_SEED) -> dict[str, float]:
    """Share of ``n`` virtual people whose glucose falls below 3.0 (and 3.9) mmol/L on ``reg``."""
    values = resolve("human", disease)
    t = np.arange(0.0, POPULATION_DAYS + 1e-9, 1.0 / 96.0)
    pop = population_glucose(values, regimen_schedule(reg, values, POPULATION_DAYS), t, n, random_state)
    return {"p_glucose_below_3_mmol_l": pop.p_below(HYPO_LEVEL2_MMOL_L),
            "p_glucose_below_3_9_mmol_l": pop.p_below(HYPO_LEVEL1_MMOL_L),
            "glucose_nadir_median_mmol_l": pop.median, "population_size": n}


def mouse_protective_exposure(pump_mg_kg_day: float = PUMP_DOSE_MG_KG_DAY) -> Exposure:
    """Free IGF-1 at steady state on the seed-study mini-pump (zero-order SC input), and the mouse's glucose
    nadir over the pump's first 14 days."""
    values = resolve("mouse", "eae_mog35_55")
    rate = pump_mg_kg_day * 1000.0 * values["F_sc"]
    sched = Schedule(infusions=[Infusion(0.0, STEADY_STATE_DAYS, "rate_igf1_sc", rate)])
    t = np.concatenate([np.arange(0.0, STEADY_STATE_DAYS - 1.0, 1.0 / 96.0),
                        np.arange(STEADY_STATE_DAYS - 1.0, STEADY_STATE_DAYS - 1e-6, 1.0 / 96.0)])
    total, free, glucose = concentrations(values, sched, t, glucose=True)
    last = t >= STEADY_STATE_DAYS - 1.0 - 1e-9  # the last day before the pump stops
    return Exposure(float(free[last].max()), float(free[last].min()), float(free[last].mean() * 24.0),
                    float(total[last].max()), float(total[last].min()), float(glucose.min()))


def matching_bid_dose(target_cavg: float, disease: str = "healthy") -> float:
    """The SC twice-daily dose (mg/kg) whose steady-state mean free IGF-1 equals ``target_cavg``."""
    def gap(mg_kg: float) -> float:
        return human_exposure(Regimen("probe", mg_kg, 12.0), disease).free_cavg - target_cavg

    lo, hi = 1e-4, 0.05
    while gap(hi) < 0:
        hi *= 2
        if hi > 10:
            return float("nan")
    return float(brentq(gap, lo, hi, xtol=1e-5))


def translation_table(disease: str = "rrms", population_size: int = POPULATION_SIZE) -> dict:
    """Every human regimen against the protective mouse exposure, with predicted glucose.

    Arguments:
        disease: the patients' disease state (``rrms``: more IGFBP-3, Lanzillo/Di Somma 2011).
        population_size: virtual people per regimen for P(glucose < 3.0 mmol/L).
    """
    mouse = mouse_protective_exposure()
    rows = []
    for reg in HUMAN_REGIMENS:
        e = human_exposure(reg, disease)
        rows.append({"regimen": reg.name, "mg_kg_day": reg.mg_kg_day, "free_cmax_ng_ml": e.free_cmax,
                     "free_ctrough_ng_ml": e.free_ctrough, "free_auc24_ng_h_ml": e.free_auc24,
                     "total_cmax_ng_ml": e.total_cmax, "ratio_to_mouse_protective": e.free_cavg / mouse.free_cavg,
                     "glucose_nadir_mmol_l": e.glucose_nadir,
                     **regimen_hypoglycaemia(reg, disease, population_size),
                     "beyond_label": reg.mg_kg_day > LABEL_MAX[1] * 2 + 1e-12})
    match = matching_bid_dose(mouse.free_cavg, disease)
    matched = (regimen_hypoglycaemia(Regimen("match", match, 12.0), disease, population_size)
               if np.isfinite(match) else {})
    return {"disease": disease, "mouse_protective_free_cavg_ng_ml": mouse.free_cavg,
            "mouse_pump_mg_kg_day": PUMP_DOSE_MG_KG_DAY, "rows": rows,
            "mouse_pump_glucose_nadir_mmol_l": mouse.glucose_nadir,
            "mouse_pump_tolerable": bool(mouse.glucose_nadir >= HYPO_LEVEL2_MMOL_L),
            "matching_bid_mg_kg": match,
            "matching_bid_glucose_nadir_mmol_l": (human_exposure(Regimen("match", match, 12.0), disease).glucose_nadir
                                                  if np.isfinite(match) else float("nan")),
            "matching_bid_p_glucose_below_3_mmol_l": matched.get("p_glucose_below_3_mmol_l", float("nan")),
            "population_size": population_size, "label_maximum_mg_kg_bid": LABEL_MAX[1]}
