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
    none = (np.empty((2, 1)), np.empty(2), np.empty(1), np.empty(1), np.empty(0), np.empty((0, 1)), np.empty((0, 1)))
    mid = None
    for k in range(n):
        assert m.step(k * h, y, p, h, buf["ynew"], buf["err"], buf["dense"], buf["work"], buf["jm"], buf["piv"],
                      *none, 0, 0, 0) >= 0
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


#: y' = -lam (y - u(t)) - y^2 / 10 with a forcing signal u(t) = sin(3 t) + t^2 / 4 (a stand-in for free IGF-1
#: read by the immune system), given to the engine as knots (time, value, rate) like a drug solve records
FORCED_RHS = """def frhs(y, u, p, out):
    out[0] = -p[0] * (y[0] - u[0]) - y[0] * y[0] / 10.0
"""
FORCED_JAC = """def fjac(y, u, p, J, Ju):
    J[0, 0] = -p[0] - y[0] / 5.0
    Ju[0, 0] = p[0]
"""


def test_forced_system_keeps_fourth_order_through_the_non_autonomous_terms():
    """Fixed steps on a forced, stiff-ish problem: error ratio ~16 on halving (order 4), so the stage times and
    the h df/dt coefficients are right (without them the order drops)."""
    m = load(FORCED_RHS, FORCED_JAC, 1, 1, "cpu", 1)
    lam = 5.0
    kt = np.linspace(0.0, 1.0, 20001)  # knots so dense that the Hermite interpolant is exact to ~1e-17
    ky = (np.sin(3 * kt) + kt ** 2 / 4)[:, None]
    kf = (3 * np.cos(3 * kt) + kt / 2)[:, None]
    exact = solve_ivp(lambda t, y: [-lam * (y[0] - np.sin(3 * t) - t * t / 4) - y[0] ** 2 / 10], (0, 1), [1.0],
                      method="DOP853", rtol=1e-13, atol=1e-14).y[0, -1]
    p = np.array([lam])
    errors = []
    for n in (8, 16, 32):
        y, h = np.array([1.0]), 1.0 / n
        ynew, err, dense, work = np.empty(1), np.empty(1), np.empty((2, 1)), np.empty((7, 1))
        jm, piv, ju, ft, u, du = np.empty((1, 1)), np.empty(1, np.int64), np.empty((1, 1)), np.empty(1), np.empty(1), np.empty(1)
        k = 0
        for i in range(n):
            k = m.step(i * h, y, p, h, ynew, err, dense, work, jm, piv, ju, ft, u, du, kt, ky, kf, 0, len(kt), k)
            assert k >= 0
            y = ynew.copy()
        errors.append(abs(y[0] - exact))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 12) & (ratios < 22)), (errors, ratios)


def test_signal_is_the_hermite_interpolant_of_the_knots():
    m = load(FORCED_RHS, FORCED_JAC, 1, 1, "cpu", 1)
    kt = np.array([0.0, 0.5, 2.0])
    ky = np.array([[1.0], [2.0], [0.0]])
    kf = np.array([[0.0], [3.0], [-1.0]])
    u, du = np.empty(1), np.empty(1)
    for t in (0.0, 0.2, 0.5, 1.3, 2.0):
        m.signal(t, kt, ky, kf, 0, 3, 0, u, du)
        k = 0 if t < 0.5 else 1
        a, h = kt[k], kt[k + 1] - kt[k]
        s = (t - a) / h
        want = ((2 * s ** 3 - 3 * s ** 2 + 1) * ky[k, 0] + (s ** 3 - 2 * s ** 2 + s) * h * kf[k, 0]
                + (3 * s ** 2 - 2 * s ** 3) * ky[k + 1, 0] + (s ** 3 - s ** 2) * h * kf[k + 1, 0])
        assert abs(u[0] - want) < 1e-14
        d = 1e-6
        m.signal(t + d, kt, ky, kf, 0, 3, k, u, np.empty(1))
        up = u[0]
        m.signal(t - d, kt, ky, kf, 0, 3, k, u, np.empty(1))
        assert abs((up - u[0]) / (2 * d) - du[0]) < 1e-4  # the rate is its derivative (continuous at knots)


def _forced_dop853():
    """The forced test system, its exact solution and a scipy right-hand side reading the same signal."""
    m = load(FORCED_RHS, FORCED_JAC, 1, 1, "cpu", 1)
    lam = 5.0
    kt = np.linspace(0.0, 1.0, 20001)
    ky = (np.sin(3 * kt) + kt ** 2 / 4)[:, None]
    kf = (3 * np.cos(3 * kt) + kt / 2)[:, None]
    exact = solve_ivp(lambda t, y: [-lam * (y[0] - np.sin(3 * t) - t * t / 4) - y[0] ** 2 / 10], (0, 1), [1.0],
                      method="DOP853", rtol=3e-14, atol=1e-15, dense_output=True)
    return m, np.array([lam]), kt, ky, kf, exact


def _dop853_steps(m, p, kt, ky, kf, n, theta=None):
    """n fixed DOP853 steps of size 1/n from y = 1 (first same as last); with theta, the dense output inside
    the middle step at theta."""
    y, h = np.array([1.0]), 1.0 / n
    ynew, e5, e3, kk, yi, u, du = (np.empty(1), np.empty(1), np.empty(1), np.empty((16, 1)), np.empty(1),
                                   np.empty(1), np.empty(1))
    k, mid = 0, None
    for i in range(n):
        k = m.dop853_step(i * h, y, p, h, ynew, e5, e3, kk, yi, i > 0, u, du, kt, ky, kf, 0, len(kt), k)
        if theta is not None and i == n // 2:
            k = m.dop853_extra(i * h, y, p, h, kk, yi, u, du, kt, ky, kf, 0, len(kt), k)
            mid = np.empty(1)
            m.dop853_dense(y, ynew, h, kk, theta, mid)
        y = ynew.copy()
        kk[0] = kk[12]
    return y, mid


def test_dop853_is_eighth_order_with_a_converging_dense_output_on_a_forced_problem():
    """Fixed steps: error ratio ~2^8 = 256 on halving (order 8, the forcing signal read at every stage time);
    the dense output inside a step converges at high order too (7th-order interpolant)."""
    m, p, kt, ky, kf, exact = _forced_dop853()
    errors, dense_errors = [], []
    for n in (4, 8, 16):
        y, mid = _dop853_steps(m, p, kt, ky, kf, n, theta=0.3)
        errors.append(abs(y[0] - exact.y[0, -1]))
        dense_errors.append(abs(mid[0] - exact.sol((n // 2 + 0.3) / n)[0]))
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    dense_ratios = np.array(dense_errors[:-1]) / np.array(dense_errors[1:])
    assert np.all((ratios > 150) & (ratios < 450)), (errors, ratios)
    assert np.all(dense_ratios > 90), (dense_errors, dense_ratios)  # order > 6.5


def test_dop853_step_error_norm_and_dense_output_are_scipys():
    """One step against scipy's DOP853 (its rk_step, error norm and dense output) on the same right-hand side."""
    from types import SimpleNamespace

    from scipy.integrate._ivp.rk import DOP853, rk_step

    m, p, kt, ky, kf, _ = _forced_dop853()
    u, du = np.empty(1), np.empty(1)

    def fun(t, y):
        m.signal(t, kt, ky, kf, 0, len(kt), 0, u, du)
        out = np.empty(1)
        m.frhs(np.asarray(y, float), u, p, out)
        return out

    t, y, h = 0.1, np.array([0.7]), 0.15
    K = np.empty((16, 1))
    y_new, f_new = rk_step(fun, t, y, fun(t, y), h, DOP853.A, DOP853.B, DOP853.C, K[:13])
    rtol, atol = np.array([1e-6]), np.array([1e-9])
    scale = atol + np.maximum(np.abs(y), np.abs(y_new)) * rtol
    norm = DOP853._estimate_error_norm(DOP853, K[:13], h, scale)
    ns = SimpleNamespace(K_extended=K, h_previous=h, A_EXTRA=DOP853.A_EXTRA, C_EXTRA=DOP853.C_EXTRA, D=DOP853.D, n_stages=12,
                         fun=fun, t_old=t, y_old=y, y=y_new, f=f_new, t=t + h, n=1)
    dense = DOP853._dense_output_impl(ns)

    ynew, e5, e3, kk, yi = np.empty(1), np.empty(1), np.empty(1), np.empty((16, 1)), np.empty(1)
    k = m.dop853_step(t, y, p, h, ynew, e5, e3, kk, yi, False, u, du, kt, ky, kf, 0, len(kt), 0)
    np.testing.assert_allclose(ynew, y_new, rtol=1e-14)
    assert m.dop853_error(h, y, ynew, e5, e3, rtol, atol) == pytest.approx(norm, rel=1e-10)
    m.dop853_extra(t, y, p, h, kk, yi, u, du, kt, ky, kf, 0, len(kt), k)
    np.testing.assert_allclose(kk, K, rtol=1e-13)
    for x in (0.0, 0.25, 0.6, 1.0):
        out = np.empty(1)
        m.dop853_dense(y, ynew, h, kk, x, out)
        np.testing.assert_allclose(out, dense(t + x * h), rtol=1e-13)
