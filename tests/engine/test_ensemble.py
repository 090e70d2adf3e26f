"""The engine against the reference, and a subject's result independent of its company and the threads."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from tests.exchange.parity import human_bid_year, mouse_knockout, mouse_sc
from tregsim.engine.ensemble import EnsembleSolver
from tregsim.model.subject import build_subject
from tregsim.protocol import parse_protocol
from tregsim.simulate import output_grid
from tregsim.solve.reference import ReferenceSolver

#: a tight reference: the human immune dynamics amplify small differences around a relapse, so the
#: default reference (LSODA, rtol 1e-8) is itself ~1e-3 from the converged answer on some subjects
TIGHT = ReferenceSolver(method="LSODA", rtol=1e-10, atol_scale=1e-2)


def _worst(a: np.ndarray, b: np.ndarray) -> float:
    """Largest gap relative to each state's range; a state that stays within 1000 absolute tolerances of 0
    (an emptied SC depot sampled between doses) is measured on that floor, not on its round-off."""
    scale = np.maximum(np.abs(b).max(axis=0), 1e3 * ReferenceSolver().atol())
    return float(np.max(np.abs(a - b) / scale))


#: the engine's configurations: the split solve with each immune method (DP45, DOP853, RODAS4; one of them
#: the default), and the whole coupled system per subject
CONFIGS = {"split-dp45": EnsembleSolver(immune_method="dp45"), "split-dop853": EnsembleSolver(immune_method="dop853"),
           "split-rodas4": EnsembleSolver(immune_method="rodas4"), "coupled": EnsembleSolver(split=False)}


@pytest.mark.parametrize("make", [mouse_sc, mouse_knockout], ids=["mouse_sc", "mouse_knockout"])
def test_engine_agrees_with_the_reference_on_mouse_eae(make):
    # 6-hourly, so each state's range is sampled (the SC depot is near zero at every 12-hourly sample)
    proto = make().model_copy(update={"animals": 3, "output_every_hours": 6})
    grid = output_grid(proto)
    subjects = [build_subject(proto, i, 5) for i in range(3)]
    refs = [TIGHT.solve(sub, grid) for sub in subjects]
    for name, engine in CONFIGS.items():
        out, status, _ = engine.solve_many(subjects, grid)
        assert np.all(status == 0), name
        for k in range(len(subjects)):
            assert _worst(out[k], refs[k]) <= 1e-4, (name, k)


def test_engine_agrees_with_the_reference_on_a_human_with_triggers_and_doses():
    proto = human_bid_year().model_copy(update={"duration_days": 120})
    untreated = proto.model_copy(update={"regimens": []})
    grid = output_grid(proto)
    for p in (proto, untreated):
        sub = build_subject(p, 0, 3)
        assert any(b.state == "teff_resting" and b.time > 0 for b in sub.schedule.boluses)
        ref = TIGHT.solve(sub, grid)
        for name, engine in CONFIGS.items():
            assert _worst(engine.solve(sub, grid), ref) <= 1e-4, (name, bool(p.regimens))


@pytest.mark.parametrize("method", ["dp45", "dop853"])
def test_a_subject_does_not_depend_on_its_company_or_the_thread_count(method):
    proto = parse_protocol({"kind": "simulation", "species": "human", "disease": "rrms", "duration_days": 200,
                            "subjects": 6, "regimens": [{"drug": "igf1", "route": "sc", "dose": 40,
                                                         "dose_unit": "ug/kg", "every_hours": 24}]}, "t")
    grid = output_grid(proto)
    subjects = [build_subject(proto, i, 11) for i in range(6)]
    together, *_ = EnsembleSolver(immune_method=method).solve_many(subjects, grid)
    alone, *_ = EnsembleSolver(immune_method=method, parallel=False).solve_many(subjects[3:4], grid)
    np.testing.assert_array_equal(together[3], alone[0])
    coupled, *_ = EnsembleSolver(split=False).solve_many(subjects[2:4], grid)
    coupled_alone, *_ = EnsembleSolver(split=False, parallel=False).solve_many(subjects[3:4], grid)
    np.testing.assert_array_equal(coupled[1], coupled_alone[0])
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one_thread, *_ = EnsembleSolver(immune_method=method).solve_many(subjects[::-1], grid)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one_thread[::-1], together)


def test_a_failed_subject_is_reported_with_its_status_not_hidden():
    proto = mouse_sc()
    sub = build_subject(proto, 0, 1)
    out, status, stats = EnsembleSolver(max_steps=5).solve_many([sub], output_grid(proto))
    assert status[0] != 0 and np.isnan(out[0]).all() and stats[0, 0] + stats[0, 1] >= 5


def test_dop853_agrees_with_dp45_at_tight_tolerance_on_a_treated_human_with_triggers():
    """The two explicit immune methods, both well below their default tolerances, on a human RRMS patient with
    twice-daily doses and immune triggers (the relapses amplify any error): the same answer."""
    proto = human_bid_year().model_copy(update={"duration_days": 120})
    grid = output_grid(proto)
    sub = build_subject(proto, 0, 3)
    assert any(b.state == "teff_resting" and b.time > 0 for b in sub.schedule.boluses)
    dp45 = EnsembleSolver(immune_method="dp45", rtol=1e-12).solve(sub, grid)
    dop853 = EnsembleSolver(immune_method="dop853", rtol=1e-12).solve(sub, grid)
    assert _worst(dop853, dp45) <= 1e-6
