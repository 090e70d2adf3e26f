"""Low-dose IL-2 pharmacodynamics against the MS low-dose IL-2 trial (Louapre 2023): the check and the grid.

Louapre C, Rosenzwajg M, ..., Klatzmann D. *A randomized double-blind placebo-controlled trial of low-dose
interleukin-2 in relapsing-remitting multiple sclerosis.* J Neurol 2023;270:4403-4414 (MS-IL2; 15 per arm).
Aldesleukin 1 MIU SC daily for 5 days, then every 2 weeks for 6 months.  From the abstract [V]: Treg were
not expanded at day 5 but at day 15 (median fold from baseline 1.26, IQR 1.21-1.33; placebo 1.01); CD25 on
Treg at day 5 rose 2.17-fold (IQR 1.70-3.55).

The model is compared seed-paired: each person of the shipped virtual RRMS population (as trials draw them)
treated and untreated with the same immune triggers,
the treated/untreated ratio of blood Treg (the placebo arm's 1.01 is the untreated reference), median over
patients.  Study day d is model day d - 1 (day 1 = first injection); maintenance is assumed to start two
weeks after the last induction dose (the abstract does not say when).

``k_cd25``, ``Emax_cd25`` and ``g_il2`` were hand-chosen from the grid :func:`grid` prints (not a fit; the
parameter table marks them U).  Run ``python -m tregsim.calibration.il2`` to repeat it.
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
    """Medians over patients by model day: seed-paired blood Treg and Teff (treated / untreated), the treated
    arm's blood Treg fold from each patient's own day 0 (Louapre's measure), the untreated arm's (placebo) and
    the CD25 fold."""

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


def response(regimens=MS_IL2_REGIMENS, patients: int = 16, seed: int = 7, days: float = 30.0,
             overrides: dict[str, float] | None = None, disease: str = "rrms", population: bool = False) -> Response:
    """Seed-paired response of ``patients`` people with ``disease`` to ``regimens``.

    Arguments:
        overrides: parameter values for every patient (the grid's candidates).
        population: draw the patients from the shipped virtual RRMS population (as trials do); else every
            patient has the table's values and only the immune triggers differ.
    """
    from tregsim.engine.ensemble import EnsembleSolver
    from tregsim.model.observables import compute
    from tregsim.model.subject import build_subject
    from tregsim.protocol import parse_protocol
    from tregsim.simulate import solve_chunk

    base = dict(kind="simulation", species="human", disease=disease, duration_days=days, output_every_hours=24,
                subjects=patients)
    arms = [parse_protocol({**base, "regimens": [dict(r) for r in regimens]}), parse_protocol(base)]
    each = population_overrides(patients, seed) if population else [{} for _ in range(patients)]
    t = np.arange(0.0, days + 1e-9, 1.0 / 24.0)
    solver = EnsembleSolver()
    obs = []
    for p in arms:
        subs = [build_subject(p, i, seed, overrides={**each[i], **(overrides or {})} or None) for i in range(patients)]
        got = {s.index: compute("human", y, s.p, s.values) for s, y, err in solve_chunk(solver, subs, t) if err is None}
        obs.append(got)
    both = sorted(set(obs[0]) & set(obs[1]))

    def med(f) -> np.ndarray:
        return np.median(np.array([f(i) for i in both]), 0)

    return Response(t, med(lambda i: obs[0][i]["treg_periphery"] / obs[1][i]["treg_periphery"]),
                    med(lambda i: obs[0][i]["teff_periphery"] / obs[1][i]["teff_periphery"]),
                    med(lambda i: obs[0][i]["treg_cd25_fold"]), med(lambda i: obs[0][i]["treg_blood_fold"]),
                    med(lambda i: obs[1][i]["treg_blood_fold"]))


def grid(points: list[dict[str, float]], patients: int = 48, seeds: tuple[int, ...] = (7, 21)
         ) -> list[dict[str, float]]:
    """The scan behind the hand-choice: for each point and seed, the seed-paired Treg ratio at study days 5 and
    15 and CD25 at day 5, in ``patients`` people from the shipped virtual population."""
    rows = []
    for ov in points:
        for seed in seeds:
            r = response(patients=patients, seed=seed, overrides=ov, population=True, days=20)
            rows.append({**ov, "seed": seed, "treg_day5": r.at("treg_ratio", 5), "treg_day15": r.at("treg_ratio", 15),
                         "cd25_day5": r.at("cd25_fold", 5)})
    return rows


DEFAULT_GRID = [dict(k_cd25=k, Emax_cd25=e, g_il2=g) for k, e, g in
                ((0.04, 32, 0.25), (0.04, 32, 0.28), (0.04, 32, 0.3), (0.04, 32, 0.32), (0.04, 32, 0.35),
                 (0.04, 32, 0.5), (0.02, 64, 0.35), (0.1, 14, 0.5))]

if __name__ == "__main__":  # pragma: no cover - the recorded scan
    for row in grid(DEFAULT_GRID):
        sys.stdout.write(" ".join(f"{k}={v:.3g}" for k, v in row.items()) + "\n")
