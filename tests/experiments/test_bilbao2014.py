"""The seed-study experiments: design, metric definitions and target arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tregsim.experiments import bilbao2014 as b14
from tregsim.targets import targets_by_id


def test_every_required_experiment_is_defined():
    need = {"eae_vehicle", "eae_igf1", "eae_vehicle_treg_igf1r_ko", "eae_igf1_treg_igf1r_ko",
            "eae_vehicle_pan_t_igf1r_ko", "eae_igf1_pan_t_igf1r_ko", "eae_igf1_post_onset", "eae_severe_vehicle",
            "eae_severe_igf1"}
    assert need == set(b14.EAE_BY_ID)


def test_post_onset_arm_starts_its_pump_later():
    p = b14.EAE_BY_ID["eae_igf1_post_onset"].protocol("treg_only", 2, 1)
    assert p.regimens[0].start_day == b14.POST_ONSET_START_DAY and p.regimens[0].drug == "igf1"
    assert b14.EAE_BY_ID["eae_vehicle"].protocol("treg_only", 2, 1).regimens[0].drug == "placebo"


def test_course_days_known_answer():
    t = np.arange(0, 41.0)
    score = np.interp(t, [0, 10, 20, 30, 40], [0, 0, 3, 1, 0])
    # peak 3 at day 20; half-peak 1.5 crossed on the way down at day 20 + 1.5/0.2 = 27.5
    assert b14.course_days(t, score) == pytest.approx(27.5)
    assert math.isinf(b14.course_days(t, np.interp(t, [0, 20, 40], [0, 3, 3])))  # unresolved: fails any band


def test_in_vitro_teff_is_flat_and_treg_rises_with_concentration():
    d = b14.in_vitro("mouse", "treg_and_th17")
    assert np.all(np.diff(d["treg_fold_curve"]) >= 0) and d["treg_fold_curve"][0] == 1.0
    assert d["teff_fold_curve"] == [1.0] * len(d["concentrations_ng_ml"])


def test_target_arithmetic_known_answer():
    ex = {k: {"peak_score_mean": 3.0, "treg_cns_max": 100.0, "survival": 0.5, "incidence": 0.9,
              "onset_day_mean": 13.0, "peak_day": 17.0, "course_days": 30.0} for k in b14.EAE_BY_ID}
    ex["naive"] = {"treg_fraction_cd4": 0.1}
    ex["eae_igf1"].update(peak_score_mean=2.0, treg_cns_max=150.0)
    ex["eae_igf1_post_onset"]["peak_score_mean"] = 2.5
    ex["eae_igf1_treg_igf1r_ko"]["peak_score_mean"] = 3.1
    ex["eae_vehicle_pan_t_igf1r_ko"]["peak_score_mean"] = 1.5
    sim = b14.simulated_targets(ex)
    assert sim["lovett_timing"] == pytest.approx(0.5)
    assert sim["bilbao_treg_ko_effect"] == pytest.approx(0.1)
    assert sim["bilbao_spinal_treg_up"] == pytest.approx(1.5)
    assert sim["ditoro_pan_t_ko"] == pytest.approx(0.5)
    results = {r["id"]: r for r in b14.target_results(ex)}
    assert set(results) == set(targets_by_id("mouse_eae"))
    assert results["lovett_timing"]["pass"] and results["eae_peak_score"]["pass"]


def test_lovett_is_undefined_without_a_benefit():
    ex = {k: {"peak_score_mean": 3.0, "treg_cns_max": 1.0, "survival": 1.0, "incidence": 1.0,
              "onset_day_mean": 13.0, "peak_day": 17.0, "course_days": 30.0} for k in b14.EAE_BY_ID}
    ex["naive"] = {"treg_fraction_cd4": 0.1}
    assert math.isnan(b14.simulated_targets(ex)["lovett_timing"])


def test_in_vitro_folds_come_from_the_model_and_the_teff_check_can_fail():
    from tregsim.experiments.bilbao2014 import in_vitro

    base = in_vitro("mouse", "treg_and_th17")
    assert base["teff_fold"] == pytest.approx(1.0) and base["treg_fold"] > 1.2
    changed = in_vitro("mouse", "treg_and_th17", {"Emax_teff_prolif": 0.5})
    assert changed["teff_fold"] > 1.1  # the 0.9-1.1 check would fail
    assert in_vitro("mouse", "treg_and_th17", {"Emax_treg": 0.0})["treg_fold"] == pytest.approx(1.0)


def test_course_length_can_fail_above_the_run():
    import math

    import numpy as np

    from tregsim.experiments.bilbao2014 import course_days

    t = np.linspace(0, 40, 161)
    resolved = np.exp(-((t - 17) / 6) ** 2) * 3
    unresolved = np.where(t < 17, t / 17 * 3, 3.0 - (t - 17) * 0.02)
    assert 17 < course_days(t, resolved) < 40
    assert math.isinf(course_days(t, unresolved))  # not over by the end of the run: longer than any band
