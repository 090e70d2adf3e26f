"""The cohort solver agrees with the reference solver subject by subject."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import IGF1_PUMP, human_protocol, mouse_protocol
from tregsim.model.subject import build_subject
from tregsim.solve.batch import CohortSolver, ScheduleMismatch
from tregsim.solve.reference import ReferenceSolver


@pytest.mark.parametrize("knockouts", [[], ["pan_t_igf1r"]])
def test_cohort_matches_reference(knockouts):
    proto = mouse_protocol(regimens=[IGF1_PUMP], animals=4, knockouts=knockouts, duration_days=30)
    subjects = [build_subject(proto, i, seed=9) for i in range(4)]
    t = np.linspace(0, 30, 61)
    ref = np.stack([ReferenceSolver(rtol=1e-10).solve(s, t) for s in subjects])
    got = CohortSolver(rtol=1e-8).solve(subjects, t)
    scale = np.maximum(np.abs(ref).max(axis=1, keepdims=True), 1e-9)
    assert np.max(np.abs(got - ref) / scale) < 1e-5


def test_subjects_with_different_triggers_are_refused():
    proto = human_protocol(subjects=2, duration_days=60)
    subjects = [build_subject(proto, i, seed=1) for i in range(2)]
    with pytest.raises(ScheduleMismatch):
        CohortSolver().solve(subjects, np.linspace(0, 60, 5))
