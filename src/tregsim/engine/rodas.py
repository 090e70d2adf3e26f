"""RODAS4: an L-stable, stiffly accurate Rosenbrock method of order 4(3) with dense output, in numba.

Coefficients: Hairer & Wanner, *Solving Ordinary Differential Equations II* (2nd ed., 1996), section IV.7,
method RODAS (as in Hairer's rodas.f, RODAS4 set, gamma = 1/4).  One step solves six linear systems with
the same matrix ``E = I / (h gamma) - J`` (one LU per step, analytic Jacobian ``J``); the sixth stage is
the error estimate; a cubic-in-theta interpolant gives output between steps (order 3).

This module is a template: it knows nothing about the model.  :mod:`tregsim.engine.build` writes a module
that is this text followed by a generated system: ``frhs(y, u, p, out)``, ``fjac(y, u, p, J, Ju)``, the
state count ``N`` and the number ``NU`` of forcing signals (replacing the placeholders below), so numba
compiles it once and caches it on disk.  A closed system (NU = 0; the whole model, or the drug subsystem)
ignores ``u``.  A forced system (the immune subsystem of :mod:`tregsim.engine.split`) reads ``NU`` states
of another subsystem as known functions of time, interpolated from recorded knots; the steps then carry
RODAS4's non-autonomous terms (rodas.f: stage times and the h df/dt coefficients).  Everything is scalar
loops over small arrays, so the same code can compile as CUDA device functions.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from scipy.integrate import RK45 as _RK45
from scipy.integrate._ivp import dop853_coefficients as _D853

# --- RODAS4 coefficients (Hairer & Wanner 1996, rodas.f) -------------------------------------------
GAMMA = 0.25
A21 = 1.544
A31, A32 = 0.9466785280815826, 0.2557011698983284
A41, A42, A43 = 3.314825187068521, 2.896124015972201, 0.9986419139977817
A51, A52, A53, A54 = 1.221224509226641, 6.019134481288629, 12.53708332932087, -0.687886036105895
C21 = -5.6688
C31, C32 = -2.430093356833875, -0.2063599157091915
C41, C42, C43 = -0.1073529058151375, -9.594562251023355, -20.47028614809616
C51, C52, C53, C54 = 7.496443313967647, -10.24680431464352, -33.99990352819905, 11.7089089320616
C61, C62, C63, C64, C65 = 8.083246795921522, -7.981132988064893, -31.52159432874371, 16.31930543123136, -6.058818238834054
D21, D22, D23, D24, D25 = 10.12623508344586, -7.487995877610167, -34.80091861555747, -7.992771707568823, 1.025137723295662
D31, D32, D33, D34, D35 = -0.6762803392801253, 6.087714651680015, 16.43084320892478, 24.76722511418386, -6.594389125716872

#: Non-autonomous terms (rodas.f): stage times t + ALPHA_i h and the coefficients of h df/dt in each stage
ALPHA2, ALPHA3, ALPHA4 = 0.386, 0.21, 0.63
DT1, DT2, DT3, DT4 = 0.25, -0.1043, 0.1035, -0.0362

#: status codes of one subject's integration
OK, TOO_MANY_STEPS, STEP_TOO_SMALL, NOT_FINITE, KNOTS_FULL = 0, 1, 2, 3, 4
STATUS_TEXT = {OK: "ok", TOO_MANY_STEPS: "too many steps", STEP_TOO_SMALL: "step size underflow",
               NOT_FINITE: "non-finite state", KNOTS_FULL: "drug-signal knot buffer full"}


#: placeholders, bound by the generated module that follows this text (see tregsim.engine.build):
#: the number of states, of parameters and of forcing signals (states of another subsystem that the rates
#: read as known functions of time; 0 for a closed system)
N = 0
P = 0
NU = 0


def frhs(y, u, p, out):  # pragma: no cover - replaced in the generated module
    """The rates of the system at state ``y`` and signals ``u`` into ``out``."""
    raise NotImplementedError


def fjac(y, u, p, J, Ju):  # pragma: no cover - replaced in the generated module
    """d rates / d y into ``J`` (N, N) and d rates / d u into ``Ju`` (N, NU)."""
    raise NotImplementedError


@nb.njit(cache=True, error_model="numpy")
def signal(t, kt, ky, kf, lo, hi, k, u, du):
    """The forcing signals ``u`` and their time derivatives ``du`` at ``t``: the cubic Hermite interpolant of
    knots ``lo..hi-1`` (times ``kt``, values ``ky``, derivatives ``kf``).  ``k`` is a hint (the interval
    last used); returns the interval used.  Nothing to do for a closed system (NU = 0)."""
    if NU == 0:
        return k
    if hi - lo < 2:
        for m in range(NU):
            u[m] = ky[lo, m]
            du[m] = 0.0
        return lo
    k = min(max(k, lo), hi - 2)
    while k > lo and t < kt[k]:
        k -= 1
    while k < hi - 2 and t > kt[k + 1]:
        k += 1
    h = kt[k + 1] - kt[k]
    s = (t - kt[k]) / h if h > 0.0 else 0.0
    s2 = s * s
    s3 = s2 * s
    h00, h10, h01, h11 = 2.0 * s3 - 3.0 * s2 + 1.0, s3 - 2.0 * s2 + s, 3.0 * s2 - 2.0 * s3, s3 - s2
    g00, g10, g11 = 6.0 * (s2 - s), 3.0 * s2 - 4.0 * s + 1.0, 3.0 * s2 - 2.0 * s
    for m in range(NU):
        y0, y1, f0, f1 = ky[k, m], ky[k + 1, m], kf[k, m], kf[k + 1, m]
        u[m] = h00 * y0 + h * (h10 * f0 + h11 * f1) + h01 * y1
        du[m] = (g00 * (y0 - y1)) / h + g10 * f0 + g11 * f1 if h > 0.0 else f0
    return k


@nb.njit(cache=True, error_model="numpy")
def lu_factor(a, piv):
    for k in range(N):
        m = k
        big = abs(a[k, k])
        for i in range(k + 1, N):
            v = abs(a[i, k])
            if v > big:
                big, m = v, i
        piv[k] = m
        if m != k:
            for j in range(N):
                a[k, j], a[m, j] = a[m, j], a[k, j]
        d = a[k, k]
        if d == 0.0:
            return False
        for i in range(k + 1, N):
            f = a[i, k] / d
            a[i, k] = f
            if f != 0.0:
                for j in range(k + 1, N):
                    a[i, j] -= f * a[k, j]
    return True

@nb.njit(cache=True, error_model="numpy")
def lu_solve(a, piv, b):
    for k in range(N):
        m = piv[k]
        if m != k:
            b[k], b[m] = b[m], b[k]
    for i in range(N):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(N - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, N):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]

@nb.njit(cache=True, error_model="numpy")
def step(t, y, p, h, ynew, err, dense, work, jm, piv, ju, ft, u, du, kt, ky, kf, lo, hi, k):
    """One step from ``y`` at time ``t`` with size ``h``; ``dense`` (2, n) gets the interpolation coefficients.
    ``work`` is (7, n) scratch; ``jm`` (n, n); ``piv`` (n,).  With forcing signals (NU > 0) the
    non-autonomous terms enter: the signals at each stage time from :func:`signal` (knots ``lo..hi-1`` of
    ``kt, ky, kf``, hint ``k``), df/dt = d f/d u * du/dt into every stage (``ju`` (n, NU), ``ft`` (n,),
    ``u, du`` (NU,) scratch).  Returns the interval hint, or -1 if the matrix is singular."""
    k1, k2, k3, k4, k5, k6, yi = work[0], work[1], work[2], work[3], work[4], work[5], work[6]
    k = signal(t, kt, ky, kf, lo, hi, k, u, du)
    fjac(y, u, p, jm, ju)
    if NU > 0:
        for i in range(N):
            s = 0.0
            for m in range(NU):
                s += ju[i, m] * du[m]
            ft[i] = s * h
    fac = 1.0 / (h * GAMMA)
    for i in range(N):
        for j in range(N):
            jm[i, j] = -jm[i, j]
        jm[i, i] += fac
    if not lu_factor(jm, piv):
        return -1
    frhs(y, u, p, k1)
    if NU > 0:
        for i in range(N):
            k1[i] += DT1 * ft[i]
    lu_solve(jm, piv, k1)
    for i in range(N):
        yi[i] = y[i] + A21 * k1[i]
    k = signal(t + ALPHA2 * h, kt, ky, kf, lo, hi, k, u, du)
    frhs(yi, u, p, k2)
    for i in range(N):
        k2[i] += C21 * k1[i] / h
    if NU > 0:
        for i in range(N):
            k2[i] += DT2 * ft[i]
    lu_solve(jm, piv, k2)
    for i in range(N):
        yi[i] = y[i] + A31 * k1[i] + A32 * k2[i]
    k = signal(t + ALPHA3 * h, kt, ky, kf, lo, hi, k, u, du)
    frhs(yi, u, p, k3)
    for i in range(N):
        k3[i] += (C31 * k1[i] + C32 * k2[i]) / h
    if NU > 0:
        for i in range(N):
            k3[i] += DT3 * ft[i]
    lu_solve(jm, piv, k3)
    for i in range(N):
        yi[i] = y[i] + A41 * k1[i] + A42 * k2[i] + A43 * k3[i]
    k = signal(t + ALPHA4 * h, kt, ky, kf, lo, hi, k, u, du)
    frhs(yi, u, p, k4)
    for i in range(N):
        k4[i] += (C41 * k1[i] + C42 * k2[i] + C43 * k3[i]) / h
    if NU > 0:
        for i in range(N):
            k4[i] += DT4 * ft[i]
    lu_solve(jm, piv, k4)
    for i in range(N):
        yi[i] = y[i] + A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]
    k = signal(t + h, kt, ky, kf, lo, hi, k, u, du)
    frhs(yi, u, p, k5)
    for i in range(N):
        k5[i] += (C51 * k1[i] + C52 * k2[i] + C53 * k3[i] + C54 * k4[i]) / h
    lu_solve(jm, piv, k5)
    for i in range(N):
        yi[i] += k5[i]
    frhs(yi, u, p, k6)
    for i in range(N):
        k6[i] += (C61 * k1[i] + C62 * k2[i] + C63 * k3[i] + C64 * k4[i] + C65 * k5[i]) / h
    lu_solve(jm, piv, k6)
    for i in range(N):
        ynew[i] = yi[i] + k6[i]
        err[i] = k6[i]
        dense[0, i] = D21 * k1[i] + D22 * k2[i] + D23 * k3[i] + D24 * k4[i] + D25 * k5[i]
        dense[1, i] = D31 * k1[i] + D32 * k2[i] + D33 * k3[i] + D34 * k4[i] + D35 * k5[i]
    return k


@nb.njit(cache=True, error_model="numpy")
def knot(t, y, p, u, fbuf, rec_idx, rt, ry, rf, nk):
    """Record the recorded states ``rec_idx`` of ``y`` and their rates at ``t`` as knot ``nk``; False if full."""
    if nk >= rt.shape[0]:
        return False
    frhs(y, u, p, fbuf)
    nr = rec_idx.shape[0]
    rt[nk] = t
    for m in range(nr):
        ry[nk, m] = y[rec_idx[m]]
        rf[nk, m] = fbuf[rec_idx[m]]
    return True


#: Methods of :func:`integrate_one`: RODAS4 (stiff), or the explicit Dormand & Prince (1980) 5(4) pair (for a
#: non-stiff system, such as the immune subsystem once the fast drug binding is solved apart: no Jacobian
#: and no LU, six right-hand sides per step).  Its tableau is scipy's (``scipy.integrate.RK45``): nodes,
#: stage matrix, weights, error weights and the fourth-order dense output.  DOP853: Hairer's explicit
#: Runge-Kutta 8(5,3) (Hairer, Norsett & Wanner, *Solving ODEs I*, II.10; dop853.f), for the same non-stiff
#: systems at tight tolerances: twelve right-hand sides per step (the thirteenth, at the new point, is the
#: next step's first), order 8, the error estimate combining the 5th- and 3rd-order embedded estimates as
#: dop853.f and scipy do, and the 7th-order dense output (three more right-hand sides, only in a step with an
#: output time inside it).  Its coefficients are scipy's (``scipy.integrate._ivp.dop853_coefficients``).
RODAS4, DP45, DOP853 = 0, 1, 2
ERK_C = np.asarray(_RK45.C, dtype=np.float64)
ERK_A = np.asarray(_RK45.A, dtype=np.float64)
ERK_B = np.asarray(_RK45.B, dtype=np.float64)
ERK_E = np.asarray(_RK45.E, dtype=np.float64)
ERK_P = np.asarray(_RK45.P, dtype=np.float64)
D8_C = np.asarray(_D853.C, dtype=np.float64)  # (16,): the 12 stages, the new point, 3 dense-output stages
D8_A = np.asarray(_D853.A, dtype=np.float64)  # (16, 16); row 12 is the weights B
D8_B = np.asarray(_D853.B, dtype=np.float64)  # (12,)
D8_E3 = np.asarray(_D853.E3, dtype=np.float64)  # (13,): on the 12 stages and the rate at the new point
D8_E5 = np.asarray(_D853.E5, dtype=np.float64)  # (13,)
D8_D = np.asarray(_D853.D, dtype=np.float64)  # (4, 16): the dense output's coefficients 3-6
#: rows of the stage scratch ``work`` that each method needs (RODAS4 7, DP45 7, DOP853 16)
WORK_ROWS = 16


@nb.njit(cache=True, error_model="numpy")
def rk_stage_range(t, y, p, h, a, c, first, last, kk, yi, u, du, kt, ky, kf, lo, hi, k):
    """Explicit Runge-Kutta stages ``first`` .. ``last - 1`` of tableau (``a``, ``c``) into ``kk`` (the earlier
    stages already there); ``yi`` (N,) scratch.  Forcing signals at each stage time.  Returns the interval hint."""
    for s in range(first, last):
        for i in range(N):
            acc = 0.0
            for j in range(s):
                acc += a[s, j] * kk[j, i]
            yi[i] = y[i] + h * acc
        k = signal(t + c[s] * h, kt, ky, kf, lo, hi, k, u, du)
        frhs(yi, u, p, kk[s])
    return k


@nb.njit(cache=True, error_model="numpy")
def rk_stages(t, y, p, h, a, c, b, stages, ynew, kk, yi, fresh, u, du, kt, ky, kf, lo, hi, k):
    """The stages of one explicit Runge-Kutta step of tableau (``a``, ``c``, ``b``) with ``stages`` stages from
    ``y`` at ``t`` with size ``h``: ``kk[0..stages-1]`` get the stages, ``ynew`` the new point and
    ``kk[stages]`` the rate there (first same as last: with ``fresh`` True, ``kk[0]`` already holds the rate
    at ``(t, y)``); ``yi`` (N,) scratch.  Forcing signals at each stage time.  Returns the interval hint."""
    if not fresh:
        k = signal(t, kt, ky, kf, lo, hi, k, u, du)
        frhs(y, u, p, kk[0])
    k = rk_stage_range(t, y, p, h, a, c, 1, stages, kk, yi, u, du, kt, ky, kf, lo, hi, k)
    for i in range(N):
        acc = 0.0
        for j in range(stages):
            acc += b[j] * kk[j, i]
        ynew[i] = y[i] + h * acc
    k = signal(t + h, kt, ky, kf, lo, hi, k, u, du)
    frhs(ynew, u, p, kk[stages])
    return k


@nb.njit(cache=True, error_model="numpy")
def erk_step(t, y, p, h, ynew, err, kk, yi, fresh, u, du, kt, ky, kf, lo, hi, k):
    """One Dormand-Prince 5(4) step from ``y`` at ``t`` with size ``h``.  ``kk`` (7, N) gets the stages, the
    last one the rate at the new point (first same as last: with ``fresh`` True, ``kk[0]`` already holds
    the rate at ``(t, y)``); ``yi`` (N,) scratch.  Forcing signals at each stage time.  Returns the
    interval hint."""
    k = rk_stages(t, y, p, h, ERK_A, ERK_C, ERK_B, 6, ynew, kk, yi, fresh, u, du, kt, ky, kf, lo, hi, k)
    for i in range(N):
        acc = 0.0
        for j in range(7):
            acc += ERK_E[j] * kk[j, i]
        err[i] = h * acc
    return k


@nb.njit(cache=True, error_model="numpy")
def dop853_step(t, y, p, h, ynew, err5, err3, kk, yi, fresh, u, du, kt, ky, kf, lo, hi, k):
    """One DOP853 step from ``y`` at ``t`` with size ``h``.  ``kk`` (16, N) gets the twelve stages and, in row
    12, the rate at the new point (first same as last: with ``fresh`` True, ``kk[0]`` already holds the rate
    at ``(t, y)``); ``err5``, ``err3`` (N,) the two embedded error estimates (not yet times ``h``; see
    :func:`dop853_error`); ``yi`` (N,) scratch.  Forcing signals at each stage time.  Returns the interval
    hint."""
    k = rk_stages(t, y, p, h, D8_A, D8_C, D8_B, 12, ynew, kk, yi, fresh, u, du, kt, ky, kf, lo, hi, k)
    for i in range(N):
        a5 = 0.0
        a3 = 0.0
        for j in range(13):
            a5 += D8_E5[j] * kk[j, i]
            a3 += D8_E3[j] * kk[j, i]
        err5[i] = a5
        err3[i] = a3
    return k


@nb.njit(cache=True, error_model="numpy")
def dop853_error(h, y, ynew, err5, err3, rtol, atol):
    """DOP853's error norm (dop853.f, scipy's ``DOP853._estimate_error_norm``): with the scaled 5th- and
    3rd-order estimates' squared norms e5, e3, ``|h| e5 / sqrt((e5 + 0.01 e3) N)``."""
    e5 = 0.0
    e3 = 0.0
    for i in range(N):
        sc = atol[i] + rtol[i] * max(abs(y[i]), abs(ynew[i]))
        e5 += (err5[i] / sc) ** 2
        e3 += (err3[i] / sc) ** 2
    if e5 == 0.0 and e3 == 0.0:
        return 0.0
    return abs(h) * e5 / math.sqrt((e5 + 0.01 * e3) * N)


@nb.njit(cache=True, error_model="numpy")
def dop853_extra(t, y, p, h, kk, yi, u, du, kt, ky, kf, lo, hi, k):
    """The dense output's three extra stages of the accepted step ``(t, y, h)`` into ``kk[13:16]`` (``kk[0:13]``
    from :func:`dop853_step`).  Returns the interval hint."""
    return rk_stage_range(t, y, p, h, D8_A, D8_C, 13, 16, kk, yi, u, du, kt, ky, kf, lo, hi, k)


@nb.njit(cache=True, error_model="numpy")
def dop853_dense(y, ynew, h, kk, x, out):
    """DOP853's 7th-order dense output at ``t + x h`` inside the step into ``out`` (N,) (scipy's
    ``Dop853DenseOutput``), from the 16 stages of :func:`dop853_step` and :func:`dop853_extra`."""
    x1 = 1.0 - x
    for i in range(N):
        dy = ynew[i] - y[i]
        f3 = 0.0
        f4 = 0.0
        f5 = 0.0
        f6 = 0.0
        for j in range(16):
            kj = kk[j, i]
            f3 += D8_D[0, j] * kj
            f4 += D8_D[1, j] * kj
            f5 += D8_D[2, j] * kj
            f6 += D8_D[3, j] * kj
        v = h * f6 * x
        v = (v + h * f5) * x1
        v = (v + h * f4) * x
        v = (v + h * f3) * x1
        v = (v + 2.0 * dy - h * (kk[12, i] + kk[0, i])) * x
        v = (v + h * kk[0, i] - dy) * x1
        v = (v + dy) * x
        out[i] = y[i] + v


@nb.njit(cache=True, error_model="numpy")
def integrate_one(y0, p0, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, stats,
                  y, p, ynew, err, dense, work, jm, piv, ju, ft, u, du, kt, ky, kf, dbp_t, dseg,
                  rec_idx, rt, ry, rf, rseg, fbuf, method, t_smooth):
    """Integrate one subject over its breakpoints; fill ``out`` (len(t_out), n) with pre-event states.

    ``method``: :data:`RODAS4` (stiff), :data:`DP45` or :data:`DOP853` (explicit, non-stiff systems only: they
    stay correct on a stiff one, but their steps shrink to the fast scale).  ``t_smooth``: the stretches that
    start before it use :data:`DOP853` instead (a forced system whose signal is smooth until then: the drug
    subsystem before its first dose); the solution up to ``t_smooth`` is then the one DOP853 gives alone,
    whatever comes after (the prefix property).  -inf: ``method`` throughout.
    ``bp_t`` (nb,) sorted breakpoint times (first = start, last = end); at breakpoint b, ``bp_add[b]`` is
    added to the state and the inputs ``p[input_index] = bp_inputs[b]`` take effect for the stretch that
    follows.  ``stats`` gets (accepted steps, rejected steps, time reached).  Returns a status code.
    ``y, p, ynew, err, dense, work, jm, piv, ju, ft, u, du, fbuf`` are scratch of sizes N, P, N, N, (2, N),
    (7, N) (DOP853: (16, N)), (N, N), N, (N, NU), N, NU, NU, N (allocated by the caller: numpy on the CPU,
    thread-local arrays on a GPU).

    Forcing (NU > 0 only): the signals are knots ``kt, ky, kf`` (times, values, rates) recorded by another
    subsystem's run over its own breakpoints ``dbp_t``; the knots of its stretch j are ``dseg[j]`` to
    ``dseg[j + 1] - 1``.  Every breakpoint of that run must be one of ``bp_t`` (the signal is smooth
    between them).

    Recording (when ``rec_idx`` is not empty): the states ``rec_idx`` and their rates become knots ``rt, ry,
    rf`` at each stretch's start (after its events) and after each accepted step; ``rseg[b]`` is the first
    knot of stretch b and ``rseg[nb - 1]`` the number of knots; KNOTS_FULL if ``rt`` is too short.
    """
    for i in range(N):
        y[i] = y0[i]
    for i in range(P):
        p[i] = p0[i]
    nout = t_out.shape[0]
    io = 0
    h = 1e-3
    accepted = 0
    rejected = 0
    nbp = bp_t.shape[0]
    record = rec_idx.shape[0] > 0
    nk = 0
    jd = 0
    kh = 0
    lo = 0
    hi = 0
    fresh = False  # DP45: work[0] holds the rate at (t, y)
    extra = False  # DOP853: the dense output's extra stages of this step are in work[13:16]
    for b in range(nbp):
        t0 = bp_t[b]
        while io < nout and t_out[io] <= t0:
            for i in range(N):
                out[io, i] = y[i]
            io += 1
        for i in range(N):
            y[i] += bp_add[b, i]
        for k in range(input_index.shape[0]):
            p[input_index[k]] = bp_inputs[b, k]
        fresh = False
        if record:
            rseg[b] = nk
        if b == nbp - 1:
            break
        t1 = bp_t[b + 1]
        m = DOP853 if t0 < t_smooth else method  # this stretch's method
        q = 0.25 if m == RODAS4 else (0.2 if m == DP45 else 0.125)  # 1 / (order of the error estimate + 1)
        if NU > 0:  # the signal's stretch that holds this one (its breakpoints are among ours)
            mid = 0.5 * (t0 + t1)
            while jd + 2 < dbp_t.shape[0] and dbp_t[jd + 1] <= mid:
                jd += 1
            lo = dseg[jd]
            hi = dseg[jd + 1]
            kh = lo
        t = t0
        if record:
            if not knot(t, y, p, u, fbuf, rec_idx, rt, ry, rf, nk):
                stats[0], stats[1], stats[2] = accepted, rejected, t
                return KNOTS_FULL
            nk += 1
        over = False  # recording: the knots already reach past t1 (see below)
        h_carry = h
        while t < t1:
            if accepted + rejected >= max_steps:
                stats[0], stats[1], stats[2] = accepted, rejected, t
                return TOO_MANY_STEPS
            # h is the step the error control proposes; a step cut short to land on the breakpoint does
            # not shrink the proposal carried into the next stretch
            if record and not over:
                # Recording: steps are never cut to land on t1, so the knots (the signal) up to a breakpoint do
                # not depend on it: a later dose cannot change the signal before it.  The step that crosses
                # t1 is recorded as a knot past t1 (the signal of [t, t1] is its interpolant); the state at t1
                # then comes from steps of this stretch that are not recorded (usually one, of size t1 - t).
                hs = h
                last = t + hs >= t1
                overshoot = last
            else:
                last = t + 1.0001 * h >= t1
                hs = t1 - t if last else h
                overshoot = False
            if hs < 1e-13 * max(1.0, abs(t)):
                stats[0], stats[1], stats[2] = accepted, rejected, t
                return STEP_TOO_SMALL
            if m == RODAS4:
                kh = step(t, y, p, hs, ynew, err, dense, work, jm, piv, ju, ft, u, du, kt, ky, kf, lo, hi, kh)
            elif m == DP45:
                kh = erk_step(t, y, p, hs, ynew, err, work, ft, fresh, u, du, kt, ky, kf, lo, hi, kh)
                fresh = True
            else:
                kh = dop853_step(t, y, p, hs, ynew, err, dense[0], work, ft, fresh, u, du, kt, ky, kf, lo, hi, kh)
                fresh = True
                extra = False
            ok = kh >= 0
            kh = max(kh, lo)
            e = 0.0
            if ok and m == DOP853:
                e = dop853_error(hs, y, ynew, err, dense[0], rtol, atol)
            elif ok:
                for i in range(N):
                    sc = atol[i] + rtol[i] * max(abs(y[i]), abs(ynew[i]))
                    e += (err[i] / sc) ** 2
                e = math.sqrt(e / N)
            if not ok or not math.isfinite(e):
                h = hs * 0.25
                rejected += 1
                continue
            if e <= 1.0:
                t_next = t1 if last and not overshoot else t + hs
                while io < nout and t_out[io] < min(t_next, t1):
                    s = (t_out[io] - t) / hs
                    s1 = 1.0 - s
                    if m == RODAS4:
                        for i in range(N):
                            out[io, i] = y[i] * s1 + s * (ynew[i] + s1 * (dense[0, i] + s * dense[1, i]))
                    elif m == DOP853:
                        if not extra:
                            kh = dop853_extra(t, y, p, hs, work, ft, u, du, kt, ky, kf, lo, hi, kh)
                            extra = True
                        dop853_dense(y, ynew, hs, work, s, out[io])
                    else:
                        for i in range(N):
                            acc = 0.0
                            for j in range(7):
                                kj = work[j, i]
                                acc += kj * (s * (ERK_P[j, 0] + s * (ERK_P[j, 1] + s * (ERK_P[j, 2] + s * ERK_P[j, 3]))))
                            out[io, i] = y[i] + hs * acc
                    io += 1
                if overshoot:
                    accepted += 1
                    if not knot(t + hs, ynew, p, u, fbuf, rec_idx, rt, ry, rf, nk):
                        stats[0], stats[1], stats[2] = accepted, rejected, t
                        return KNOTS_FULL
                    nk += 1
                    fac = 0.9 * e ** -q if e > 0 else 6.0
                    h_carry = hs * min(6.0, max(0.2, fac))
                    h = t1 - t
                    over = True
                    fresh = False
                    continue
                for i in range(N):
                    y[i] = ynew[i]
                if m == DP45:
                    for i in range(N):
                        work[0, i] = work[6, i]
                elif m == DOP853:
                    for i in range(N):
                        work[0, i] = work[12, i]
                t = t_next
                accepted += 1
                if record and not over:
                    if not knot(t, y, p, u, fbuf, rec_idx, rt, ry, rf, nk):
                        stats[0], stats[1], stats[2] = accepted, rejected, t
                        return KNOTS_FULL
                    nk += 1
                fac = 0.9 * e ** -q if e > 0 else 6.0
                grown = hs * min(6.0, max(0.2, fac))
                h = max(h, grown) if last else grown
            else:
                rejected += 1
                h = hs * max(0.2, 0.9 * e ** -q)
        if over:
            h = h_carry
        for i in range(N):
            if not math.isfinite(y[i]):
                stats[0], stats[1], stats[2] = accepted, rejected, t1
                return NOT_FINITE
            if y[i] < 0.0:  # round-off below zero (amounts and cells are non-negative by construction)
                y[i] = 0.0
    stats[0], stats[1], stats[2] = accepted, rejected, bp_t[nbp - 1]
    return OK

# ---- CPU drivers (the GPU build stops here and adds its kernel) ----


@nb.njit(cache=True)
def _one(y0, p0, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, stats, kt, ky, kf,
         dbp_t, dseg, rec_idx, rt, ry, rf, rseg, method=RODAS4, t_smooth=-np.inf):
    """:func:`integrate_one` with its scratch allocated here."""
    nu = max(NU, 1)
    return integrate_one(y0, p0, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, stats,
                         np.empty(N), np.empty(P), np.empty(N), np.empty(N), np.empty((2, N)), np.empty((WORK_ROWS, N)),
                         np.empty((N, N)), np.empty(N, np.int64), np.empty((N, nu)), np.empty(N), np.empty(nu),
                         np.empty(nu), kt, ky, kf, dbp_t, dseg, rec_idx, rt, ry, rf, rseg, np.empty(N), method,
                         t_smooth)


@nb.njit(cache=True)
def _closed(y0, p0, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, stats):
    """A closed system (no forcing), nothing recorded."""
    none_t = np.empty(0)
    none_y = np.empty((0, 0))
    none_i = np.empty(0, np.int64)
    return _one(y0, p0, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, stats, none_t,
                none_y, none_y, none_t, none_i, none_i, none_t, none_y, none_y, none_i)


@nb.njit(cache=True, parallel=True)
def integrate_many(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out,
                   status, stats):
    """Subjects s = 0..n-1 in parallel: subject s's breakpoints are rows offsets[s]:offsets[s+1]."""
    for s in nb.prange(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        status[s] = _closed(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                            max_steps, out[s], stats[s])


@nb.njit(cache=True)
def integrate_serial(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out,
                     status, stats):
    """Subjects one after another (the same results as :func:`integrate_many`)."""
    for s in range(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        status[s] = _closed(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                            max_steps, out[s], stats[s])


@nb.njit(cache=True, parallel=True)
def record_many(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, status,
                stats, rec_idx, roffsets, rt, ry, rf, rseg):
    """Closed systems s = 0..n-1 in parallel, each also recording knots of the states ``rec_idx``: into
    rows roffsets[s]:roffsets[s+1] of ``rt, ry, rf`` and rows offsets[s]:offsets[s+1] of ``rseg`` (see
    :func:`integrate_one`)."""
    none_t = np.empty(0)
    none_y = np.empty((0, 0))
    none_i = np.empty(0, np.int64)
    for s in nb.prange(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        status[s] = _one(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                         max_steps, out[s], stats[s], none_t, none_y, none_y, none_t, none_i, rec_idx,
                         rt[roffsets[s]:roffsets[s + 1]], ry[roffsets[s]:roffsets[s + 1]],
                         rf[roffsets[s]:roffsets[s + 1]], rseg[a:z])


@nb.njit(cache=True)
def record_serial(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, status,
                stats, rec_idx, roffsets, rt, ry, rf, rseg):
    """:func:`record_many`, one system after another (the same results).  Closed systems s = 0..n-1, each
    also recording knots of the states ``rec_idx``: into
    rows roffsets[s]:roffsets[s+1] of ``rt, ry, rf`` and rows offsets[s]:offsets[s+1] of ``rseg`` (see
    :func:`integrate_one`)."""
    none_t = np.empty(0)
    none_y = np.empty((0, 0))
    none_i = np.empty(0, np.int64)
    for s in range(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        status[s] = _one(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                         max_steps, out[s], stats[s], none_t, none_y, none_y, none_t, none_i, rec_idx,
                         rt[roffsets[s]:roffsets[s + 1]], ry[roffsets[s]:roffsets[s + 1]],
                         rf[roffsets[s]:roffsets[s + 1]], rseg[a:z])


@nb.njit(cache=True, parallel=True)
def forced_many(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out, status,
                stats, group, koffsets, kt, ky, kf, doffsets, dbp_t, dseg, method, t_smooth):
    """Subjects s = 0..n-1 in parallel with ``method`` (:data:`RODAS4`, :data:`DP45` or :data:`DOP853`; DOP853
    on the stretches before ``t_smooth[s]``), each forced by the knots of its group g = ``group[s]`` (rows
    koffsets[g]:koffsets[g+1] of ``kt, ky, kf``; the group's breakpoints and stretch starts are rows
    doffsets[g]:doffsets[g+1] of ``dbp_t, dseg``)."""
    none_t = np.empty(0)
    none_y = np.empty((0, 0))
    none_i = np.empty(0, np.int64)
    for s in nb.prange(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        g = group[s]
        c, d = doffsets[g], doffsets[g + 1]
        status[s] = _one(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                         max_steps, out[s], stats[s], kt[koffsets[g]:koffsets[g + 1]], ky[koffsets[g]:koffsets[g + 1]],
                         kf[koffsets[g]:koffsets[g + 1]], dbp_t[c:d], dseg[c:d], none_i, none_t,
                         none_y, none_y, none_i, method, t_smooth[s])


@nb.njit(cache=True)
def forced_serial(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out,
                  status, stats, group, koffsets, kt, ky, kf, doffsets, dbp_t, dseg, method, t_smooth):
    """:func:`forced_many`, one subject after another (the same results)."""
    none_t = np.empty(0)
    none_y = np.empty((0, 0))
    none_i = np.empty(0, np.int64)
    for s in range(y0.shape[0]):
        a, z = offsets[s], offsets[s + 1]
        g = group[s]
        c, d = doffsets[g], doffsets[g + 1]
        status[s] = _one(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol, atol,
                         max_steps, out[s], stats[s], kt[koffsets[g]:koffsets[g + 1]], ky[koffsets[g]:koffsets[g + 1]],
                         kf[koffsets[g]:koffsets[g + 1]], dbp_t[c:d], dseg[c:d], none_i, none_t,
                         none_y, none_y, none_i, method, t_smooth[s])
