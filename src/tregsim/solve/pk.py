"""The PK-and-glucose subsystem solved on its own.

IGF-1 and IGF-II kinetics and blood glucose never read an immune state (one-way coupling; the closure is
checked when the code is generated), so studies that only ask about concentrations and glucose -- the PK
fits, the dose translation, the hypoglycaemia population -- integrate these 9 states instead of all of
them.  Same schedule walk as :class:`~tregsim.solve.reference.ReferenceSolver`: split at every dose and
infusion start/stop; boluses into immune states (triggers, immunisation) are ignored here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from tregsim.model.codegen import python_pk_rhs
from tregsim.model.definition import PARAMETER_INDEX, PK_STATES, STATES
from tregsim.schedule import Schedule, segments
from tregsim.solve.reference import _ATOL_BY_UNIT, SolveError

PK_INDEX: dict[str, int] = {n: i for i, n in enumerate(PK_STATES)}
_UNIT = {s.name: s.unit for s in STATES}


@dataclass(frozen=True)
class PKSolver:
    """scipy ``solve_ivp`` on the PK/glucose states only.

    Attributes:
        method: a stiff scipy method ('LSODA' default, 'BDF', 'Radau').
        rtol: relative tolerance.
    """

    method: str = "LSODA"
    rtol: float = 1e-8

    def atol(self) -> np.ndarray:
        return np.array([_ATOL_BY_UNIT.get(_UNIT[n], 1e-9) for n in PK_STATES])

    def solve(self, p: np.ndarray, y0: np.ndarray, schedule: Schedule, t_end: float, t_out: np.ndarray,
              seed: tuple[int, int] = (0, 0)) -> np.ndarray:
        """PK/glucose states at ``t_out`` (days); shape (len(t_out), len(PK_STATES)).

        Arguments:
            p: full parameter vector (generated-code order).
            y0: initial PK/glucose state, in :data:`PK_STATES` order.
            schedule: doses and infusions (boluses into other states are ignored).
            t_end: end of the schedule (day).
            t_out: output times (days, sorted, within [0, t_end]).
            seed: reported in a :class:`SolveError`.
        """
        rhs = python_pk_rhs()
        atol = self.atol()
        t_out = np.asarray(t_out, dtype=float)
        out = np.full((len(t_out), len(PK_STATES)), np.nan)
        y = np.asarray(y0, dtype=float).copy()
        p = p.copy()
        for seg in segments(schedule, t_end, t_out):
            out[seg.at_t0] = y  # observed just before the event (pre-dose)
            for b in seg.boluses:
                if b.state in PK_INDEX:
                    y[PK_INDEX[b.state]] += b.amount
            for name, rate in seg.inputs.items():
                p[PARAMETER_INDEX[name]] = rate
            if seg.t1 is None:
                break
            sol = solve_ivp(rhs, (seg.t0, seg.t1), y, method=self.method, t_eval=seg.t_eval, args=(p,),
                            rtol=self.rtol, atol=atol)
            if not sol.success or sol.y.shape[1] != len(seg.t_eval):
                raise SolveError(seed, seg.t0, sol.message)
            out[seg.inside] = sol.y.T[: seg.n_inside]
            y = sol.y[:, -1].copy()
            if not np.all(np.isfinite(y)):
                raise SolveError(seed, seg.t1, "non-finite state")
            np.maximum(y, 0.0, out=y)
        return out
