"""DP45 against DOP853 on the immune states of the split solve (issue 9): patient-years/s of each on the same
bench patients in the same process, each configuration's max_rel_error against the bench's tight reference
(libRoadRunner CVODE rtol 1e-12) on the first ``--ref`` patients, and its gap to libRoadRunner on the SBML
parity protocol ``human_bid_year`` (CVODE rtol 1e-10, the parity test's bar 1e-4).

    PYTHONPATH=src python benchmarks/immune_methods.py [--patients 16] [--years 2] [--ref 2]
        [--configs dp45:1e-11:1e-4 dop853:1e-11:1e-4 ...] [--repeat 2] [--out file.json]

A configuration is method:rtol:immune_atol_scale.  The tight references are cached in ``$TREGSIM_CACHE``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tregsim.bench import TIGHT_ATOL, TIGHT_RTOL, RoadRunnerPeer, bench_protocol, max_rel_error
from tregsim.engine.build import cache_dir
from tregsim.engine.ensemble import EnsembleSolver
from tregsim.model.subject import build_subject


def _tight(case: str, subjects, t_out, years: float) -> list[np.ndarray]:
    path = cache_dir() / f"tight-{case}-{len(subjects)}-{years:g}.npz"
    if path.exists():
        return list(np.load(path)["refs"])
    peer = RoadRunnerPeer(subjects[0], rtol=TIGHT_RTOL, atol=TIGHT_ATOL)
    refs = [peer.solve(s, t_out) for s in subjects]
    np.savez(path, refs=np.array(refs))
    return refs


def _parity(engine: EnsembleSolver) -> float:
    """The gap of ``simulate(human_bid_year)`` to libRoadRunner rtol 1e-10 (tests/exchange/test_sbml.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.exchange.parity import human_bid_year, worst_relative_gap
    from tregsim.exchange.sbml import roadrunner_time_course
    from tregsim.simulate import simulate

    proto = human_bid_year()
    res = simulate(proto, solver=engine)
    expected = {n: res.data[n].values[0] for n in res.data.data_vars}
    times = res.data.time_day.values
    path = cache_dir() / "parity-human_bid_year-rr1e-10.npz"
    if path.exists():
        got = dict(np.load(path))
    else:
        out = roadrunner_time_course(proto, times, list(expected))
        got = {n: out[n] for n in expected}
        np.savez(path, **got)
    return max(worst_relative_gap(expected, got).values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=16)
    ap.add_argument("--years", type=float, default=2.0)
    ap.add_argument("--ref", type=int, default=2)
    ap.add_argument("--configs", nargs="+", default=["dp45:1e-11:1e-4", "dop853:1e-11:1e-4"])
    ap.add_argument("--cases", nargs="+", default=["untreated", "treated"])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--parity", action="store_true", help="also the human_bid_year gap to libRoadRunner")
    ap.add_argument("--out")
    a = ap.parse_args()
    engines = {}
    for c in a.configs:
        method, rtol, scale = c.split(":")
        engines[c] = EnsembleSolver(immune_method=method, rtol=float(rtol), immune_atol_scale=float(scale))
    results: dict = {"patients": a.patients, "years": a.years, "threads": None, "cases": {}}
    import numba

    results["threads"] = numba.get_num_threads()
    for case in a.cases:
        proto = bench_protocol(case, a.patients, a.years)
        t_out = np.arange(0.0, proto.duration_days + 1e-9, 1.0)
        subjects = [build_subject(proto, i, int(proto.seed)) for i in range(a.patients)]
        refs = _tight(case, subjects[:a.ref], t_out, a.years)
        rows = {}
        for name, engine in engines.items():
            engine.solve_many(subjects[:1], t_out[:2])  # compiled before timing
            best, out, stats = np.inf, None, None
            for _ in range(a.repeat):
                t0 = time.perf_counter()
                out, status, stats = engine.solve_many(subjects, t_out)
                best = min(best, time.perf_counter() - t0)
                assert np.all(status == 0), (name, status)
            rows[name] = {"patient_years_per_s": a.patients * a.years / best, "seconds": best,
                          "steps_mean": float(stats[:, 0].mean()), "rejected_mean": float(stats[:, 1].mean()),
                          "max_rel_error": max_rel_error(subjects[:a.ref], list(out[:a.ref]), refs)}
            print(case, name, json.dumps(rows[name]), flush=True)
        results["cases"][case] = rows
    if a.parity:
        results["parity_human_bid_year"] = {}
        for name, engine in engines.items():
            results["parity_human_bid_year"][name] = _parity(engine)
            print("parity", name, results["parity_human_bid_year"][name], flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
