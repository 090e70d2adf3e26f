"""Fit of the mouse parameters to the mouse rows of targets.csv.

The only random element of a mouse EAE cohort is the size of each animal's immunisation (lognormal,
log-SD ``immunisation_sd_log``).  The *expected* cohort metrics are therefore integrals over that
lognormal, computed by Gauss-Hermite quadrature: each node is one animal with a fixed multiplier,
and every arm's nodes are solved together.  Threshold metrics (incidence, death) are smoothed with
a logistic of width ``SMOOTH`` so that the objective is differentiable; the seeded cohorts of
``tregsim reproduce`` then check the fit with the hard definitions.

Residuals: two-sided targets have a flat bottom (zero within the inner half of the band around the
central value, then linear in (simulated - centre) / half-band up to 0.5 at the band's edge, and
``OUTSIDE_WEIGHT`` times steeper beyond it); one-sided targets are hinges that are zero inside the
band with a 10 % margin.  Bounded least squares (scipy TRF) in
log-parameter space, plus log-normal priors around the table's ``prior`` column (a MAP fit, so that the
flat-bottomed target residuals leave a unique optimum that the priors' start reaches).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tregsim.experiments.bilbao2014 import (
    DURATION_DAYS, EAE_BY_ID, ONSET_SCORE, course_days, naive_treg_fraction, run_subjects,
)
from tregsim.model.parameters import load_table
from tregsim.model.subject import build_subject
from tregsim.engine.ensemble import EnsembleSolver
from tregsim.solve.batch import CohortSolver
from tregsim.targets import targets_by_id

#: (name, scope) fitted on a log scale; bounds come from the parameter table.
FIT_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("aR", "base"), ("aE", "base"), ("K_E", "base"), ("k_in", "base"), ("a_dam", "base"), ("r_rem", "base"),
    ("score_x50", "base"), ("score_n", "base"), ("k_adj", "base"),
    ("immunisation_teff", "disease:eae_mog35_55"), ("immunisation_adjuvant", "disease:eae_mog35_55"),
    ("immunisation_adjuvant", "disease:eae_severe"), ("immunisation_sd_log", "base"),
    ("EC50_treg", "base"), ("Emax_treg", "base"), ("EC50_teff", "base"), ("Emax_teff", "base"),
)
ARMS = ("eae_vehicle", "eae_igf1", "eae_vehicle_treg_igf1r_ko", "eae_igf1_treg_igf1r_ko",
        "eae_vehicle_pan_t_igf1r_ko", "eae_igf1_post_onset", "eae_severe_vehicle", "eae_severe_igf1")
N_NODES = 11
SMOOTH = 0.05  # score units
#: Continuation: each start is fitted first with these wider logistic widths (score units), then with
#: SMOOTH.  Far from a threshold a narrow logistic has no slope (an arm where no animal dies cannot tell
#: the fit which way death lies); the wide pass gives it one.
CONTINUATION = (0.8, 0.2)
OUTSIDE_WEIGHT = 5.0  # slope of a residual beyond the band's edge (inside: at most 0.5)
FIT_STEP_DAYS = 0.25


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def quadrature(sd_log: float, n: int = N_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers and weights for E[f(exp(sd*Z))], Z standard normal (Gauss-Hermite)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return np.exp(sd_log * x), w / w.sum()


def _first_crossing(t: np.ndarray, s: np.ndarray, level: float) -> float:
    above = np.nonzero(s >= level)[0]
    if above.size == 0:
        return math.nan
    j = int(above[0])
    if j == 0:
        return float(t[0])
    return float(t[j - 1] + (level - s[j - 1]) / (s[j] - s[j - 1]) * (t[j] - t[j - 1]))


def expected_metrics(overrides: dict[str, dict[str, float]], hypothesis: str = "treg_and_th17",
                     solver: CohortSolver | EnsembleSolver | None = None, smooth: float = SMOOTH
                     ) -> dict[str, dict[str, float]]:
    """Smooth expected metrics per arm; ``overrides`` maps a disease ('eae_mog35_55', 'eae_severe',
    'healthy') to the parameter values to use for it."""
    solver = solver or EnsembleSolver()
    t = np.arange(0.0, DURATION_DAYS + 1e-9, FIT_STEP_DAYS)
    out: dict[str, dict[str, float]] = {}
    for arm in ARMS:
        exp = EAE_BY_ID[arm]
        ov = overrides[exp.disease]
        mult, w = quadrature(ov["immunisation_sd_log"])
        proto = exp.protocol(hypothesis, N_NODES, 0)
        subjects = [build_subject(proto, i, 0, overrides=ov, immunisation_multiplier=float(m))
                    for i, m in enumerate(mult)]
        obs = run_subjects(subjects, t, solver)
        death = ov["death_score"]
        lost = 1.0 - obs["myelin_intact"]
        raw = 5.0 * lost ** ov["score_n"] / (ov["score_x50"] ** ov["score_n"] + lost ** ov["score_n"])
        raw_peak = raw.max(axis=1)
        p_dead = _sigmoid((raw_peak - death) / (smooth / 2))
        peak = raw_peak + p_dead * (5.0 - raw_peak)
        p_sick = _sigmoid((raw_peak - ONSET_SCORE) / smooth)
        onset = np.array([_first_crossing(t, s, ONSET_SCORE) for s in raw])
        onset = np.where(np.isfinite(onset), onset, DURATION_DAYS)
        # mean score curve with death as an absorbing 5 (soft: weight by survival to that point)
        dead_by_t = _sigmoid((np.maximum.accumulate(raw, axis=1) - death) / (smooth / 2))
        score_t = raw * (1 - dead_by_t) + 5.0 * dead_by_t
        mean_curve = w @ score_t
        i = int(np.argmax(mean_curve))
        if 0 < i < len(t) - 1:  # parabolic refinement of the peak day
            a, b, c = mean_curve[i - 1: i + 2]
            den = a - 2 * b + c
            peak_day = float(t[i] + (0.5 * (a - c) / den if den != 0 else 0.0) * FIT_STEP_DAYS)
        else:
            peak_day = float(t[i])
        out[arm] = {
            "incidence": float(w @ p_sick),
            "onset_day_mean": float((w * p_sick) @ onset / max(w @ p_sick, 1e-9)),
            "peak_score_mean": float(w @ peak),
            "peak_day": peak_day,
            "course_days": course_days(t, mean_curve),
            "survival": float(w @ (1 - p_dead)),
            "treg_cns_max": float((w @ obs["treg_cns"]).max()),
        }
    out["naive"] = {"treg_fraction_cd4": naive_treg_fraction(hypothesis, overrides["healthy"])}
    return out


def _target_residuals(ex: dict[str, dict[str, float]]) -> dict[str, float]:
    from tregsim.experiments.bilbao2014 import simulated_targets

    sim = simulated_targets(ex)
    res = {}
    for tid, tg in targets_by_id("mouse_eae").items():
        x = sim[tid]
        if not math.isfinite(x):
            res[tid] = 10.0
        elif math.isfinite(tg.low) and math.isfinite(tg.high):
            # flat bottom: no pull inside the inner half of the band, linear beyond (0.5 at the edge)
            centre = tg.value if math.isfinite(tg.value) else (tg.low + tg.high) / 2
            half = (tg.high - tg.low) / 2
            dev = (x - centre) / half
            edge = (tg.high - centre) / half if dev > 0 else (centre - tg.low) / half
            inside = max(0.0, min(abs(dev), edge) - 0.5 * edge)
            res[tid] = math.copysign(inside + OUTSIDE_WEIGHT * max(0.0, abs(dev) - edge), dev)
        elif math.isfinite(tg.high):  # one-sided: x < high (with a 10 % margin)
            res[tid] = OUTSIDE_WEIGHT * max(0.0, x - 0.9 * tg.high) / 0.1
        else:  # x > low
            res[tid] = OUTSIDE_WEIGHT * max(0.0, 1.1 * tg.low - x) / 0.1
    return res


@dataclass
class MouseFit:
    """Result of :func:`fit_mouse` (scikit-learn style: learned attributes end in ``_``)."""

    values_: dict[tuple[str, str], float]
    sd_log_: dict[tuple[str, str], float]
    residuals_: dict[str, float]
    expected_: dict[str, dict[str, float]]
    cost_: float
    nfev_: int
    prior_: dict[tuple[str, str], float] = field(default_factory=dict)
    at_bound_: list[tuple[str, str]] = field(default_factory=list)
    starts_: list[dict] = field(default_factory=list)


def _bounds() -> dict[tuple[str, str], tuple[float, float]]:
    rows = {(r.name, r.scope): r for r in load_table("mouse")}
    return {k: (rows[k].low, rows[k].high) for k in FIT_PARAMETERS}


def hypothesis_scope(key: tuple[str, str], hypothesis: str) -> tuple[str, str]:
    """Where a value fitted under ``hypothesis`` lives in the table (the default hypothesis uses the
    plain scopes; another hypothesis gets 'hypothesis:h' or 'hypothesis:h+disease:d')."""
    from tregsim.protocol import DEFAULT_HYPOTHESIS

    name, scope = key
    if hypothesis == DEFAULT_HYPOTHESIS:
        return key
    return (name, f"hypothesis:{hypothesis}" if scope == "base" else f"hypothesis:{hypothesis}+{scope}")


def _table_values(hypothesis: str = "treg_and_th17") -> dict[tuple[str, str], float]:
    rows = {(r.name, r.scope): r for r in load_table("mouse")}
    return {k: rows.get(hypothesis_scope(k, hypothesis), rows[k]).value for k in fit_parameters(hypothesis)}


#: A fitted scoped value that also holds for other diseases: the severe variant uses the same MOG
#: immunisation and differs only in its adjuvant (pertussis toxin) effect.
TIED: dict[tuple[str, str], tuple[str, ...]] = {("immunisation_teff", "disease:eae_mog35_55"): ("eae_severe",)}


def fit_parameters(hypothesis: str) -> tuple[tuple[str, str], ...]:
    """The parameters free under ``hypothesis`` (the Teff receptor effect does not exist under treg_only)."""
    if hypothesis == "treg_only":
        return tuple(k for k in FIT_PARAMETERS if k[0] not in ("EC50_teff", "Emax_teff"))
    return FIT_PARAMETERS


def overrides_from(theta: dict[tuple[str, str], float], hypothesis: str = "treg_and_th17"
                   ) -> dict[str, dict[str, float]]:
    """Per-disease parameter dictionaries from fitted (name, scope) values."""
    from tregsim.model.parameters import resolve

    out = {}
    for disease in ("eae_mog35_55", "eae_severe", "healthy"):
        v = resolve("mouse", disease, hypothesis)
        for (name, scope), x in theta.items():
            if scope == "base":
                v[name] = x
        # a scope-specific row wins over the base one
        for (name, scope), x in theta.items():
            if scope == f"disease:{disease}" or disease in TIED.get((name, scope), ()):
                v[name] = x
        out[disease] = v
    return out


def _priors(hypothesis: str) -> dict[tuple[str, str], tuple[float, float, float]]:
    """(prior, low, high) of each parameter free under ``hypothesis``, from the row it is written to."""
    rows = {(r.name, r.scope): r for r in load_table("mouse")}
    out = {}
    for k in fit_parameters(hypothesis):
        r = rows.get(hypothesis_scope(k, hypothesis), rows[k])
        out[k] = (r.prior, r.low, r.high)
    return out


def fit_mouse(max_nfev: int | None = 40, hypothesis: str = "treg_and_th17", start: dict | None = None,
              verbose: int = 0, n_starts: int = 1, random_state: int = 0,
              free: tuple[tuple[str, str], ...] | None = None, from_table: bool = False) -> MouseFit:
    """MAP fit of the parameters free under ``hypothesis`` to the mouse targets (expected cohort metrics).

    Residuals: the targets' (:func:`_target_residuals`) and the priors' (log-normal around the table's
    ``prior`` column, sd(log) = ln(high/low)/4, :mod:`tregsim.calibration.priors`).  The first start is the
    priors (or ``start``); further starts are drawn from the priors (seeded by ``random_state``); the best
    is returned, with every start's cost in ``starts_``.  Uncertainty: Laplace (Jacobian with prior rows).
    ``free`` fits only those parameters, the others held at the table's values (a reduced run: at the
    table's optimum it must land where the full fit did).  ``from_table`` adds one more start at the
    table's current values (the previously published fit), after the others.
    """
    from scipy.optimize import least_squares

    from tregsim.calibration.priors import laplace_sd_log, prior_residuals, prior_sd_log

    max_nfev = 40 if max_nfev is None else max_nfev
    params = fit_parameters(hypothesis) if free is None else tuple(free)
    pri = _priors(hypothesis)
    held = {k: v for k, v in _table_values(hypothesis).items() if k not in params}
    prior = np.log([pri[k][0] for k in params])
    lo = np.log([pri[k][1] for k in params])
    hi = np.log([pri[k][2] for k in params])
    sd = np.array([prior_sd_log(pri[k][1], pri[k][2]) for k in params])
    names = list(targets_by_id("mouse_eae"))
    cache: dict[bytes, np.ndarray] = {}

    def residuals(theta: np.ndarray, smooth: float = SMOOTH) -> np.ndarray:
        key = theta.tobytes() + str(smooth).encode()
        if key not in cache:
            vals = {**held, **dict(zip(params, np.exp(theta)))}
            try:
                ex = expected_metrics(overrides_from(vals, hypothesis), hypothesis, smooth=smooth)
                r = _target_residuals(ex)
                tr = np.array([r[n] for n in names])
            except (RuntimeError, ValueError):
                tr = np.full(len(names), 10.0)
            cache[key] = np.concatenate([tr, prior_residuals(theta, prior, sd)])
        return cache[key]

    rng = np.random.default_rng(random_state)
    best, starts = None, []
    table = _table_values(hypothesis)
    for k in range(n_starts + int(from_table)):
        if k == n_starts:
            x0, kind = np.log([table[p] for p in params]), "table"
        elif k == 0:
            x0, kind = (prior, "prior") if start is None else (np.log([start[p] for p in params]), "given")
        else:
            x0, kind = rng.normal(prior, sd), "prior draw"
        x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)
        for width in CONTINUATION if free is None and kind != "table" else ():
            x0 = least_squares(residuals, x0, bounds=(lo, hi), diff_step=0.05, max_nfev=max_nfev // 2,
                               verbose=verbose, kwargs={"smooth": width}).x
        res = least_squares(residuals, x0, bounds=(lo, hi), diff_step=0.05, max_nfev=max_nfev, verbose=verbose)
        starts.append({"start": k, "from": kind, "cost": float(res.cost),
                       "values": {f"{n}|{sc}": float(v) for (n, sc), v in zip(params, np.exp(res.x))}})
        if best is None or res.cost < best.cost:
            best = res
    vals = dict(zip(params, np.exp(best.x)))
    expected = expected_metrics(overrides_from({**held, **vals}, hypothesis), hypothesis)
    at_bound = [k for k, x, a, b in zip(params, best.x, lo, hi) if x - a < 1e-3 or b - x < 1e-3]
    return MouseFit(values_={k: float(v) for k, v in vals.items()},
                    sd_log_={k: float(v) for k, v in zip(params, laplace_sd_log(best.jac))},
                    residuals_=_target_residuals(expected), expected_=expected, cost_=float(best.cost),
                    nfev_=int(best.nfev), prior_={k: float(pri[k][0]) for k in params}, at_bound_=at_bound,
                    starts_=starts)
