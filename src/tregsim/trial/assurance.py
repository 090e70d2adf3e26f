"""Assurance: the probability that a trial succeeds, averaged over what the calibration leaves uncertain.

Power answers "if the model's parameters are exactly the fitted ones, how often does this trial succeed?".
Assurance (O'Hagan, Stevens & Campbell 2005, Pharm Stat 4:187) averages that over the uncertainty of the
model itself.  Here two things are uncertain:

1. **Which mechanism is true.**  The named hypotheses (``treg_and_th17``, ``treg_only``) each explain the
   mouse data with their own fitted parameters.  The rule: a hypothesis' weight is proportional to
   ``exp(-chi2_h / 2)``, where ``chi2_h`` is the sum of squared residuals of the mouse EAE fit's own objective
   (:mod:`tregsim.calibration.mouse_eae`: zero inside the inner half of each target's band, growing beyond) at
   the shipped values, with equal prior odds.  This is a Gaussian likelihood at the best fit (no Occam
   factor: both hypotheses have the same number of fitted parameters give or take the Th17 pair).  When
   both explain every target, the weights are equal: the mouse data do not choose.
2. **The human IGF-1 pharmacodynamics.**  The human values of ``EC50_treg``, ``Emax_treg`` (and under
   ``treg_and_th17`` ``EC50_teff``, ``Emax_teff``) are the mouse fit's, carried over by assumption (U).  Each
   draws log-normally around its table value with the fit's reported ``sd(log)`` where the table gives one,
   combined with a cross-species translation spread (:data:`TRANSLATION_SD_LOG`, an assumption), and is
   truncated to the table's bounds.  The human PK is not drawn: its fit reports marginal spreads only,
   without their correlation, and independent draws of correlated PK parameters would spread free IGF-1
   far beyond what the clinical PK data allow; the PK fit meets every human PK row but one.

Each assurance draw is one scenario: a hypothesis (by weight), a PD parameter set, and one whole trial with
its own patients (the population fitted under that hypothesis) and triggers.  Assurance per endpoint is the
share of draws whose trial succeeds (p < 0.05 in the direction of benefit) -- a Monte Carlo estimate with
binomial standard error ``sqrt(a (1 - a) / n)``, reported beside it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from tregsim.trial.population_api import PatientSource, population_fingerprint

#: The hypotheses averaged over (each needs a shipped virtual population).
HYPOTHESES: tuple[str, ...] = ("treg_and_th17", "treg_only")

#: The PD parameters drawn per hypothesis (``treg_only`` has no Teff effect: Emax_teff is 0 by definition).
PD_PARAMETERS: dict[str, tuple[str, ...]] = {
    "treg_and_th17": ("EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff"),
    "treg_only": ("EC50_treg", "Emax_treg"),
}

#: Cross-species translation spread (sd of log) of each PD parameter: an assumption (U).  Potency (EC50)
#: of the same human protein at the same receptor is taken to vary by a factor ~1.6 (sd(log) 0.5) between
#: mouse and man; the maximal effect, a property of the T cells, by ~1.35 (0.3).
TRANSLATION_SD_LOG: dict[str, float] = {"EC50_treg": 0.5, "Emax_treg": 0.3, "EC50_teff": 0.5, "Emax_teff": 0.3}

_SD_LOG = re.compile(r"sd\(log\)\s*([0-9.eE+-]+)")


@dataclass(frozen=True)
class UncertainParameter:
    """One drawn parameter: log-normal around ``value`` with ``sd_log``, truncated to [low, high]."""

    name: str
    value: float
    sd_log: float
    low: float
    high: float
    unit: str
    why: str

    def draw(self, rng: np.random.Generator) -> float:
        """One truncated log-normal draw (inverse CDF of a uniform on the truncated range)."""
        from scipy import stats

        if self.sd_log <= 0 or self.value <= 0:
            return float(self.value)
        lo = stats.norm.cdf((math.log(max(self.low, 1e-300)) - math.log(self.value)) / self.sd_log)
        hi = stats.norm.cdf((math.log(self.high) - math.log(self.value)) / self.sd_log)
        z = stats.norm.ppf(lo + rng.random() * (hi - lo))
        return float(math.exp(math.log(self.value) + self.sd_log * z))


def pd_uncertainty(hypothesis: str) -> list[UncertainParameter]:
    """The drawn human PD parameters under ``hypothesis`` with their spread (module doc, point 2)."""
    from tregsim.model.parameters import load_table

    human = {(r.name, r.scope): r for r in load_table("human")}
    mouse = {(r.name, r.scope): r for r in load_table("mouse")}
    out = []
    for name in PD_PARAMETERS[hypothesis]:
        scope = f"hypothesis:{hypothesis}"
        row = human.get((name, scope)) or human[(name, "base")]
        mrow = mouse.get((name, scope)) or mouse.get((name, "base"))
        fit_sd = _SD_LOG.search(mrow.source) if mrow is not None else None
        sd_fit = float(fit_sd.group(1)) if fit_sd else 0.0
        sd = math.hypot(sd_fit, TRANSLATION_SD_LOG[name])
        why = (f"mouse fit sd(log) {sd_fit:g} (+) translation {TRANSLATION_SD_LOG[name]:g}" if fit_sd else
               f"translation {TRANSLATION_SD_LOG[name]:g} (the mouse table reports no sd(log) for it)")
        out.append(UncertainParameter(name, float(row.value), sd, float(row.low), float(row.high), row.unit, why))
    return out


def mouse_chi2(hypothesis: str) -> float:
    """Sum of squared residuals of the mouse EAE fit's objective at the shipped values of ``hypothesis``."""
    from tregsim.calibration import mouse_eae as me

    ex = me.expected_metrics(me.overrides_from(me._table_values(hypothesis), hypothesis), hypothesis)
    return float(sum(v * v for v in me._target_residuals(ex).values()))


def hypothesis_weights(hypotheses: tuple[str, ...] = HYPOTHESES,
                       chi2: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Weight of each hypothesis, ``exp(-chi2/2)`` normalised (module doc, point 1); with its chi2."""
    chi2 = chi2 if chi2 is not None else {h: mouse_chi2(h) for h in hypotheses}
    best = min(chi2[h] for h in hypotheses)
    raw = {h: math.exp(-(chi2[h] - best) / 2) for h in hypotheses}
    total = sum(raw.values())
    return {h: {"weight": raw[h] / total, "mouse_chi2": chi2[h]} for h in hypotheses}


class WithParameters:
    """A patient source whose every patient also gets fixed model parameters (one assurance draw's)."""

    def __init__(self, base: PatientSource, parameters: dict[str, float]):
        self.base = base
        self.parameters = {str(k): float(v) for k, v in parameters.items()}
        self.hypothesis = getattr(base, "hypothesis", None)

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        """The base population's patients, each with the draw's parameters added."""
        return [{**row, **self.parameters} for row in self.base.sample(n, rng)]

    def fingerprint(self) -> str:
        return f"WithParameters:{population_fingerprint(self.base)}:{json.dumps(sorted(self.parameters.items()))}"


def scenario_seed(seed: int, draw: int) -> int:
    """The trial seed of assurance draw ``draw`` (independent of the main trial's patients and triggers)."""
    digest = hashlib.sha256(f"assurance:{int(seed)}:{int(draw)}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


def draw_scenarios(n: int, seed: int, populations: dict[str, PatientSource] | None = None,
                   weights: dict[str, dict[str, float]] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """``n`` assurance draws (module doc) and a record of the rule and the weights used.

    Arguments:
        n: draws (each one whole trial).
        seed: the trial's seed; the draws' generator and their trial seeds derive from it.
        populations: patient source per hypothesis (default: the shipped virtual populations).
        weights: hypothesis weights (default :func:`hypothesis_weights`).
    """
    from tregsim.trial.population import default_population
    from tregsim.trial.run import Scenario

    weights = weights or hypothesis_weights()
    hyps = tuple(weights)
    populations = dict(populations or {})
    spreads = {h: pd_uncertainty(h) for h in hyps}
    rng = np.random.default_rng([int(seed) % 2**63, 20_051_187])
    p = np.array([weights[h]["weight"] for h in hyps])
    scenarios = []
    for i in range(int(n)):
        h = hyps[int(rng.choice(len(hyps), p=p / p.sum()))]
        params = {u.name: u.draw(rng) for u in spreads[h]}
        if h not in populations:  # loaded when first drawn: a hypothesis of negligible weight needs none
            populations[h] = default_population(h)
        scenarios.append(Scenario(weight=1.0, population=WithParameters(populations[h], params), hypothesis=h,
                                  name=f"draw{i:03d}", seed=scenario_seed(seed, i), replicates=1,
                                  parameters=params))
    record = {
        "rule": ("each draw: a hypothesis with probability proportional to exp(-chi2/2) of the mouse EAE fit "
                 "(equal prior odds), its human PD parameters log-normal around the table values (fit sd(log) "
                 "combined with a cross-species translation spread, truncated to bounds), and one whole trial "
                 "with its own patients and triggers; assurance = share of draws with p < 0.05 in the "
                 "direction of benefit (tregsim.trial.assurance)"),
        "hypothesis_weights": weights,
        "parameters": {h: [u.__dict__ for u in spreads[h]] for h in hyps},
    }
    return scenarios, record


__all__ = ["HYPOTHESES", "TRANSLATION_SD_LOG", "UncertainParameter", "WithParameters", "draw_scenarios",
           "hypothesis_weights", "mouse_chi2", "pd_uncertainty", "scenario_seed"]
