"""Re-expressing the mouse PD for a new PK keeps T-cell signalling at the fitted exposures (known answer)."""

from __future__ import annotations

import pytest

from tregsim.calibration.mouse_anchor import SCOPE, _emax_ec50, anchors, free_levels, reexpress_rows, reexpressed
from tregsim.model.parameters import load_table, resolve


def test_emax_ec50_solves_both_levels():
    e, k = _emax_ec50(0.6, 6.0, 0.05, 0.3)
    assert e * 0.6 / (k + 0.6) == pytest.approx(0.05) and e * 6.0 / (k + 6.0) == pytest.approx(0.3)


def test_an_unchanged_pk_changes_nothing():
    """Re-expressing the shipped table for its own PK returns its PD rows (to the table's 6 digits)."""
    rows = list(load_table("mouse"))
    new = {(r.name, r.scope): r.value for r in reexpress_rows(rows)}
    for r in rows:
        if r.scope in SCOPE.values() and r.name in ("aR", "Emax_treg", "EC50_treg", "Emax_teff", "EC50_teff"):
            assert new[(r.name, r.scope)] == pytest.approx(r.value, rel=1e-4, abs=1e-12), (r.name, r.scope)


def test_a_new_pk_moves_the_parameters_not_the_signalling():
    v = resolve("mouse", "eae_mog35_55", "treg_and_th17")
    a = anchors(v)
    v2 = {**v, "CL_free": v["CL_free"] * 1.5}  # faster free clearance: lower free levels
    new = reexpressed(v2, "treg_and_th17", a)
    c0, cp = free_levels(v2)
    assert c0 < free_levels(v)[0]
    cap = lambda c: new["aR"] * (1 + new["Emax_treg"] * c / (new["EC50_treg"] + c))  # noqa: E731
    th = lambda c: new["Emax_teff"] * c / (new["EC50_teff"] + c)  # noqa: E731
    assert cap(0.0) == pytest.approx(a["rz"]) and cap(c0) == pytest.approx(a["r0"]) and cap(cp) == pytest.approx(a["rp"])
    assert th(c0) == pytest.approx(a["t0"]) and th(cp) == pytest.approx(a["tp"])
