"""Virtual RRMS patients: documented priors, plausible patients, prevalence weights fitted to the placebo data.

The method is Allen, Rieger & Musante (2016, CPT Pharmacometrics Syst Pharmacol 5:140) in its prevalence-
weighting form:

1. **Plausible patients.** Candidate parameter sets are drawn from the documented priors of
   :data:`POPULATION_PRIORS` (log-normal, truncated to their bounds; a scrambled Sobol sequence so that a
   few thousand candidates cover the space evenly).  Each candidate is simulated untreated for
   ``years`` (after its own run-in) ``replicates`` times with independent immune triggers, and its
   expected outcomes are the mean over those runs.  A candidate is plausible when it is relapsing-
   remitting, not chronically active (:data:`PLAUSIBLE`).
2. **Prevalence weights.** Among plausible candidates, weights of maximal entropy (the least
   informative reweighting of the prior sample) such that the weighted population meets the
   ``human_ms`` rows of targets.csv.  With a Gaussian tolerance on each target the problem is convex;
   its dual, ``log sum_i q_i exp(-lambda . (g_i - t)) + 1/2 sum_k (lambda_k s_k)^2`` (q uniform, g_i the
   candidate's outcomes, t the targets, s_k a tolerance of a quarter of the target's band), is minimised
   over lambda and the weights are ``w_i ~ q_i exp(-lambda . (g_i - t))``.  The effective sample size
   ``1 / sum w_i^2`` is reported: a small one means the priors hardly reach the targets.
3. **Patients for trials** are drawn from the plausible candidates with probability w_i (with
   replacement); each drawn patient gets immune triggers of its own from the trial's seed, so the
   calibration runs are never reused as trial outcomes.

Outcomes matched (untreated, over two years, as FREEDOMS' placebo arm):

* ``placebo_arr_freedoms``: relapses per patient-year (a relapse is an onset of ``relapse``);
* ``placebo_relapse_free_24mo``: share without a relapse;
* ``placebo_cdp_24mo``: share with 12-week confirmed disability progression (the trial's rule, :func:`progressed`);
* ``placebo_gd_24mo``: expected Gd+ lesions on a scan in the second year (monthly scans averaged, to damp
  the noise of one scan);
* ``untreated_inactive_first_scan``: share of monthly scans without an enhancing lesion (the chance of a
  zero count, exp(-expected), averaged: a scan's count is Poisson with the expected number);
* ``relapse_duration``: mean duration of a relapse (weeks), as a ratio of sums (relapse-weeks over
  relapses) so that patients without relapses do not enter it.

``ms_blood_treg_fraction`` (Feger 2007, CD4+CD25+FOXP3+ share of all blood CD4 T cells) is not matched:
the model counts autoreactive T cells only, and their Treg share is not the blood share of all CD4
cells.  It is reported as not computable, never faked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tregsim.protocol import DEFAULT_HYPOTHESIS
from tregsim.targets import Target, targets_by_id

#: Days per (Julian) year, for rates.
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class PatientPrior:
    """The prior of one patient-level parameter: log-normal with ``median`` and ``sd_log``, truncated to
    [low, high] (model units of the parameter table), with its reason."""

    name: str
    median: float
    sd_log: float
    low: float
    high: float
    unit: str
    source: str

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform draws in (0, 1) to the truncated log-normal (inverse CDF)."""
        from scipy import stats

        lo = stats.norm.cdf((math.log(self.low) - math.log(self.median)) / self.sd_log)
        hi = stats.norm.cdf((math.log(self.high) - math.log(self.median)) / self.sd_log)
        z = stats.norm.ppf(lo + np.asarray(u) * (hi - lo))
        return np.exp(math.log(self.median) + self.sd_log * z)


#: Patient-level parameters that vary between people with RRMS.  Spreads are assumptions (U).  Medians of
#: ``aR``, ``k_gd`` and ``d2`` are centred by a prior predictive check (256 Sobol candidates, untreated, two
#: years; docs/trial.md): the unweighted prior population lies near the FREEDOMS placebo values (ARR ~0.45,
#: CDP ~0.2, Gd+ ~1.3, inactive scans ~0.4), so the prevalence weights make small corrections.  Priors far
#: from the targets (the previous d2 median put CDP at 8%) force weights onto a few tail candidates (effective
#: sample size 53), where the smoothed outcomes are biased and fresh patients miss the targets.  This uses the
#: targets twice (prior and weights); the weights' own fit is the check that counts.
POPULATION_PRIORS: tuple[PatientPrior, ...] = (
    PatientPrior("aR", 0.275, 0.06, 0.18, 0.38, "1/day",
                 "Treg proliferation capacity; Velez de Mendizabal 2011 (MS 0.25, healthy 1.0); median centred by "
                 "the prior predictive check (0.27: ARR 0.54, 0.28: ARR 0.38); spread assumed (Treg suppressive "
                 "function varies between patients, Viglietta 2004)"),
    PatientPrior("trigger_rate", 0.274, 0.35, 0.05, 1.0, "1/day",
                 "immune triggers (infections, stress); Velez 2011 ~100/year; spread assumed"),
    PatientPrior("r_rem", 0.045, 0.45, 0.01, 0.2, "1/day",
                 "resolution of acute demyelination (sets relapse duration, Bordi 2013: 4.3 weeks); assumption"),
    PatientPrior("k_gd", 4.5, 0.7, 0.3, 40.0, "lesions/day",
                 "Gd+ lesion formation per CNS effector load; sets lesion activity (Bagnato 2000, FREEDOMS); "
                 "assumption, median centred by the prior predictive check"),
    PatientPrior("axon_loss0", 0.15, 0.5, 0.02, 0.40, "1",
                 "irreversible loss at entry (baseline EDSS; FREEDOMS placebo mean 2.4, range 0-5.5); assumption"),
    PatientPrior("d2", 0.012, 0.8, 0.0005, 0.08, "1/day",
                 "conversion of acute demyelination into axon loss (sets confirmed progression); assumption, median "
                 "centred by the prior predictive check (0.005: CDP 8%, 0.012: 19%, 0.02: 27%)"),
)

#: Plausibility of an untreated candidate (relapsing-remitting, not chronically active): expected Gd+
#: lesions per scan and relapse-days share below these bounds, EDSS at entry at most 6.5.
PLAUSIBLE = {"gd_max": 15.0, "relapse_share_max": 0.5, "edss_entry_max": 6.5}

#: The human_ms targets matched, in order (ms_blood_treg_fraction: not computable, see the module doc).
MATCHED_TARGETS: tuple[str, ...] = ("placebo_arr_freedoms", "placebo_relapse_free_24mo", "placebo_cdp_24mo",
                                    "placebo_gd_24mo", "untreated_inactive_first_scan", "relapse_duration")
NOT_COMPUTABLE = {"ms_blood_treg_fraction": "the model counts autoreactive T cells only; their Treg share is "
                                            "not the Treg share of all blood CD4 T cells"}

EDSS_VISIT_DAYS = 84.0  # FREEDOMS: EDSS every 12 weeks; confirmation 12 weeks later
SCAN_EVERY_DAYS = 28.0


# --------------------------------------------------------------------------- outcomes of one trajectory


def progressed(t: np.ndarray, obs: dict[str, np.ndarray], horizon_days: float,
               visit_days: float = EDSS_VISIT_DAYS) -> bool:
    """12-week confirmed disability progression within ``horizon_days``, by the trial's own rule
    (:func:`tregsim.trial.endpoints.confirmed_progression`): EDSS scored at day 0 and every ``visit_days``."""
    from tregsim.trial.endpoints import confirmed_progression, score_edss

    visits = np.arange(0.0, horizon_days + 1e-9, visit_days)
    scores = score_edss(np.interp(visits, t, obs["edss"]))
    in_relapse = np.interp(visits, t, obs["relapse"]) >= 0.5
    return confirmed_progression(visits, scores, in_relapse)[0]


def trajectory_outcomes(t: np.ndarray, obs: dict[str, np.ndarray], years: float) -> dict[str, float]:
    """Expected untreated outcomes of one run (see the module doc); t in days from day 0."""
    horizon = years * DAYS_PER_YEAR
    rel = obs["relapse"] > 0.5
    onsets = int(np.sum(rel[1:] & ~rel[:-1]))
    dt = np.diff(t, prepend=t[0])
    relapse_days = float(np.sum(dt * rel))
    scans = np.arange(SCAN_EVERY_DAYS, horizon + 1e-9, SCAN_EVERY_DAYS)
    lam = np.interp(scans, t, obs["gd_lesions"])
    second_year = scans > horizon - DAYS_PER_YEAR
    return {
        "relapses_per_year": onsets / years,
        "relapse_free": float(onsets == 0),
        "cdp": float(progressed(t, obs, horizon)),
        "gd_per_scan": float(lam[second_year].mean()) if second_year.any() else float(lam.mean()),
        "p_inactive_scan": float(np.exp(-lam).mean()),
        "relapses": float(onsets),
        "relapse_weeks": relapse_days / 7.0,
        "relapse_share": relapse_days / max(float(t[-1] - t[0]), 1e-9),
        "edss_entry": float(obs["edss"][0]),
    }


def untreated_outcomes(params: pd.DataFrame, years: float, replicates: int, random_state: int, hypothesis: str,
                       outcomes: Callable[[np.ndarray, dict[str, np.ndarray], float], dict[str, float]],
                       progress: Callable[[int], None] | None = None, chunk: int = 64,
                       regimens: tuple[dict[str, Any], ...] = ()) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Mean of ``outcomes`` over ``replicates`` runs of each parameter set (rows of ``params``), untreated
    unless ``regimens`` (protocol regimen mappings) are given, on the ensemble engine, daily output.  Candidate i of replicate r is subject i of seed
    ``replicate_seed(random_state, r)``; a candidate any of whose runs fails gets NaN outcomes and is
    listed in the failures with its seed (never silently dropped)."""
    from tregsim.engine.ensemble import EnsembleSolver
    from tregsim.engine.rodas import STATUS_TEXT
    from tregsim.model.observables import compute
    from tregsim.model.subject import build_subjects
    from tregsim.protocol import parse_protocol

    proto = parse_protocol(dict(kind="simulation", species="human", disease="rrms", hypothesis=hypothesis,
                                duration_days=round(years * DAYS_PER_YEAR, 6), subjects=max(len(params), 1),
                                regimens=list(regimens)))
    t = np.arange(0.0, float(proto.duration_days) + 1e-9, 1.0)
    solver = EnsembleSolver()
    rows = params.to_dict("records")
    sums: list[dict[str, float] | None] = [None] * len(rows)
    failures: list[dict[str, Any]] = []
    for r in range(replicates):
        seed = replicate_seed(random_state, r)
        for start in range(0, len(rows), chunk):
            idx = range(start, min(start + chunk, len(rows)))
            subs = build_subjects(proto, idx, seed, [rows[i] for i in idx])
            out, status, stats = solver.solve_many(subs, t)
            for k, (i, sub) in enumerate(zip(idx, subs)):
                if status[k] != 0:
                    failures.append({"candidate": i, "seed": list(sub.seed), "time_day": float(stats[k, 2]),
                                     "message": STATUS_TEXT[int(status[k])]})
                    sums[i] = {"failed": 1.0}
                    continue
                if sums[i] is not None and "failed" in sums[i]:
                    continue
                o = outcomes(t, compute("human", out[k], sub.p, sub.values), years)
                sums[i] = o if sums[i] is None else {key: sums[i][key] + v for key, v in o.items()}
            if progress is not None:
                progress(len(idx))
    keys = next((list(s) for s in sums if s is not None and "failed" not in s), [])
    mean = [{k: (math.nan if s is None or "failed" in s else s[k] / replicates) for k in keys} for s in sums]
    return pd.DataFrame(mean, columns=keys), failures


def replicate_seed(random_state: int, replicate: int) -> int:
    """The trigger seed of calibration replicate ``replicate`` (distinct from any trial's seeds, which are
    small integers, by the offset)."""
    return 1_000_003 * (replicate + 1) + int(random_state)


def largest_step(x: np.ndarray, rate: np.ndarray) -> float:
    """Largest fall of ``rate`` between consecutive points of ``x``, relative to ``rate`` at the first point
    (NaN when that is 0): a knife-edge shows as a value near 1, a graded fall as a small one."""
    rate = np.asarray(rate, dtype=float)
    if rate[0] <= 0:
        return math.nan
    return float(np.max(np.maximum(-np.diff(rate), 0.0)) / rate[0])


def relapse_rate_curve(population: VirtualPopulation, multipliers: np.ndarray | None = None,
                       doses_ug_kg: np.ndarray | None = None, n: int = 64, years: float = 1.0, seed: int = 0,
                       every_hours: float = 12.0, progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The population's annualised relapse rate as the Treg proliferation capacity ``aR`` is multiplied
    (``multipliers``) or as IGF-1 is given SC every ``every_hours`` at ``doses_ug_kg``: the same ``n``
    patients (drawn from the population with ``seed``) and the same immune triggers at every point, so the
    curve shows the response, not sampling noise.  Columns: x, kind, arr, rate_ratio, n."""
    pats = pd.DataFrame(population.sample(n, np.random.default_rng(seed)))
    rows = []
    for m in (multipliers if multipliers is not None else []):
        p = pats.assign(aR=pats["aR"] * m)
        out, _ = untreated_outcomes(p, years, 1, seed, population.hypothesis, trajectory_outcomes, progress)
        rows.append({"x": float(m), "kind": "aR multiplier", "arr": float(out["relapses_per_year"].mean()),
                     "n": int(out["relapses_per_year"].notna().sum())})
    for d in (doses_ug_kg if doses_ug_kg is not None else []):
        reg = () if d == 0 else ({"drug": "igf1", "route": "sc", "dose": float(d), "dose_unit": "ug/kg",
                                  "every_hours": every_hours, "start_day": 0},)
        out, _ = untreated_outcomes(pats, years, 1, seed, population.hypothesis, trajectory_outcomes, progress,
                                    regimens=reg)
        rows.append({"x": float(d), "kind": "IGF-1 dose (ug/kg SC)", "arr": float(out["relapses_per_year"].mean()),
                     "n": int(out["relapses_per_year"].notna().sum())})
    frame = pd.DataFrame(rows)
    for kind, grp in frame.groupby("kind"):
        frame.loc[grp.index, "rate_ratio"] = grp["arr"] / grp["arr"].iloc[0] if grp["arr"].iloc[0] > 0 else math.nan
    return frame


#: Outcomes that are smoothed over neighbouring candidates before the weights are fitted.
SMOOTHED: list[str] = ["relapses_per_year", "relapse_free", "cdp", "gd_per_scan", "p_inactive_scan", "relapses",
                       "relapse_weeks"]


def smooth_outcomes(log_params: np.ndarray, outcomes: pd.DataFrame, k: int) -> pd.DataFrame:
    """Expected outcomes as a function of the parameters: the mean over the ``k`` nearest candidates in
    standardised log-parameter space (the candidate itself included).

    A candidate's simulated outcomes are one or a few draws of its immune triggers, so a relapse count of
    0 may be luck.  Weights fitted to such draws favour the lucky, and fresh patients drawn from them
    regress to their true rates; averaging over neighbours estimates each candidate's expected outcome
    instead (a k-nearest-neighbour regression; scipy's KD-tree)."""
    from scipy.spatial import cKDTree

    if k <= 1:
        return outcomes.copy()
    z = (log_params - log_params.mean(axis=0)) / np.maximum(log_params.std(axis=0), 1e-12)
    _, idx = cKDTree(z).query(z, k=min(k, len(z)))
    out = outcomes.copy()
    for col in SMOOTHED:
        v = outcomes[col].to_numpy()
        out[col] = v[idx].mean(axis=1)
    return out


#: Each matched target as a linear moment of the candidates' outcomes: E_w[f(g)] = 0 at the target.
def _moments(out: pd.DataFrame, targets: dict[str, Target]) -> tuple[np.ndarray, np.ndarray]:
    """(per-candidate moment values g_i - t_k, tolerance s_k) for the matched targets; the relapse
    duration (a ratio of sums) is linearised: relapse_weeks - duration x relapses."""
    cols, tol = [], []
    for tid in MATCHED_TARGETS:
        tg = targets[tid]
        centre = tg.value if math.isfinite(tg.value) else (tg.low + tg.high) / 2
        s = (tg.high - tg.low) / 4
        if tid == "relapse_duration":
            mean_rel = max(float(out["relapses"].mean()), 1e-3)
            cols.append((out["relapse_weeks"] - centre * out["relapses"]).to_numpy() / mean_rel)
            tol.append(s)
            continue
        col = {"placebo_arr_freedoms": "relapses_per_year", "placebo_relapse_free_24mo": "relapse_free",
               "placebo_cdp_24mo": "cdp", "placebo_gd_24mo": "gd_per_scan",
               "untreated_inactive_first_scan": "p_inactive_scan"}[tid]
        cols.append(out[col].to_numpy() - centre)
        tol.append(s)
    return np.column_stack(cols), np.array(tol)


def population_outcomes(table: pd.DataFrame, weights: np.ndarray | None = None) -> dict[str, float]:
    """The matched targets' values of a table of per-patient outcomes with ``weights`` (default uniform)."""
    w = np.full(len(table), 1.0 / len(table)) if weights is None else np.asarray(weights)
    rel = float(w @ table["relapses"].to_numpy())
    return {
        "placebo_arr_freedoms": float(w @ table["relapses_per_year"].to_numpy()),
        "placebo_relapse_free_24mo": float(w @ table["relapse_free"].to_numpy()),
        "placebo_cdp_24mo": float(w @ table["cdp"].to_numpy()),
        "placebo_gd_24mo": float(w @ table["gd_per_scan"].to_numpy()),
        "untreated_inactive_first_scan": float(w @ table["p_inactive_scan"].to_numpy()),
        "relapse_duration": float(w @ table["relapse_weeks"].to_numpy()) / rel if rel > 0 else math.nan,
    }


def maxent_weights(g: np.ndarray, tol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-entropy weights with Gaussian tolerance (module doc): returns (weights, lambda)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    scale = np.maximum(np.abs(g).std(axis=0), 1e-12)
    gs = g / scale  # conditioning only: the dual in scaled multipliers
    ts = tol / scale

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        a = -gs @ lam
        w = softmax(a)
        f = logsumexp(a) - math.log(len(a)) + 0.5 * float(np.sum((lam * ts) ** 2))
        grad = -(w @ gs) + lam * ts ** 2
        return f, grad

    res = minimize(dual, np.zeros(g.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    return softmax(-gs @ res.x), res.x / scale


# --------------------------------------------------------------------------- the estimator


class VirtualPopulation:
    """A virtual RRMS population (scikit-learn style: parameters in ``__init__``, learned attributes end in
    ``_``).

    Arguments:
        n_candidates: candidate parameter sets drawn from the priors.
        years: untreated follow-up of each candidate (FREEDOMS: 2 years).
        replicates: independent trigger realisations per candidate (their outcomes are averaged).
        neighbours: candidates (nearest in standardised log-parameters) whose outcomes are averaged into
            each candidate's expected outcomes before weighting (1: no smoothing).
        priors: the patient-level priors.
        hypothesis: the named mechanism the patients are simulated under.  It matters untreated too:
            under ``treg_and_th17`` endogenous IGF-1 already raises the Th17 share, so the same parameters
            relapse more; a population is valid for trials under its own hypothesis only.
        random_state: seed of the candidates and their triggers.

    Attributes (after :meth:`fit`):
        candidates_: DataFrame of the plausible candidates' parameters and outcomes.
        weights_: prevalence weight of each plausible candidate (sum 1).
        achieved_: weighted value of every matched target.
        ess_: effective sample size of the weights.
        n_implausible_: candidates discarded as not relapsing-remitting.
        failures_: candidates whose solve failed (index, seed, message).
    """

    def __init__(self, n_candidates: int = 2048, years: float = 2.0, replicates: int = 2, neighbours: int = 24,
                 priors: tuple[PatientPrior, ...] = POPULATION_PRIORS, hypothesis: str = DEFAULT_HYPOTHESIS,
                 random_state: int = 0) -> None:
        self.n_candidates = n_candidates
        self.neighbours = neighbours
        self.years = years
        self.replicates = replicates
        self.priors = priors
        self.hypothesis = hypothesis
        self.random_state = random_state

    # -- candidates ----------------------------------------------------------------------------------

    def draw_candidates(self) -> pd.DataFrame:
        """Candidate parameter sets (scrambled Sobol points mapped through the priors)."""
        from scipy.stats import qmc

        u = qmc.Sobol(d=len(self.priors), scramble=True, seed=self.random_state).random(self.n_candidates)
        return pd.DataFrame({p.name: p.from_unit(u[:, k]) for k, p in enumerate(self.priors)})

    def simulate_outcomes(self, params: pd.DataFrame, progress: Callable[[int], None] | None = None
                          ) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """Mean untreated outcomes of each candidate over ``replicates`` trigger realisations."""
        return untreated_outcomes(params, self.years, self.replicates, self.random_state, self.hypothesis,
                                  trajectory_outcomes, progress)

    # -- fit -------------------------------------------------------------------------------------------

    def fit(self, targets: dict[str, Target] | None = None, progress: Callable[[int], None] | None = None
            ) -> VirtualPopulation:
        """Draw, simulate and weight the candidates so that the population meets ``targets`` (default: the
        packaged human_ms rows)."""
        targets = targets or targets_by_id("human_ms")
        params = self.draw_candidates()
        outcomes, failures = self.simulate_outcomes(params, progress)
        table = pd.concat([params, outcomes], axis=1)
        ok = table["relapses_per_year"].notna()
        smoothed = smooth_outcomes(np.log(params[ok].to_numpy()), outcomes[ok], self.neighbours)
        table.loc[ok, SMOOTHED] = smoothed[SMOOTHED].to_numpy()
        plausible = (ok & (table["gd_per_scan"] <= PLAUSIBLE["gd_max"])
                     & (table["relapse_share"] <= PLAUSIBLE["relapse_share_max"])
                     & (table["edss_entry"] <= PLAUSIBLE["edss_entry_max"]))
        self.failures_ = failures
        self.n_implausible_ = int((ok & ~plausible).sum())
        self.candidates_ = table[plausible].reset_index(drop=True)
        g, tol = _moments(self.candidates_, targets)
        self.weights_, self.lambda_ = maxent_weights(g, tol)
        self.ess_ = float(1.0 / np.sum(self.weights_ ** 2))
        self.achieved_ = self.weighted_outcomes(self.weights_)
        self.targets_ = {tid: targets[tid] for tid in MATCHED_TARGETS}
        return self

    def weighted_outcomes(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """The matched targets' values for the candidates with ``weights`` (default: uniform = the prior)."""
        return population_outcomes(self.candidates_, weights)

    def validate(self, n: int = 400, seed: int = 20_161_130, progress: Callable[[int], None] | None = None
                 ) -> dict[str, float]:
        """Out-of-sample check: ``n`` fresh patients drawn from the weights, simulated untreated once with
        triggers never used in the fit; their matched-target values (stored in ``validation_``)."""
        pats = pd.DataFrame(self.sample(n, np.random.default_rng(seed)))
        outcomes, failures = untreated_outcomes(pats, self.years, 1, seed, self.hypothesis, trajectory_outcomes,
                                                progress)
        self.validation_ = {**population_outcomes(outcomes[outcomes["relapses"].notna()], None), "n": n,
                            "failures": len(failures)}
        return self.validation_

    def target_results(self) -> list[dict[str, Any]]:
        """Every human_ms target with the population's value and pass (not computable ones say why)."""
        out = [self.targets_[tid].as_result(v) for tid, v in self.achieved_.items()]
        for tid, why in NOT_COMPUTABLE.items():
            out.append({"id": tid, "simulated": None, "pass": None, "note": why})
        return out

    # -- use -------------------------------------------------------------------------------------------

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        """``n`` patients' parameter overrides, drawn with probability ``weights_`` (with replacement)."""
        idx = rng.choice(len(self.candidates_), size=n, replace=True, p=self.weights_)
        names = [p.name for p in self.priors]
        rows = self.candidates_.loc[idx, names]
        return [{k: float(v) for k, v in r.items()} for _, r in rows.iterrows()]

    def fingerprint(self) -> str:
        """A stable identity of the fitted population (its candidates and weights), for resumed trials."""
        import hashlib

        h = hashlib.sha256(pd.util.hash_pandas_object(self.candidates_, index=False).to_numpy().tobytes())
        h.update(np.asarray(self.weights_, dtype=float).tobytes())
        return "VirtualPopulation:" + h.hexdigest()[:24]

    def __repr__(self) -> str:
        fitted = f", ess={self.ess_:.0f}" if hasattr(self, "ess_") else ""
        return f"VirtualPopulation(n_candidates={self.n_candidates}, random_state={self.random_state}{fitted})"

    # -- persistence -------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the fitted population: ``path`` (Parquet: candidates, outcomes, weights) and ``path`` with
        suffix .json (settings, priors, targets achieved, effective sample size)."""
        from tregsim.io import atomic_write

        path = Path(path)
        table = self.candidates_.assign(weight=self.weights_)
        atomic_write(path, lambda f: table.to_parquet(f, index=False))
        meta = {
            "method": "prevalence weighting, maximum entropy with Gaussian tolerance (Allen, Rieger & Musante 2016)",
            "settings": {"n_candidates": self.n_candidates, "years": self.years, "replicates": self.replicates,
                         "neighbours": self.neighbours, "hypothesis": self.hypothesis, "random_state": self.random_state},
            "priors": [p.__dict__ for p in self.priors],
            "plausible": PLAUSIBLE, "n_plausible": len(self.candidates_), "n_implausible": self.n_implausible_,
            "failures": self.failures_, "ess": self.ess_, "targets": self.target_results(),
            "prior_population": self.weighted_outcomes(None),
            "validation": getattr(self, "validation_", None),
        }
        atomic_write(path.with_suffix(".json"), lambda f: Path(f).write_text(json.dumps(meta, indent=1), encoding="utf-8"))
        return path

    @classmethod
    def load(cls, path: str | Path | None = None, hypothesis: str = DEFAULT_HYPOTHESIS) -> VirtualPopulation:
        """A fitted population written by :meth:`save` (default: the one shipped with the package for
        ``hypothesis``)."""
        if path is None:
            from importlib.resources import files

            path = Path(str(files("tregsim") / "data" / population_file(hypothesis)))
            if not path.exists():
                raise FileNotFoundError(f"no virtual population is shipped for hypothesis {hypothesis!r}; "
                                        f"fit one with VirtualPopulation(hypothesis={hypothesis!r}).fit()")
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        s = meta["settings"]
        pop = cls(n_candidates=s["n_candidates"], years=s["years"], replicates=s["replicates"],
                  neighbours=s["neighbours"],
                  priors=tuple(PatientPrior(**p) for p in meta["priors"]), hypothesis=s["hypothesis"],
                  random_state=s["random_state"])
        table = pd.read_parquet(path)
        pop.weights_ = table.pop("weight").to_numpy()
        pop.candidates_ = table
        pop.ess_ = meta["ess"]
        pop.n_implausible_ = meta["n_implausible"]
        pop.failures_ = meta["failures"]
        tg = targets_by_id("human_ms")
        pop.targets_ = {tid: tg[tid] for tid in MATCHED_TARGETS}
        pop.achieved_ = pop.weighted_outcomes(pop.weights_)
        pop.validation_ = meta.get("validation")
        return pop


#: Hypotheses a virtual population is shipped for (``tregsim calibrate --only population`` fits each).
POPULATION_HYPOTHESES: tuple[str, ...] = (DEFAULT_HYPOTHESIS, "treg_only")


def population_file(hypothesis: str = DEFAULT_HYPOTHESIS) -> str:
    """File name of the shipped population fitted under ``hypothesis`` (the default one keeps its old name)."""
    return "population_rrms.parquet" if hypothesis == DEFAULT_HYPOTHESIS else f"population_rrms_{hypothesis}.parquet"


def default_population(hypothesis: str = DEFAULT_HYPOTHESIS) -> VirtualPopulation:
    """The virtual RRMS population shipped with the package for ``hypothesis`` (``tregsim calibrate --only
    population``)."""
    return VirtualPopulation.load(hypothesis=hypothesis)


__all__ = ["VirtualPopulation", "default_population", "population_file", "POPULATION_HYPOTHESES", "relapse_rate_curve", "largest_step", "PatientPrior", "POPULATION_PRIORS", "progressed",
           "trajectory_outcomes", "maxent_weights"]
