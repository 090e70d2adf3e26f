"""The reference solver: scipy, stiff-capable, tight tolerances, piecewise between events.

Integration is split at every dose, infusion start/stop and immune trigger;
within a segment the inputs are constant.  The state reported at an event time
is the state just before the event (left limit): an observation at a dose time is pre-dose, as in
clinical sampling and NONMEM.  The event then acts on the integration that follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from tregsim.model.codegen import python_rhs
from tregsim.model.definition import PARAMETER_INDEX, STATE_INDEX, STATES
from tregsim.model.subject import Subject
from tregsim.schedule import segments

#: Absolute tolerance per state unit: cells, ug/kg, fractions, lesion counts.
_ATOL_BY_UNIT = {"cells": 1e-6, "ug/kg": 1e-9, "1": 1e-12, "lesions": 1e-9, "mmol/L": 1e-9}


class SolveError(RuntimeError):
    """Integration failed for a subject; carries the subject's seed and the time reached."""

    def __init__(self, seed: tuple[int, int], t: float, message: str):
        self.seed, self.t = seed, t
        super().__init__(f"subject seed {seed}: integration failed at day {t:.4g}: {message}")


@dataclass(frozen=True)
class ReferenceSolver:
    """scipy ``solve_ivp`` with a stiff method and tight tolerances.

    Attributes:
        method: 'LSODA' (default, automatic stiffness switching), 'BDF' or 'Radau'.
        rtol: relative tolerance.
        atol_scale: multiplies the per-unit absolute tolerances.
    """

    method: str = "LSODA"
    rtol: float = 1e-8
    atol_scale: float = 1.0

    def atol(self) -> np.ndarray:
        return np.array([_ATOL_BY_UNIT[s.unit] for s in STATES]) * self.atol_scale

    def solve(self, subject: Subject, t_out: np.ndarray) -> np.ndarray:
        """States at ``t_out`` (days, sorted, within [0, t_end]); shape (len(t_out), n_states).

        Raises:
            SolveError: the integrator failed or produced non-finite values.
        """
        return integrate_schedule(python_rhs(), subject.y0, subject.p, subject.schedule, subject.t_end, t_out,
                                  STATE_INDEX, self.atol(), self.rtol, self.method, subject.seed)


def integrate_schedule(rhs, y0: np.ndarray, p: np.ndarray, schedule, t_end: float, t_out: np.ndarray,
                       state_index: dict[str, int], atol: np.ndarray, rtol: float, method: str,
                       seed: tuple[int, int]) -> np.ndarray:
    """Walk a schedule's segments with scipy ``solve_ivp``: the one loop every scipy-based solver shares.

    Arguments:
        rhs: ``rhs(t, y, p)`` of the states in ``state_index`` (the whole model or a closed subsystem).
        y0, p: initial state (in ``state_index`` order) and parameter vector (generated-code order).
        schedule: boluses and infusions; a bolus into a state outside ``state_index`` is ignored.
        t_end, t_out: end of the schedule and output times (days).
        atol, rtol, method: integrator settings.
        seed: reported in a :class:`SolveError`.

    Returns:
        The states at ``t_out``, shape (len(t_out), len(y0)); an output at an event time is pre-event.
    """
    t_out = np.asarray(t_out, dtype=float)
    out = np.full((len(t_out), len(y0)), np.nan)
    y = np.asarray(y0, dtype=float).copy()
    p = p.copy()
    for seg in segments(schedule, t_end, t_out):
        out[seg.at_t0] = y  # observed just before the event (pre-dose)
        for b in seg.boluses:
            if b.state in state_index:
                y[state_index[b.state]] += b.amount
        for name, rate in seg.inputs.items():
            p[PARAMETER_INDEX[name]] = rate
        if seg.t1 is None:
            break
        sol = solve_ivp(rhs, (seg.t0, seg.t1), y, method=method, t_eval=seg.t_eval, args=(p,), rtol=rtol, atol=atol)
        if not sol.success or sol.y.shape[1] != len(seg.t_eval):
            raise SolveError(seed, seg.t0, sol.message)
        out[seg.inside] = sol.y.T[: seg.n_inside]
        y = sol.y[:, -1].copy()
        if not np.all(np.isfinite(y)):
            raise SolveError(seed, seg.t1, "non-finite state")
        # Clip round-off below zero (amounts, cells and concentrations are non-negative by construction).
        np.maximum(y, 0.0, out=y)
    return out
