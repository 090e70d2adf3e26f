"""Shared helpers for the tregsim tests."""

from __future__ import annotations

import pytest

from tregsim.protocol import parse_protocol


def mouse_protocol(**overrides):
    base = dict(kind="simulation", species="mouse", disease="eae_mog35_55", duration_days=30, animals=3,
                output_every_hours=24, regimens=[])
    base.update(overrides)
    return parse_protocol(base)


def human_protocol(**overrides):
    base = dict(kind="simulation", species="human", disease="rrms", duration_days=60, subjects=1,
                output_every_hours=24, regimens=[])
    base.update(overrides)
    return parse_protocol(base)


IGF1_PUMP = dict(drug="igf1", route="minipump", dose=1.0, dose_unit="mg/kg/day", start_day=0, stop_day=28)


@pytest.fixture
def igf1_pump():
    return dict(IGF1_PUMP)


#: The fuzz suite's size and time (tests/test_fuzz_protocols.py), counted by the tests in the process that runs
#: them (a pytest-xdist worker or the main process).
FUZZ_STATS = {"cases": 0, "cli": 0, "seconds": 0.0}
#: The same, summed over the test reports: what the terminal summary prints (with xdist, the workers' counts
#: reach the controller only through the reports).
_FUZZ_TOTAL = {"cases": 0, "cli": 0, "seconds": 0.0}


_FUZZ_SEEN = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item.stash[_FUZZ_SEEN] = dict(FUZZ_STATS)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach what a test phase added to FUZZ_STATS (cases in the call, seconds at the timer's teardown) to
    its report, which xdist carries from the worker to the controller."""
    outcome = yield
    seen = item.stash.get(_FUZZ_SEEN, None)
    if seen is None:
        return
    delta = {k: FUZZ_STATS[k] - seen[k] for k in FUZZ_STATS}
    item.stash[_FUZZ_SEEN] = dict(FUZZ_STATS)
    if any(delta.values()):
        outcome.get_result().user_properties.append(("fuzz_stats", delta))


def pytest_runtest_logreport(report):
    for name, value in report.user_properties:
        if name == "fuzz_stats":
            for k in _FUZZ_TOTAL:
                _FUZZ_TOTAL[k] += value[k]


def pytest_terminal_summary(terminalreporter):
    if _FUZZ_TOTAL["cases"]:
        terminalreporter.write_line(
            f"fuzz suite: {_FUZZ_TOTAL['cases']} generated protocols ({_FUZZ_TOTAL['cli']} through `tregsim simulate`) "
            f"in {_FUZZ_TOTAL['seconds']:.1f} s")
