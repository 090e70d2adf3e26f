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


#: The fuzz suite's size and time (tests/test_fuzz_protocols.py), printed after the run.
FUZZ_STATS = {"cases": 0, "cli": 0, "seconds": 0.0}


def pytest_terminal_summary(terminalreporter):
    if FUZZ_STATS["cases"]:
        terminalreporter.write_line(
            f"fuzz suite: {FUZZ_STATS['cases']} generated protocols ({FUZZ_STATS['cli']} through `tregsim simulate`) "
            f"in {FUZZ_STATS['seconds']:.1f} s")
