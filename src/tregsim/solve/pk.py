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
from tregsim.model.codegen import python_pk_rhs
from tregsim.model.definition import PK_STATES, STATES
from tregsim.schedule import Schedule
from tregsim.solve.reference import _ATOL_BY_UNIT, integrate_schedule

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
        return integrate_schedule(python_pk_rhs(), y0, p, schedule, t_end, t_out, PK_INDEX, self.atol(), self.rtol,
                                  self.method, seed)
