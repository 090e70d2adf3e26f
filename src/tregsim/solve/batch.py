"""A cohort solver: N subjects that share one event schedule, integrated as one stiff system.

Mouse experiments give every animal the same doses and the same immunisation day (only the size
of the immunisation bolus differs), so a cohort can be solved in one call of scipy's BDF with a
block-diagonal Jacobian sparsity: the right-hand side is evaluated once for all animals.  The
result agrees with :class:`~tregsim.solve.reference.ReferenceSolver` subject by subject (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import block_diag, csr_matrix

from tregsim.model.codegen import python_batch_rhs
from tregsim.model.definition import PARAMETER_INDEX, STATE_INDEX, STATES
from tregsim.model.subject import Subject
from tregsim.schedule import segments
from tregsim.solve.reference import ReferenceSolver, SolveError


class ScheduleMismatch(ValueError):
    """The subjects do not share one event schedule (times, states and infusions)."""


def _shared_events(subjects: list[Subject]) -> tuple[list[tuple[float, str]], np.ndarray]:
    """Bolus (time, state) keys common to all subjects and the (n_boluses, N) amounts."""
    keys = [(b.time, b.state) for b in subjects[0].schedule.boluses]
    amounts = np.zeros((len(keys), len(subjects)))
    for j, s in enumerate(subjects):
        if [(b.time, b.state) for b in s.schedule.boluses] != keys or s.schedule.infusions != subjects[0].schedule.infusions:
            raise ScheduleMismatch(f"subject {s.index} has a different event schedule")
        amounts[:, j] = [b.amount for b in s.schedule.boluses]
    return keys, amounts


@dataclass(frozen=True)
class CohortSolver:
    """scipy BDF over a whole cohort (block-diagonal sparse Jacobian).

    Attributes:
        rtol: relative tolerance.
        atol_scale: multiplies the reference solver's per-unit absolute tolerances.
    """

    rtol: float = 1e-6
    atol_scale: float = 1.0

    def solve(self, subjects: list[Subject], t_out: np.ndarray) -> np.ndarray:
        """States of every subject at ``t_out``: shape (N, len(t_out), n_states).

        Raises:
            ScheduleMismatch: the subjects do not share one schedule (use the reference solver).
            SolveError: the integration failed (the first subject's seed is reported).
        """
        n, ns = len(subjects), len(STATES)
        keys, amounts = _shared_events(subjects)
        sched = subjects[0].schedule
        t_end = max(s.t_end for s in subjects)
        t_out = np.asarray(t_out, dtype=float)
        rhs = python_batch_rhs()
        atol = np.repeat(ReferenceSolver(atol_scale=self.atol_scale).atol(), n)
        # state-major layout: index = state * N + subject; sparsity is block-diagonal after permutation
        block = csr_matrix(np.ones((ns, ns)))
        perm_sparsity = block_diag([block] * n, format="csr")
        order = np.arange(ns * n).reshape(n, ns).T.ravel()  # subject-major index of each state-major position
        sparsity = perm_sparsity[order][:, order]
        y = np.stack([s.y0 for s in subjects], axis=1)  # (ns, N)
        p = np.stack([s.p for s in subjects], axis=1)  # (n_params, N)
        out = np.full((n, len(t_out), ns), np.nan)
        for seg in segments(sched, t_end, t_out):
            out[:, seg.at_t0, :] = y.T[:, None, :]  # observed just before the event (pre-dose)
            for k, (tb, state) in enumerate(keys):
                if tb == seg.t0:
                    y[STATE_INDEX[state]] += amounts[k]
            for name, rate in seg.inputs.items():
                p[PARAMETER_INDEX[name]] = rate
            if seg.t1 is None:
                break
            sol = solve_ivp(rhs, (seg.t0, seg.t1), y.ravel(), method="BDF", t_eval=seg.t_eval, args=(p,),
                            rtol=self.rtol, atol=atol, jac_sparsity=sparsity)
            if not sol.success or sol.y.shape[1] != len(seg.t_eval):
                raise SolveError(subjects[0].seed, seg.t0, sol.message)
            traj = sol.y.reshape(ns, n, -1)  # (ns, N, times)
            out[:, seg.inside, :] = np.transpose(traj[:, :, : seg.n_inside], (1, 2, 0))
            y = np.maximum(traj[:, :, -1], 0.0)
            if not np.all(np.isfinite(y)):
                raise SolveError(subjects[0].seed, seg.t1, "non-finite state")
        return out

    #: the cohort interface shared with :class:`tregsim.engine.ensemble.EnsembleSolver`
    solve_cohort = solve
