"""Mouse-to-human dose translation: monotone in dose, risk index anchored at the label maximum."""

from __future__ import annotations

import pytest

from tregsim.pk.translation import (
    LABEL_MAX, Regimen, human_exposure, matching_bid_dose, mouse_protective_exposure, translation_table,
)


@pytest.fixture(scope="module")
def table():
    return translation_table("rrms")


def test_rows_and_label_maximum(table):
    rows = {r["regimen"]: r for r in table["rows"]}
    assert rows["label maximum 0.12 mg/kg BID"]["hypoglycaemia_risk_index"] == pytest.approx(1.0)
    bid = [r for r in table["rows"] if "BID" in r["regimen"]]
    ratios = [r["ratio_to_mouse_protective"] for r in bid]
    assert ratios == sorted(ratios)
    for r in table["rows"]:
        assert r["free_cmax_ng_ml"] >= r["free_ctrough_ng_ml"] > 0


def test_matching_dose_reaches_the_mouse_exposure(table):
    d = table["matching_bid_mg_kg"]
    got = human_exposure(Regimen("m", d, 12.0), "rrms").free_cavg
    assert got == pytest.approx(table["mouse_protective_free_cavg_ng_ml"], rel=1e-3)


def test_lower_mouse_pump_needs_a_lower_human_dose():
    low = mouse_protective_exposure(0.3).free_cavg
    high = mouse_protective_exposure(1.0).free_cavg
    assert low < high
    assert matching_bid_dose(low) < matching_bid_dose(high) < LABEL_MAX[1] * 10
