"""Schedules as the flat breakpoint arrays the compiled engine walks, built with numpy.

The breakpoints are those of :func:`tregsim.schedule.segments` (the reference solver's stretches): the same
times, the same merging of events closer than :data:`~tregsim.schedule.SAME_INSTANT`, the same boluses
and inputs at each.  ``segments`` builds one object per stretch with output-time masks (O(stretches x
outputs) in Python), which cost as much as the integration itself for patients with hundreds of triggers;
here the usual case (no two events within SAME_INSTANT of each other) is a few array operations, and any
other schedule goes through ``segments`` itself.
"""

from __future__ import annotations

import numpy as np

from tregsim.model.definition import INPUT_NAMES, STATES
from tregsim.schedule import SAME_INSTANT, Schedule, segments


def _by_segments(schedule: Schedule, t_end: float, t_out: np.ndarray, col: dict[str, int], n_cols: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, adds, inputs = [], [], []
    for seg in segments(schedule, t_end, t_out):
        add = np.zeros(n_cols)
        for b in seg.boluses:
            if b.state in col:
                add[col[b.state]] += b.amount
        times.append(seg.t0)
        adds.append(add)
        inputs.append([seg.inputs[n] for n in INPUT_NAMES])
    return (np.asarray(times, float), np.asarray(adds, float).reshape(len(times), n_cols),
            np.asarray(inputs, float).reshape(len(times), len(INPUT_NAMES)))


def breakpoint_arrays(schedule: Schedule, t_end: float, t_out: np.ndarray, columns: tuple[int, ...]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, additions to the states ``columns`` at each, inputs from each on) of one schedule over
    [0, t_end] with output times ``t_out``: the breakpoints of :func:`tregsim.schedule.segments`.  Boluses
    into states outside ``columns`` are left out."""
    col = {STATES[i].name: k for k, i in enumerate(columns)}
    t_out = np.asarray(t_out, dtype=float)
    raw = np.concatenate([schedule.breakpoints(0.0, t_end), t_out[:1], t_out[-1:]])
    bps = np.unique(raw)
    gaps = np.diff(bps)
    if gaps.size and np.any(gaps <= 2.0 * SAME_INSTANT * np.maximum(1.0, np.abs(bps[1:]))):
        return _by_segments(schedule, t_end, t_out, col, len(columns))  # events to merge: the exact path
    adds = np.zeros((len(bps), len(columns)))
    boluses = [b for b in schedule.boluses if b.state in col]
    if boluses:
        at = np.fromiter((b.time for b in boluses), float, len(boluses))
        when = np.minimum(np.searchsorted(bps, at), len(bps) - 1)
        inside = bps[when] == at  # a bolus outside [0, t_end] is not a breakpoint and never given
        which = np.fromiter((col[b.state] for b in boluses), np.int64, len(boluses))
        amount = np.fromiter((b.amount for b in boluses), float, len(boluses))
        np.add.at(adds, (when[inside], which[inside]), amount[inside])
    inputs = np.zeros((len(bps), len(INPUT_NAMES)))
    for inf in schedule.infusions:
        on = (inf.start <= bps) & (bps < inf.stop)
        inputs[on, INPUT_NAMES.index(inf.name)] += inf.rate
    return bps, adds, inputs


def pack_schedules(schedules: list[tuple[Schedule, float]], t_out: np.ndarray, columns: tuple[int, ...]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets, times, additions, inputs) of several (schedule, end) pairs, concatenated: the rows
    offsets[s]:offsets[s+1] are schedule s's breakpoints (:func:`breakpoint_arrays`)."""
    parts = [breakpoint_arrays(s, t_end, t_out, columns) for s, t_end in schedules]
    offsets = np.concatenate([[0], np.cumsum([len(p[0]) for p in parts])]).astype(np.int64)
    if not parts:
        return offsets, np.empty(0), np.empty((0, len(columns))), np.empty((0, len(INPUT_NAMES)))
    return (offsets, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]))
