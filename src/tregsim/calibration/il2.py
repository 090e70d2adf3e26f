"""Low-dose IL-2 pharmacodynamics against the MS low-dose IL-2 trial (Louapre 2023): the check and the grid.

Louapre C, Rosenzwajg M, ..., Klatzmann D. *A randomized double-blind placebo-controlled trial of low-dose
interleukin-2 in relapsing-remitting multiple sclerosis.* J Neurol 2023;270:4403-4414 (MS-IL2; 15 per arm).
Aldesleukin 1 MIU SC daily for 5 days, then every 2 weeks for 6 months.  From the abstract [V]: Treg were
not expanded at day 5 but at day 15 (median fold from baseline 1.26, IQR 1.21-1.33; placebo 1.01); CD25 on
Treg at day 5 rose 2.17-fold (IQR 1.70-3.55).

Blood Treg in the model are the polyclonal pool ``treg_blood`` (what a blood draw counts), not the
myelin-reactive cells of the immune core: Louapre's measure is its fold from each patient's own baseline
(``treg_blood_fold``), median over patients of the shipped virtual RRMS population.  The pool reads only the
drugs, so an untreated person's stays at 1 (placebo: 1.01, IQR 0.95-1.05).  The seed-paired treated/untreated
ratio of the autoreactive peripheral Treg (:attr:`Response.treg_ratio`) is kept as a diagnostic of what the
disease core does.  Study day d is model day d - 1 (day 1 = first injection); maintenance is assumed to start
two weeks after the last induction dose (the abstract does not say when).

``k_cd25``, ``Emax_cd25``, ``g_il2`` and ``k_il2_prolif`` are fitted (mark F in the parameter table) by
:func:`fit`: MAP least squares from the table's prior column to Louapre's three medians, on a fixed sample
(:class:`FitSample`).  ``python -m tregsim.calibration.il2 --fit`` (or ``tregsim calibrate --only il2``)
repeats it (timing in docs/model.md section 7).  ``python -m tregsim.calibration.il2`` without ``--fit``
prints a small grid (:func:`grid`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

#: Louapre 2023 (abstract): (quantity, study day, median, IQR low, IQR high).
LOUAPRE_2023 = (("treg_fold", 15, 1.26, 1.21, 1.33), ("cd25_fold", 5, 2.17, 1.70, 3.55))
SOURCE = "Louapre 2023 J Neurol 270:4403 (MS-IL2: 1 MIU SC daily x5, then every 2 weeks)"

#: The MS-IL2 regimen (model days: day 0 = first injection).
MS_IL2_REGIMENS = (
    dict(drug="il2", route="sc", dose=1.0, dose_unit="MIU", every_hours=24, start_day=0, stop_day=4),
    dict(drug="il2", route="sc", dose=1.0, dose_unit="MIU", every_hours=336, start_day=18),
)


@dataclass(frozen=True)
class Response:
    """Medians over patients by model day: the seed-paired ratio (treated / untreated) of the autoreactive
    peripheral Treg and Teff of the immune core (a diagnostic), the treated arm's blood Treg fold from each
    patient's own day 0 (the polyclonal pool: Louapre's measure), the untreated arm's (placebo) and the CD25
    fold."""

    days: np.ndarray
    treg_ratio: np.ndarray
    teff_ratio: np.ndarray
    cd25_fold: np.ndarray
    treg_fold: np.ndarray
    placebo_fold: np.ndarray

    def at(self, what: str, study_day: float) -> float:
        """Median ``what`` (a field name) on study day ``study_day`` (day 1 = first dose)."""
        return float(getattr(self, what)[int(np.argmin(abs(self.days - (study_day - 1))))])


def population_overrides(patients: int, seed: int) -> list[dict[str, float]]:
    """Parameter overrides of ``patients`` people drawn from the shipped virtual RRMS population."""
    from tregsim.trial.population import default_population

    return default_population().sample(patients, np.random.default_rng(seed))


def _arms(regimens, days: float, disease: str, patients: int):
    """The treated and the untreated protocol of a human ``disease`` over ``days`` (daily output)."""
    from tregsim.protocol import parse_protocol

    base = dict(kind="simulation", species="human", disease=disease, duration_days=days, output_every_hours=24,
                subjects=patients)
    # a regimen that starts after the run (MS-IL2's maintenance, from day 18) does not act within it
    return (parse_protocol({**base, "regimens": [dict(r) for r in regimens if r["start_day"] < days]}),
            parse_protocol(base))


def _observables(protocol, each: list[dict[str, float]], seed: int, t: np.ndarray, solver,
                 overrides: dict[str, float] | None = None) -> dict[int, dict[str, np.ndarray]]:
    """Contract observables at ``t`` of person i (parameters ``each[i]``, then ``overrides``) under ``protocol``,
    by subject index; a person whose solve fails is left out."""
    from tregsim.model.observables import compute
    from tregsim.model.subject import build_subjects
    from tregsim.simulate import solve_chunk

    subs = build_subjects(protocol, range(len(each)), seed,
                          [{**each[i], **(overrides or {})} or None for i in range(len(each))])
    return {s.index: compute("human", y, s.p, s.values) for s, y, err in solve_chunk(solver, subs, t) if err is None}


def response(regimens=MS_IL2_REGIMENS, patients: int = 16, seed: int = 7, days: float = 30.0,
             overrides: dict[str, float] | None = None, disease: str = "rrms", population: bool = False) -> Response:
    """Seed-paired response of ``patients`` people with ``disease`` to ``regimens``.

    Arguments:
        overrides: parameter values for every patient (the grid's candidates).
        population: draw the patients from the shipped virtual RRMS population (as trials do); else every
            patient has the table's values and only the immune triggers differ.
    """
    from tregsim.engine.ensemble import EnsembleSolver

    each = population_overrides(patients, seed) if population else [{} for _ in range(patients)]
    t = np.arange(0.0, days + 1e-9, 1.0 / 24.0)
    solver = EnsembleSolver()
    obs = [_observables(p, each, seed, t, solver, overrides) for p in _arms(regimens, days, disease, patients)]
    both = sorted(set(obs[0]) & set(obs[1]))

    def med(f) -> np.ndarray:
        return np.median(np.array([f(i) for i in both]), 0)

    return Response(t, med(lambda i: obs[0][i]["treg_periphery"] / obs[1][i]["treg_periphery"]),
                    med(lambda i: obs[0][i]["teff_periphery"] / obs[1][i]["teff_periphery"]),
                    med(lambda i: obs[0][i]["treg_cd25_fold"]), med(lambda i: obs[0][i]["treg_blood_fold"]),
                    med(lambda i: obs[1][i]["treg_blood_fold"]))


def grid(points: list[dict[str, float]], patients: int = 48, seeds: tuple[int, ...] = (7, 21)
         ) -> list[dict[str, float]]:
    """A scan: for each point and seed, the blood Treg fold at study days 5 and 15 and CD25 at day 5, in
    ``patients`` people from the shipped virtual population (the hand-choice before the fit used one)."""
    rows = []
    for ov in points:
        for seed in seeds:
            r = response(patients=patients, seed=seed, overrides=ov, population=True, days=20)
            rows.append({**ov, "seed": seed, "treg_day5": r.at("treg_fold", 5), "treg_day15": r.at("treg_fold", 15),
                         "cd25_day5": r.at("cd25_fold", 5)})
    return rows


# --- the fit -------------------------------------------------------------------------------------------------

#: The fitted IL-2 pharmacodynamic parameters (human table, scope base).
PD_KEYS: tuple[str, ...] = ("k_cd25", "Emax_cd25", "g_il2", "k_il2_prolif")

#: Fit targets: (name, Response field, study day, centre, half-band).  The residual is (simulated - centre) /
#: half-band, as in the other fits (calibration/human_pk.py).  The measure is Louapre's: the treated patients'
#: blood Treg (the polyclonal pool ``treg_blood``) over their own baseline.  Day 15 and CD25: Louapre's median
#: and half its IQR.  Day 5: "not expanded" (no number in the abstract): centre 1.0 (placebo 1.01), with the
#: half-band of the day-15 IQR (assumption: the day-5 measurement was as precise as the day-15 one).
FIT_TARGETS: tuple[tuple[str, str, float, float, float], ...] = (
    ("treg_day5", "treg_fold", 5, 1.0, 0.06),
    ("treg_day15", "treg_fold", 15, 1.26, (1.33 - 1.21) / 2),
    ("cd25_day5", "cd25_fold", 5, 2.17, (3.55 - 1.70) / 2),
)
#: The fit's fixed sample: patients drawn from the shipped virtual population with this seed.  The blood
#: Treg pool and CD25 read only the drug (not the patient's immune parameters or triggers), so at one dose
#: and body weight every patient answers alike; a few people suffice, and the test (tests/model/test_il2.py)
#: checks the result on an independent draw.
FIT_PATIENTS = 16
FIT_SEED = 2023
FIT_DAYS = 15.0
FIT_MAX_NFEV = 30
#: Finite-difference step of the Jacobian in log parameter space.
FIT_DIFF_STEP = 0.01
IL2_FIT = ("tregsim IL-2 PD fit (calibration/il2.py: MAP from the prior column, `python -m tregsim.calibration.il2 "
           "--fit` or `tregsim calibrate --only il2`, to Louapre 2023 J Neurol 270:4403 abstract medians: blood Treg "
           "fold from baseline x1.0 at study day 5 (not expanded) and x1.26 at day 15, CD25 on Treg x2.17 at day 5; "
           f"{FIT_PATIENTS} patients of the shipped virtual RRMS population, seed {FIT_SEED}; blood Treg = the "
           "polyclonal pool treg_blood)")


class FitSample:
    """A fixed sample for the fit: the same people each evaluation, only the candidate changes.  Only the
    treated arm is solved: an untreated person's blood Treg pool stays exactly at its baseline (it reads only
    the drugs), so the treated fold from baseline is Louapre's measure as it is."""

    def __init__(self, patients: int = FIT_PATIENTS, seed: int = FIT_SEED, days: float = FIT_DAYS,
                 regimens=MS_IL2_REGIMENS, disease: str = "rrms"):
        from tregsim.engine.ensemble import EnsembleSolver

        self.treated = _arms(regimens, days, disease, patients)[0]
        self.seed, self.patients = seed, patients
        self.each = population_overrides(patients, seed)
        self.t = np.arange(0.0, days + 1e-9, 1.0)
        self.solver = EnsembleSolver()
        self.evaluations = 0

    def medians(self, values: dict[str, float]) -> dict[str, np.ndarray]:
        """Median over patients, by model day, of the blood Treg fold from baseline and the CD25 fold."""
        self.evaluations += 1
        got = list(_observables(self.treated, self.each, self.seed, self.t, self.solver, values).values())
        return {"treg_fold": np.median([o["treg_blood_fold"] for o in got], 0),
                "cd25_fold": np.median([o["treg_cd25_fold"] for o in got], 0)}

    def simulated(self, values: dict[str, float]) -> dict[str, float]:
        """The fit targets' simulated values for ``values``."""
        m = self.medians(values)
        return {name: float(m[what][int(day) - 1]) for name, what, day, _, _ in FIT_TARGETS}


@dataclass
class Il2Fit:
    """Result of :func:`fit`: fitted values, priors, Laplace sd(log), the targets as simulated, the cost."""

    values_: dict[str, float]
    prior_: dict[str, float]
    sd_log_: dict[str, float]
    at_bound_: list[str]
    simulated_: dict[str, float]
    prior_simulated_: dict[str, float]
    cost_: float
    evaluations_: int
    seconds_: float


def fit(patients: int = FIT_PATIENTS, seed: int = FIT_SEED, max_nfev: int = FIT_MAX_NFEV,
        progress=None) -> Il2Fit:
    """MAP fit of :data:`PD_KEYS` to :data:`FIT_TARGETS` on a fixed sample (:class:`FitSample`), from the table's prior
    column (log-normal priors, sd(log) = ln(high/low)/4: calibration/priors.py), by bounded least squares in
    log space (scipy.optimize.least_squares, trust region reflective)."""
    import time

    from scipy.optimize import least_squares

    from tregsim.calibration.priors import laplace_sd_log, prior_residuals, prior_sd_log
    from tregsim.model.parameters import load_table

    t0 = time.perf_counter()
    rows = {r.name: r for r in load_table("human") if r.scope == "base"}
    prior = np.log([rows[k].prior for k in PD_KEYS])
    sd = np.array([prior_sd_log(rows[k].low, rows[k].high) for k in PD_KEYS])
    lo, hi = np.log([rows[k].low for k in PD_KEYS]), np.log([rows[k].high for k in PD_KEYS])
    sample = FitSample(patients, seed)
    cache: dict[bytes, tuple[np.ndarray, dict[str, float]]] = {}

    def evaluate(theta: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        key = np.asarray(theta, float).tobytes()
        if key not in cache:
            sim = sample.simulated(dict(zip(PD_KEYS, map(float, np.exp(theta)))))
            r = [(sim[name] - c) / hb for name, _, _, c, hb in FIT_TARGETS]
            cache[key] = (np.concatenate([r, prior_residuals(theta, prior, sd)]), sim)
            if progress is not None:
                progress(len(cache), dict(zip(PD_KEYS, np.exp(theta).round(4))), sim)
        return cache[key]

    start_sim = evaluate(prior)[1]
    res = least_squares(lambda th: evaluate(th)[0], np.clip(prior, lo + 1e-9, hi - 1e-9), bounds=(lo, hi),
                        x_scale=1.0, diff_step=FIT_DIFF_STEP, max_nfev=max_nfev)
    values = {k: float(f"{v:.4g}") for k, v in zip(PD_KEYS, np.exp(res.x))}
    sim = evaluate(np.log([values[k] for k in PD_KEYS]))[1]  # the targets at the rounded values written
    at_bound = [k for k, v in values.items() if np.isclose(v, rows[k].low, rtol=1e-3)
                or np.isclose(v, rows[k].high, rtol=1e-3)]
    return Il2Fit(values, {k: rows[k].prior for k in PD_KEYS},
                  dict(zip(PD_KEYS, map(float, laplace_sd_log(res.jac)))), at_bound, sim, start_sim,
                  float(res.cost), sample.evaluations, time.perf_counter() - t0)


def fitted_rows(result: Il2Fit, human: list | None = None, mouse: list | None = None):
    """The human and mouse tables (default: the current ones) with the fitted rows: mark F and the fit named
    in the human table; the mouse rows are copies of the human values (IL-2 is not used in mice)."""
    from dataclasses import replace

    from tregsim.calibration.apply import apply_fit
    from tregsim.model.parameters import load_table

    sim = ", ".join(f"{k} {v:.3g}" for k, v in result.simulated_.items())
    human = apply_fit("human", {(k, "base"): v for k, v in result.values_.items()},
                      {(k, "base"): v for k, v in result.sd_log_.items()}, f"{IL2_FIT}; simulated {sim}", rows=human)
    mouse = [replace(r, value=result.values_[r.name]) if r.name in result.values_ and r.scope == "base" else r
             for r in (mouse if mouse is not None else load_table("mouse"))]
    return human, mouse


def write_fit(result: Il2Fit, out) -> dict:
    """Write the fitted tables and a summary into ``out``; return the summary."""
    from pathlib import Path

    from tregsim.calibration.apply import write_table
    from tregsim.io import write_json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    human, mouse = fitted_rows(result)
    write_table(human, out / "parameters_human.csv")
    write_table(mouse, out / "parameters_mouse.csv")
    summary = {"values": result.values_, "prior": result.prior_, "sd_log": result.sd_log_,
               "at_bound": result.at_bound_, "targets": [dict(id=n, day=d, centre=c, half_band=hb,
                                                              simulated=result.simulated_[n],
                                                              at_prior=result.prior_simulated_[n])
                                                         for n, _, d, c, hb in FIT_TARGETS],
               "cost": result.cost_, "evaluations": result.evaluations_, "seconds": result.seconds_,
               "patients": FIT_PATIENTS, "seed": FIT_SEED, "source": SOURCE}
    write_json(out / "il2_fit.json", summary)
    return summary


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - the command line
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tregsim.calibration.il2", description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="fit the IL-2 PD parameters (else: print the grid)")
    ap.add_argument("--out", default="tregsim-out/il2-fit", help="folder for the fitted tables and summary")
    ap.add_argument("--patients", type=int, default=FIT_PATIENTS)
    ap.add_argument("--max-evals", type=int, default=FIT_MAX_NFEV)
    args = ap.parse_args(argv)
    if not args.fit:
        for row in grid(DEFAULT_GRID):
            sys.stdout.write(" ".join(f"{k}={v:.3g}" for k, v in row.items()) + "\n")
        return 0
    res = fit(patients=args.patients, max_nfev=args.max_evals,
              progress=lambda n, v, s: sys.stderr.write(f"evaluation {n}: {v} -> {s}\n") or sys.stderr.flush())
    summary = write_fit(res, args.out)
    import json

    sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    sys.stdout.write(f"tables written to {args.out}; copy parameters_*.csv into src/tregsim/data to ship them\n")
    return 0


DEFAULT_GRID = [dict(k_cd25=0.04, Emax_cd25=32, g_il2=0.32, k_il2_prolif=k) for k in (5.0, 0.4, 0.2, 0.1)]

if __name__ == "__main__":  # pragma: no cover - the command line
    sys.exit(main())
