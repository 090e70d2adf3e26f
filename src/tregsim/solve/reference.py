"""The reference solver: scipy, stiff-capable, tight tolerances, piecewise between events.

Integration is split at every dose, infusion start/stop and immune trigger;
within a segment the inputs are constant.  The state reported at an event time
is the state just after the event (right-continuous).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from tregsim.model.codegen import python_rhs
from tregsim.model.definition import PARAMETER_INDEX, STATE_INDEX, STATES
from tregsim.model.subject import Subject

#: Absolute tolerance per state unit: cells, ug/kg, fractions, lesion counts.
_ATOL_BY_UNIT = {"cells": 1e-6, "ug/kg": 1e-9, "1": 1e-12, "lesions": 1e-9}


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
        rhs = python_rhs()
        atol = self.atol()
        sched = subject.schedule
        t_out = np.asarray(t_out, dtype=float)
        out = np.full((len(t_out), len(STATES)), np.nan)
        bps = np.unique(np.concatenate([sched.breakpoints(0.0, subject.t_end), t_out[:1], t_out[-1:]]))
        y = subject.y0.copy()
        p = subject.p.copy()
        for i, t0 in enumerate(bps):
            for b in sched.boluses_at(t0):
                y[STATE_INDEX[b.state]] += b.amount
            for name, rate in sched.inputs_at(t0).items():
                p[PARAMETER_INDEX[name]] = rate
            at_t0 = t_out == t0
            out[at_t0] = y
            if i == len(bps) - 1:
                break
            t1 = bps[i + 1]
            inside = (t_out > t0) & (t_out <= t1)
            t_eval = np.append(t_out[inside & (t_out < t1)], t1)
            sol = solve_ivp(rhs, (t0, t1), y, method=self.method, t_eval=t_eval, args=(p,),
                            rtol=self.rtol, atol=atol)
            if not sol.success or sol.y.shape[1] != len(t_eval):
                raise SolveError(subject.seed, t0, sol.message)
            out[inside] = sol.y.T[: int(inside.sum())] if t_out[inside][-1:].tolist() != [t1] else sol.y.T
            y = sol.y[:, -1].copy()
            if not np.all(np.isfinite(y)):
                raise SolveError(subject.seed, t1, "non-finite state")
            # Clip round-off below zero (amounts and cells are non-negative by construction).
            np.maximum(y, 0.0, out=y)
        return out
