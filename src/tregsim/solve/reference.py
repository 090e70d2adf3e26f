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
        rhs = python_rhs()
        atol = self.atol()
        t_out = np.asarray(t_out, dtype=float)
        out = np.full((len(t_out), len(STATES)), np.nan)
        y = subject.y0.copy()
        p = subject.p.copy()
        for seg in segments(subject.schedule, subject.t_end, t_out):
            out[seg.at_t0] = y  # observed just before the event (pre-dose)
            for b in seg.boluses:
                y[STATE_INDEX[b.state]] += b.amount
            for name, rate in seg.inputs.items():
                p[PARAMETER_INDEX[name]] = rate
            if seg.t1 is None:
                break
            sol = solve_ivp(rhs, (seg.t0, seg.t1), y, method=self.method, t_eval=seg.t_eval, args=(p,),
                            rtol=self.rtol, atol=atol)
            if not sol.success or sol.y.shape[1] != len(seg.t_eval):
                raise SolveError(subject.seed, seg.t0, sol.message)
            out[seg.inside] = sol.y.T[: seg.n_inside]
            y = sol.y[:, -1].copy()
            if not np.all(np.isfinite(y)):
                raise SolveError(subject.seed, seg.t1, "non-finite state")
            # Clip round-off below zero (amounts and cells are non-negative by construction).
            np.maximum(y, 0.0, out=y)
        return out
