"""Shared parts of the exchange tests: protocols that exercise every event kind, and the parity measure."""

from __future__ import annotations

import numpy as np

from tregsim.protocol import SimulationProtocol, parse_protocol

TOLERANCE = 1e-4  # relative, on the scale of each observable (the bar)


def mouse_sc() -> SimulationProtocol:
    """MOG EAE with IGF-1 SC 0.1 mg/kg once daily days 0-20 (immunisation at day 0, doses, death rule)."""
    return parse_protocol({
        "kind": "simulation", "name": "mouse-sc-test", "species": "mouse", "disease": "eae_mog35_55",
        "duration_days": 30, "output_every_hours": 12, "animals": 1, "seed": 4,
        "regimens": [{"drug": "igf1", "route": "sc", "dose": 0.1, "dose_unit": "mg/kg", "every_hours": 24,
                      "start_day": 0, "stop_day": 20}]}, "mouse-sc-test")


def mouse_knockout() -> SimulationProtocol:
    """The seed study's pump arm in Treg-specific IGF1R knockout mice (infusion start and stop)."""
    return parse_protocol({
        "kind": "simulation", "name": "mouse-ko-test", "species": "mouse", "disease": "eae_mog35_55",
        "knockouts": ["treg_igf1r"], "duration_days": 40, "output_every_hours": 24, "animals": 1, "seed": 2,
        "regimens": [{"drug": "igf1", "route": "minipump", "dose": 1.0, "dose_unit": "mg/kg/day",
                      "every_hours": None, "start_day": 0, "stop_day": 28}]}, "mouse-ko-test")


def human_bid_year() -> SimulationProtocol:
    """A person with RRMS (run-in, random immune triggers) on rhIGF-1 50 ug/kg SC twice daily for a year."""
    return parse_protocol({
        "kind": "simulation", "name": "human-bid-test", "species": "human", "disease": "rrms",
        "duration_days": 365, "output_every_hours": 24, "subjects": 1, "seed": 1,
        "regimens": [{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12,
                      "start_day": 0, "stop_day": None}]}, "human-bid-test")


def human_il2_combo() -> SimulationProtocol:
    """A person with RRMS on IGF-1 50 ug/kg SC twice daily plus low-dose IL-2 (1 MIU SC daily x5, then every 2
    weeks) and one IV IL-2 infusion (rate input start and stop): every IL-2 event kind."""
    return parse_protocol({
        "kind": "simulation", "name": "human-il2-test", "species": "human", "disease": "rrms",
        "duration_days": 60, "output_every_hours": 24, "subjects": 1, "seed": 3,
        "regimens": [{"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12},
                     {"drug": "il2", "route": "sc", "dose": 1, "dose_unit": "MIU", "every_hours": 24,
                      "start_day": 0, "stop_day": 4},
                     {"drug": "il2", "route": "sc", "dose": 1, "dose_unit": "MIU", "every_hours": 336,
                      "start_day": 18},
                     {"drug": "il2", "route": "iv", "dose": 0.5, "dose_unit": "MIU/h", "start_day": 40,
                      "stop_day": 40.25}]}, "human-il2-test")


def worst_relative_gap(expected: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> dict[str, float]:
    """max |expected - got| / max |expected| per observable (0 for an observable that is 0 throughout and matched)."""
    out = {}
    for name, a in expected.items():
        b = np.ravel(np.asarray(got[name], dtype=float))
        a = np.ravel(np.asarray(a, dtype=float))
        assert a.shape == b.shape, (name, a.shape, b.shape)
        scale = float(np.max(np.abs(a)))
        gap = float(np.max(np.abs(a - b)))
        out[name] = gap / scale if scale > 0 else gap
    return out
