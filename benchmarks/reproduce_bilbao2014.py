"""Benchmark: `tregsim reproduce bilbao2014` wall time (budget 60 s on the 2-core machine), and the
cohort solver against its peer, the per-animal scipy reference solver, on the same animals in the
same run (speed ratio and largest relative difference).

Run: make bench   (or .venv/bin/python benchmarks/reproduce_bilbao2014.py [--json])
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tregsim.experiments import bilbao2014 as b14
from tregsim.model.subject import build_subject
from tregsim.solve.batch import CohortSolver
from tregsim.solve.reference import ReferenceSolver

BUDGET_S = 60.0


def time_reproduce() -> float:
    exe = Path(sys.executable).with_name("tregsim")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        subprocess.run([str(exe), "reproduce", "bilbao2014", "--out", f"{d}/o"], check=True, capture_output=True)
        return time.perf_counter() - t0


def solver_ratio(animals: int = 20) -> dict:
    proto = b14.EAE_BY_ID["eae_igf1"].protocol("treg_and_th17", animals, 1)
    subjects = [build_subject(proto, i, 1) for i in range(animals)]
    t = np.arange(0.0, b14.DURATION_DAYS + 1e-9, b14.OUTPUT_STEP_DAYS)
    t0 = time.perf_counter()
    ref = np.stack([ReferenceSolver().solve(s, t) for s in subjects])
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    got = CohortSolver().solve(subjects, t)
    t_batch = time.perf_counter() - t0
    scale = np.maximum(np.abs(ref).max(axis=1, keepdims=True), 1e-9)
    return {"animals": animals, "reference_s": t_ref, "cohort_s": t_batch, "ratio_vs_reference": t_ref / t_batch,
            "max_rel_error": float(np.max(np.abs(got - ref) / scale))}


def main() -> int:
    out = {"solver": solver_ratio(), "reproduce_s": time_reproduce(), "budget_s": BUDGET_S}
    out["within_budget"] = out["reproduce_s"] <= BUDGET_S
    if "--json" in sys.argv:
        print(json.dumps(out))
    else:
        s = out["solver"]
        print(f"cohort solver vs reference ({s['animals']} animals): {s['ratio_vs_reference']:.1f}x faster, "
              f"max relative difference {s['max_rel_error']:.2g}")
        print(f"tregsim reproduce bilbao2014: {out['reproduce_s']:.1f} s (budget {BUDGET_S:.0f} s): "
              f"{'ok' if out['within_budget'] else 'OVER BUDGET'}")
    return 0 if out["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
