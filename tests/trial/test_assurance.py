"""Assurance (tregsim.trial.assurance and run_trial's assurance hook): the rule's known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tregsim.trial.assurance import (UncertainParameter, WithParameters, draw_scenarios, hypothesis_weights,
                                     pd_uncertainty, scenario_seed)
from tregsim.trial.population_api import TablePopulation, population_fingerprint


def test_hypothesis_weights_follow_exp_minus_half_chi2():
    w = hypothesis_weights(("a", "b"), chi2={"a": 10.0, "b": 12.0})
    assert w["a"]["weight"] == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert w["a"]["weight"] + w["b"]["weight"] == pytest.approx(1.0)
    assert hypothesis_weights(("a", "b"), chi2={"a": 3.0, "b": 3.0})["b"]["weight"] == pytest.approx(0.5)


def test_truncated_lognormal_draws_stay_in_bounds_around_the_value():
    u = UncertainParameter("EC50_treg", 20.0, 0.5, 5.0, 60.0, "ng/mL", "test")
    rng = np.random.default_rng(1)
    x = np.array([u.draw(rng) for _ in range(4000)])
    assert x.min() >= 5.0 and x.max() <= 60.0
    assert np.median(x) == pytest.approx(20.0, rel=0.06)
    wide = UncertainParameter("Emax_treg", 1.0, 0.3, 1e-6, 1e6, "1", "test")
    y = np.log([wide.draw(rng) for _ in range(4000)])
    assert y.std() == pytest.approx(0.3, rel=0.06)
    assert UncertainParameter("x", 2.0, 0.0, 1.0, 3.0, "1", "fixed").draw(rng) == 2.0


def test_pd_uncertainty_draws_the_th17_pair_only_under_treg_and_th17():
    names = {h: [u.name for u in pd_uncertainty(h)] for h in ("treg_and_th17", "treg_only")}
    assert names["treg_and_th17"] == ["EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff"]
    assert names["treg_only"] == ["EC50_treg", "Emax_treg"]
    for u in pd_uncertainty("treg_and_th17"):
        assert u.sd_log > 0 and u.low <= u.value <= u.high


def test_with_parameters_adds_the_draws_parameters_to_every_patient():
    base = TablePopulation({"aR": 0.27})
    src = WithParameters(base, {"EC50_treg": 30.0})
    assert src.sample(3, np.random.default_rng(0)) == [{"aR": 0.27, "EC50_treg": 30.0}] * 3
    assert population_fingerprint(src) != population_fingerprint(WithParameters(base, {"EC50_treg": 31.0}))


def test_draws_follow_the_hypothesis_weights_and_are_reproducible():
    pops = {"treg_and_th17": TablePopulation(), "treg_only": TablePopulation()}
    weights = {"treg_and_th17": {"weight": 0.7, "mouse_chi2": 0.0}, "treg_only": {"weight": 0.3, "mouse_chi2": 1.7}}
    sc, record = draw_scenarios(400, seed=5, populations=pops, weights=weights)
    share = np.mean([s.hypothesis == "treg_only" for s in sc])
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 400)
    again, _ = draw_scenarios(400, seed=5, populations=pops, weights=weights)
    assert [s.parameters for s in sc] == [s.parameters for s in again]
    assert len({s.seed for s in sc}) == 400 and sc[0].seed == scenario_seed(5, 0)
    assert all(s.replicates == 1 for s in sc) and "exp(-chi2/2)" in record["rule"]
    assert all(("EC50_teff" in s.parameters) == (s.hypothesis == "treg_and_th17") for s in sc)


TINY = {"kind": "trial", "species": "human", "disease": "rrms", "population": {"size": 6}, "design": "parallel",
        "treatment_weeks": 8, "mri_every_weeks": 4,
        "arms": [{"name": "placebo", "regimens": []},
                 {"name": "igf1", "regimens": [{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg",
                                                "every_hours": 12}]}],
        "endpoints": ["gd_lesions_per_scan"], "replicates": 2, "seed": 9}


def test_assurance_over_copies_of_the_point_scenario_equals_power():
    """Scenarios that are the trial itself (same population, hypothesis and seed) must give assurance = power;
    the expected-power curve is a probability at every N."""
    from tregsim.trial.design import parse_trial
    from tregsim.trial.run import Scenario, run_trial

    pop = TablePopulation({"aR": 0.27})
    trial = parse_trial(TINY)
    result = run_trial(trial, population=pop, report=False,
                       scenarios=[Scenario(1.0, pop), Scenario(3.0, pop)])
    s = result.summary
    assert s["assurance"]["gd_lesions_per_scan"] == pytest.approx(s["power"]["gd_lesions_per_scan"])
    curve = s["assurance_curve"]["igf1"]["gd_lesions_per_scan"]
    assert 6 in curve["n"] and all(0.0 <= a <= 1.0 for a in curve["assurance"])
    assert s["assurance_draws"] == 2 and 0.0 <= s["assurance_se"]["gd_lesions_per_scan"] <= 0.5
