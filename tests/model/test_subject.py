"""A subject's random draws: triggers do not depend on the run's duration; the sampler is Poisson."""

from __future__ import annotations

import numpy as np
import pytest

from tregsim.model.subject import build_subject, build_subjects
from tregsim.protocol import parse_protocol
from tregsim.schedule import poisson_times


def _human(duration: float):
    return parse_protocol(dict(kind="simulation", species="human", disease="rrms", duration_days=duration,
                               output_every_hours=24, subjects=1, regimens=[]))


def _triggers(subject, until):
    return [(b.time, b.state, b.amount) for b in subject.schedule.boluses if b.time <= until]


def test_triggers_and_run_in_do_not_depend_on_the_duration():
    short, long = build_subject(_human(300), 0, 9), build_subject(_human(700), 0, 9)
    assert _triggers(short, 300) == _triggers(long, 300) and len(_triggers(long, 700)) > len(_triggers(short, 300))
    assert np.array_equal(short.y0, long.y0)


def test_other_subjects_and_seeds_differ():
    a, b, c = build_subject(_human(200), 0, 9), build_subject(_human(200), 1, 9), build_subject(_human(200), 0, 10)
    assert _triggers(a, 200) != _triggers(b, 200) and _triggers(a, 200) != _triggers(c, 200)


def test_subjects_built_together_equal_subjects_built_alone():
    """The run-ins of a batch are solved together (in parallel); every subject is the one built alone, bit
    for bit, with per-subject parameter overrides and knockout mice (deterministic, cached run-ins) too."""
    proto = _human(60)
    overrides = [None, {"trigger_rate": 60.0}, None, {"aE": 0.5}]
    together = build_subjects(proto, [3, 0, 7, 1], 9, overrides)
    for sub, k, ov in zip(together, [3, 0, 7, 1], overrides):
        alone = build_subject(proto, k, 9, overrides=ov)
        assert sub.index == k and sub.seed == (9, k)
        assert np.array_equal(sub.y0, alone.y0) and np.array_equal(sub.p, alone.p)
        assert _triggers(sub, 60) == _triggers(alone, 60)
    assert not np.array_equal(together[0].y0, together[2].y0)  # distinct run-ins, not one reused
    from tregsim.protocol import load_protocol

    mice = load_protocol("bilbao2014-eae-igf1")
    batch = build_subjects(mice, range(3), 5)
    assert all(np.array_equal(b.y0, build_subject(mice, i, 5).y0) for i, b in enumerate(batch))
    with pytest.raises(ValueError, match="one override"):
        build_subjects(proto, [0, 1], 9, [None])


def test_simulated_courses_share_the_common_period():
    from tregsim.simulate import simulate

    a = simulate(_human(100), seed=9).timecourse
    b = simulate(_human(250), seed=9).timecourse
    common = b[b.time_day <= 100].reset_index(drop=True)
    for col in ("teff_cns", "treg_cns", "teff_periphery", "myelin_intact"):
        assert np.allclose(a[col], common[col], rtol=1e-6, atol=1e-9), col


def test_poisson_times_are_prefix_stable_and_poisson():
    for t1 in (50.0, 120.0, 1000.0):
        t = poisson_times(np.random.default_rng(5), 0.3, 0.0, t1)
        ref = poisson_times(np.random.default_rng(5), 0.3, 0.0, 2000.0)
        assert np.array_equal(t, ref[ref <= t1])
    rng = np.random.default_rng(11)
    counts = np.array([len(poisson_times(rng, 0.27, 0.0, 40.0)) for _ in range(3000)])
    mean = 0.27 * 40.0
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / len(counts))  # mean = rate x length
    assert 0.9 < counts.var() / counts.mean() < 1.1  # Poisson: variance = mean


def _one_gap_at_a_time(rng, rate, t0, t1):
    """The definition: successive exponential gaps, one draw each, until the time passes t1."""
    times, t = [], t0
    while True:
        t = t + rng.exponential(1.0 / rate)
        if t > t1:
            return np.array(times)
        times.append(t)


@pytest.mark.parametrize("seed, rate, t1", [(3, 0.27, 365.0), (4, 0.27, 700.0), (193827, 2.0, 10.0)])
def test_poisson_times_equal_the_one_gap_at_a_time_definition(seed, rate, t1):
    # seed 193827 has 46 events in (0, 10] at rate 2: more than one block, so the running sum crosses a block
    # boundary (t + cumsum(gaps) there would differ from the definition in the last bits)
    got = poisson_times(np.random.default_rng(seed), rate, 0.0, t1)
    assert np.array_equal(got, _one_gap_at_a_time(np.random.default_rng(seed), rate, 0.0, t1))
    longer = poisson_times(np.random.default_rng(seed), rate, 0.0, 20 * t1)  # one block of a different size
    assert np.array_equal(got, longer[longer <= t1])


def test_no_rate_no_events():
    assert poisson_times(np.random.default_rng(0), 0.0, 0.0, 10.0).size == 0
    assert poisson_times(np.random.default_rng(0), 1.0, 5.0, 5.0).size == 0


def test_a_run_in_without_triggers_ends_at_the_stable_immune_equilibrium():
    """A naive mouse's day-0 immune state is the core's fixed point (its rates vanish there and every mode
    decays), so it does not depend on how long the run-in was: 200 and 1000 days give the same state, where
    integration alone leaves a phase of the damped oscillation (docs/model.md section 5)."""
    from tregsim.model.codegen import python_rhs
    from tregsim.model.definition import STATE_INDEX
    from tregsim.model.parameters import resolve
    from tregsim.model.subject import IMMUNE_STATES

    proto = parse_protocol(dict(kind="simulation", species="mouse", disease="healthy", duration_days=10, animals=1))
    values = resolve("mouse", "healthy", proto.hypothesis)
    idx = [STATE_INDEX[s] for s in IMMUNE_STATES]
    short = build_subject(proto, 0, 0, overrides={**values, "burn_in_days": 200.0})
    long = build_subject(proto, 0, 0, overrides={**values, "burn_in_days": 1000.0})
    assert np.allclose(short.y0[idx], long.y0[idx], rtol=1e-8, atol=1e-12)
    rates = python_rhs()(0.0, short.y0, short.p)[idx]
    assert np.max(np.abs(rates)) < 1e-6 * np.max(short.y0[idx])
