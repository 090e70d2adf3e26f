"""RODAS4 itself: fourth order on a smooth problem, a dense output that converges, L-stable on a stiff one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tregsim.engine.build import load

VDP_RHS = """def rhs(y, p, out):
    out[0] = y[1]
    out[1] = p[0] * (1 - y[0] * y[0]) * y[1] - y[0]
"""
VDP_JAC = """def jac(y, p, J):
    J[0, 0] = 0.0
    J[0, 1] = 1.0
    J[1, 0] = -2.0 * p[0] * y[0] * y[1] - 1.0
    J[1, 1] = p[0] * (1 - y[0] * y[0])
"""


@pytest.fixture(scope="module")
def vdp():
    return load(VDP_RHS, VDP_JAC, 2, 1)


def _steps(m, y0, p, h, n, theta=None):
    """n fixed steps of size h; with theta, also the dense output inside the middle step."""
    y = np.array(y0, float)
    buf = dict(ynew=np.empty(2), err=np.empty(2), dense=np.empty((2, 2)), work=np.empty((7, 2)),
               jm=np.empty((2, 2)), piv=np.empty(2, np.int64))
    mid = None
    for k in range(n):
        assert m.step(y, p, h, buf["ynew"], buf["err"], buf["dense"], buf["work"], buf["jm"], buf["piv"])
        if theta is not None and k == n // 2:
            s, d = theta, buf["dense"]
            mid = y * (1 - s) + s * (buf["ynew"] + (1 - s) * (d[0] + s * d[1]))
        y = buf["ynew"].copy()
    return y, mid


def test_fourth_order_and_converging_dense_output(vdp):
    p = np.array([1.0])
    exact = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 1), [2.0, 0.0], method="DOP853",
                      rtol=1e-13, atol=1e-14, dense_output=True)
    errors, dense_errors = [], []
    for n in (10, 20, 40):
        y, mid = _steps(vdp, [2.0, 0.0], p, 1.0 / n, n, theta=0.5)
        errors.append(np.abs(y - exact.y[:, -1]).max())
        dense_errors.append(np.abs(mid - exact.sol((n // 2 + 0.5) / n)).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 13) & (ratios < 20)), ratios  # 2^4 = 16: order 4
    assert dense_errors[-1] < dense_errors[0] / 30 and dense_errors[-1] < 1e-8


def test_stiff_step_far_beyond_the_fast_scale_stays_stable(vdp):
    """van der Pol with mu = 1000: one step of h = 1 (a thousand times the fast scale) stays bounded."""
    y, _ = _steps(vdp, [2.0, -0.6], np.array([1000.0]), 1.0, 5)
    assert np.all(np.isfinite(y)) and abs(y[0]) < 2.5
