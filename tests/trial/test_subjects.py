"""A trial's patient built once untreated, then given an arm's doses, is the subject build_subject makes."""

from __future__ import annotations

import numpy as np

from tregsim.model.subject import build_subject
from tregsim.trial.design import arm_protocol, parse_trial
from tregsim.trial.subjects import base_subjects, truncated, with_regimens

TRIAL = {"kind": "trial", "population": {"size": 2, "inclusion": {"no_relapse_within_days": 14}},
         "treatment_weeks": 4, "arms": [{"name": "placebo"}, {"name": "igf1", "regimens": [
             {"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12},
             {"drug": "igf1", "route": "iv", "dose": 10, "dose_unit": "ug/kg/h", "start_day": 7, "stop_day": 9}]}]}


def test_arm_subject_equals_build_subject_of_the_arm_protocol():
    arm = arm_protocol(parse_trial(TRIAL), 1)
    overrides = {"burn_in_days": 20.0, "aR": 0.27}
    derived = with_regimens(base_subjects(arm, [5], 123, [overrides])[0], arm)
    direct = build_subject(arm, 5, 123, overrides=overrides)
    assert sorted(derived.schedule.boluses, key=lambda b: (b.time, b.state)) == sorted(
        direct.schedule.boluses, key=lambda b: (b.time, b.state))
    assert derived.schedule.infusions == direct.schedule.infusions
    assert derived.schedule.igf1_dosed == direct.schedule.igf1_dosed
    np.testing.assert_array_equal(derived.y0, direct.y0)
    np.testing.assert_array_equal(derived.p, direct.p)
    assert derived.t_end == direct.t_end == arm.duration_days and derived.seed == direct.seed
    doses = [b for b in derived.schedule.boluses if b.state == "igf1_depot_sc"]
    assert doses[0].time == 14.0 and len(doses) == 57  # from enrolment (after 2 weeks of screening), every 12 h
    assert truncated(derived, 14.0).t_end == 14.0
