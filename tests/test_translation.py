"""Mouse-to-human dose translation: monotone in dose, judged by predicted glucose."""

from __future__ import annotations

import pytest

from tregsim.pk.translation import (
    HUMAN_REGIMENS, LABEL_MAX, Regimen, human_exposure, matching_bid_dose, mouse_protective_exposure,
    regimen_hypoglycaemia, translation_table,
)


@pytest.fixture(scope="module")
def table():
    return translation_table("rrms", population_size=30)


def test_rows_carry_the_contract_fields_and_rise_with_dose(table):
    need = {"regimen", "free_cmax_ng_ml", "free_ctrough_ng_ml", "free_auc24_ng_h_ml", "ratio_to_mouse_protective",
            "glucose_nadir_mmol_l", "p_glucose_below_3_mmol_l"}
    for r in table["rows"]:
        assert need <= set(r)
        assert r["free_cmax_ng_ml"] >= r["free_ctrough_ng_ml"] > 0
        assert 0.0 <= r["p_glucose_below_3_mmol_l"] <= r["p_glucose_below_3_9_mmol_l"] <= 1.0
        assert 0.5 < r["glucose_nadir_mmol_l"] < 8
    bid = [r for r in table["rows"] if "BID" in r["regimen"]]
    assert [r["ratio_to_mouse_protective"] for r in bid] == sorted(r["ratio_to_mouse_protective"] for r in bid)
    nadirs = [r["glucose_nadir_mmol_l"] for r in bid]
    assert nadirs == sorted(nadirs, reverse=True)  # more drug, lower glucose


def test_hypoglycaemia_risk_rises_with_dose_and_is_seeded():
    low = regimen_hypoglycaemia(Regimen("low", 0.02, 12.0), n=30)
    high = regimen_hypoglycaemia(Regimen("high", LABEL_MAX[1], 12.0), n=30)
    assert low["p_glucose_below_3_9_mmol_l"] <= high["p_glucose_below_3_9_mmol_l"]
    assert low["glucose_nadir_median_mmol_l"] > high["glucose_nadir_median_mmol_l"]
    assert regimen_hypoglycaemia(HUMAN_REGIMENS[0], n=10) == regimen_hypoglycaemia(HUMAN_REGIMENS[0], n=10)


def test_matching_dose_reaches_the_mouse_exposure(table):
    d = table["matching_bid_mg_kg"]
    got = human_exposure(Regimen("m", d, 12.0), "rrms").free_cavg
    assert got == pytest.approx(table["mouse_protective_free_cavg_ng_ml"], rel=1e-3)
    assert isinstance(table["mouse_pump_tolerable"], bool)


def test_lower_mouse_pump_needs_a_lower_human_dose():
    low = mouse_protective_exposure(0.3).free_cavg
    high = mouse_protective_exposure(1.0).free_cavg
    assert low < high
    assert matching_bid_dose(low) < matching_bid_dose(high) < LABEL_MAX[1] * 10
