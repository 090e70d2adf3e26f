"""Human IGF-1 pharmacokinetics and glucose: the fit to the clinical studies, from documented priors.

What is fitted, to what (every study is a built-in protocol, see :mod:`tregsim.pk.studies`):

* **PK** (healthy adults, primary IGF-1 deficiency ``igfd``, adult GH deficiency ``ghd``): every
  ``human_pk`` row of targets.csv -- Grahnen's single SC dose (t1/2, Tmax, CL), Frystyk's low and high
  infusions (free and total folds, free t1/2), Guler's IV bolus (total rise and free share at 15 min),
  the baselines, the label's IGFD t1/2 and volume, Grahnen's GHRD rises on once and twice daily dosing,
  Thoren's adult GHD over 7 daily doses -- plus three baselines the brief gives in prose
  (:data:`~tregsim.pk.studies.EXTRA_TARGETS`).
* **Glucose** (second stage, PK fixed): the ``human_glucose`` rows (Guler's bolus, Kerr's infusion, the
  7-h infusion, Thoren's GHD without hypoglycaemia).

Method: maximum a posteriori, i.e. bounded least squares (scipy TRF, log parameters) of target residuals
plus prior residuals.  A two-sided target contributes (simulated - centre) / half-band (the band's edge
counts as one standard deviation); a one-sided target a hinge that is zero inside the band.  Each fitted
parameter has a log-normal prior centred at the table's ``prior`` with sd(log) = ln(high/low) / 4
(:mod:`tregsim.calibration.priors`).  The first start is the priors; further starts are drawn from the
prior (seeded); the best is kept and the spread of the converged starts is reported.  Uncertainty:
Laplace, sd(log) from the Jacobian including the prior rows.

The mouse PK is the human fit scaled allometrically (:func:`mouse_pk_values`), so the fit also writes the
mouse PK rows; the ``mouse_pk`` glucose rows (lit/lit mice) are checked, not fitted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tregsim.model.parameters import load_table, resolve
from tregsim.pk.studies import (
    EXTRA_TARGETS, PARAMETER_TARGETS, STUDY_TARGETS, Course, StudyTarget, run_pk, study_values,
)
from tregsim.protocol import SimulationProtocol
from tregsim.schedule import Schedule
from tregsim.targets import Target, targets_by_id

Key = tuple[str, str]  # (parameter name, scope)

#: Stage 1: IGF-1/IGF-II kinetics.
PK_FIT: tuple[Key, ...] = (
    ("V_free", "base"), ("V_bound", "base"), ("Bmax", "base"), ("k_bp", "base"), ("k_bt", "base"), ("k_tb", "base"), ("kon", "base"), ("koff", "base"),
    ("CL_free", "base"), ("k_bound", "base"), ("ka_sc", "base"), ("ksyn", "base"), ("ksyn_igf2", "base"),
    ("igfbp3_factor", "disease:igfd"), ("ksyn", "disease:igfd"), ("ksyn_igf2", "disease:igfd"),
    ("k_bound", "disease:igfd"), ("ka_sc", "disease:igfd"),
    ("igfbp3_factor", "disease:ghd"), ("ksyn", "disease:ghd"), ("ksyn_igf2", "disease:ghd"),
    ("k_bound", "disease:ghd"), ("ka_sc", "disease:ghd"),
)
#: Stage 2: glucose, with the PK fixed.
GLUCOSE_FIT: tuple[Key, ...] = (
    ("k_glc", "base"), ("Emax_glc", "base"), ("EC50_glc", "base"), ("n_glc", "base"), ("k_cr", "base"),
    ("Emax_cr", "base"),
)
FIT_PARAMETERS: tuple[Key, ...] = PK_FIT + GLUCOSE_FIT

PK_TARGET_SYSTEMS = ("human_pk",)
GLUCOSE_TARGET_SYSTEMS = ("human_glucose",)

#: Allometric scaling of the human fit to a 25 g mouse: rate constants and per-kg rates x (70/0.025)^0.25;
#: volumes, binding capacity and concentration-effect parameters unchanged (explicit assumption).
ALLOMETRIC_FACTOR = (70.0 / 0.025) ** 0.25
MOUSE_SCALED_RATES = frozenset({"k_bp", "k_bt", "k_tb", "kon", "koff", "CL_free", "k_bound", "ka_sc", "ksyn", "ksyn_igf2", "k_glc", "k_cr"})
MOUSE_SAME = frozenset({"V_free", "V_bound", "Bmax", "igfbp3_factor", "Emax_glc", "EC50_glc", "n_glc", "Emax_cr"})


def all_targets() -> dict[str, Target]:
    """Every target the PK/glucose studies speak to: targets.csv rows and the extra baselines."""
    out = {**targets_by_id("human_pk"), **targets_by_id("human_glucose"), **targets_by_id("mouse_pk")}
    for tid, system, quantity, value, low, high, unit, source in EXTRA_TARGETS:
        out[tid] = Target(tid, system, quantity, value, low, high, unit, source, "V")
    return out


def mouse_pk_values(human: dict[Key, float]) -> dict[Key, float]:
    """Mouse PK/glucose rows from human (name, scope) values (healthy base and ``ghd``, for lit/lit mice)."""
    out: dict[Key, float] = {}
    for (name, scope), v in human.items():
        if scope not in ("base", "disease:ghd"):
            continue
        if name in MOUSE_SCALED_RATES:
            out[(name, scope)] = v * ALLOMETRIC_FACTOR
        elif name in MOUSE_SAME:
            out[(name, scope)] = v
    return out


def table_values(species: str = "human") -> dict[Key, float]:
    """(name, scope) -> value of every row of a table."""
    return {(r.name, r.scope): r.value for r in load_table(species)}


def values_for(human: dict[Key, float]) -> Callable[[SimulationProtocol], dict[str, float]]:
    """A function giving the parameter values of a study's protocol, with ``human`` (name, scope) values
    (and their allometric mouse counterparts) in place of the table's."""
    mouse = mouse_pk_values(human)

    def values(proto: SimulationProtocol) -> dict[str, float]:
        v = resolve(proto.species, proto.disease, proto.hypothesis)
        fitted = human if proto.species == "human" else mouse
        for scope in ("base", f"disease:{proto.disease}"):
            for (name, s), x in fitted.items():
                if s == scope:
                    v[name] = x
        return v

    return values


def simulated_targets(human: dict[Key, float] | None = None, targets: tuple[StudyTarget, ...] = STUDY_TARGETS
                      ) -> dict[str, float]:
    """Simulated value of every PK/glucose target for the given human values (default: the table's)."""
    human = human if human is not None else table_values("human")
    out = study_values(targets, values_for(human))
    healthy = values_for(human)(_healthy_protocol())
    for tid, name in PARAMETER_TARGETS.items():
        out[tid] = healthy[name]
    return out


def _healthy_protocol() -> SimulationProtocol:
    from tregsim.protocol import parse_protocol

    return parse_protocol(dict(kind="simulation", species="human", disease="healthy", duration_days=1))


def target_residual(t: Target, x: float) -> float:
    """Two-sided: (x - centre) / half-band; one-sided: a hinge, zero inside the band (2 % margin), in units
    of 5 % of the bound.  Non-finite simulated values cost 10."""
    if not math.isfinite(x):
        return 10.0
    lo, hi = t.low, t.high
    if math.isfinite(lo) and math.isfinite(hi):
        centre = t.value if math.isfinite(t.value) else (lo + hi) / 2
        half = (hi - lo) / 2
        return (x - centre) / half
    if math.isfinite(lo):
        return max(0.0, lo * 1.02 - x) / (0.05 * abs(lo))
    return max(0.0, x - hi * 0.98) / (0.05 * abs(hi))


def target_results(human: dict[Key, float] | None = None) -> list[dict]:
    """Every PK/glucose target with the simulated value and pass (the contract's target records)."""
    sim = simulated_targets(human)
    return [t.as_result(sim[tid]) for tid, t in all_targets().items() if tid in sim]


# --------------------------------------------------------------------------- the fit


@dataclass
class PKFit:
    """Result of :func:`fit_human_pk` (scikit-learn style: learned attributes end in ``_``).

    Attributes:
        values_: fitted value per (name, scope).
        prior_: the prior (start) per (name, scope).
        sd_log_: Laplace sd(log) per (name, scope).
        at_bound_: parameters that ended within 1e-3 (log) of a bound.
        metrics_: simulated targets at the fit.
        cost_: final cost (half the sum of squared target and prior residuals), per stage.
        starts_: per stage, the cost and values of every start (the spread shows whether starts agree).
    """

    values_: dict[Key, float]
    prior_: dict[Key, float]
    sd_log_: dict[Key, float]
    at_bound_: list[Key]
    metrics_: dict[str, float]
    cost_: dict[str, float]
    starts_: dict[str, list[dict]] = field(default_factory=dict)


def _prior_sd_log(low: float, high: float) -> float:
    from tregsim.calibration.priors import prior_sd_log

    return prior_sd_log(low, high)


def _fit_stage(keys: tuple[Key, ...], fixed: dict[Key, float], systems: tuple[str, ...], max_nfev: int,
               n_starts: int, rng: np.random.Generator, progress: Callable[[int], None] | None
               ) -> tuple[np.ndarray, object, list[dict], np.ndarray, np.ndarray, np.ndarray]:
    from scipy.optimize import least_squares

    rows = {(r.name, r.scope): r for r in load_table("human")}
    prior = np.log([rows[k].prior for k in keys])
    lo = np.log([rows[k].low for k in keys])
    hi = np.log([rows[k].high for k in keys])
    sd = np.array([_prior_sd_log(rows[k].low, rows[k].high) for k in keys])
    targets = {tid: t for tid, t in all_targets().items() if t.system in systems}
    studies = tuple(st for st in STUDY_TARGETS if st.target in targets)
    cache: dict[bytes, np.ndarray] = {}

    def residuals(theta: np.ndarray) -> np.ndarray:
        key = theta.tobytes()
        if key not in cache:
            vals = {**fixed, **dict(zip(keys, np.exp(theta)))}
            try:
                sim = simulated_targets(vals, studies)
                r = [target_residual(targets[st.target], sim[st.target]) for st in studies]
            except (ValueError, RuntimeError, ArithmeticError):
                r = [10.0] * len(studies)
            cache[key] = np.concatenate([r, (theta - prior) / sd])
            if progress is not None:
                progress(1)
        return cache[key]

    starts = []
    best = None
    for k in range(n_starts):
        x0 = prior if k == 0 else rng.normal(prior, sd)
        x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)
        res = least_squares(residuals, x0, bounds=(lo, hi), x_scale=1.0, diff_step=1e-4, max_nfev=max_nfev)
        starts.append({"start": k, "cost": float(res.cost),
                       "values": {f"{n}|{s}": float(v) for (n, s), v in zip(keys, np.exp(res.x))}})
        if best is None or res.cost < best.cost:
            best = res
    return best.x, best, starts, lo, hi, sd


def fit_human_pk(max_nfev: int = 200, n_starts: int = 3, random_state: int = 0,
                 progress: Callable[[int], None] | None = None) -> PKFit:
    """Fit PK (stage 1) then glucose (stage 2) from the documented priors; see the module docstring.

    Arguments:
        max_nfev: least-squares evaluations per start.
        n_starts: starts per stage (the first at the priors, the others drawn from the priors).
        random_state: seed of the further starts.
        progress: called after each model evaluation.
    """
    from tregsim.calibration.priors import laplace_sd_log

    rng = np.random.default_rng(random_state)
    fixed = table_values("human")
    values: dict[Key, float] = {}
    sd_log: dict[Key, float] = {}
    at_bound: list[Key] = []
    cost: dict[str, float] = {}
    starts: dict[str, list[dict]] = {}
    for stage, keys, systems in (("pk", PK_FIT, PK_TARGET_SYSTEMS), ("glucose", GLUCOSE_FIT, GLUCOSE_TARGET_SYSTEMS)):
        base = {**fixed, **values}
        x, res, st, lo, hi, _ = _fit_stage(keys, base, systems, max_nfev, n_starts, rng, progress)
        values.update(dict(zip(keys, np.exp(x))))
        sd_log.update(dict(zip(keys, laplace_sd_log(res.jac))))
        at_bound += [k for k, xi, l, h in zip(keys, x, lo, hi) if xi - l < 1e-3 or h - xi < 1e-3]
        cost[stage] = float(res.cost)
        starts[stage] = st
    rows = {(r.name, r.scope): r for r in load_table("human")}
    return PKFit(values_={k: float(v) for k, v in values.items()},
                 prior_={k: rows[k].prior for k in values}, sd_log_={k: float(v) for k, v in sd_log.items()},
                 at_bound_=at_bound, metrics_=simulated_targets({**fixed, **values}), cost_=cost, starts_=starts)


# --------------------------------------------------------------------------- helpers for other modules


def concentrations(values: dict[str, float], schedule: Schedule, t_days: np.ndarray,
                   glucose: bool = False) -> tuple[np.ndarray, ...]:
    """Total and free plasma IGF-1 (ng/mL) at ``t_days`` for a schedule (and glucose, mmol/L, if asked),
    from the engine (:func:`tregsim.pk.studies.engine_pk_many`)."""
    from tregsim.pk.studies import engine_pk_many

    t_days = np.asarray(t_days, dtype=float)
    return course_arrays(values, engine_pk_many([values], schedule, float(t_days[-1]), t_days)[0], glucose)


def course_arrays(values: dict[str, float], y: np.ndarray, glucose: bool = False) -> tuple[np.ndarray, ...]:
    """Total and free IGF-1 (ng/mL) (and glucose) from PK_STATES columns ``y``."""
    from tregsim.model.definition import PK_STATES

    ix = {n: i for i, n in enumerate(PK_STATES)}
    free = y[:, ix["igf1_free"]] / values["V_free"]
    total = free + y[:, ix["igf1_bound"]] / values["V_bound"]
    return (total, free, y[:, ix["glucose"]]) if glucose else (total, free)


__all__ = ["PKFit", "fit_human_pk", "target_results", "simulated_targets", "concentrations", "mouse_pk_values",
           "run_pk", "Course"]
