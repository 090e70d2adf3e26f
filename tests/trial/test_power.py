"""Power against N: the scaling method and the resampling check against the analytic two-means power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tregsim.trial.power import benefit_z, n_for_power, resampled_power, scaled_curve
from tregsim.trial.statistics import Comparison, analytic_power_two_means, mean_difference, relapse_rate_ratio

DELTA, SD = 0.3, 1.0


@pytest.fixture(scope="module")
def pooled():
    """A large simulated pool: two arms of normal outcomes, the treated arm 0.3 SD lower (lower is better)."""
    rng = np.random.default_rng(11)
    n = 20000
    arm = np.repeat(["placebo", "drug"], n)
    values = rng.normal(0.0, SD, 2 * n) - np.where(arm == "drug", DELTA, 0.0)
    return values, arm, n


def test_scaling_curve_matches_the_analytic_two_means_power(pooled):
    values, arm, n = pooled
    c = mean_difference(values, arm, "drug", "placebo", "edss_change")
    curve = scaled_curve(c, n, "below", grid=np.array([25, 50, 100, 200, 400]))
    for n_i, p in zip(curve.n, curve.power):
        assert p == pytest.approx(analytic_power_two_means(DELTA, SD, n_i), abs=0.03)
    analytic_n80 = 2 * ((1.959964 + 0.841621) * SD / DELTA) ** 2  # 174.4
    assert abs(curve.n_for_80 - analytic_n80) / analytic_n80 < 0.08
    assert analytic_power_two_means(DELTA, SD, curve.n_for_80) >= 0.78


def test_resampling_check_agrees_with_the_analytic_power(pooled):
    values, arm, _ = pooled
    treated, control = values[arm == "drug"], values[arm == "placebo"]

    def trial_at(n, rng):
        v = np.concatenate([rng.choice(treated, n), rng.choice(control, n)])
        return mean_difference(v, np.repeat(["drug", "placebo"], n), "drug", "placebo", "edss_change")

    p = resampled_power(trial_at, 100, 300, "below", seed=3)
    assert p == pytest.approx(analytic_power_two_means(DELTA, SD, 100), abs=0.08)
    assert resampled_power(trial_at, 100, 50, "below", seed=3) == resampled_power(trial_at, 100, 50, "below", seed=3)


def test_direction_of_benefit_and_no_effect():
    harm = Comparison("annualized_relapse_rate", "x", "placebo", 1.3, 1.1, 1.5, 0.001, "negative binomial rate ratio", 9, 9)
    good = Comparison("annualized_relapse_rate", "x", "placebo", 0.7, 0.6, 0.8, 0.001, "negative binomial rate ratio", 9, 9)
    assert benefit_z(harm, "below") < 0 < benefit_z(good, "below")
    assert n_for_power(benefit_z(harm, "below"), 100) is None
    assert scaled_curve(harm, 100, "below").power[-1] < 0.05
    up = Comparison("treg_blood_fold", "x", "placebo", 0.2, 0.1, 0.3, 0.001, "difference of means (OLS, HC3)", 9, 9)
    assert benefit_z(up, "above") > 0 and n_for_power(benefit_z(up, "above"), 100) < 100


def test_rate_ratio_curve_is_monotone_and_consistent_with_its_z():
    rng = np.random.default_rng(5)
    n = 3000
    arm = np.repeat(["placebo", "drug"], n)
    counts = rng.poisson(np.where(arm == "drug", 0.3, 0.4) * 2 * rng.gamma(2, 0.5, 2 * n))
    c = relapse_rate_ratio(counts, np.full(2 * n, 2.0), arm, "drug", "placebo")
    curve = scaled_curve(c, n, "below")
    assert np.all(np.diff(curve.power) > 0) and curve.n_for_80 is not None
    i = curve.n.index(n)
    assert curve.power[i] == pytest.approx(float(stats.norm.cdf(benefit_z(c, "below") - 1.959964)), abs=1e-6)
