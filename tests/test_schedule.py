"""Schedules: events closer than SAME_INSTANT are one breakpoint, so no stretch is too short to integrate."""

from __future__ import annotations

import numpy as np

import tregsim
from tests.conftest import human_protocol
from tregsim.schedule import SAME_INSTANT, Bolus, Infusion, Schedule, segments


def test_bolus_times_that_differ_by_rounding_share_one_breakpoint():
    s = Schedule(boluses=[Bolus(1.0, "igf1_free", 1.0), Bolus(1.0 + 1e-14, "igf1_free", 2.0)])
    segs = list(segments(s, 3.0, np.array([0.0, 3.0])))
    assert [g.t0 for g in segs] == [0.0, 1.0, 3.0]
    assert sum(b.amount for b in segs[1].boluses) == 3.0
    assert min(g.t1 - g.t0 for g in segs if g.t1 is not None) > 0.5


def test_an_infusion_starting_a_rounding_error_after_a_dose_is_on_from_that_dose():
    s = Schedule(boluses=[Bolus(2.0, "igf1_free", 1.0)], infusions=[Infusion(2.0 + 1e-13, 4.0, "rate_igf1_iv", 5.0)])
    segs = {g.t0: g for g in segments(s, 6.0, np.array([0.0, 6.0]))}
    assert set(segs) == {0.0, 2.0, 4.0, 6.0}
    assert segs[2.0].inputs["rate_igf1_iv"] == 5.0 and segs[4.0].inputs["rate_igf1_iv"] == 0.0


def test_the_run_end_and_start_are_never_moved():
    s = Schedule(boluses=[Bolus(1e-13, "igf1_free", 1.0), Bolus(5.0 - 1e-13, "igf1_free", 1.0)])
    segs = list(segments(s, 5.0, np.array([0.0, 5.0])))
    assert [g.t0 for g in segs] == [0.0, 5.0] and segs[-1].t1 is None
    assert len(segs[0].boluses) == 1 and len(segs[-1].boluses) == 1


def test_distinct_events_stay_distinct():
    gap = 100 * SAME_INSTANT
    s = Schedule(boluses=[Bolus(1.0, "igf1_free", 1.0), Bolus(1.0 + gap, "igf1_free", 1.0)])
    assert len(list(segments(s, 2.0, np.array([0.0, 2.0])))) == 4


def test_two_regimens_whose_doses_coincide_up_to_rounding_solve():
    """Was 'step size underflow' on day 3.408: a dose every 5 h from 0.7 d and one every 1.1 h from 0.2 d."""
    regs = [dict(drug="igf1", route="sc", dose=40, dose_unit="ug/kg", every_hours=5, start_day=0.7),
            dict(drug="igf1", route="sc", dose=40, dose_unit="ug/kg", every_hours=1.1, start_day=0.2),
            dict(drug="igf1", route="sc", dose=40, dose_unit="ug/kg", every_hours=12, start_day=0.5 + 1e-14)]
    res = tregsim.simulate(human_protocol(disease="healthy", duration_days=5, regimens=regs), seed=1)
    assert not res.failures
