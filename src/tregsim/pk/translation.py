"""From mouse to patient: free IGF-1 exposure of human regimens against the protective mouse exposure.

* The protective mouse exposure is the mean free plasma IGF-1 at steady state on the seed-study
  mini-pump (``bilbao2014-eae-igf1``: 1 mg/kg/day, itself an assumption, see experiments.bilbao2014),
  the exposure at which the calibrated model reproduces Bilbao's protection.  Free IGF-1 is the
  species-independent currency: only free IGF-1 acts on IGF1R (BRIEF 4); plasma free concentration
  is taken as the concentration at the site of action in both species (explicit assumption).
* Each human regimen is dosed SC to steady state (14 days); over the last 24 h we report free Cmax,
  Ctrough, AUC(0-24 h) and total Cmax.
* Hypoglycaemia risk index (documented assumption): peak free IGF-1 relative to its value at the
  label maximum, 0.12 mg/kg SC twice daily (Increlex label; hypoglycaemia in 42% of 71 treated
  children, 5 severe).  Index 1 is the label maximum; above 1 is beyond labelled experience.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from tregsim.calibration.human_pk import concentrations
from tregsim.experiments.bilbao2014 import PUMP_DOSE_MG_KG_DAY
from tregsim.model.parameters import resolve
from tregsim.schedule import Bolus, Infusion, Schedule

STEADY_STATE_DAYS = 14.0
LABEL_MAX = ("label maximum", 0.12, 12.0)


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

    @property
    def free_cavg(self) -> float:
        return self.free_auc24 / 24.0


def regimen_timecourse(reg: Regimen, disease: str = "healthy", days: float = STEADY_STATE_DAYS
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time (day), total and free plasma IGF-1 (ng/mL) on an SC regimen, every 15 min."""
    values = resolve("human", disease)
    step = reg.every_hours / 24.0
    times = np.arange(0.0, days - 1e-9, step)
    sched = Schedule(boluses=[Bolus(float(t), "igf1_depot_sc", reg.mg_kg * 1000.0 * values["F_sc"]) for t in times])
    t = np.arange(0.0, days + 1e-9, 1.0 / 96.0)
    total, free = concentrations(values, sched, t)
    return t, total, free


def human_exposure(reg: Regimen, disease: str = "healthy") -> Exposure:
    t, total, free = regimen_timecourse(reg, disease)
    last = t >= STEADY_STATE_DAYS - 1.0 - 1e-9
    th = (t[last] - t[last][0]) * 24.0
    return Exposure(float(free[last].max()), float(free[last].min()), float(np.trapezoid(free[last], th)),
                    float(total[last].max()), float(total[last].min()))


def mouse_protective_exposure(pump_mg_kg_day: float = PUMP_DOSE_MG_KG_DAY) -> Exposure:
    """Free IGF-1 at steady state on the seed-study mini-pump (zero-order SC input)."""
    values = resolve("mouse", "eae_mog35_55")
    rate = pump_mg_kg_day * 1000.0 * values["F_sc"]
    sched = Schedule(infusions=[Infusion(0.0, STEADY_STATE_DAYS, "rate_igf1_sc", rate)])
    t = np.concatenate([[0.0], np.arange(STEADY_STATE_DAYS - 1.0, STEADY_STATE_DAYS - 1e-6, 1.0 / 96.0)])
    total, free = concentrations(values, sched, t)
    free, total = free[1:], total[1:]  # the last day before the pump stops
    return Exposure(float(free.max()), float(free.min()), float(free.mean() * 24.0), float(total.max()),
                    float(total.min()))


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


def translation_table(disease: str = "rrms") -> dict:
    """Every human regimen against the protective mouse exposure, with the risk index."""
    mouse = mouse_protective_exposure()
    ref = human_exposure(Regimen(*LABEL_MAX), disease)
    rows = []
    for reg in HUMAN_REGIMENS:
        e = human_exposure(reg, disease)
        rows.append({"regimen": reg.name, "mg_kg_day": reg.mg_kg_day, "free_cmax_ng_ml": e.free_cmax,
                     "free_ctrough_ng_ml": e.free_ctrough, "free_auc24_ng_h_ml": e.free_auc24,
                     "total_cmax_ng_ml": e.total_cmax, "ratio_to_mouse_protective": e.free_cavg / mouse.free_cavg,
                     "hypoglycaemia_risk_index": e.free_cmax / ref.free_cmax,
                     "beyond_label": reg.mg_kg_day > LABEL_MAX[1] * 2 + 1e-12})
    match = matching_bid_dose(mouse.free_cavg, disease)
    return {"disease": disease, "mouse_protective_free_cavg_ng_ml": mouse.free_cavg,
            "mouse_pump_mg_kg_day": PUMP_DOSE_MG_KG_DAY, "rows": rows,
            "matching_bid_mg_kg": match,
            "matching_bid_risk_index": (human_exposure(Regimen("match", match, 12.0), disease).free_cmax / ref.free_cmax
                                        if np.isfinite(match) else float("nan")),
            "label_maximum_mg_kg_bid": LABEL_MAX[1]}
