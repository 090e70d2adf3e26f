"""The split solve: the drug subsystem once per group of subjects, the immune system per subject, forced by it.

The drug subsystem ``D`` (:mod:`tregsim.engine.structure`: PK, glucose, adjuvant) never reads an immune
state, so subjects with the same ``D`` parameters, ``D`` initial state and dosing share one ``D`` solution.
It is solved once per such group, with its own steps and tolerance (the free IGF pools need many small
steps after every dose), recording knots (time, value, rate) of the coupling states after every step.  Each
subject's immune system then runs with those states as known functions of time: the cubic Hermite
interpolant of the knots (order 4, continuous derivative), and RODAS4's non-autonomous terms.  Every
breakpoint of ``D`` (doses, infusion changes) is a breakpoint of the subject, so the interpolant is smooth
inside each of the subject's stretches.  The result is the whole state, as the coupled solve gives it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tregsim.engine.packing import pack_schedules
from tregsim.engine.rodas import DOP853, DP45, KNOTS_FULL, RODAS4
from tregsim.engine.structure import Partition, block_rhs_source, partition
from tregsim.model.definition import INPUT_NAMES, PARAMETER_INDEX, PARAMETER_ORDER, STATES
from tregsim.model.subject import Subject
from tregsim.schedule import Schedule


@lru_cache(maxsize=None)
def drug_module():
    """The compiled engine of the drug subsystem (closed)."""
    from tregsim.engine.build import load
    from tregsim.engine.symbolic import cached_jacobian_source

    d = partition().drug
    return load(block_rhs_source("rhs", d), cached_jacobian_source("jac", (d, d, ())), len(d), len(PARAMETER_ORDER))


@lru_cache(maxsize=None)
def immune_module():
    """The compiled engine of the immune subsystem, forced by the coupling states."""
    from tregsim.engine.build import load
    from tregsim.engine.symbolic import cached_jacobian_source

    part = partition()
    i, c = part.immune, part.coupling
    return load(block_rhs_source("frhs", i, c), cached_jacobian_source("fjac", (i, i, c)), len(i),
                len(PARAMETER_ORDER), "cpu", len(c))


def drug_schedule(subject: Subject, part: Partition) -> Schedule:
    """The part of a subject's schedule that acts on the drug subsystem (its boluses, every infusion)."""
    drug = {STATES[i].name for i in part.drug}
    return Schedule(boluses=[b for b in subject.schedule.boluses if b.state in drug],
                    infusions=list(subject.schedule.infusions))


def first_drug_event(subject: Subject, part: Partition) -> float:
    """When the drug subsystem of ``subject`` is first disturbed (its first bolus or infusion start, day); until
    then it rests at its steady state and its signal is constant.  +inf if never."""
    sched = drug_schedule(subject, part)
    times = [b.time for b in sched.boluses] + [f.start for f in sched.infusions]
    return float(min(times)) if times else np.inf


def group_key(subject: Subject, part: Partition) -> tuple:
    """What decides a subject's drug-subsystem solution: its parameters, initial state, schedule and end."""
    sched = drug_schedule(subject, part)
    return (np.asarray(subject.p)[list(part.drug_parameters)].tobytes(),
            np.asarray(subject.y0)[list(part.drug)].tobytes(), subject.t_end,
            tuple((b.time, b.state, b.amount) for b in sched.boluses),
            tuple((f.start, f.stop, f.name, f.rate) for f in sched.infusions))


#: methods for the immune subsystem (see :data:`tregsim.engine.rodas.DP45`, :data:`tregsim.engine.rodas.DOP853`)
IMMUNE_METHODS = {"rodas4": RODAS4, "dp45": DP45, "dop853": DOP853}


def solve_split(subjects: list[Subject], t_out: np.ndarray, rtol: np.ndarray, atol: np.ndarray, max_steps: int,
                parallel: bool = True, immune_method: str = "dp45") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every subject's whole state at ``t_out`` by the split solve; the interface of
    :meth:`~tregsim.engine.ensemble.EnsembleSolver.solve_many` (``rtol``, ``atol``: per state, definition
    order; ``immune_method``: a key of :data:`IMMUNE_METHODS`, or 'auto': DOP853 on a subject's stretches
    before its drug group's first dose or infusion (a constant drug signal), DP45 from then on; the solution up
    to the first dose does not depend on what comes after).  A subject's steps count its own immune steps and
    its group's drug steps; a failed drug solve fails every subject of its group (status and day reached of the
    drug solve)."""
    part = partition()
    d, im = list(part.drug), list(part.immune)
    n, n_out = len(subjects), len(t_out)
    keys: dict[tuple, int] = {}
    group = np.array([keys.setdefault(group_key(s, part), len(keys)) for s in subjects], np.int64)
    first = {g: k for k, g in reversed(list(enumerate(group.tolist())))}
    reps = [subjects[first[g]] for g in range(len(keys))]
    index = np.array([PARAMETER_INDEX[q] for q in INPUT_NAMES], np.int64)
    # 1. the drug subsystem, once per group, recording knots of the coupling states
    dm = drug_module()
    doff, dbp_t, dadd, dinp = pack_schedules([(drug_schedule(s, part), s.t_end) for s in reps], t_out, part.drug)
    rec_idx = np.array([d.index(c) for c in part.coupling], np.int64)
    g_n = len(reps)
    out_d = np.full((g_n, n_out, len(d)), np.nan)
    status_d = np.zeros(g_n, np.int64)
    stats_d = np.zeros((g_n, 3))
    y0_d = np.stack([np.asarray(s.y0, float)[d] for s in reps])
    p0 = np.stack([np.asarray(s.p, float) for s in reps])
    cap = 4096 + 64 * np.diff(doff)  # knots per group; grown and the group run again if short
    todo = np.arange(g_n)
    dseg = np.zeros(len(dbp_t), np.int64)
    knots: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None] * g_n
    while todo.size:
        roff = np.concatenate([[0], np.cumsum(cap[todo])]).astype(np.int64)
        rt, ry, rf = np.empty(roff[-1]), np.empty((roff[-1], len(rec_idx))), np.empty((roff[-1], len(rec_idx)))
        sub_off = np.concatenate([[0], np.cumsum(np.diff(doff)[todo])]).astype(np.int64)
        rows = np.concatenate([np.arange(doff[g], doff[g + 1]) for g in todo])
        st, sts, seg = np.zeros(len(todo), np.int64), np.zeros((len(todo), 3)), np.zeros(len(rows), np.int64)
        o = np.full((len(todo), n_out, len(d)), np.nan)
        record = dm.record_many if parallel and len(todo) > 1 else dm.record_serial
        record(y0_d[todo], p0[todo], sub_off, dbp_t[rows], dadd[rows], dinp[rows], index, t_out, rtol[d],
                 atol[d], np.int64(max_steps), o, st, sts, rec_idx, roff, rt, ry, rf, seg)
        again = []
        for k, g in enumerate(todo.tolist()):
            if st[k] == KNOTS_FULL:
                cap[g] *= 4
                again.append(g)
                continue
            out_d[g], status_d[g], stats_d[g] = o[k], st[k], sts[k]
            dseg[doff[g]:doff[g + 1]] = seg[sub_off[k]:sub_off[k + 1]]
            m = int(seg[sub_off[k + 1] - 1]) if st[k] == 0 else 0
            knots[g] = (rt[roff[k]:roff[k] + m], ry[roff[k]:roff[k] + m], rf[roff[k]:roff[k] + m])
        todo = np.asarray(again, np.int64)
    # 2. every subject's immune system, forced by its group's knots
    koff = np.concatenate([[0], np.cumsum([len(k[0]) for k in knots])]).astype(np.int64)
    kt = np.concatenate([k[0] for k in knots])
    ky = np.concatenate([k[1] for k in knots]).reshape(-1, len(rec_idx))
    kf = np.concatenate([k[2] for k in knots]).reshape(-1, len(rec_idx))
    status = np.zeros(n, np.int64)
    stats = np.zeros((n, 3))
    if immune_method == "auto":  # DOP853 while the group's drug signal is smooth (until its first dose), then DP45
        method, smooth = DP45, np.array([first_drug_event(r, part) for r in reps])[group]
    else:
        method, smooth = IMMUNE_METHODS[immune_method], np.full(n, -np.inf)
    driver = immune_module().forced_many if parallel else immune_module().forced_serial
    off, bp_t, add, inp = pack_schedules([(s.schedule, s.t_end) for s in subjects], t_out, part.immune)
    y0 = np.stack([np.asarray(s.y0, float)[im] for s in subjects])
    p = np.stack([np.asarray(s.p, float) for s in subjects])
    out_i = np.full((n, n_out, len(im)), np.nan)
    driver(y0, p, off, bp_t, add, inp, index, t_out, rtol[im], atol[im], np.int64(max_steps), out_i, status, stats,
           group, koff, kt, ky, kf, doff, dbp_t, dseg, np.int64(method), smooth)
    out = np.empty((n, n_out, len(STATES)))
    out[:, :, im] = out_i
    out[:, :, d] = out_d[group]
    stats[:, :2] += stats_d[group, :2]
    failed_d = status_d[group] != 0
    status[failed_d] = status_d[group][failed_d]
    stats[failed_d] = stats_d[group][failed_d]
    return out, status, stats
