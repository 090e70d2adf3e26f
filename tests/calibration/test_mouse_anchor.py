"""Re-expressing the mouse PD for a new PK keeps T-cell signalling at the fitted exposures (known answer)."""

from __future__ import annotations

import pytest

from tregsim.calibration.mouse_anchor import ANCHORS, _emax_ec50, free_levels, reexpressed
from tregsim.model.parameters import resolve


def test_emax_ec50_solves_both_levels():
    e, k = _emax_ec50(0.6, 6.0, 0.05, 0.3)
    assert e * 0.6 / (k + 0.6) == pytest.approx(0.05) and e * 6.0 / (k + 6.0) == pytest.approx(0.3)


@pytest.mark.parametrize("hypothesis", sorted(ANCHORS))
def test_shipped_mouse_rows_hold_the_anchors_under_the_shipped_pk(hypothesis):
    v = resolve("mouse", "eae_mog35_55", hypothesis)
    c0, cp = free_levels(v)
    a = ANCHORS[hypothesis]
    cap = lambda c: v["aR"] * (1 + v["Emax_treg"] * c / (v["EC50_treg"] + c))  # noqa: E731
    assert cap(0.0) == pytest.approx(a["rz"], rel=1e-5)
    assert cap(c0) == pytest.approx(a["r0"], rel=1e-5) and cap(cp) == pytest.approx(a["rp"], rel=1e-5)
    th = lambda c: v["Emax_teff"] * c / (v["EC50_teff"] + c)  # noqa: E731
    assert th(c0) == pytest.approx(a["t0"], rel=1e-5, abs=1e-12) and th(cp) == pytest.approx(a["tp"], rel=1e-5, abs=1e-12)


def test_a_new_pk_moves_the_parameters_not_the_signalling():
    v = resolve("mouse", "eae_mog35_55", "treg_and_th17")
    v2 = {**v, "CL_free": v["CL_free"] * 1.5}  # faster free clearance: lower free levels
    new = reexpressed(v2, "treg_and_th17")
    c0, cp = free_levels(v2)
    assert c0 < free_levels(v)[0]
    cap = lambda c: new["aR"] * (1 + new["Emax_treg"] * c / (new["EC50_treg"] + c))  # noqa: E731
    a = ANCHORS["treg_and_th17"]
    assert cap(c0) == pytest.approx(a["r0"]) and cap(cp) == pytest.approx(a["rp"])
