"""The trial endpoints' comparisons, each with estimate, 95% CI and p-value, from statsmodels and lifelines.

Every function compares one treatment arm with its control on per-patient data and returns a
:class:`Comparison` (the contract's ``comparisons`` entries in summary.json):

* :func:`relapse_rate_ratio` -- annualized relapse rate: negative-binomial regression of each patient's
  relapse count on arm, with log(years followed) as offset (statsmodels ``NegativeBinomial``, dispersion
  estimated); the estimate is the rate ratio.
* :func:`lesion_rate_ratio` -- Gd+ lesions per scan: a negative-binomial GEE over every scan with the
  patient as cluster (exchangeable working correlation, NB working variance alpha = 1, robust sandwich
  standard errors, which keep the inference valid whatever the working variance); the estimate is the rate ratio.
* :func:`hazard_ratio` -- time to 12-week confirmed disability progression: Cox proportional hazards
  (lifelines), censored at the end of follow-up; the estimate is the hazard ratio.  When one arm has no
  event the estimate is the boundary (0), with a profile-likelihood CI and a likelihood-ratio p-value.
* :func:`relapse_rate_ratio` falls back to the exact conditional Poisson test (:func:`exact_rate_ratio`) when
  an arm has no relapse or the counts are too sparse for a dispersion.
* :func:`mean_difference` -- EDSS change, blood Treg fold: difference of arm means by OLS with
  heteroscedasticity-robust (HC3) errors.
* :func:`paired_rate_ratio`, :func:`paired_mean_difference` -- the same for a baseline_vs_treatment design,
  each patient's treatment period against their own baseline period (patient as cluster).

:func:`power` is the share of replicate trials whose comparison is significant (two-sided alpha, in the
direction of benefit when one is given); :func:`analytic_power_two_means` is the normal-theory power of
comparing two means, the known answer the simulated power is tested against.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Comparison:
    """One endpoint compared between an arm and its control."""

    endpoint: str
    arm: str
    vs: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    n_arm: int
    n_vs: int

    def to_dict(self) -> dict:
        return asdict(self)


def _arm_indicator(arm: np.ndarray, treated: str) -> np.ndarray:
    return (np.asarray(arm) == treated).astype(float)


def relapse_rate_ratio(counts: np.ndarray, years: np.ndarray, arm: np.ndarray, treated: str, control: str,
                       endpoint: str = "annualized_relapse_rate") -> Comparison:
    """Negative-binomial rate ratio of relapse counts (offset log years), 95% Wald CI, Wald p-value."""
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    counts, years, arm = np.asarray(counts, float), np.asarray(years, float), np.asarray(arm)
    keep = np.isin(arm, [treated, control])
    if counts[arm == treated].sum() == 0 or counts[arm == control].sum() == 0:
        return exact_rate_ratio(counts, years, arm, treated, control, endpoint)
    x = sm.add_constant(_arm_indicator(arm[keep], treated), has_constant="add")
    fit = NegativeBinomial(counts[keep], x, offset=np.log(years[keep])).fit(disp=0, maxiter=200)
    b, se = float(fit.params[1]), float(fit.bse[1])
    if not (math.isfinite(b) and math.isfinite(se)):
        # sparse counts (e.g. every patient 0 or 1): the dispersion runs to its bound 0, the Hessian is singular
        # and the Wald interval does not exist; without overdispersion the exact conditional test is the right one
        return exact_rate_ratio(counts, years, arm, treated, control, endpoint,
                                reason="negative-binomial fit degenerate: no overdispersion in these counts")
    return Comparison(endpoint, treated, control, math.exp(b), math.exp(b - 1.959963984540054 * se),
                      math.exp(b + 1.959963984540054 * se), float(fit.pvalues[1]), "negative binomial rate ratio",
                      int((arm == treated).sum()), int((arm == control).sum()))


def exact_rate_ratio(counts: np.ndarray, years: np.ndarray, arm: np.ndarray, treated: str, control: str,
                     endpoint: str = "annualized_relapse_rate", reason: str = "an arm without events") -> Comparison:
    """Rate ratio when the negative-binomial fit does not exist (an arm without events: its estimate runs to 0 or
    infinity; or counts so sparse that the dispersion runs to 0 and the Hessian is singular; ``reason`` says
    which): the exact conditional Poisson test.  Given the total count n, the treated arm's count is
    Binomial(n, q) with q = T_t r / (T_t r + T_c) under rate ratio r (T: patient-years); the two-sided p-value is
    the binomial test of r = 1 and the 95% CI the Clopper-Pearson interval of q mapped to r.  Ignores
    overdispersion (so it is anti-conservative when patients differ much)."""
    counts, years, arm = np.asarray(counts, float), np.asarray(years, float), np.asarray(arm)
    xt, xc = int(counts[arm == treated].sum()), int(counts[arm == control].sum())
    tt, tc = float(years[arm == treated].sum()), float(years[arm == control].sum())
    n = xt + xc
    nt, nc = int((arm == treated).sum()), int((arm == control).sum())
    test = f"exact conditional Poisson rate ratio ({reason})"
    if n == 0 or tt <= 0 or tc <= 0:
        return Comparison(endpoint, treated, control, math.nan, math.nan, math.nan, math.nan,
                          test + " (not estimable: no events in either arm)", nt, nc)
    q0 = tt / (tt + tc)
    p = float(stats.binomtest(xt, n, q0).pvalue)
    lo = 0.0 if xt == 0 else float(stats.beta.ppf(0.025, xt, n - xt + 1))
    hi = 1.0 if xt == n else float(stats.beta.ppf(0.975, xt + 1, n - xt))

    def ratio(q: float) -> float:
        return math.inf if q >= 1.0 else (q / (1.0 - q)) * tc / tt

    return Comparison(endpoint, treated, control, ratio(xt / n), ratio(lo), ratio(hi), p, test, nt, nc)


def lesion_rate_ratio(scans: pd.DataFrame, treated: str, control: str, endpoint: str = "gd_lesions_per_scan"
                      ) -> Comparison:
    """Negative-binomial GEE rate ratio of lesion counts per scan; ``scans`` has columns patient, arm, lesions."""
    import statsmodels.api as sm

    d = scans[scans["arm"].isin([treated, control])]
    x = sm.add_constant(_arm_indicator(d["arm"].to_numpy(), treated), has_constant="add")
    model = sm.GEE(d["lesions"].to_numpy(float), x, groups=d["patient"].to_numpy(),
                   family=sm.families.NegativeBinomial(alpha=1.0), cov_struct=sm.cov_struct.Exchangeable())
    fit = model.fit()
    b, se = float(fit.params[1]), float(fit.bse[1])
    per_arm = d.groupby("arm")["patient"].nunique()  # a patient may appear in both (paired designs)
    return Comparison(endpoint, treated, control, math.exp(b), math.exp(b - 1.959963984540054 * se),
                      math.exp(b + 1.959963984540054 * se), float(fit.pvalues[1]),
                      "negative binomial GEE rate ratio (patient as cluster)",
                      int(per_arm.get(treated, 0)), int(per_arm.get(control, 0)))


def paired_rate_ratio(counts_treated: np.ndarray, years_treated: np.ndarray, counts_control: np.ndarray,
                      years_control: np.ndarray, treated: str, control: str = "baseline",
                      endpoint: str = "annualized_relapse_rate") -> Comparison:
    """Rate ratio of each patient's treatment period over their own control (baseline) period.

    A negative-binomial GEE (NB working variance alpha = 1, exchangeable correlation within the patient,
    robust sandwich errors) of the two periods' counts on a period indicator with log(years) offsets; the
    arrays are aligned by patient.
    """
    import statsmodels.api as sm

    ct, yt = np.asarray(counts_treated, float), np.asarray(years_treated, float)
    cc, yc = np.asarray(counts_control, float), np.asarray(years_control, float)
    n = len(ct)
    patient = np.concatenate([np.arange(n), np.arange(n)])
    period = np.concatenate([np.ones(n), np.zeros(n)])
    x = sm.add_constant(period, has_constant="add")
    model = sm.GEE(np.concatenate([ct, cc]), x, groups=patient, offset=np.log(np.concatenate([yt, yc])),
                   family=sm.families.NegativeBinomial(alpha=1.0), cov_struct=sm.cov_struct.Exchangeable())
    fit = model.fit()
    b, se = float(fit.params[1]), float(fit.bse[1])
    return Comparison(endpoint, treated, control, math.exp(b), math.exp(b - 1.959963984540054 * se),
                      math.exp(b + 1.959963984540054 * se), float(fit.pvalues[1]),
                      "negative binomial GEE rate ratio, paired periods (patient as cluster)", n, n)


def paired_mean_difference(treated_values: np.ndarray, control_values: np.ndarray, treated: str,
                           endpoint: str, control: str = "baseline") -> Comparison:
    """Mean of each patient's (treatment - control period) difference, OLS on a constant with HC3 errors."""
    import statsmodels.api as sm

    diff = np.asarray(treated_values, float) - np.asarray(control_values, float)
    fit = sm.OLS(diff, np.ones((len(diff), 1))).fit(cov_type="HC3")
    low, high = fit.conf_int(0.05)[0]
    return Comparison(endpoint, treated, control, float(fit.params[0]), float(low), float(high),
                      float(fit.pvalues[0]), "difference of means, paired (OLS on within-patient differences, HC3)",
                      len(diff), len(diff))


def hazard_ratio(time: np.ndarray, event: np.ndarray, arm: np.ndarray, treated: str, control: str,
                 endpoint: str = "cdp_12w") -> Comparison:
    """Cox proportional-hazards hazard ratio (lifelines), 95% CI, Wald p-value."""
    from lifelines import CoxPHFitter

    arm = np.asarray(arm)
    keep = np.isin(arm, [treated, control])
    d = pd.DataFrame({"time": np.asarray(time, float)[keep], "event": np.asarray(event, int)[keep],
                      "treated": _arm_indicator(arm[keep], treated)})
    events_t, events_c = int(d["event"][d["treated"] == 1].sum()), int(d["event"][d["treated"] == 0].sum())
    if (events_t == 0) != (events_c == 0):
        return _separated_hazard_ratio(d, treated, control, endpoint, none_treated=events_t == 0)
    cph = CoxPHFitter().fit(d, duration_col="time", event_col="event")
    s = cph.summary.loc["treated"]
    return Comparison(endpoint, treated, control, float(s["exp(coef)"]), float(s["exp(coef) lower 95%"]),
                      float(s["exp(coef) upper 95%"]), float(s["p"]), "Cox proportional hazards ratio",
                      int((arm == treated).sum()), int((arm == control).sum()))


def _separated_hazard_ratio(d: pd.DataFrame, treated: str, control: str, endpoint: str, none_treated: bool
                            ) -> Comparison:
    """Hazard ratio when one arm has no events: the partial-likelihood maximum lies at a hazard ratio of 0 (or
    infinity), so the Wald interval does not exist.  The estimate is that boundary; the 95% CI is the
    profile-likelihood interval (its finite end where twice the drop of the Cox partial log-likelihood from
    its supremum reaches the chi-square(1) 95% point) and the p-value the likelihood-ratio test of a hazard
    ratio of 1.  ``none_treated``: the treated arm is the one without events (else the control arm).  The
    partial likelihood (Breslow ties) is statsmodels' ``PHReg.loglike``."""
    from scipy.optimize import brentq
    from statsmodels.duration.hazard_regression import PHReg

    model = PHReg(d["time"].to_numpy(float), d[["treated"]].to_numpy(float), status=d["event"].to_numpy(int),
                  ties="breslow")
    sign = -1.0 if none_treated else 1.0  # the direction in which the likelihood rises without bound
    sup = float(model.loglike(np.array([sign * 60.0])))
    crit = float(stats.chi2.ppf(0.95, 1))

    def drop(beta: float) -> float:
        return 2.0 * (sup - float(model.loglike(np.array([beta])))) - crit

    edge = brentq(drop, sign * 60.0, -sign * 60.0) if drop(-sign * 60.0) > 0 else -sign * math.inf
    p = float(stats.chi2.sf(2.0 * (sup - float(model.loglike(np.array([0.0])))), 1))
    low, high = (0.0, math.exp(edge)) if none_treated else (math.exp(edge), math.inf)
    arm = d["treated"].to_numpy()
    return Comparison(endpoint, treated, control, 0.0 if none_treated else math.inf, low, high, p,
                      "Cox proportional hazards ratio, profile-likelihood CI and likelihood-ratio p (an arm "
                      "without events)", int((arm == 1).sum()), int((arm == 0).sum()))


def mean_difference(values: np.ndarray, arm: np.ndarray, treated: str, control: str, endpoint: str) -> Comparison:
    """Difference of means (treated - control) by OLS with HC3 robust errors, 95% CI, p-value."""
    import statsmodels.api as sm

    values, arm = np.asarray(values, float), np.asarray(arm)
    keep = np.isin(arm, [treated, control])
    x = sm.add_constant(_arm_indicator(arm[keep], treated), has_constant="add")
    fit = sm.OLS(values[keep], x).fit(cov_type="HC3")
    low, high = fit.conf_int(0.05)[1]
    return Comparison(endpoint, treated, control, float(fit.params[1]), float(low), float(high),
                      float(fit.pvalues[1]), "difference of means (OLS, HC3)", int((arm == treated).sum()),
                      int((arm == control).sum()))


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier survival estimate with its 95% CI (lifelines): columns time, survival, ci_low, ci_high."""
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(np.asarray(time, float), np.asarray(event, int))
    ci = km.confidence_interval_survival_function_
    return pd.DataFrame({"time": km.survival_function_.index.to_numpy(),
                         "survival": km.survival_function_.iloc[:, 0].to_numpy(),
                         "ci_low": ci.iloc[:, 0].to_numpy(), "ci_high": ci.iloc[:, 1].to_numpy()})


def power(comparisons: list[Comparison], alpha: float = 0.05, benefit: str | None = None) -> float:
    """Share of replicate trials with p < ``alpha``; with ``benefit`` 'below' or 'above' (the estimate's side
    of no effect: 1 for ratios, 0 for differences), only significant results in that direction count."""
    if not comparisons:
        raise ValueError("power needs at least one replicate")
    hits = 0
    for c in comparisons:
        no_effect = 0.0 if c.test.startswith("difference") else 1.0
        ok = c.p_value < alpha
        if benefit == "below":
            ok &= c.estimate < no_effect
        elif benefit == "above":
            ok &= c.estimate > no_effect
        hits += bool(ok)
    return hits / len(comparisons)


def analytic_power_two_means(delta: float, sd: float, n_per_arm: int, alpha: float = 0.05) -> float:
    """Normal-theory power of a two-sided comparison of two means (equal n, known sd)."""
    z = stats.norm.ppf(1 - alpha / 2)
    shift = abs(delta) / (sd * math.sqrt(2.0 / n_per_arm))
    return float(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z))
