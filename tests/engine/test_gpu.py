"""The GPU back end (numba-cuda, one thread per subject) under numba's CUDA simulator: the same template and
generated code as the CPU engine, so the same steps and the same answers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import numpy as np
    from tregsim.engine.ensemble import EnsembleSolver, gpu_available
    from tregsim.model.subject import build_subject
    from tregsim.protocol import parse_protocol

    assert gpu_available()
    proto = parse_protocol({"kind": "simulation", "species": "mouse", "disease": "eae_mog35_55",
                            "duration_days": 3, "animals": 3, "output_every_hours": 6,
                            "regimens": [{"drug": "igf1", "route": "sc", "dose": 0.5, "dose_unit": "mg/kg",
                                          "every_hours": 24}]}, "gpu-test")
    subjects = [build_subject(proto, i, 1) for i in range(3)]
    t = np.arange(0.0, 3.0001, 0.25)
    cpu, s_cpu, st_cpu = EnsembleSolver(split=False).solve_many(subjects, t)  # the GPU runs the coupled system
    gpu, s_gpu, st_gpu = EnsembleSolver(backend="gpu").solve_many(subjects, t)
    assert (s_cpu == 0).all() and (s_gpu == 0).all()
    np.testing.assert_array_equal(st_gpu[:, :2], st_cpu[:, :2])  # the same accepted and rejected steps
    scale = np.maximum(np.abs(cpu).max(axis=1, keepdims=True), 1e-9)
    assert np.max(np.abs(gpu - cpu) / scale) < 1e-10
    split, *_ = EnsembleSolver().solve_many(subjects, t)  # and agrees with the CPU's default split solve
    assert np.max(np.abs(gpu - split) / scale) < 1e-4
    auto = EnsembleSolver(backend="auto", gpu_threshold=2)
    assert auto._use_gpu(3) and not auto._use_gpu(1)
    print("ok")
""")


def test_gpu_backend_matches_the_cpu_engine_under_the_cuda_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", PYTHONWARNINGS="ignore::RuntimeWarning")
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]


def test_gpu_backend_without_a_device_says_so():
    import pytest

    from tregsim.engine.ensemble import EnsembleSolver, gpu_available

    if gpu_available():
        pytest.skip("a CUDA device (or the simulator) is present: the no-device message cannot be seen")
    with pytest.raises(RuntimeError, match="no CUDA device"):
        EnsembleSolver(backend="gpu")._use_gpu(10)
