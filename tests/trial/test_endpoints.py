"""Endpoints on hand-made trajectories with known answers: relapse onsets, scans, EDSS scoring, 12-week CDP."""

from __future__ import annotations

import numpy as np
import pytest

from tregsim.trial.design import parse_trial
from tregsim.trial.endpoints import (Trajectory, cdp_threshold, confirmed_progression, eligible, patient_row,
                                     relapse_onsets, score_edss, screening_row)
from tregsim.trial.streams import lesion_counts, replicate_seed, scan_rng
from tregsim.trial.timeline import Timeline


def _trial(**kw):
    base = {"kind": "trial", "population": {"size": 2}, "treatment_weeks": 24, "mri_every_weeks": 4,
            "edss_every_weeks": 12, "arms": [{"name": "placebo"}, {"name": "x", "regimens": []}], "control": "placebo"}
    base.update(kw)
    return parse_trial(base)


def test_edss_scores_are_the_scale_steps():
    x = [0.0, 0.4, 0.6, 1.24, 1.26, 5.74, 9.9, 10.0]
    assert score_edss(x).tolist() == [0.0, 0.0, 1.0, 1.0, 1.5, 5.5, 10.0, 10.0]
    assert score_edss(0.5).tolist() == [0.0]  # a tie goes to the lower score (there is no 0.5)


@pytest.mark.parametrize("baseline, threshold", [(0.0, 1.5), (1.0, 1.0), (5.5, 1.0), (6.0, 0.5), (8.5, 0.5)])
def test_progression_thresholds(baseline, threshold):
    assert cdp_threshold(baseline) == threshold


def test_relapse_onsets_count_0_to_1_transitions_inside_the_window():
    t = np.arange(10.0)
    r = np.array([0, 0, 1, 1, 0, 0, 1, 0, 1, 1])
    assert relapse_onsets(t, r, 0, 9).tolist() == [2.0, 6.0, 8.0]
    assert relapse_onsets(t, r, 3, 9).tolist() == [6.0, 8.0]  # the relapse under way at day 3 is not counted
    assert relapse_onsets(t, r, 2, 7).tolist() == [6.0]  # an onset at the window's start belongs to the one before
    assert relapse_onsets(t, np.ones(10), 0, 9).size == 0


VISITS = np.array([0.0, 84.0, 168.0, 252.0])
CALM = np.zeros(4, bool)


@pytest.mark.parametrize("scores, relapsing, event, days", [
    ([2, 3, 3, 3], CALM, True, 84.0),              # +1.0 from 2.0, confirmed 12 weeks later
    ([2, 3, 2, 2], CALM, False, 252.0),            # not sustained: unconfirmed, censored at the last visit
    ([2, 2, 2, 3], CALM, False, 252.0),            # at the last visit: nothing left to confirm it
    ([2, 2.5, 2.5, 2.5], CALM, False, 252.0),      # +0.5 from 2.0 is not progression
    ([0, 1, 1, 1], CALM, False, 252.0),            # from 0, +1.0 is not enough (1.5 needed)
    ([0, 1.5, 1.5, 1.0], CALM, True, 84.0),        # from 0, +1.5 confirmed
    ([6, 6.5, 6.5, 6.5], CALM, True, 84.0),        # above 5.5, +0.5 suffices
    ([5.5, 6, 6, 6], CALM, False, 252.0),          # at 5.5, +1.0 is still needed
    ([2, 3, 3, 3], np.array([0, 0, 1, 0], bool), True, 168.0),  # confirmation visit in a relapse does not confirm
])
def test_confirmed_progression(scores, relapsing, event, days):
    assert confirmed_progression(VISITS, np.array(scores, float), relapsing) == (event, days)


def test_confirmation_needs_every_visit_in_between():
    visits = np.arange(7) * 28.0  # 4-weekly visits: confirmation at the first visit >= 12 weeks later
    scores = np.array([2, 3, 2.5, 3, 3, 3, 3.0])
    assert confirmed_progression(visits, scores, np.zeros(7, bool)) == (True, 84.0)


def test_lesion_counts_are_integer_poisson_draws_from_the_expectation():
    mu = 1.3
    draws = np.concatenate([lesion_counts(np.full(5, mu), np.arange(1, 6) * 28.0, 7, 0, k) for k in range(800)])
    assert draws.dtype.kind == "i" and draws.min() >= 0
    assert abs(draws.mean() - mu) < 4 * np.sqrt(mu / draws.size)
    assert abs(draws.var() - mu) < 0.15  # Poisson: variance = mean
    # a scan's count depends only on (seed, replicate, candidate, scan day): not on which other scans are read
    one = lesion_counts(np.array([mu]), np.array([84.0]), 7, 0, 3)
    many = lesion_counts(np.full(5, mu), np.arange(1, 6) * 28.0, 7, 0, 3)
    assert one[0] == many[2] == scan_rng(7, 0, 3, 84.0).poisson(mu)
    assert replicate_seed(7, 0) != replicate_seed(7, 1)


def _trajectory(tl: Timeline, relapse_days=(), edss=None, gd=0.8) -> Trajectory:
    t = tl.grid
    rel = np.zeros_like(t)
    for a, b in relapse_days:
        rel[(t >= a) & (t < b)] = 1.0
    edss = np.full_like(t, 2.0) if edss is None else edss(t)
    treg = 1.0 + t / 100.0
    return Trajectory(t, rel, np.full_like(t, gd), edss, treg)


def test_patient_row_on_a_hand_made_trajectory():
    tl = Timeline.of(_trial())
    assert tl.treatment_scans.tolist() == [28.0 * k for k in range(1, 7)] and tl.visits.tolist() == [0, 84, 168]
    # relapses at days 10 and 100 (and one under way at day 0, which is not counted); EDSS 2 -> 3 from day 80
    traj = _trajectory(tl, [(0, 5), (10, 20), (100, 130)], edss=lambda t: np.where(t >= 80, 3.1, 2.1))
    row = patient_row(traj, tl, seed=1, replicate=0, candidate=4)
    assert row["relapses"] == 2 and row["years"] == pytest.approx(168 / 365.25)
    assert row["annualized_relapse_rate"] == pytest.approx(2 / (168 / 365.25))
    scans = [row[f"lesions_w{w}"] for w in (4, 8, 12, 16, 20, 24)]
    assert all(isinstance(c, int) for c in scans) and row["lesions"] == sum(scans) and row["scans"] == 6
    assert row["gd_lesions_per_scan"] == pytest.approx(sum(scans) / 6) and "lesions_w0" in row
    assert (row["edss_start"], row["edss_end"], row["edss_change"]) == (2.0, 3.0, 1.0)
    assert row["edss_change_continuous"] == pytest.approx(1.0)
    # visit at day 84 is 3.0 (+1.0) and in no relapse at day 168: confirmed progression with onset at day 84
    assert row["cdp_event"] and row["cdp_days"] == 84.0 and row["edss_w12"] == 3.0
    assert row["treg_blood_fold"] == pytest.approx((1 + 168 / 100) / 1.0)


def test_baseline_period_has_its_own_columns():
    trial = _trial(design="baseline_vs_treatment", baseline_weeks=8, arms=[{"name": "x"}], control=None)
    tl = Timeline.of(trial)
    assert tl.treatment_start == 56 and tl.baseline_scans.tolist() == [28.0, 56.0]
    assert tl.treatment_scans[0] == 84.0  # the scan ending the baseline is not counted again
    row = patient_row(_trajectory(tl, [(30, 40)]), tl, 1, 0, 0)
    assert row["relapses_baseline"] == 1 and row["relapses"] == 0 and row["scans_baseline"] == 2
    assert row["years_baseline"] == pytest.approx(56 / 365.25)
    assert row["treg_blood_fold_baseline"] == pytest.approx(1.56 / 1.0)


def test_screening_reads_the_history_before_enrolment():
    trial = _trial(population={"size": 2, "inclusion": {"edss_max": 3.0, "relapses_prior_year_min": 1,
                                                        "no_relapse_within_days": 30, "gd_lesions_per_month_min": 0}})
    tl = Timeline.of(trial)
    assert tl.enrolment == 364 and tl.screening_scans[-1] == 364 and len(tl.screening_scans) == 14
    traj = _trajectory(tl, [(100, 110)])
    row = screening_row(traj, tl, 1, 0, 0)
    assert row["relapses_prior_year"] == 1 and row["days_since_relapse"] == 364 - 109
    assert row["edss_screening"] == 2.0 and row["screening_scans"] == 14
    assert eligible(row, trial.population.inclusion)
    recent = screening_row(_trajectory(tl, [(350, 352)]), tl, 1, 0, 0)
    assert not eligible(recent, trial.population.inclusion)  # a relapse 13 days before enrolment
    none = screening_row(_trajectory(tl), tl, 1, 0, 0)
    assert none["relapses_prior_year"] == 0 and not eligible(none, trial.population.inclusion)
    high = screening_row(_trajectory(tl, [(100, 110)], edss=lambda t: np.full_like(t, 3.4)), tl, 1, 0, 0)
    assert high["edss_screening"] == 3.5 and not eligible(high, trial.population.inclusion)


def test_blood_treg_fold_is_measured_with_the_sampling_error_of_two_blood_draws():
    """Each blood sample carries a log-normal error (``treg_blood_sd_log``, from MS-IL2's placebo IQR 0.95-1.05):
    on a flat trajectory the fold's median is 1 and its IQR that of the placebo arm; the same sample (same
    candidate, same day) is the same number wherever it is read; sd 0 measures the model's level exactly."""
    from tregsim.model.parameters import resolve
    from tregsim.trial.streams import measured_blood_treg

    sd = resolve("human", "rrms")["treg_blood_sd_log"]
    tl = Timeline.of(_trial())
    flat = Trajectory(tl.grid, np.zeros_like(tl.grid), np.zeros_like(tl.grid), np.full_like(tl.grid, 2.0),
                      np.ones_like(tl.grid))
    folds = np.array([patient_row(flat, tl, 7, 0, k, sd)["treg_blood_fold"] for k in range(400)])
    assert np.median(folds) == pytest.approx(1.0, abs=0.02)
    q1, q3 = np.percentile(folds, [25, 75])
    assert 0.93 <= q1 <= 0.97 and 1.03 <= q3 <= 1.07  # Louapre 2023 placebo: 0.95-1.05
    assert patient_row(flat, tl, 7, 0, 3, sd)["treg_blood_fold"] == folds[3]
    assert measured_blood_treg(np.array([2.0]), np.array([tl.treatment_end]), sd, 7, 0, 3)[0] == pytest.approx(
        2.0 * patient_row(flat, tl, 7, 0, 3, sd)["treg_blood_fold"]
        * measured_blood_treg(np.array([1.0]), np.array([tl.treatment_start]), sd, 7, 0, 3)[0])
    assert patient_row(flat, tl, 7, 0, 3)["treg_blood_fold"] == 1.0
