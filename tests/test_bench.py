"""`tregsim bench --json`: the contract's keys, every peer run on the same patients, errors measured."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np


def test_bench_json_has_the_contract_keys_and_accurate_peers():
    r = subprocess.run([sys.executable, "-m", "tregsim.cli", "bench", "--json", "--patients", "2", "--years", "0.1",
                        "--scipy-patients", "1", "--reference-patients", "1"], capture_output=True, text=True,
                       timeout=600, env=dict(os.environ, COLUMNS="200"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("patients", "days", "ratio_vs_libroadrunner", "ratio_vs_scipy", "max_rel_error"):
        assert key in out
    assert out["patients"] == 2 and abs(out["days"] - 36.5) < 1e-9
    assert set(out["cases"]) == {"untreated", "treated"}
    for case in out["cases"].values():
        assert case["tregsim"]["patient_years_per_s"] > 0
        for peer in ("libroadrunner", "scipy"):
            assert case["peers"][peer]["patient_years_per_s"] > 0
            assert case["peers"][peer]["max_rel_error"] <= 1e-3  # the peers solve the same patients
        assert case["tregsim"]["max_rel_error"] <= 1e-4
        ratio = case["tregsim"]["patient_years_per_s"] / case["peers"]["libroadrunner"]["patient_years_per_s"]
        assert abs(ratio - case["ratio_vs_libroadrunner"]) < 1e-9 * ratio
    worst = min(out["cases"].values(), key=lambda c: c["ratio_vs_libroadrunner"])
    assert out["ratio_vs_libroadrunner"] == worst["ratio_vs_libroadrunner"]


def test_bench_rejects_more_reference_patients_than_patients():
    r = subprocess.run([sys.executable, "-m", "tregsim.cli", "bench", "--patients", "2", "--scipy-patients", "3"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--scipy-patients" in r.stderr and "Traceback" not in r.stderr


def test_reduced_cohort_rows_do_not_depend_on_the_chunking():
    from tregsim.bench import REDUCED_COLUMNS, reduced_cohort

    small = reduced_cohort("untreated", 5, 0.2, chunk=2)
    whole = reduced_cohort("untreated", 5, 0.2, chunk=5)
    assert small.shape == (5, len(REDUCED_COLUMNS)) and np.all(small[:, -1] == 0)
    np.testing.assert_array_equal(small, whole)


def test_resumable_memory_run_resumes_and_refuses_another_run(tmp_path):
    """A stopped run resumes: only the chunk that is missing is computed again, and the rows are those of the
    one-sitting reduced cohort; a directory holding another run is refused."""
    import glob

    import pytest

    from tregsim.bench import reduced_cohort, resumable_memory_run

    d = str(tmp_path / "run")
    first = resumable_memory_run(d, "untreated", 5, 0.2, chunk=2)
    assert first["complete"] and first["patients_done"] == 5 and first["failed_seeds"] == []
    assert first["peak_mib"] >= first["baseline_peak_mib"] > 0
    os.remove(os.path.join(d, "rows-000000002.npy"))  # as if the run had stopped before that chunk
    again = resumable_memory_run(d, "untreated", 5, 0.2, chunk=2)
    parts = [json.load(open(p, encoding="utf-8")) for p in sorted(glob.glob(os.path.join(d, "part-*.json")))]
    assert again["complete"] and again["parts"] == 2 and sorted(p["chunks"] for p in parts) == [1, 3]
    rows = np.concatenate([np.load(p) for p in sorted(glob.glob(os.path.join(d, "rows-*.npy")))])
    np.testing.assert_array_equal(rows, reduced_cohort("untreated", 5, 0.2, chunk=5))
    order = []
    os.remove(os.path.join(d, "rows-000000000.npy"))
    os.remove(os.path.join(d, "rows-000000004.npy"))
    resumable_memory_run(d, "untreated", 5, 0.2, chunk=2, reverse=True,  # a second part works from the end
                         progress=lambda done, total: order.append(sorted(os.listdir(d))))
    assert "rows-000000004.npy" in order[0] and "rows-000000000.npy" not in order[0]
    assert order[-1].count("rows-000000000.npy") == 1
    np.testing.assert_array_equal(np.concatenate([np.load(p) for p in sorted(glob.glob(os.path.join(d, "rows-*.npy")))]),
                                  reduced_cohort("untreated", 5, 0.2, chunk=5))
    with pytest.raises(ValueError, match="different run"):
        resumable_memory_run(d, "untreated", 6, 0.2, chunk=2)
