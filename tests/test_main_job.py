"""`tregsim run --quick`: the main job's parts, summary and one report."""

from __future__ import annotations

import json

from tregsim.main_job import QUICK_PATIENTS, run_main_job


def test_quick_main_job_writes_every_part(tmp_path):
    summary = run_main_job(tmp_path, quick=True)
    s = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert s["bilbao2014"]["default_hypothesis"] == "treg_and_th17"
    assert {"rows", "matching_bid_mg_kg", "mouse_protective_free_cavg_ng_ml"} <= set(s["dose_translation"])
    trial = s["trial"]
    assert set(trial["arms"]) == {"placebo", "igf1-50ugkg-q12h", "igf1-100ugkg-q12h", "il2-1miu",
                                  "igf1-50ugkg+il2-1miu"}
    assert all(a["n"] == QUICK_PATIENTS for a in trial["arms"].values())
    assert {(c["arm"], c["endpoint"]) for c in trial["comparisons"]} >= {
        ("igf1-50ugkg-q12h", "annualized_relapse_rate"), ("igf1-100ugkg-q12h", "gd_lesions_per_scan"),
        ("il2-1miu", "annualized_relapse_rate"), ("igf1-50ugkg+il2-1miu", "annualized_relapse_rate")}
    assert all({"estimate", "ci_low", "ci_high", "p_value"} <= set(c) for c in trial["comparisons"])
    four = [line for line in s["answer"] if line.startswith("Four-way comparison")]
    assert four and all(k in four[0] for k in ("IGF-1 (", "low-dose IL-2 (", "IGF-1 + IL-2 ("))
    assert s["answer"] and any("hypoglycaemia" in line for line in s["answer"])
    # uncertainty: assurance of the primary comparison beside power, and the population dose-response
    a = s["assurance"]
    assert 0.0 <= a["assurance"]["annualized_relapse_rate"] <= 1.0 and a["assurance_draws"] >= 3
    assert all(0.0 <= x <= 1.0 for x in a["assurance_curve"][a["primary_arm"]]["annualized_relapse_rate"]["assurance"])
    assert any(line.startswith("Uncertainty: with 300 patients per arm") for line in s["answer"])
    kinds = {r["kind"] for r in s["dose_response"]}
    assert kinds == {"aR multiplier", "IGF-1 dose (ug/kg SC)"}
    for part in ("bilbao2014/summary.json", "bilbao2014/report.html", "rrms-igf1-trial/summary.json",
                 "rrms-igf1-trial/report.html"):
        assert (tmp_path / part).is_file()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 6
    from tests.calibration.test_human_pk import KNOWN_MISSES

    assert summary["pk_targets"] and all(t["pass"] for t in summary["pk_targets"] if t["id"] not in KNOWN_MISSES)
    rows = s["dose_translation"]["rows"]
    assert all({"glucose_nadir_mmol_l", "p_glucose_below_3_mmol_l", "free_auc24_ng_h_ml"} <= set(r) for r in rows)
