"""Between-person variability of IGF-1 kinetics and glucose: who becomes hypoglycaemic on a regimen.

A virtual population draws each person's parameters log-normally around the fitted values, with the
coefficients of variation of :data:`IIV` (every one with its source).  Each person's PK/glucose
subsystem is solved on the regimen (fasting, no meals: a conservative reading of the label's advice
to dose with meals), and the population's risk is the share whose glucose falls below a level
(level 2 hypoglycaemia: < 3.0 mmol/L, ADA).

Seeded: person ``i`` of a population with ``random_state`` is the same whatever the population size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tregsim.schedule import Schedule


@dataclass(frozen=True)
class Variability:
    """Log-normal inter-individual variability of one parameter."""

    parameter: str
    cv: float
    source: str

    @property
    def sd_log(self) -> float:
        return math.sqrt(math.log(1.0 + self.cv**2))


#: Inter-individual variability used for the hypoglycaemia risk.  Parameters without a literature CV get none.
IIV: tuple[Variability, ...] = (
    Variability("CL_free", 0.38, "Frystyk: free IGF-1 clearance 52 +/- 20 mL/min/kg (SD/mean)"),
    Variability("V_free", 0.28, "Increlex label: volume 0.257 +/- 0.073 L/kg (SD/mean)"),
    Variability("ksyn", 0.48, "Mayo adult total IGF-1 range 48-292 ng/mL at 36-40 y taken as a 95 % log-normal "
                              "range: sd(log) = ln(292/48)/3.92 = 0.46"),
    Variability("G0", 0.085, "ADA normal fasting glucose 4.0-5.6 mmol/L taken as a 95 % range around 4.8"),
    Variability("Emax_glc", 0.20, "chosen so that the simulated between-person SD of the glucose nadir after "
                                  "Guler 1987's 100 ug/kg IV bolus matches the reported 0.44 mmol/L: with the other "
                                  "CVs, CV 0 / 0.1 / 0.2 / 0.3 give SD 0.36 / 0.39 / 0.45 / 0.54 (120 people; "
                                  "checked in tests/pk/test_population.py)"),
)

HYPO_LEVEL2_MMOL_L = 3.0  # ADA level 2 hypoglycaemia
HYPO_LEVEL1_MMOL_L = 3.9  # ADA level 1


def person_values(values: dict[str, float], index: int, random_state: int,
                  iiv: tuple[Variability, ...] = IIV) -> dict[str, float]:
    """Parameter values of person ``index`` (independent of how many people are drawn)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(random_state), int(index), 7]))
    v = dict(values)
    for item in iiv:
        v[item.parameter] = values[item.parameter] * float(np.exp(rng.normal(-item.sd_log**2 / 2, item.sd_log)))
    return v


@dataclass(frozen=True)
class PopulationGlucose:
    """Glucose nadirs (mmol/L) of every person of a population on one schedule."""

    nadirs: np.ndarray

    def p_below(self, level: float = HYPO_LEVEL2_MMOL_L) -> float:
        return float(np.mean(self.nadirs < level))

    @property
    def median(self) -> float:
        return float(np.median(self.nadirs))


def population_glucose(values: dict[str, float], schedule: Schedule, t_days: np.ndarray, n: int,
                       random_state: int = 0) -> PopulationGlucose:
    """Glucose nadir of ``n`` people drawn around ``values`` on ``schedule`` (solved at ``t_days``)."""
    from tregsim.model.definition import PK_STATES
    from tregsim.pk.studies import engine_pk_many

    people = [person_values(values, i, random_state) for i in range(n)]
    t_days = np.asarray(t_days, dtype=float)
    y = engine_pk_many(people, schedule, float(t_days[-1]), t_days, rtol=1e-7)  # all people in one engine call
    return PopulationGlucose(y[:, :, PK_STATES.index("glucose")].min(axis=1))
