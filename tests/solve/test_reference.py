"""Reference solver: IGF-1 mass balance, endogenous baseline, exact dose times, solver agreement."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import IGF1_PUMP, human_protocol, mouse_protocol
from tregsim.model.definition import IGF1_BODY_STATES, STATE_INDEX
from tregsim.model.subject import build_subject
from tregsim.solve.reference import ReferenceSolver


def _body(y):
    return sum(y[..., STATE_INDEX[s]] for s in IGF1_BODY_STATES)


@pytest.mark.parametrize("regimen", [
    dict(drug="igf1", route="sc", dose=80, dose_unit="ug/kg", every_hours=12, start_day=0.3, stop_day=10),
    dict(drug="igf1", route="iv", dose=9, dose_unit="ug/kg/h", start_day=1, stop_day=1.052),
    dict(drug="igf1", route="ip", dose=0.5, dose_unit="mg/kg", every_hours=24, start_day=0, stop_day=5),
])
def test_igf1_mass_balance_over_repeated_dosing(regimen):
    """dosed + produced = eliminated + change in the body, to 1e-6 relative."""
    proto = human_protocol(disease="healthy", duration_days=14, regimens=[regimen])
    subj = build_subject(proto, 0, seed=1)
    t = np.linspace(0, 14, 57)
    y = ReferenceSolver().solve(subj, t)
    produced = subj.values["ksyn"] * t[-1]
    absorbed = subj.schedule.igf1_dosed - subj.schedule.igf1_presystemic_loss
    eliminated = y[-1, STATE_INDEX["igf1_eliminated"]] - y[0, STATE_INDEX["igf1_eliminated"]]
    gained = _body(y[-1]) - _body(subj.y0)
    assert subj.schedule.igf1_dosed > 0
    assert absorbed + produced == pytest.approx(eliminated + gained, rel=1e-6)


def test_mass_balance_mouse_minipump():
    proto = mouse_protocol(regimens=[IGF1_PUMP], animals=1)
    subj = build_subject(proto, 0, seed=2)
    t = np.linspace(0, 30, 31)
    y = ReferenceSolver().solve(subj, t)
    assert subj.schedule.igf1_dosed == pytest.approx(1000.0 * 28)  # 1 mg/kg/day for 28 days, ug/kg
    produced = subj.values["ksyn"] * 30
    eliminated = y[-1, STATE_INDEX["igf1_eliminated"]]
    assert subj.schedule.igf1_dosed + produced == pytest.approx(eliminated + _body(y[-1]) - _body(subj.y0), rel=1e-6)


@pytest.mark.parametrize("disease", ["healthy", "igfd", "rrms"])
def test_without_drug_pk_stays_at_endogenous_baseline(disease):
    proto = human_protocol(disease=disease, duration_days=30)
    subj = build_subject(proto, 0, seed=3)
    y = ReferenceSolver().solve(subj, np.linspace(0, 30, 31))
    for s in ("igf1_free", "igf1_bound", "igf1_depot_sc"):
        assert np.allclose(y[:, STATE_INDEX[s]], subj.y0[STATE_INDEX[s]], rtol=1e-7, atol=1e-10), s


def test_dose_times_are_resolved_exactly_off_grid():
    """A bolus between grid points is applied at its own time: the depot jumps by the dose there."""
    reg = dict(drug="igf1", route="sc", dose=40, dose_unit="ug/kg", start_day=0.37)
    proto = human_protocol(disease="healthy", duration_days=1, regimens=[reg])
    subj = build_subject(proto, 0, seed=1)
    t = np.array([0.0, 0.37, 0.37 + 1e-9, 0.5, 1.0])
    y = ReferenceSolver().solve(subj, t)
    depot = y[:, STATE_INDEX["igf1_depot_sc"]]
    assert depot[0] == 0.0 and depot[1] == 0.0  # an observation at the dose time is pre-dose
    assert depot[2] == pytest.approx(40.0, rel=1e-6)  # and the dose is in just after it
    ka = subj.values["ka_sc"]
    assert depot[3] == pytest.approx(40.0 * np.exp(-ka * 0.13), rel=1e-6)  # first-order absorption, exact


def test_lsoda_agrees_with_radau_on_a_disease_course(igf1_pump):
    proto = mouse_protocol(regimens=[igf1_pump], animals=1)
    subj = build_subject(proto, 0, seed=5)
    t = np.linspace(0, 30, 31)
    a = ReferenceSolver(method="LSODA").solve(subj, t)
    b = ReferenceSolver(method="Radau", rtol=1e-10).solve(subj, t)
    scale = np.maximum(np.abs(b).max(axis=0), 1e-9)
    assert np.max(np.abs(a - b) / scale) < 1e-4
