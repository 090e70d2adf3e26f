"""Endpoint statistics on data with known answers (true effects recovered, exact small cases, power)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tregsim.trial.statistics import (analytic_power_two_means, hazard_ratio, kaplan_meier, lesion_rate_ratio,
                                      mean_difference, power, relapse_rate_ratio)


def test_relapse_rate_ratio_recovers_a_known_ratio_under_overdispersion():
    rng = np.random.default_rng(1)
    n = 3000
    arm = np.repeat(["placebo", "igf1"], n)
    years = rng.uniform(1.0, 2.0, 2 * n)
    rate = np.where(arm == "igf1", 0.4 * 0.6, 0.4)
    frailty = rng.gamma(shape=2.0, scale=0.5, size=2 * n)  # mean 1: negative-binomial counts
    counts = rng.poisson(rate * years * frailty)
    c = relapse_rate_ratio(counts, years, arm, "igf1", "placebo")
    assert c.ci_low < 0.6 < c.ci_high and abs(c.estimate - 0.6) < 0.05
    assert c.p_value < 1e-6 and c.n_arm == n and c.n_vs == n


def test_relapse_rate_ratio_without_effect_is_not_significant():
    rng = np.random.default_rng(2)
    arm = np.repeat(["placebo", "igf1"], 400)
    years = np.full(800, 2.0)
    counts = rng.poisson(0.4 * 2.0 * rng.gamma(2.0, 0.5, 800))
    c = relapse_rate_ratio(counts, years, arm, "igf1", "placebo")
    assert c.ci_low < 1.0 < c.ci_high and c.p_value > 0.01


def test_lesion_rate_ratio_with_the_patient_as_cluster():
    rng = np.random.default_rng(3)
    rows = []
    for patient in range(1200):
        arm = "igf1" if patient % 2 else "placebo"
        mu = 1.1 * (0.5 if arm == "igf1" else 1.0) * rng.gamma(1.5, 1 / 1.5)  # patient's own lesion rate
        rows += [{"patient": patient, "arm": arm, "lesions": rng.poisson(mu)} for _ in range(12)]
    c = lesion_rate_ratio(pd.DataFrame(rows), "igf1", "placebo")
    assert c.ci_low < 0.5 < c.ci_high and abs(c.estimate - 0.5) < 0.06 and c.n_arm == 600


def test_hazard_ratio_recovers_a_known_ratio():
    rng = np.random.default_rng(4)
    n = 3000
    arm = np.repeat(["placebo", "igf1"], n)
    hazard = np.where(arm == "igf1", 0.7, 1.0) * 0.15
    t_event = rng.exponential(1 / hazard)
    follow = 2.0
    c = hazard_ratio(np.minimum(t_event, follow), t_event <= follow, arm, "igf1", "placebo")
    se = (np.log(c.ci_high) - np.log(c.ci_low)) / (2 * 1.96)
    assert c.ci_low < 0.7 < c.ci_high and abs(np.log(c.estimate / 0.7)) < 3 * se


def test_mean_difference_exact_and_kaplan_meier_exact():
    c = mean_difference(np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), np.array(["a"] * 3 + ["b"] * 3), "b", "a",
                        "edss_change")
    assert c.estimate == pytest.approx(3.0) and c.ci_low < 3.0 < c.ci_high
    assert c.estimate - c.ci_low == pytest.approx(c.ci_high - c.estimate)
    km = kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 1, 1]))
    assert km.set_index("time")["survival"].loc[[1.0, 2.0, 3.0, 4.0]].tolist() == pytest.approx([0.75, 0.5, 0.25, 0.0])


def test_simulated_power_matches_the_analytic_power_of_two_means():
    rng = np.random.default_rng(5)
    n, delta, replicates = 50, 0.5, 400
    comparisons = []
    for _ in range(replicates):
        values = np.concatenate([rng.normal(0.0, 1.0, n), rng.normal(delta, 1.0, n)])
        comparisons.append(mean_difference(values, np.repeat(["control", "treated"], n), "treated", "control", "x"))
    expected = analytic_power_two_means(delta, 1.0, n)  # 0.705
    assert abs(power(comparisons) - expected) < 3.5 * np.sqrt(expected * (1 - expected) / replicates)
    assert power(comparisons, benefit="below") < 0.01  # a benefit must go the stated way
    assert analytic_power_two_means(0.0, 1.0, n) == pytest.approx(0.05)


def test_paired_rate_ratio_recovers_a_within_patient_ratio():
    from tregsim.trial.statistics import paired_rate_ratio

    rng = np.random.default_rng(21)
    n = 2000
    frailty = rng.gamma(2.0, 0.5, n)  # each patient's own rate, shared by both periods
    base = rng.poisson(0.8 * 0.5 * frailty)
    treat = rng.poisson(0.8 * 0.6 * 1.5 * frailty)
    c = paired_rate_ratio(treat, np.full(n, 1.5), base, np.full(n, 0.5), "igf1")
    assert c.vs == "baseline" and c.n_arm == c.n_vs == n
    assert c.ci_low < 0.6 < c.ci_high and abs(c.estimate - 0.6) < 0.06 and c.p_value < 1e-6


def test_paired_mean_difference_and_lesions_with_both_periods_of_one_patient():
    from tregsim.trial.statistics import lesion_rate_ratio, paired_mean_difference

    rng = np.random.default_rng(22)
    n = 500
    own = rng.normal(0, 1, n)
    before, after = own + rng.normal(0, 0.2, n), own + 0.1 + rng.normal(0, 0.2, n)
    c = paired_mean_difference(after, before, "igf1", "edss_change")
    assert c.ci_low < 0.1 < c.ci_high and c.p_value < 1e-6 and c.test.startswith("difference")
    rows = [{"patient": p, "arm": period, "lesions": rng.poisson(mu)}
            for p in range(n) for period, mu in (("baseline", 1.0), ("igf1", 0.5)) for _ in range(3)]
    c = lesion_rate_ratio(pd.DataFrame(rows), "igf1", "baseline")
    assert c.n_arm == c.n_vs == n and c.ci_low < 0.5 < c.ci_high


def test_relapse_rate_ratio_with_an_arm_without_relapses_is_still_estimated():
    """A treated arm with no relapse (low-dose IL-2 in the default trial) used to be 'not estimable' (the NB fit
    runs to 0): the exact conditional Poisson test gives estimate 0, a finite upper limit and a p-value."""
    import numpy as np

    from tregsim.trial.statistics import relapse_rate_ratio

    arm = np.array(["placebo"] * 40 + ["il2"] * 40)
    counts = np.r_[np.random.default_rng(1).poisson(0.9, 40), np.zeros(40)]
    c = relapse_rate_ratio(counts, np.full(80, 1.84), arm, "il2", "placebo")
    assert c.estimate == 0.0 and c.ci_low == 0.0 and 0 < c.ci_high < 0.2 and c.p_value < 1e-6
    assert "exact conditional Poisson" in c.test
    same = relapse_rate_ratio(np.r_[counts[:40], counts[:40]], np.full(80, 1.84), arm, "il2", "placebo")
    assert same.test == "negative binomial rate ratio"


def test_relapse_rate_ratio_with_sparse_counts_falls_back_to_the_exact_test():
    """Every patient 0 or 1 relapse (a short, small trial): the NB dispersion runs to 0, its Hessian is singular
    and the Wald CI does not exist.  The exact conditional Poisson test answers instead, with the known
    values: 3 vs 3 relapses over equal follow-up -> ratio 1, p = 1; 1 vs 3 -> ratio 1/3, p = binomial test
    of 1 of 4 at q = 1/2 (0.625)."""
    import numpy as np

    from tregsim.trial.statistics import relapse_rate_ratio

    arm = np.array(["placebo"] * 40 + ["x"] * 40)
    years = np.full(80, 24 * 7 / 365.25)
    placebo = np.r_[np.ones(3), np.zeros(37)]
    same = relapse_rate_ratio(np.r_[placebo, placebo], years, arm, "x", "placebo")
    assert same.estimate == pytest.approx(1.0) and same.p_value == pytest.approx(1.0)
    assert 0 < same.ci_low < 1 < same.ci_high < np.inf and "no overdispersion" in same.test
    fewer = relapse_rate_ratio(np.r_[placebo, np.r_[1.0, np.zeros(39)]], years, arm, "x", "placebo")
    assert fewer.estimate == pytest.approx(1 / 3) and fewer.p_value == pytest.approx(0.625)


def test_hazard_ratio_with_an_arm_without_events_has_a_profile_likelihood_interval():
    """No progression in the treated arm (low-dose IL-2 in a short trial): the Cox MLE is a hazard ratio of 0 and
    the Wald interval does not exist.  The answer: estimate 0, 95% CI from 0 to where twice the drop of the
    partial log-likelihood from its supremum is the chi-square(1) 95% point (3.841), likelihood-ratio p --
    checked here against statsmodels' partial likelihood directly."""
    from scipy import stats
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(0)
    n = 24
    t = np.r_[np.minimum(rng.exponential(300, n), 672.0), np.full(n, 672.0)]
    e = np.r_[(t[:n] < 672).astype(int), np.zeros(n, int)]
    arm = np.array(["placebo"] * n + ["x"] * n)
    c = hazard_ratio(t, e, arm, "x", "placebo")
    assert c.estimate == 0.0 and c.ci_low == 0.0 and 0 < c.ci_high < 1 and "profile-likelihood" in c.test
    model = PHReg(t, (arm == "x").astype(float)[:, None], status=e, ties="breslow")
    sup = model.loglike(np.array([-60.0]))
    assert 2 * (sup - model.loglike(np.array([np.log(c.ci_high)]))) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-6)
    assert c.p_value == pytest.approx(stats.chi2.sf(2 * (sup - model.loglike(np.array([0.0]))), 1), rel=1e-9)
    assert c.p_value < 1e-3
    # known answer: one event (day 100) with all 2n at risk: L(b) = 1 / (n + n e^b), so the upper limit solves
    # 2 ln(1 + e^b) = 3.841 (e^b = e^1.9207 - 1 = 5.83) and the likelihood-ratio statistic is 2 ln 2 (p 0.239)
    t1 = np.r_[100.0, np.full(2 * n - 1, 672.0)]
    e1 = np.r_[1, np.zeros(2 * n - 1, int)]
    c1 = hazard_ratio(t1, e1, arm, "x", "placebo")
    assert c1.estimate == 0.0 and c1.ci_high == pytest.approx(np.exp(stats.chi2.ppf(0.95, 1) / 2) - 1, rel=1e-6)
    assert c1.p_value == pytest.approx(stats.chi2.sf(2 * np.log(2), 1), rel=1e-9)
