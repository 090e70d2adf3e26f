"""`reproduce bilbao2014` end to end: contract, targets under the default hypothesis, the disagreement."""

from __future__ import annotations

import json

import pytest

from tregsim.experiments.reproduce import reproduce_bilbao2014
from tregsim.protocol import DEFAULT_HYPOTHESIS

REQUIRED = ["in_vitro_mouse", "in_vitro_human", "eae_vehicle", "eae_igf1", "eae_vehicle_treg_igf1r_ko",
            "eae_igf1_treg_igf1r_ko", "eae_vehicle_pan_t_igf1r_ko", "eae_igf1_pan_t_igf1r_ko", "eae_igf1_post_onset",
            "eae_severe_vehicle", "eae_severe_igf1"]


@pytest.fixture(scope="module")
def result():
    return reproduce_bilbao2014(animals=40, seed=1)


def test_summary_follows_the_contract(result, tmp_path):
    result.write(tmp_path)
    s = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(REQUIRED) <= set(s["experiments"])
    for eid in REQUIRED[2:]:
        for k in ("incidence", "onset_day_mean", "peak_score_mean", "peak_day", "survival", "treg_cns_max"):
            assert k in s["experiments"][eid]
    assert {t["id"] for t in s["targets"]} >= {"eae_incidence", "lovett_timing", "ditoro_pan_t_ko"}
    for t in s["targets"]:
        assert set(t) >= {"id", "simulated", "low", "high", "pass"}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 5 and "https://" not in html


def test_default_hypothesis_meets_every_mouse_target_and_check(result):
    missed = [t["id"] for t in result.targets() if not t["pass"]]
    missed += [c["check"] for c in result.checks() if not c["pass"]]
    assert result.default_hypothesis == DEFAULT_HYPOTHESIS
    assert not missed


def test_under_treg_only_the_pan_t_knockout_is_the_treg_knockout(result):
    """Without an IGF1R effect on Teff, deleting the receptor in all T cells is deleting it in Treg."""
    c = result.cohorts["treg_only"]
    for name in ("clinical_score", "teff_cns", "treg_cns"):
        assert (c["eae_vehicle_pan_t_igf1r_ko"].obs[name] == c["eae_vehicle_treg_igf1r_ko"].obs[name]).all()


def test_every_hypothesis_is_reported(result):
    rows = result.hypothesis_table()
    assert {r["target"] for r in rows} >= {"ditoro_pan_t_ko", "lovett_timing"}
    for r in rows:
        assert {"treg_only", "treg_and_th17"} <= set(r)


def test_knockout_arms_differ_only_through_the_receptor(result):
    ex = result.experiments[DEFAULT_HYPOTHESIS]
    # the Treg knockout removes the endogenous IGF-1 support of Treg: untreated disease is not milder
    assert ex["eae_vehicle_treg_igf1r_ko"]["peak_score_mean"] >= ex["eae_vehicle"]["peak_score_mean"] - 0.05
