"""The clinical IGF-1 studies behind the ``human_pk``, ``human_glucose`` and ``mouse_pk`` targets.

Each study is a built-in protocol (``tregsim protocols show human-pk-iv-bolus`` ...), so a user checks a
target exactly as the package does: ``tregsim simulate`` the protocol and read ``timecourse.csv``.  The
functions here compute every target's simulated value the way its source measured it, from the time
courses of total and free IGF-1 and glucose, whichever solver produced them:

* the fits (:mod:`tregsim.calibration.human_pk`) run the protocols through the PK/glucose subsystem
  (:class:`~tregsim.solve.pk.PKSolver`, fast);
* the tests run them through :func:`tregsim.simulate` (the whole model) and must find the same values.

Times in days (metrics in the unit of their target: h, min, ng/mL, fold, mmol/L).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tregsim.model.definition import PK_STATES
from tregsim.model.parameters import parameter_vector
from tregsim.model.subject import pk_initial_state
from tregsim.protocol import SimulationProtocol, load_protocol
from tregsim.schedule import Schedule, add_regimen
from tregsim.solve.pk import PKSolver

_IX = {n: i for i, n in enumerate(PK_STATES)}


@dataclass(frozen=True)
class Course:
    """Time courses of one study (plasma concentrations ng/mL, glucose mmol/L; t in days)."""

    t: np.ndarray
    total: np.ndarray
    free: np.ndarray
    glucose: np.ndarray
    igf2_total: np.ndarray | None = None

    def at(self, day: float) -> float:
        return float(np.interp(day, self.t, self.total))

    def window(self, a: float, b: float) -> np.ndarray:
        """Boolean mask of a <= t < b (days)."""
        return (self.t >= a - 1e-9) & (self.t < b - 1e-9)


def protocol_schedule(protocol: SimulationProtocol, values: dict[str, float]) -> Schedule:
    """The protocol's doses as a schedule (no immune triggers: the PK does not read them)."""
    sched = Schedule()
    bio = {"sc": values["F_sc"], "minipump": values["F_sc"], "ip": values["F_ip"]}
    for reg in protocol.regimens:
        add_regimen(sched, reg, float(protocol.duration_days), protocol.weight_kg, bio)
    sched.boluses.sort(key=lambda b: b.time)
    return sched


def output_times(protocol: SimulationProtocol) -> np.ndarray:
    from tregsim.simulate import output_grid

    return output_grid(protocol)


#: The engine as the PK studies use it: tight tolerances, so that the fits' finite-difference Jacobians
#: (relative step 1e-4) see the model, not the integrator's error.
PK_ENGINE_RTOL = 1e-9


def run_pk(protocol: SimulationProtocol | str, values: dict[str, float], t: np.ndarray | None = None,
           solver: str = "engine") -> Course:
    """Solve the PK/glucose subsystem of ``protocol`` for the parameter values ``values``.

    ``solver``: ``engine`` (the compiled ensemble engine on the whole model with no immune cells, whose
    immune states then stay at zero; default, ~10x faster) or ``scipy`` (the PK-subsystem reference)."""
    if not isinstance(protocol, SimulationProtocol):
        protocol = load_protocol(protocol)
    t = output_times(protocol) if t is None else np.asarray(t, dtype=float)
    sched = protocol_schedule(protocol, values)
    if solver == "engine":
        y = _engine_pk(values, sched, float(protocol.duration_days), t)
    elif solver == "scipy":
        y = PKSolver().solve(parameter_vector(values), pk_initial_state(values), sched,
                             float(protocol.duration_days), t)
    else:
        raise ValueError(f"solver {solver!r} is not allowed; allowed: engine, scipy")
    free = y[:, _IX["igf1_free"]] / values["V_free"]
    total = free + y[:, _IX["igf1_bound"]] / values["V_bound"]
    igf2 = (y[:, _IX["igf2_free"]] / values["V_free"] + y[:, _IX["igf2_bound"]] / values["V_bound"])
    return Course(t, total, free, y[:, _IX["glucose"]], igf2)


def engine_pk_many(values: list[dict[str, float]], schedule: Schedule, t_end: float, t: np.ndarray,
                   rtol: float = PK_ENGINE_RTOL) -> np.ndarray:
    """PK/glucose states at ``t`` (PK_STATES columns) of several parameter sets on one schedule, from the
    ensemble engine in one parallel call (whole model, no immune cells: the immune states stay at zero).
    Shape (len(values), len(t), len(PK_STATES)).

    Raises:
        SolveError: a parameter set failed to solve.
    """
    from tregsim.engine.ensemble import EnsembleSolver
    from tregsim.model.definition import STATE_INDEX, STATES
    from tregsim.model.subject import Subject

    subjects = []
    for i, v in enumerate(values):
        y0 = np.zeros(len(STATES))
        y0[[STATE_INDEX[n] for n in PK_STATES]] = pk_initial_state(v)
        subjects.append(Subject(i, (0, i), v, parameter_vector(v), y0, schedule, t_end))
    out = EnsembleSolver(rtol=rtol, rtol_pk=rtol, parallel=len(values) > 1).solve_cohort(subjects, t)
    return out[:, :, [STATE_INDEX[n] for n in PK_STATES]]


def _engine_pk(values: dict[str, float], schedule: Schedule, t_end: float, t: np.ndarray) -> np.ndarray:
    """PK/glucose states at ``t`` (PK_STATES columns) from the ensemble engine."""
    return engine_pk_many([values], schedule, t_end, t)[0]


def course_from_timecourse(frame) -> Course:
    """A :class:`Course` from a ``timecourse.csv`` table (pandas DataFrame) written by ``simulate``."""
    return Course(frame["time_day"].to_numpy(float), frame["igf1_total_ng_ml"].to_numpy(float),
                  frame["igf1_free_ng_ml"].to_numpy(float), frame["glucose_mmol_l"].to_numpy(float))


# --------------------------------------------------------------------------- metrics, as measured


def terminal_half_life_h(t_h: np.ndarray, excess: np.ndarray, t_from: float, t_to: float) -> float:
    """Log-linear regression of a baseline-subtracted concentration over [t_from, t_to] h."""
    sel = (t_h >= t_from) & (t_h <= t_to) & (excess > 0)
    if sel.sum() < 3:
        return math.nan
    slope = np.polyfit(t_h[sel], np.log(excess[sel]), 1)[0]
    return math.log(2) / -slope if slope < 0 else math.inf


def single_dose_metrics(c: Course, dose_ug_kg: float, window_h: tuple[float, float]) -> dict[str, float]:
    """Tmax (h), terminal t1/2 (h), apparent CL = dose/AUC(0-inf) (mL/min/kg) and V = CL/k (L/kg) of the
    baseline-subtracted total IGF-1 after one SC dose (Grahnen 1993; Increlex label)."""
    t_h = c.t * 24.0
    excess = c.total - c.total[0]
    thalf = terminal_half_life_h(t_h, excess, *window_h)
    auc = float(np.trapezoid(excess, t_h))
    if excess[-1] > 0 and math.isfinite(thalf):
        auc += float(excess[-1]) * thalf / math.log(2)
    cl_l_h_kg = dose_ug_kg / auc
    return {"tmax_h": float(t_h[np.argmax(excess)]), "thalf_h": thalf, "cl_ml_min_kg": cl_l_h_kg * 1000 / 60,
            "v_l_kg": cl_l_h_kg * thalf / math.log(2)}


def infusion_metrics(c: Course, stop_day: float) -> dict[str, float]:
    """Free and total fold at the end of an infusion, and the free half-life (min) of the decline over the
    30 min after it (Frystyk)."""
    end = float(np.interp(stop_day, c.t, c.free)), float(np.interp(stop_day, c.t, c.total))
    after = c.t >= stop_day - 1e-9
    t_min = (c.t[after] - stop_day) * 1440.0
    thalf = terminal_half_life_h(t_min, (c.free - c.free[0])[after], 0.0, 30.0)
    return {"free_fold": end[0] / c.free[0], "total_fold": end[1] / c.total[0], "free_thalf_min": thalf}


def nadir(c: Course, until_day: float) -> float:
    """Lowest glucose (mmol/L) over [0, until_day]."""
    return float(c.glucose[c.t <= until_day + 1e-9].min())


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class StudyTarget:
    """How one target's simulated value comes from one study.

    Attributes:
        target: the targets.csv id (or an extra target of :data:`EXTRA_TARGETS`).
        protocol: the built-in protocol that reproduces the study.
        metric: the value from the study's time courses.
    """

    target: str
    protocol: str
    metric: Callable[[Course], float]


def _sd(protocol_dose: float, window: tuple[float, float], key: str) -> Callable[[Course], float]:
    return lambda c: single_dose_metrics(c, protocol_dose, window)[key]


FRYSTYK_STOP_DAY = 75.0 / 1440.0
HEALTHY_WINDOW_H = (30.0, 90.0)
IGFD_WINDOW_H = (8.0, 30.0)

STUDY_TARGETS: tuple[StudyTarget, ...] = (
    StudyTarget("human_pk_healthy_thalf", "human-pk-single-dose", _sd(40.0, HEALTHY_WINDOW_H, "thalf_h")),
    StudyTarget("human_pk_healthy_tmax", "human-pk-single-dose", _sd(40.0, HEALTHY_WINDOW_H, "tmax_h")),
    StudyTarget("human_pk_healthy_cl", "human-pk-single-dose", _sd(40.0, HEALTHY_WINDOW_H, "cl_ml_min_kg")),
    StudyTarget("human_pk_free_baseline", "human-pk-single-dose", lambda c: float(c.free[0])),
    StudyTarget("human_pk_total_baseline", "human-pk-single-dose", lambda c: float(c.total[0])),
    StudyTarget("human_pk_igf2_baseline", "human-pk-single-dose", lambda c: float(c.igf2_total[0])
                if c.igf2_total is not None else math.nan),
    StudyTarget("human_pk_free_thalf", "human-pk-iv-infusion",
                lambda c: infusion_metrics(c, FRYSTYK_STOP_DAY)["free_thalf_min"]),
    StudyTarget("human_pk_free_fold_9ugkgh", "human-pk-iv-infusion",
                lambda c: infusion_metrics(c, FRYSTYK_STOP_DAY)["free_fold"]),
    StudyTarget("human_pk_total_fold_9ugkgh", "human-pk-iv-infusion",
                lambda c: infusion_metrics(c, FRYSTYK_STOP_DAY)["total_fold"]),
    StudyTarget("human_pk_free_fold_1_5ugkgh", "human-pk-iv-infusion-low",
                lambda c: infusion_metrics(c, FRYSTYK_STOP_DAY)["free_fold"]),
    StudyTarget("human_pk_total_fold_1_5ugkgh", "human-pk-iv-infusion-low",
                lambda c: infusion_metrics(c, FRYSTYK_STOP_DAY)["total_fold"]),
    StudyTarget("human_pk_iv_bolus_total_rise_15min", "human-pk-iv-bolus", lambda c: c.at(15 / 1440) - c.total[0]),
    StudyTarget("human_pk_iv_bolus_free_share_15min", "human-pk-iv-bolus",
                lambda c: float(np.interp(15 / 1440, c.t, c.free)) / c.at(15 / 1440)),
    StudyTarget("human_glucose_nadir_iv_bolus_100", "human-pk-iv-bolus", lambda c: nadir(c, 2 / 24)),
    StudyTarget("human_glucose_nadir_iv_0_7ugkgmin", "human-glucose-iv-infusion-kerr", lambda c: nadir(c, 2.05 / 24)),
    StudyTarget("human_glucose_nadir_iv_21_4ugkgh", "human-glucose-iv-infusion-7h", lambda c: nadir(c, 4 / 24)),
    StudyTarget("human_pk_igfd_thalf", "human-pk-igfd-single-dose", _sd(40.0, IGFD_WINDOW_H, "thalf_h")),
    StudyTarget("human_pk_igfd_v", "human-pk-igfd-single-dose", _sd(40.0, IGFD_WINDOW_H, "v_l_kg")),
    StudyTarget("human_pk_igfd_baseline", "human-pk-igfd-single-dose", lambda c: float(c.total[0])),
    StudyTarget("human_pk_igfd_rise_40qd", "human-pk-igfd-40qd", lambda c: float(c.total[c.window(6, 7)].max() - c.total[0])),
    StudyTarget("human_pk_igfd_rise_40bid", "human-pk-igfd-40bid", lambda c: float(c.total[c.window(6, 7)].max() - c.total[0])),
    StudyTarget("human_pk_ghd_baseline", "human-pk-ghd-40qd", lambda c: float(c.total[0])),
    StudyTarget("human_pk_ghd_total_peak_40", "human-pk-ghd-40qd", lambda c: float(c.total[c.window(0, 1)].max())),
    StudyTarget("human_pk_ghd_free_peak_40", "human-pk-ghd-40qd", lambda c: float(c.free[c.window(0, 1)].max())),
    StudyTarget("human_pk_ghd_free_peak_40_day7", "human-pk-ghd-40qd", lambda c: float(c.free[c.window(6, 7)].max())),
    StudyTarget("human_pk_ghd_trough_day7", "human-pk-ghd-40qd", lambda c: c.at(6.0)),
    StudyTarget("human_glucose_nadir_ghd_sc_40", "human-pk-ghd-40qd", lambda c: nadir(c, 7.0)),
    StudyTarget("mouse_glucose_sc_30ug_once", "mouse-glucose-litlit-30ug-once", lambda c: nadir(c, 1.0)),
    StudyTarget("mouse_glucose_sc_30ug_split4", "mouse-glucose-litlit-30ug-split4", lambda c: nadir(c, 1.0)),
)

#: Targets the brief states in prose but targets.csv does not list: (id, system, quantity, value, low, high,
#: unit, source).  Bands of the last two are assumptions (+-35 % around the single reported value).
EXTRA_TARGETS: tuple[tuple, ...] = (
    ("human_pk_igfd_baseline", "human_pk", "baseline total IGF-1 in primary IGFD", 40.0, 30.0, 50.0, "ug/L",
     "Grahnen 1993 (30-50 ug/L)"),
    ("human_pk_igf2_baseline", "human_pk", "baseline total IGF-II (healthy adult)", 600.0, 450.0, 750.0, "ng/mL",
     "BRIEF 4b (~600 ng/mL; Jorgensen); band +-25 % assumed"),
    ("human_pk_ghd_baseline", "human_pk", "baseline total IGF-1 in adult GH deficiency", 22.0, 15.0, 30.0, "ug/L",
     "Thoren 1994 (22 ug/L before treatment); band assumed"),
)

#: Parameter rows that the targets speak to directly, without a simulation (fixed from their source).
PARAMETER_TARGETS: dict[str, str] = {"human_pk_bioavailability": "F_sc", "human_pk_endogenous": "ksyn"}


def study_values(targets: tuple[StudyTarget, ...], values_for: Callable[[SimulationProtocol], dict[str, float]]
                 ) -> dict[str, float]:
    """Simulated value of each target (each protocol solved once)."""
    courses: dict[str, Course] = {}
    out: dict[str, float] = {}
    for st in targets:
        if st.protocol not in courses:
            proto = load_protocol(st.protocol)
            courses[st.protocol] = run_pk(proto, values_for(proto))
        try:
            out[st.target] = float(st.metric(courses[st.protocol]))
        except (ValueError, ZeroDivisionError, IndexError):
            out[st.target] = math.nan
    return out
