"""The virtual RRMS population: the pieces with known answers, and the shipped population against the
placebo targets (in the fit and on fresh patients)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tregsim.trial.population import (
    MATCHED_TARGETS, POPULATION_PRIORS, VirtualPopulation, maxent_weights, population_outcomes, progressed,
    smooth_outcomes,
)


def test_priors_are_truncated_lognormals_inside_their_bounds():
    u = np.linspace(0.0005, 0.9995, 999)
    for p in POPULATION_PRIORS:
        x = p.from_unit(u)
        assert p.low <= x.min() and x.max() <= p.high, p.name
        assert np.all(np.diff(x) > 0)
        if p.low < p.median < p.high:
            assert x[499] == pytest.approx(p.median, rel=0.25)


def test_maxent_weights_meet_the_targets_and_stay_uniform_when_the_prior_already_does():
    rng = np.random.default_rng(0)
    g = rng.normal(size=(4000, 2))
    w, _ = maxent_weights(g - np.array([0.3, -0.2]), np.array([1e-4, 1e-4]))
    assert w.sum() == pytest.approx(1.0)
    assert w @ g[:, 0] == pytest.approx(0.3, abs=1e-3) and w @ g[:, 1] == pytest.approx(-0.2, abs=1e-3)
    # known answer: tilting a standard normal to mean m gives weights ~ exp(m x) (a shifted normal)
    x = g[:, 0]
    expected = np.exp(0.3 * x - 0.2 * g[:, 1])
    expected /= expected.sum()
    assert np.corrcoef(w, expected)[0, 1] > 0.999
    centred = g - g.mean(axis=0)
    w0, lam = maxent_weights(centred, np.array([0.1, 0.1]))
    assert np.allclose(w0, 1 / len(g)) and np.allclose(lam, 0)


def test_progression_counts_only_when_confirmed_twelve_weeks_later():
    t = np.arange(0.0, 731.0)
    none = np.zeros_like(t)
    assert progressed(t, {"edss": np.where(t >= 150, 3.0, 2.0), "relapse": none}, 730)
    assert not progressed(t, {"edss": np.where((t >= 150) & (t < 200), 3.0, 2.0), "relapse": none}, 730)
    assert not progressed(t, {"edss": np.where(t >= 150, 1.0, 0.0), "relapse": none}, 730)  # 1.5 needed from 0
    assert not progressed(t, {"edss": np.where(t >= 700, 4.0, 2.0), "relapse": none}, 730)  # no visit to confirm


def test_smoothing_averages_neighbours_and_k1_is_the_identity():
    rng = np.random.default_rng(1)
    logp = rng.normal(size=(500, 3))
    truth = 0.4 * np.exp(0.3 * logp[:, 0])
    counts = rng.poisson(truth * 2) / 2.0
    out = pd.DataFrame({c: counts for c in ["relapses_per_year", "relapse_free", "cdp", "gd_per_scan",
                                             "p_inactive_scan", "relapses", "relapse_weeks"]})
    same = smooth_outcomes(logp, out, 1)
    assert np.array_equal(same["relapses"], out["relapses"])
    sm = smooth_outcomes(logp, out, 20)
    assert np.mean((sm["relapses_per_year"] - truth) ** 2) < 0.5 * np.mean((counts - truth) ** 2)


def test_population_outcomes_take_relapse_duration_as_a_ratio_of_sums():
    t = pd.DataFrame({"relapses_per_year": [1.0, 0.0], "relapse_free": [0.0, 1.0], "cdp": [1.0, 0.0],
                      "gd_per_scan": [2.0, 0.0], "p_inactive_scan": [0.2, 1.0], "relapses": [2.0, 0.0],
                      "relapse_weeks": [8.0, 0.0]})
    o = population_outcomes(t)
    assert o["relapse_duration"] == 4.0 and o["placebo_arr_freedoms"] == 0.5 and o["placebo_cdp_24mo"] == 0.5


# --------------------------------------------------------------------------- the shipped population

#: Targets that fresh patients miss (open work, docs/trial.md): none since the priors were centred by the
#: prior predictive check (before it, fresh patients' 12-week CDP was 0.35 against 0.19-0.29).  A pin here
#: is (target id) -> (low, high) where the docs say the fresh value lies.
FRESH_KNOWN_MISSES: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module")
def shipped():
    return VirtualPopulation.load()


def test_shipped_population_meets_every_matched_placebo_target_in_the_fit_and_on_fresh_patients(shipped):
    """In the fit exactly; on fresh patients (new triggers, drawn from the weights) within sampling error."""
    results = {r["id"]: r for r in shipped.target_results()}
    n = shipped.validation_["n"]
    for tid in MATCHED_TARGETS:
        assert results[tid]["pass"], results[tid]
        # fresh patients are a sample of n: inside the band up to two standard errors of that sample
        fresh, t = shipped.validation_[tid], shipped.targets_[tid]
        if tid in ("placebo_relapse_free_24mo", "placebo_cdp_24mo", "untreated_inactive_first_scan"):
            se = math.sqrt(fresh * (1 - fresh) / n)
        elif tid == "placebo_arr_freedoms":
            se = math.sqrt(fresh / (n * shipped.years))
        else:
            se = 0.1 * fresh / math.sqrt(n / 100)
        if tid in FRESH_KNOWN_MISSES:
            lo, hi = FRESH_KNOWN_MISSES[tid]
            assert lo <= fresh <= hi, (tid, fresh)  # pinned where the docs say it is
            continue
        assert t.low - 2 * se <= fresh <= t.high + 2 * se, (tid, fresh, se)
    assert results["ms_blood_treg_fraction"]["pass"] is None  # not computable, said so
    assert shipped.ess_ > 100  # centred priors: the weights are not carried by a few tail candidates


def test_sampling_is_reproducible_and_respects_the_priors_bounds(shipped):
    a = shipped.sample(50, np.random.default_rng(3))
    b = shipped.sample(50, np.random.default_rng(3))
    assert a == b
    for p in POPULATION_PRIORS:
        assert all(p.low <= s[p.name] <= p.high for s in a)


def test_step_detector_fails_on_a_step_and_passes_a_smooth_fall():
    from tregsim.trial.population import largest_step

    x = np.linspace(1.0, 1.3, 13)
    assert largest_step(x, 0.8 / (1 + np.exp((x - 1.12) / 0.04))) < 0.25
    assert largest_step(x, np.where(x < 1.12, 0.8, 0.0)) > 0.9
    assert math.isnan(largest_step(x, np.zeros_like(x)))


def test_population_relapse_rate_falls_smoothly_as_treg_proliferation_rises(shipped):
    """Issue 10's knife-edge: the same 256 patients and triggers at every point.  The relapse rate must fall
    (within the noise of 256 patients: the model's relapse timing is sensitive to tiny perturbations, so
    pairing removes only part of it -- with 64 patients one point can swing by half) and without a step that
    removes most relapses at once; a single patient at its threshold (the review's finding) drops to zero
    within one such step.  Measured (docs/trial.md): +1% 0.84, +2% 0.90, +3% 0.62, +5% 0.47 of untreated."""
    from tregsim.trial.population import largest_step, relapse_rate_curve

    x = np.array([1.0, 1.02, 1.05, 1.1])
    curve = relapse_rate_curve(shipped, multipliers=x, n=256, years=1.0, seed=11)
    arr = curve["arr"].to_numpy()
    assert arr[0] > 0.2
    assert np.all(np.diff(arr) <= 0.05), arr
    assert arr[-1] < 0.5 * arr[0], arr
    assert largest_step(x, arr) < 0.6, arr


def test_population_relapse_rate_falls_gradedly_with_the_igf1_dose(shipped):
    """Issue 10 point 1 on the dose axis: the same 48 patients and triggers at every dose, IGF-1 SC every
    12 h for a year.  The rate must fall with the dose (within the noise of 48 patients) and without a
    step removing most relapses between neighbouring doses (a knife-edge patient loses all of them at once)."""
    from tregsim.trial.population import largest_step, relapse_rate_curve

    doses = np.array([0.0, 20.0, 40.0, 80.0])
    arr = relapse_rate_curve(shipped, doses_ug_kg=doses, n=48, years=1.0, seed=11)["arr"].to_numpy()
    assert arr[0] > 0.2
    assert np.all(np.diff(arr) <= 0.1), arr
    assert arr[-1] < 0.5 * arr[0], arr
    assert largest_step(doses, arr) < 0.6, arr


def test_a_trial_under_another_hypothesis_than_the_populations_is_refused(shipped):
    """Untreated patients differ between hypotheses (endogenous IGF-1 raises the Th17 share under
    treg_and_th17): a population is only valid under the hypothesis it was fitted under."""
    from tregsim.protocol import ProtocolError
    from tregsim.trial.design import load_trial
    from tregsim.trial.run import run_trial

    other = next(h for h in ("treg_only", "treg_and_th17") if h != shipped.hypothesis)
    trial = load_trial("rrms-igf1-trial").model_copy(update={"hypothesis": other})
    with pytest.raises(ProtocolError, match="hypothesis"):
        run_trial(trial, patients=2, population=shipped, report=False)


@pytest.mark.parametrize("hypothesis", ["treg_and_th17", "treg_only"])
def test_a_population_fitted_under_each_hypothesis_is_shipped(hypothesis):
    """Trials under either hypothesis, and the assurance draws, need a population fitted under it."""
    from tregsim.trial.population import POPULATION_HYPOTHESES, default_population

    assert hypothesis in POPULATION_HYPOTHESES
    pop = default_population(hypothesis)
    assert pop.hypothesis == hypothesis
    assert all(r["pass"] for r in pop.target_results() if r["id"] in MATCHED_TARGETS)
