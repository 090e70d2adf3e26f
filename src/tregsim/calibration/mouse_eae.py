"""Fit of the mouse parameters to the mouse rows of targets.csv.

The only random element of a mouse EAE cohort is the size of each animal's immunisation (lognormal,
log-SD ``immunisation_sd_log``).  The *expected* cohort metrics are therefore integrals over that
lognormal, computed by Gauss-Hermite quadrature: each node is one animal with a fixed multiplier,
and every arm's nodes are solved together.  Threshold metrics (incidence, death) are smoothed with
a logistic of width ``SMOOTH`` so that the objective is differentiable; the seeded cohorts of
``tregsim reproduce`` then check the fit with the hard definitions.

Residuals: two-sided targets have a flat bottom (zero within the inner half of the band around the
central value, then linear in (simulated - centre) / half-band, and ``OUTSIDE_WEIGHT`` times steeper from
``EDGE_MARGIN`` of the half band inside the band's edge); one-sided targets are hinges that are zero inside the
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
from tregsim.model.subject import build_subjects
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
#: Width (standard-normal units) of a node's sick/dead indicator around the interpolated threshold: about
#: half the spacing of the central Gauss-Hermite nodes, so that a threshold moving between two nodes
#: shifts weight between them continuously.
SMOOTH = 0.5
#: Interpolated thresholds are clipped to this many standard deviations; extrapolation beyond the outer
#: nodes uses at least this slope (log myelin lost per standard deviation).
ZMAX = 12.0
MIN_SLOPE = 0.1
#: Continuation over the targets: a start first fits these targets alone (with the priors), then all.
#: Far from an EAE course (the priors: no immunised mouse falls ill) the other targets are ratios of
#: near-zero scores, whose cliffs stop a trust-region step; the vehicle arm's
#: incidence and peak score come first (the onset, peak day and course of a cohort in which hardly any
#: animal falls ill pull the other way), then its whole course and the naive mouse.
FIRST_STAGES: tuple[tuple[str, ...], ...] = (
    ("eae_incidence", "eae_peak_score", "mouse_treg_fraction_cd4"),
    ("eae_incidence", "eae_onset_day", "eae_peak_score", "eae_peak_day", "eae_course_days",
     "mouse_treg_fraction_cd4"),
)
#: Width of the soft onset and death crossings, on log(myelin lost).
LEVEL_WIDTH = 0.1
#: Width of the soft argmax of the mean score curve (score units).
PEAK_WIDTH = 0.02
#: Slope of a residual beyond the band's edge (inside: at most 0.5).  25, not the 5 used until 2026-11-30: with 5 a
#: point just outside two bands near the priors (cost 2.83) beat every point inside all bands (7.3), so the fit
#: from the priors returned values that `reproduce` would fail (docs/model.md section 5).
OUTSIDE_WEIGHT = 25.0
#: two-sided targets: the steep part of the residual starts this fraction of the half band inside each edge
#: (one-sided targets: 10 % of the bound).  Measured 2026-11-30 without it: the MAP optimum sat on an edge
#: (naive Treg share 0.0698, band 0.07-0.13), which the seeded cohorts then miss.
EDGE_MARGIN = 0.1
FIT_STEP_DAYS = 0.25
#: Fractions that are lognormal tail probabilities beyond a threshold (:func:`threshold_z`): outside their
#: band their residual grows on the probit scale.
PROBIT_TARGETS = ("eae_incidence", "bilbao_vehicle_survival", "bilbao_igf1_survival")
#: A fraction whose band ends at its own natural limit (incidence 0.80-1.00, survival 0.0-0.5 or 0.8-1.0) cannot
#: leave the band on that side; True gives it no steep part there.  False in the shipped objective, which then
#: charges an incidence of 1.0 -- inside its band -- ~1,080 (a known defect).  Measured 2026-12-01 (run 5,
#: docs/model.md section 5): with True and two CMA-ES searches the default hypothesis fits at cost 4.97, every
#: target inside, but the virtual population built on it misses the FREEDOMS ARR on fresh patients (0.483, band
#: 0.33-0.47) and its IGF-1 dose-response falls by 0.86 of the untreated rate between 40 and 80 ug/kg (a step,
#: which a test forbids), so the tables keep run 3's objective until the human side holds at such a fit.
NATURAL_LIMITS = False
#: Finite-difference step of the Jacobian, in prior standard deviations of log(value).
DIFF_STEP = 0.05
#: A fit (or stage) stops when an iteration lowers the cost by less than this fraction.
FTOL = 1e-3
#: Global stage (:func:`global_search`): CMA-ES (Hansen's ``cma``) from the priors in prior-standardised
#: coordinates, step size 1 prior sd, within the prior box, seeded; at most this many evaluations.  Measured
#: 2026-11-30 (``treg_and_th17``, outside slope 25): the priors cost ~72,000, CMA-ES reached 8.7 (every target
#: inside its band) after ~1,900 evaluations (15 min on the 2-core machine); scipy's differential evolution
#: over the same box (Sobol population of 128) was at 7,656 after 513.
GLOBAL_MAX_EVALS = 3000
GLOBAL_SIGMA = 1.0
#: Solver steps one animal's 60-day course may take in the global stage (the shipped values need 500-1,000); a
#: parameter set beyond it has immune dynamics stiff on the scale of minutes and ranks below every set that
#: solves (:data:`FAILED_COST`), so that the search spends no time on it (such sets took 5-25 s each, up to
#: 2 million steps, instead of ~0.5 s).
GLOBAL_MAX_STEPS = 20_000
FAILED_COST = 1.0e6


def quadrature(sd_log: float, n: int = N_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Multipliers and weights for E[f(exp(sd*Z))], Z standard normal (Gauss-Hermite)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return np.exp(sd_log * x), w / w.sum()


def _course_days(t: np.ndarray, mean_curve: np.ndarray) -> float:
    """:func:`course_days`, continued past the run: a course that has not fallen to half its peak by the
    end counts as longer in proportion to how far above half it still is (instead of +inf)."""
    c = course_days(t, mean_curve)
    if c == math.inf:
        half = mean_curve.max() / 2.0
        return float(t[-1] * (1.0 + (mean_curve[-1] - half) / half))
    return c


def threshold_z(z: np.ndarray, y: np.ndarray, level: float) -> float:
    """The standard-normal coordinate at which an animal's peak ``y`` (given at the quadrature nodes ``z``,
    ascending) first reaches ``level``: linear interpolation of its running maximum between nodes, and
    linear extrapolation beyond the outermost nodes (so that a cohort in which no node, or every node,
    reaches the level still says how far away the threshold is).  Clipped to +-ZMAX."""
    env = np.maximum.accumulate(y)
    if env[-1] < level:  # nobody reaches it: extrapolate above the top node
        slope = max((y[-1] - y[-2]) / (z[-1] - z[-2]), MIN_SLOPE)
        return float(min(z[-1] + (level - y[-1]) / slope, ZMAX))
    if env[0] >= level:  # everybody reaches it: extrapolate below the bottom node
        slope = max((y[1] - y[0]) / (z[1] - z[0]), MIN_SLOPE)
        return float(max(z[0] - (y[0] - level) / slope, -ZMAX))
    j = int(np.nonzero(env >= level)[0][0])
    return float(z[j - 1] + (level - env[j - 1]) / max(env[j] - env[j - 1], 1e-12) * (z[j] - z[j - 1]))


def crossing_days(t: np.ndarray, running: np.ndarray, level: float) -> np.ndarray:
    """Per node (rows of ``running``, a running maximum on the grid ``t``): the day it first reaches ``level``,
    linearly interpolated between grid points (the seeded cohorts' onset, without the grid's steps); a node
    that never reaches it counts at the day of its closest approach (its maximum), which is where its
    crossing day tends as its maximum rises to the level, so the mean onset moves continuously as a node's
    sick weight changes.  Until 2026-11-30 the fit used a soft count of the days below the level over the
    whole run, which put a node just short of the level at ~the run's length and a node just above it long
    after its crossing: the expected onset ran 2.6-2.9 days later than the seeded cohorts' (docs/model.md
    section 5)."""
    out = np.empty(running.shape[0])
    for k, y in enumerate(running):
        j = int(np.argmax(y >= level)) if y[-1] >= level else -1
        if j > 0:
            out[k] = t[j - 1] + (level - y[j - 1]) / max(y[j] - y[j - 1], 1e-300) * (t[j] - t[j - 1])
        elif j == 0:
            out[k] = t[0]
        else:
            out[k] = t[int(np.argmax(y >= y[-1]))]
    return out


def expected_metrics(overrides: dict[str, dict[str, float]], hypothesis: str = "treg_and_th17",
                     solver: CohortSolver | EnsembleSolver | None = None, smooth: float = SMOOTH
                     ) -> dict[str, dict[str, float]]:
    """Smooth expected metrics per arm; ``overrides`` maps a disease ('eae_mog35_55', 'eae_severe',
    'healthy') to the parameter values to use for it.

    Incidence and survival are exact lognormal probabilities beyond the interpolated threshold
    multiplier (:func:`threshold_z`); the nodes' sick and dead indicators are normal CDFs of their
    distance from that threshold, of width ``smooth`` (standard-normal units), so that every metric moves
    continuously with the parameters instead of stepping when one node crosses a threshold."""
    from scipy.special import ndtr

    solver = solver or EnsembleSolver()
    t = np.arange(0.0, DURATION_DAYS + 1e-9, FIT_STEP_DAYS)
    z = np.polynomial.hermite_e.hermegauss(N_NODES)[0]
    out: dict[str, dict[str, float]] = {}
    for arm in ARMS:
        exp = EAE_BY_ID[arm]
        ov = overrides[exp.disease]
        mult, w = quadrature(ov["immunisation_sd_log"])
        proto = exp.protocol(hypothesis, N_NODES, 0)
        subjects = build_subjects(proto, range(len(mult)), 0, ov, [float(m) for m in mult])
        obs = run_subjects(subjects, t, solver)
        death = ov["death_score"]
        lost = 1.0 - obs["myelin_intact"]
        raw = 5.0 * lost ** ov["score_n"] / (ov["score_x50"] ** ov["score_n"] + lost ** ov["score_n"])
        raw_peak = raw.max(axis=1)
        # thresholds on log(myelin lost), the score's monotone argument: nearly linear in the node's z (the
        # immunisation is lognormal), so extrapolation beyond the outer nodes is regular
        log_run = np.log(np.clip(np.maximum.accumulate(lost, axis=1), 1e-12, None))
        x50, n = ov["score_x50"], ov["score_n"]
        lvl_sick, lvl_dead = (math.log(x50) + math.log(s / (5.0 - s)) / n for s in (ONSET_SCORE, death))
        z_sick, z_dead = threshold_z(z, log_run[:, -1], lvl_sick), threshold_z(z, log_run[:, -1], lvl_dead)
        p_sick, p_dead = ndtr((z - z_sick) / smooth), ndtr((z - z_dead) / smooth)
        peak = raw_peak + p_dead * (5.0 - raw_peak)
        onset = crossing_days(t, log_run, lvl_sick)
        # mean score curve, death an absorbing 5 (soft in the same way)
        dead_by_t = ndtr((log_run - lvl_dead) / LEVEL_WIDTH)
        score_t = raw * (1 - dead_by_t) + 5.0 * dead_by_t
        mean_curve = w @ score_t
        # peak day: soft argmax (a curve with two near-equal maxima moves its peak day continuously)
        e = np.exp((mean_curve - mean_curve.max()) / PEAK_WIDTH)
        peak_day = float(t @ e / e.sum())
        out[arm] = {
            "incidence": float(1.0 - ndtr(z_sick)),
            "onset_day_mean": float((w * p_sick) @ onset / max(w @ p_sick, 1e-9)),
            "peak_score_mean": float(w @ peak),
            "peak_day": peak_day,
            "course_days": _course_days(t, mean_curve),
            "survival": float(ndtr(z_dead)),
            "treg_cns_max": float((w @ obs["treg_cns"]).max()),
        }
    out["naive"] = {"treg_fraction_cd4": naive_treg_fraction(hypothesis, overrides["healthy"])}
    return out


def _target_residuals(ex: dict[str, dict[str, float]], natural_limits: bool | None = None) -> dict[str, float]:
    """Each mouse target's residual from expected cohort metrics (module doc); ``natural_limits``: see
    :data:`NATURAL_LIMITS` (None: that constant)."""
    from tregsim.experiments.bilbao2014 import simulated_targets

    sim = simulated_targets(ex)
    natural_limits = NATURAL_LIMITS if natural_limits is None else natural_limits
    res = {}
    for tid, tg in targets_by_id("mouse_eae").items():
        x = sim[tid]
        if not math.isfinite(x):
            res[tid] = 10.0
        elif math.isfinite(tg.low) and math.isfinite(tg.high):
            # flat bottom: no pull inside the inner half of the band, linear beyond (0.5 at the edge); steep
            # from EDGE_MARGIN of the half band inside the edge, so that the priors' pull, which puts the MAP
            # optimum where the steep part begins, leaves it inside the band (as the one-sided targets' margin)
            centre = tg.value if math.isfinite(tg.value) else (tg.low + tg.high) / 2
            half = (tg.high - tg.low) / 2
            dev = (x - centre) / half
            edge = (tg.high - centre) / half if dev > 0 else (centre - tg.low) / half
            # with NATURAL_LIMITS, a fraction whose band ends at its own natural limit (incidence up to 1.0,
            # survival down to 0.0) has no steep part on that side: it cannot leave the band there
            natural = natural_limits and tid in PROBIT_TARGETS and (tg.high >= 1.0 if dev > 0 else tg.low <= 0.0)
            steep = edge if natural else edge * (1.0 - EDGE_MARGIN)
            inside = max(0.0, min(abs(dev), steep) - 0.5 * edge)
            beyond = max(0.0, abs(dev) - steep)
            if tid in PROBIT_TARGETS and beyond > 0:
                # beyond the margin on the probit scale, with the linear residual's slope there: a
                # fraction that is 0 or 1 far from its threshold still says how far away the threshold is
                from scipy.special import ndtri

                b = centre + math.copysign(steep * half, dev)
                xc = min(max(x, 1e-300), 1.0 - 1e-16)
                beyond = abs(ndtri(xc) - ndtri(b)) * math.exp(-0.5 * ndtri(b) ** 2) / math.sqrt(2 * math.pi) / half
            res[tid] = math.copysign(inside + OUTSIDE_WEIGHT * beyond, dev)
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


def global_search(cost, lower: np.ndarray, upper: np.ndarray, x0: np.ndarray, max_evals: int,
                  random_state: int, sigma: float = GLOBAL_SIGMA) -> tuple[np.ndarray, float, int]:
    """CMA-ES (Hansen's ``cma``, seeded, quiet) minimising ``cost`` over the box from ``x0`` with step size
    ``sigma`` (the box's units); stops after ``max_evals`` evaluations or when the population's costs agree
    to 1e-4.  Returns the best point seen, its cost and the number of evaluations."""
    import cma

    es = cma.CMAEvolutionStrategy(np.asarray(x0, float), sigma, {
        "bounds": [list(lower), list(upper)], "seed": int(random_state) + 1, "maxfevals": int(max_evals),
        "tolfun": 1e-4, "verbose": -9})
    while not es.stop():
        points = es.ask()
        es.tell(points, [cost(np.asarray(x)) for x in points])
    return np.asarray(es.result.xbest), float(es.result.fbest), int(es.result.evaluations)


@dataclass
class MouseObjective:
    """The MAP objective of :func:`fit_mouse` at prior-standardised coordinates u = (log value - log prior) /
    sd(log).  A plain picklable object (no closures), so that global searches can run in worker processes;
    its evaluation cache and progress callback stay in the process that made them."""

    hypothesis: str
    params: tuple[tuple[str, str], ...]
    held: dict[tuple[str, str], float]
    prior: np.ndarray
    sd: np.ndarray
    natural_limits: bool
    progress: object = None
    names: list[str] = field(default_factory=lambda: list(targets_by_id("mouse_eae")), repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "progress": None, "_cache": {}}

    def target_residuals(self, u: np.ndarray, solver: EnsembleSolver | None = None) -> np.ndarray:
        """The targets' residuals at ``u`` (raises the solver's error); counts one model evaluation."""
        vals = {**self.held, **dict(zip(self.params, np.exp(self.prior + self.sd * u)))}
        try:
            r = _target_residuals(expected_metrics(overrides_from(vals, self.hypothesis), self.hypothesis,
                                                   solver=solver), self.natural_limits)
        finally:
            if self.progress is not None:
                self.progress(1)
        return np.array([r[n] for n in self.names])

    def residuals(self, u: np.ndarray, stage: tuple[str, ...] | None = None) -> np.ndarray:
        """Targets' then priors' residuals (cached); ``stage``: only these targets' (the others' are zero).
        A failed solve gives every target a residual of 10."""
        key = u.tobytes()
        if key not in self._cache:
            try:
                tr = self.target_residuals(u)
            except (RuntimeError, ValueError):
                tr = np.full(len(self.names), 10.0)
            self._cache[key] = np.concatenate([tr, u])
        r = self._cache[key]
        if stage is None:
            return r
        return np.where(np.r_[[n in stage for n in self.names], np.ones(len(self.params), bool)], r, 0.0)

    def global_cost(self, u: np.ndarray) -> float:
        """Half the sum of squares, solves capped at :data:`GLOBAL_MAX_STEPS` (a set beyond it ranks below
        every set that solves)."""
        try:
            tr = self.target_residuals(u, CAPPED_SOLVER)
        except (RuntimeError, ValueError):
            return FAILED_COST + 0.5 * float(u @ u)
        return 0.5 * float(tr @ tr + u @ u)

    def local_fit(self, u0: np.ndarray, lower: np.ndarray, upper: np.ndarray, max_nfev: int,
                  stages: tuple[tuple[str, ...], ...] = (), verbose: int = 0):
        """Bounded least squares (scipy TRF) from ``u0``, first over each of ``stages`` (continuation)."""
        from scipy.optimize import least_squares

        for stage in stages:
            u0 = least_squares(self.residuals, u0, bounds=(lower, upper), diff_step=DIFF_STEP, max_nfev=max_nfev,
                               ftol=FTOL, verbose=verbose, kwargs={"stage": stage}).x
        return least_squares(self.residuals, u0, bounds=(lower, upper), diff_step=DIFF_STEP, max_nfev=max_nfev,
                             ftol=FTOL, verbose=verbose)


#: The global stage's solver (a frozen settings object; the compiled engine is cached by the engine itself).
CAPPED_SOLVER = EnsembleSolver(max_steps=GLOBAL_MAX_STEPS)


def _global_start(objective: MouseObjective, lower: np.ndarray, upper: np.ndarray, u0: np.ndarray,
                  max_evals: int, seed: int, max_nfev: int, verbose: int = 0) -> dict:
    """One global start: :func:`global_search` seeded by ``seed``, then the local fit from its best point.
    A module-level function, so that it runs in a worker process."""
    searched, cost, n_global = global_search(objective.global_cost, lower, upper, u0, max_evals, seed)
    res = objective.local_fit(searched, lower, upper, max_nfev, verbose=verbose)
    return {"seed": seed, "search_cost": cost, "search_nfev": n_global, "x": res.x, "cost": float(res.cost),
            "nfev": int(res.nfev), "jac": res.jac}


def global_starts(objective: MouseObjective, lower: np.ndarray, upper: np.ndarray, u0: np.ndarray,
                  max_evals: int, seeds: tuple[int, ...], max_nfev: int, workers: int = 1,
                  verbose: int = 0) -> list[dict]:
    """:func:`_global_start` for each seed, in ``workers`` spawned processes when more than one (forked
    workers would inherit the parent's compiled solver state, which is not fork-safe).  The searches are
    independent and seeded, so the result does not depend on ``workers``.  In workers the progress callback
    hears of each start's evaluations when it ends."""
    seeds = tuple(int(s) for s in seeds)
    if workers <= 1 or len(seeds) <= 1:
        return [_global_start(objective, lower, upper, u0, max_evals, s, max_nfev, verbose) for s in seeds]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(seeds)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        jobs = [pool.submit(_global_start, objective, lower, upper, u0, max_evals, s, max_nfev) for s in seeds]
        out = []
        for job in jobs:
            out.append(job.result())
            if objective.progress is not None:
                objective.progress(out[-1]["search_nfev"] + out[-1]["nfev"])
        return out


def fit_mouse(max_nfev: int | None = 40, hypothesis: str = "treg_and_th17", start: dict | None = None,
              verbose: int = 0, n_starts: int = 1, random_state: int = 0,
              free: tuple[tuple[str, str], ...] | None = None, from_table: bool = False,
              progress=None, global_evals: int = 0, global_seeds: tuple[int, ...] | None = None,
              workers: int = 1, natural_limits: bool | None = None) -> MouseFit:
    """MAP fit of the parameters free under ``hypothesis`` to the mouse targets (expected cohort metrics).

    Residuals: the targets' (:func:`_target_residuals`) and the priors' (log-normal around the table's
    ``prior`` column, sd(log) = ln(high/low)/4, :mod:`tregsim.calibration.priors`).  The first start is the
    priors (or ``start``); further starts are drawn from the priors (seeded by ``random_state``); the best
    is returned, with every start's cost in ``starts_``.  Uncertainty: Laplace (Jacobian with prior rows).
    ``free`` fits only those parameters, the others held at the table's values (a reduced run: at the
    table's optimum it must land where the full fit did).  ``from_table`` adds one more start at the
    table's current values (the previously published fit), after the others.  ``global_evals`` > 0 adds
    global starts: one per seed of ``global_seeds`` (default: ``random_state`` alone), each
    :func:`global_search` (CMA-ES from the priors within the prior box, at most ``global_evals`` evaluations;
    solves capped at :data:`GLOBAL_MAX_STEPS` steps) continued by the local fit from its best point, run in
    ``workers`` processes (:func:`global_starts`).  Measured 2026-11-30/12-01: one seeded search is not
    robust (docs/model.md section 5: with ``natural_limits`` under ``treg_and_th17`` seed 0 ends at cost
    756, seed 1 at 4.97 with every target inside).  ``natural_limits``: the objective's rule at a fraction's
    own limit (None: :data:`NATURAL_LIMITS`); it travels with the objective into the worker processes.
    """
    from tregsim.calibration.priors import laplace_sd_log, prior_sd_log

    max_nfev = 40 if max_nfev is None else max_nfev
    params = fit_parameters(hypothesis) if free is None else tuple(free)
    pri = _priors(hypothesis)
    held = {k: v for k, v in _table_values(hypothesis).items() if k not in params}
    prior = np.log([pri[k][0] for k in params])
    lo = np.log([pri[k][1] for k in params])
    hi = np.log([pri[k][2] for k in params])
    sd = np.array([prior_sd_log(pri[k][1], pri[k][2]) for k in params])
    natural_limits = NATURAL_LIMITS if natural_limits is None else bool(natural_limits)
    objective = MouseObjective(hypothesis, params, held, prior, sd, natural_limits, progress)

    rng = np.random.default_rng(random_state)
    best, starts = None, []
    table = _table_values(hypothesis)
    ulo, uhi = (lo - prior) / sd, (hi - prior) / sd

    def keep(k: int, kind: str, x: np.ndarray, cost: float, nfev: int, jac: np.ndarray) -> None:
        nonlocal best
        starts.append({"start": k, "from": kind, "cost": cost, "nfev": nfev,
                       "values": {f"{n}|{sc}": float(v) for (n, sc), v in zip(params, np.exp(prior + sd * x))}})
        if best is None or cost < best[1]:
            best = (x, cost, nfev, jac)

    kinds = ["first"] + ["prior draw"] * (n_starts - 1) + ["table"] * from_table
    for k, kind in enumerate(kinds):
        if kind == "table":
            x0 = np.log([table[p] for p in params])
        elif kind == "first":
            x0, kind = (prior, "prior") if start is None else (np.log([start[p] for p in params]), "given")
        else:
            x0 = rng.normal(prior, sd)
        u0 = np.clip((x0 - prior) / sd, ulo + 1e-6, uhi - 1e-6)
        stages = FIRST_STAGES if free is None and kind in ("prior", "given", "prior draw") else ()
        res = objective.local_fit(u0, ulo, uhi, max_nfev, stages, verbose)
        keep(k, kind, res.x, float(res.cost), int(res.nfev), res.jac)
    if global_evals > 0:
        seeds = (random_state,) if global_seeds is None else tuple(global_seeds)
        u0 = np.clip(np.zeros(len(params)), ulo + 1e-6, uhi - 1e-6)
        for j, g in enumerate(global_starts(objective, ulo, uhi, u0, global_evals, seeds, max_nfev, workers,
                                            verbose)):
            k = len(kinds) + j
            kind = f"prior (CMA-ES seed {g['seed']})"
            starts.append({"start": k, "from": kind, "stage": "global", "cost": g["search_cost"],
                           "nfev": g["search_nfev"]})
            keep(k, kind, g["x"], g["cost"], g["nfev"], g["jac"])
    x_best, cost_best, nfev_best, jac_best = best
    x_log = prior + sd * x_best
    vals = dict(zip(params, np.exp(x_log)))
    expected = expected_metrics(overrides_from({**held, **vals}, hypothesis), hypothesis)
    at_bound = [k for k, x, a, b in zip(params, x_log, lo, hi) if x - a < 1e-3 or b - x < 1e-3]
    return MouseFit(values_={k: float(v) for k, v in vals.items()},
                    sd_log_={k: float(v) for k, v in zip(params, sd * laplace_sd_log(jac_best))},
                    residuals_=_target_residuals(expected, natural_limits), expected_=expected, cost_=float(cost_best),
                    nfev_=int(nfev_best), prior_={k: float(pri[k][0]) for k in params}, at_bound_=at_bound,
                    starts_=starts)
