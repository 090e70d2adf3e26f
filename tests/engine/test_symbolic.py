"""The analytic Jacobian is the derivative of the generated right-hand side."""

from __future__ import annotations

import numpy as np

from tregsim.engine.ensemble import engine_module
from tregsim.model.definition import STATE_INDEX, STATES
from tregsim.model.subject import build_subject
from tregsim.protocol import load_protocol


def test_jacobian_matches_central_differences_at_a_disease_state():
    m = engine_module()
    sub = build_subject(load_protocol("bilbao2014-eae-igf1"), 0, 1)
    y = sub.y0.copy()
    for name, v in {"igf1_depot_sc": 5.0, "teff_cns": 1e3, "treg_cns": 500.0, "demyelinated": 0.01,
                    "adjuvant": 0.5, "glucose": 3.5}.items():
        y[STATE_INDEX[name]] = v
    p = sub.p.copy()
    n = len(STATES)
    jac = np.empty((n, n))
    m.jac(y, p, jac)
    fd = np.empty((n, n))
    for j in range(n):
        d = 1e-6 * max(abs(y[j]), 1e-3)
        up, down, fu, fd_ = y.copy(), y.copy(), np.empty(n), np.empty(n)
        up[j] += d
        down[j] -= d
        m.rhs(up, p, fu)
        m.rhs(down, p, fd_)
        fd[:, j] = (fu - fd_) / (2 * d)
    scale = np.abs(fd).max(axis=1, keepdims=True) + 1e-12
    assert np.max(np.abs(jac - fd) / scale) < 1e-5
