"""Human IGF-1 pharmacokinetics: simulated PK metrics and their fit to the human_pk targets.

The metrics are computed the way the sources measured them:

* one SC dose of 40 ug/kg (Grahnen 1993; the label's single-dose studies):
  Tmax and terminal half-life of baseline-subtracted total IGF-1, apparent
  clearance dose/AUC(0-inf), apparent volume CL/k;
* a 75-min IV infusion of 9 ug/kg/h (Frystyk): free and total fold at the end,
  free half-life from the decline after the infusion stops;
* baselines without drug (endogenous steady state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tregsim.model.definition import STATE_INDEX, STATES
from tregsim.model.parameters import parameter_vector
from tregsim.model.subject import Subject, pk_baseline
from tregsim.schedule import Bolus, Infusion, Schedule
from tregsim.solve.reference import ReferenceSolver

SC_TEST_DOSE_UG_KG = 40.0
INFUSION_RATE_UG_KG_H = 9.0
INFUSION_MINUTES = 75.0


def _pk_subject(values: dict[str, float], schedule: Schedule, t_end: float) -> Subject:
    """A subject with immune states at zero, so only the PK moves (cheap to solve)."""
    y0 = np.zeros(len(STATES))
    free0, bound0 = pk_baseline(values)
    y0[STATE_INDEX["igf1_free"]], y0[STATE_INDEX["igf1_bound"]] = free0, bound0
    return Subject(0, (0, 0), values, parameter_vector(values), y0, schedule, t_end)


def concentrations(values: dict[str, float], schedule: Schedule, t_days: np.ndarray,
                   solver: ReferenceSolver | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Total and free plasma IGF-1 (ng/mL) at ``t_days``."""
    solver = solver or ReferenceSolver(rtol=1e-9)
    y = solver.solve(_pk_subject(values, schedule, float(t_days[-1])), t_days)
    free = y[:, STATE_INDEX["igf1_free"]] / values["V_free"]
    bound = y[:, STATE_INDEX["igf1_bound"]] / values["V_bound"]
    return free + bound, free


def terminal_half_life_h(t_h: np.ndarray, excess: np.ndarray, t_from: float, t_to: float) -> float:
    """Log-linear regression of baseline-subtracted concentration over [t_from, t_to] h."""
    sel = (t_h >= t_from) & (t_h <= t_to) & (excess > 0)
    if sel.sum() < 3:
        return math.nan
    slope = np.polyfit(t_h[sel], np.log(excess[sel]), 1)[0]
    return math.log(2) / -slope if slope < 0 else math.inf


@dataclass(frozen=True)
class SingleDosePK:
    """Metrics of one SC dose (total IGF-1, baseline subtracted)."""

    baseline_total: float
    baseline_free: float
    tmax_h: float
    thalf_h: float
    cl_ml_min_kg: float
    v_l_kg: float


def single_sc_dose(values: dict[str, float], window_h: tuple[float, float],
                   dose_ug_kg: float = SC_TEST_DOSE_UG_KG) -> SingleDosePK:
    """Simulate one SC dose and compute its PK metrics; ``window_h`` is the terminal fit window."""
    sched = Schedule(boluses=[Bolus(0.0, "igf1_depot_sc", dose_ug_kg * values["F_sc"])])
    t_h = np.concatenate([np.arange(0, 96, 0.25), np.arange(96, 24 * 14 + 1, 2.0)])
    total, free = concentrations(values, sched, t_h / 24.0)
    excess = total - total[0]
    k_half = terminal_half_life_h(t_h, excess, *window_h)
    auc = np.trapezoid(excess, t_h)  # ng/mL*h
    if excess[-1] > 0 and math.isfinite(k_half):
        auc += excess[-1] * k_half / math.log(2)
    cl_l_h_kg = dose_ug_kg / auc  # ug/kg / (ug/L*h) = L/h/kg
    return SingleDosePK(
        baseline_total=float(total[0]), baseline_free=float(free[0]), tmax_h=float(t_h[np.argmax(excess)]),
        thalf_h=k_half, cl_ml_min_kg=cl_l_h_kg * 1000 / 60,
        v_l_kg=cl_l_h_kg * k_half / math.log(2),
    )


@dataclass(frozen=True)
class InfusionPK:
    """Frystyk's 75-min IV infusion of 9 ug/kg/h."""

    free_fold: float
    total_fold: float
    free_thalf_min: float


def frystyk_infusion(values: dict[str, float]) -> InfusionPK:
    stop = INFUSION_MINUTES / 1440.0
    sched = Schedule(infusions=[Infusion(0.0, stop, "rate_igf1_iv", INFUSION_RATE_UG_KG_H * 24.0)])
    t_min = np.concatenate([np.arange(0, INFUSION_MINUTES + 0.1, 5.0), INFUSION_MINUTES + np.arange(1, 61, 1.0)])
    total, free = concentrations(values, sched, t_min / 1440.0)
    i_end = int(np.argmin(np.abs(t_min - INFUSION_MINUTES)))
    after = t_min >= INFUSION_MINUTES
    thalf = terminal_half_life_h(t_min[after] - INFUSION_MINUTES, (free - free[0])[after], 0.0, 30.0)
    return InfusionPK(free_fold=float(free[i_end] / free[0]), total_fold=float(total[i_end] / total[0]),
                      free_thalf_min=thalf)


# --------------------------------------------------------------------------- the fit

#: Parameters the human PK fit estimates (log-scale), with the disease scope they belong to.
FIT_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("V_free", "base"), ("V_bound", "base"), ("Bmax", "base"), ("kon", "base"), ("koff", "base"),
    ("Vmax_free", "base"), ("Km_free", "base"), ("CL_free", "base"), ("k_bound", "base"), ("ka_sc", "base"), ("ksyn", "base"),
    ("Bmax", "disease:igfd"), ("ksyn", "disease:igfd"), ("ka_sc", "disease:igfd"),
)

#: Extra target not in targets.csv: IGFD baseline total IGF-1 30-50 ug/L (Grahnen 1993, BRIEF 4).
IGFD_BASELINE = ("human_pk_igfd_baseline", 40.0, 30.0, 50.0)


def pk_metrics(healthy: dict[str, float], igfd: dict[str, float]) -> dict[str, float]:
    """Every simulated quantity that a human_pk target speaks to, keyed by target id."""
    h = single_sc_dose(healthy, (30.0, 90.0))
    d = single_sc_dose(igfd, (8.0, 30.0))
    inf = frystyk_infusion(healthy)
    return {
        "human_pk_healthy_thalf": h.thalf_h,
        "human_pk_healthy_tmax": h.tmax_h,
        "human_pk_healthy_cl": h.cl_ml_min_kg,
        "human_pk_bioavailability": healthy["F_sc"],
        "human_pk_endogenous": healthy["ksyn"],
        "human_pk_igfd_thalf": d.thalf_h,
        "human_pk_igfd_v": d.v_l_kg,
        "human_pk_free_thalf": inf.free_thalf_min,
        "human_pk_free_baseline": h.baseline_free,
        "human_pk_total_baseline": h.baseline_total,
        "human_pk_free_fold_9ugkgh": inf.free_fold,
        "human_pk_total_fold_9ugkgh": inf.total_fold,
        IGFD_BASELINE[0]: d.baseline_total,
    }


@dataclass
class PKFit:
    """Result of :func:`fit_human_pk`.

    Attributes:
        values_: fitted value per (name, scope).
        sd_log_: approximate standard deviation of log(value) from the Gauss-Newton covariance
            (residuals scaled by target half-bands, so it is a band-based uncertainty).
        metrics_: simulated target quantities at the fit.
        cost_: final least-squares cost.
    """

    values_: dict[tuple[str, str], float]
    sd_log_: dict[tuple[str, str], float]
    metrics_: dict[str, float]
    cost_: float


def with_values(healthy: dict[str, float], igfd: dict[str, float], values: dict[tuple[str, str], float]
                ) -> tuple[dict[str, float], dict[str, float]]:
    """Healthy and IGFD parameter sets with fitted (name, scope) values in place; a base value holds
    for IGFD too unless IGFD has its own."""
    h, d = dict(healthy), dict(igfd)
    for (name, scope), x in values.items():
        if scope == "base":
            h[name] = x
            if (name, "disease:igfd") not in values:
                d[name] = x
        else:
            d[name] = x
    return h, d


def _apply(base_h: dict[str, float], base_d: dict[str, float], theta: np.ndarray) -> tuple[dict, dict]:
    return with_values(base_h, base_d, dict(zip(FIT_PARAMETERS, np.exp(theta))))


def fit_human_pk(healthy: dict[str, float], igfd: dict[str, float], bounds: dict[tuple[str, str], tuple[float, float]],
                 max_nfev: int = 200, n_starts: int = 1, random_state: int = 0) -> PKFit:
    """Fit the FIT_PARAMETERS to the human_pk targets by bounded least squares (scipy TRF).

    Residual of each target: (simulated - value) / half-band, so every band counts alike.
    The first start is the given values; further starts are drawn log-uniformly within the
    bounds (seeded by ``random_state``); the lowest-cost fit is returned.
    """
    from scipy.optimize import least_squares

    from tregsim.targets import targets_by_id

    tg = targets_by_id("human_pk")
    ids = [i for i in tg if i != "human_pk_bioavailability"]  # F is not identifiable from these data: fixed
    bands = {i: (tg[i].value, (tg[i].high - tg[i].low) / 2) for i in ids}
    bands[IGFD_BASELINE[0]] = (IGFD_BASELINE[1], (IGFD_BASELINE[3] - IGFD_BASELINE[2]) / 2)

    def residuals(theta: np.ndarray) -> np.ndarray:
        h, d = _apply(healthy, igfd, theta)
        try:
            m = pk_metrics(h, d)
        except (ValueError, RuntimeError):
            return np.full(len(bands), 1e3)
        r = np.array([(m[k] - c) / w for k, (c, w) in bands.items()])
        return np.where(np.isfinite(r), r, 1e3)

    x0 = np.log([igfd[n] if s != "base" else healthy[n] for n, s in FIT_PARAMETERS])
    lo = np.log([bounds[k][0] for k in FIT_PARAMETERS])
    hi = np.log([bounds[k][1] for k in FIT_PARAMETERS])
    rng = np.random.default_rng(random_state)
    res = None
    for k in range(n_starts):
        start = np.clip(x0, lo + 1e-9, hi - 1e-9) if k == 0 else rng.uniform(lo, hi)
        r = least_squares(residuals, start, bounds=(lo, hi), x_scale=1.0, diff_step=1e-3, max_nfev=max_nfev)
        if res is None or r.cost < res.cost:
            res = r
    jtj = res.jac.T @ res.jac
    cov = np.linalg.pinv(jtj)
    h, d = _apply(healthy, igfd, res.x)
    return PKFit(
        values_={k: float(v) for k, v in zip(FIT_PARAMETERS, np.exp(res.x))},
        sd_log_={k: float(math.sqrt(max(cov[i, i], 0.0))) for i, k in enumerate(FIT_PARAMETERS)},
        metrics_=pk_metrics(h, d), cost_=float(res.cost),
    )


def target_results(healthy: dict[str, float] | None = None, igfd: dict[str, float] | None = None) -> list[dict]:
    """Every human_pk target of targets.csv (plus the IGFD baseline) with the simulated value and pass."""
    from tregsim.model.parameters import resolve
    from tregsim.targets import Target, targets_by_id

    m = pk_metrics(healthy or resolve("human", "healthy"), igfd or resolve("human", "igfd"))
    out = [t.as_result(m[t.id]) for t in targets_by_id("human_pk").values()]
    tid, value, low, high = IGFD_BASELINE
    extra = Target(tid, "human_pk", "baseline total IGF-1 in IGFD", value, low, high, "ug/L", "Grahnen 1993", "V")
    return out + [extra.as_result(m[tid])]
