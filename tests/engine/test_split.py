"""The split solve: the drug subsystem derived from the definition, solved once per group of subjects, and
the immune system forced by it; the same answers as the coupled system, whatever the company."""

from __future__ import annotations

import numpy as np

from tregsim.engine.ensemble import EnsembleSolver
from tregsim.engine.packing import _by_segments, breakpoint_arrays
from tregsim.engine.split import group_key
from tregsim.engine.structure import partition, state_dependencies
from tregsim.model.definition import PK_STATES, STATE_INDEX, STATES
from tregsim.model.subject import build_subject
from tregsim.protocol import parse_protocol
from tregsim.schedule import SAME_INSTANT, Bolus, Infusion, Schedule
from tregsim.simulate import output_grid


def test_the_drug_subsystem_is_closed_and_derived_from_the_rates():
    part = partition()
    deps = state_dependencies()
    drug = set(part.drug)
    assert drug.isdisjoint(part.immune) and drug | set(part.immune) == set(range(len(STATES)))
    for i in part.drug:  # a drug state reads drug states only: the coupling is one-way
        assert deps[i] <= drug, STATES[i].name
    assert all(STATES[i].unit != "cells" for i in part.drug)
    assert {STATE_INDEX[n] for n in PK_STATES} <= drug  # today's PK and glucose states are in it
    assert STATE_INDEX["igf1_free"] in part.coupling
    assert set(part.coupling) <= drug and all(any(c in deps[i] for i in part.immune) for c in part.coupling)


def _protocol(regimens: list[dict], days: float = 90) -> object:
    return parse_protocol({"kind": "simulation", "species": "human", "disease": "rrms", "duration_days": days,
                           "subjects": 4, "regimens": regimens}, "t")


def test_subjects_on_different_regimens_in_one_call_match_each_alone_and_the_coupled_system():
    sc = _protocol([{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12}])
    iv = _protocol([{"drug": "igf1", "route": "iv", "dose": 20, "dose_unit": "ug/kg", "every_hours": 24,
                     "start_day": 10, "stop_day": 40}])
    none = _protocol([])
    grid = output_grid(sc)
    subjects = [build_subject(sc, 0, 7), build_subject(iv, 1, 7), build_subject(none, 2, 7), build_subject(sc, 3, 7)]
    part = partition()
    assert len({group_key(s, part) for s in subjects}) == 3  # the two SC patients share one drug solve
    together, status, _ = EnsembleSolver().solve_many(subjects, grid)
    assert np.all(status == 0)
    coupled, *_ = EnsembleSolver(split=False).solve_many(subjects, grid)
    for k, sub in enumerate(subjects):
        alone, *_ = EnsembleSolver(parallel=False).solve_many([sub], grid)
        np.testing.assert_array_equal(together[k], alone[0])
        scale = np.maximum(np.abs(coupled[k]).max(axis=0), 1e-6)
        assert np.max(np.abs(together[k] - coupled[k]) / scale) <= 1e-4, k


def test_a_failed_drug_solve_fails_its_group_with_a_status():
    proto = _protocol([{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12}], 20)
    subjects = [build_subject(proto, i, 1) for i in range(2)]
    out, status, stats = EnsembleSolver(max_steps=50).solve_many(subjects, output_grid(proto))
    assert np.all(status != 0) and np.isnan(out).all()


def test_packed_breakpoints_are_the_reference_segments():
    rng = np.random.default_rng(3)
    t_out = np.arange(0.0, 30.0 + 1e-9, 0.5)
    every = tuple(range(len(STATES)))
    col = {s.name: i for i, s in enumerate(STATES)}
    for trial in range(30):
        times = np.sort(rng.uniform(0, 32, 12))
        if trial % 3 == 1:  # events closer than SAME_INSTANT, merged into one instant
            times[4] = times[3] + 0.3 * SAME_INSTANT
        if trial % 3 == 2:
            times[0] = 0.0  # on an anchor
        boluses = [Bolus(float(t), ("teff_resting", "igf1_depot_sc", "igf1_free")[k % 3], float(k + 1))
                   for k, t in enumerate(times)]
        infusions = [Infusion(2.0, 9.5, "rate_igf1_sc", 3.0), Infusion(5.0, 40.0, "rate_igf1_iv", 1.5)]
        sched = Schedule(boluses=boluses, infusions=infusions)
        fast = breakpoint_arrays(sched, 30.0, t_out, every)
        exact = _by_segments(sched, 30.0, t_out, col, len(every))
        for a, b in zip(fast, exact):
            np.testing.assert_array_equal(a, b)


def test_auto_takes_dop853_until_the_first_dose_and_dp45_after():
    """'auto': an undosed subject is DOP853's; a subject dosed from day 20 is, before day 20, the same subject
    undosed, bit for bit (the prefix property), and from its first dose on close to DP45's; dosed from day 0
    it is DP45's."""
    late = _protocol([{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12,
                       "start_day": 20}], 40)
    sc = _protocol([{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12}], 40)
    none = _protocol([], 40)
    grid = output_grid(sc)
    subjects = [build_subject(sc, 0, 7), build_subject(none, 1, 7), build_subject(none, 2, 7),
                build_subject(late, 1, 7)]
    auto, status, _ = EnsembleSolver(immune_method="auto").solve_many(subjects, grid)
    assert np.all(status == 0)
    dp45, *_ = EnsembleSolver(immune_method="dp45").solve_many([subjects[0], subjects[3]], grid)
    dop853, *_ = EnsembleSolver(immune_method="dop853", parallel=False).solve_many(subjects[1:3], grid)
    np.testing.assert_array_equal(auto[0], dp45[0])
    np.testing.assert_array_equal(auto[1:3], dop853)
    before = grid < 20.0  # day 20 itself: a step lands on the dose there, dense output in the undosed run
    np.testing.assert_array_equal(auto[3][before], auto[1][before])
    assert not np.array_equal(auto[3][~before], auto[1][~before])
    im = list(partition().immune)
    scale = np.abs(dp45[1][:, im]).max(axis=0) + 1e-12
    assert np.max(np.abs(auto[3][:, im] - dp45[1][:, im]) / scale) < 1e-4
