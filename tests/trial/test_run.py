"""Small in-silico trials through the engine: chunking and workers do not matter, a crash resumes, the summary
follows the contract, failures are reported with seeds, the assurance hook weights its scenarios."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from tregsim.engine.ensemble import EnsembleSolver
from tregsim.protocol import ProtocolError
from tregsim.trial import run as run_module
from tregsim.trial.design import parse_trial
from tregsim.trial.population_api import PatientSource, TablePopulation
from tregsim.trial.run import Scenario, run_trial


def _igf1(dose):
    return {"drug": "igf1", "route": "sc", "dose": dose, "dose_unit": "ug/kg", "every_hours": 12}


TRIAL = {"kind": "trial", "name": "tiny", "population": {"size": 4, "inclusion": {"edss_max": 5.5,
                                                                                  "no_relapse_within_days": 14}},
         "treatment_weeks": 16, "mri_every_weeks": 4, "edss_every_weeks": 4, "replicates": 2, "seed": 5,
         "arms": [{"name": "placebo"}, {"name": "igf1-50", "regimens": [_igf1(50)]},
                  {"name": "igf1-100", "regimens": [_igf1(100)]}]}
#: a shorter untreated run-in than the table's year keeps these tests fast (the model is not the subject here)
POPULATION = TablePopulation({"burn_in_days": 120.0})


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["replicate", "arm_index", "patient"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def trial():
    return parse_trial(TRIAL)


@pytest.fixture(scope="module")
def written(trial, tmp_path_factory):
    out = tmp_path_factory.mktemp("trial") / "out"
    return run_trial(trial, out=out, population=POPULATION, chunk_size=3), out


def test_chunk_size_and_workers_do_not_change_any_number(trial, written):
    result, _ = written
    again = run_trial(trial, population=POPULATION, chunk_size=8, workers=1, report=False)
    pd.testing.assert_frame_equal(_sorted(result.patients()), _sorted(again.patients()))
    pd.testing.assert_frame_equal(result.comparisons, again.comparisons)
    assert result.summary["arms"] == again.summary["arms"]
    assert result.summary["n_for_80_power"] == again.summary["n_for_80_power"]


def test_patients_are_distinct_per_arm_and_seeded(written):
    result, _ = written
    p = result.patients()
    assert len(p) == 2 * 3 * 4 and p.groupby("replicate")["candidate"].nunique().tolist() == [12, 12]
    first = p[p["replicate"] == 0].sort_values("candidate")
    assert first["arm_index"].tolist()[:6] == [0, 1, 2, 0, 1, 2]  # j-th enrolled -> arm j mod 3 (no screen failure)
    assert p.groupby("replicate")["seed"].nunique().tolist() == [1, 1] and p["seed"].nunique() == 2
    lesions = p[[c for c in p.columns if c.startswith("lesions_w")]]
    assert lesions.dtypes.map(lambda d: d.kind == "i").all()


def test_summary_follows_the_contract(trial, written):
    result, out = written
    text = (out / "summary.json").read_text()
    summary = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    endpoints = ["annualized_relapse_rate", "gd_lesions_per_scan", "cdp_12w", "edss_change", "treg_blood_fold"]
    for arm in ("placebo", "igf1-50", "igf1-100"):
        a = summary["arms"][arm]
        assert a["n"] == 4 and set(endpoints) <= set(a)
    assert len(summary["comparisons"]) == 2 * len(endpoints)
    for c in summary["comparisons"]:
        assert {"endpoint", "arm", "vs", "estimate", "ci_low", "ci_high", "p_value", "test"} <= set(c)
        assert c["vs"] == "placebo" and c["arm"] in ("igf1-50", "igf1-100")
    assert set(summary["power"]) == set(endpoints) and all(0 <= v <= 1 for v in summary["power"].values())
    assert set(summary["power_by_arm"]) == {"igf1-50", "igf1-100"}
    assert summary["power"] == summary["power_by_arm"]["igf1-50"]  # the primary arm: the first treated arm
    assert set(summary["n_for_80_power"]) == set(endpoints)
    assert set(summary["n_for_80_power_by_arm"]) == {"igf1-50", "igf1-100"}
    assert summary["screening"]["enrolled"] == 24 and summary["screening"]["candidates_screened"] >= 24
    assert summary["failures"] == []
    for name in ("report.html", "comparisons.csv", "power_curve.csv", "protocol.yaml", "trial.json"):
        assert (out / name).is_file()
    assert len(pd.read_parquet(out / "patients")) == 24
    # arm-level values are the contract's definitions on replicate 0's patients
    p0 = result.patients(0)
    pl = p0[p0["arm"] == "placebo"]
    assert summary["arms"]["placebo"]["annualized_relapse_rate"] == pytest.approx(pl["relapses"].sum() / pl["years"].sum())
    assert summary["arms"]["placebo"]["gd_lesions_per_scan"] == pytest.approx(pl["lesions"].sum() / pl["scans"].sum())
    assert summary["arms"]["placebo"]["edss_change"] == pytest.approx(pl["edss_change"].mean())


def test_report_is_self_contained(written):
    _, out = written
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html and "<script src" not in html


def test_resume_after_a_crash_skips_the_chunks_written(trial, written, tmp_path, monkeypatch):
    done, _ = written
    out = tmp_path / "crash"
    real = run_module._Run._treat_chunk
    calls: list[tuple] = []

    def crashing(self, r, a, start, candidates):
        if len(calls) == 3:
            raise KeyboardInterrupt("simulated crash")
        calls.append((r, a, start))
        return real(self, r, a, start, candidates)

    monkeypatch.setattr(run_module._Run, "_treat_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_trial(trial, out=out, population=POPULATION, chunk_size=3, report=False)
    written_before = sorted(p.name for p in (out / "patients").iterdir())
    assert len(written_before) == 3 and not any(p.name.startswith(".") for p in (out / "patients").iterdir())
    mtimes = {n: (out / "patients" / n).stat().st_mtime_ns for n in written_before}

    redone: list[tuple] = []

    def counting(self, r, a, start, candidates):
        redone.append((r, a, start))
        return real(self, r, a, start, candidates)

    monkeypatch.setattr(run_module._Run, "_treat_chunk", counting)
    resumed = run_trial(trial, out=out, population=POPULATION, chunk_size=3, report=False)
    assert not set(redone) & set(calls) and len(redone) == 2 * 3 * 2 - 3  # 2 replicates x 3 arms x 2 chunks
    assert all((out / "patients" / n).stat().st_mtime_ns == t for n, t in mtimes.items())
    pd.testing.assert_frame_equal(_sorted(resumed.patients()), _sorted(done.patients()))
    assert resumed.summary["arms"] == done.summary["arms"]

    redone.clear()
    run_trial(trial, out=out, population=POPULATION, chunk_size=3, report=False)  # everything present
    assert redone == []
    for changed in (dict(seed=99), dict(chunk_size=4), dict(solver=EnsembleSolver(rtol=1e-7)),
                    dict(population=TablePopulation({"burn_in_days": 121.0}))):
        options = dict(out=out, population=POPULATION, chunk_size=3, report=False) | changed
        with pytest.raises(ProtocolError, match="different trial"):
            run_trial(trial, **options)
    assert redone == []


def test_baseline_vs_treatment_compares_each_patient_with_their_baseline():
    t = parse_trial({"kind": "trial", "population": {"size": 4}, "design": "baseline_vs_treatment",
                     "baseline_weeks": 8, "treatment_weeks": 8, "mri_every_weeks": 4, "edss_every_weeks": 4,
                     "seed": 2, "arms": [{"name": "igf1", "regimens": [_igf1(50)]}]})
    res = run_trial(t, population=POPULATION, report=False)
    s = res.summary
    assert [c["vs"] for c in s["comparisons"]] == ["baseline"] * 4
    assert {c["endpoint"] for c in s["comparisons"]} == {"annualized_relapse_rate", "gd_lesions_per_scan",
                                                          "edss_change", "treg_blood_fold"}
    assert s["arms"]["igf1"]["n"] == 4 and s["baseline"]["igf1"]["n"] == 4 and "power" not in s
    assert all(c["n_arm"] == c["n_vs"] == 4 for c in s["comparisons"])


def test_failed_solves_are_reported_with_their_seeds():
    t = parse_trial(dict(TRIAL, replicates=1, population={"size": 2}, arms=TRIAL["arms"][:2]))
    res = run_trial(t, population=POPULATION, solver=EnsembleSolver(max_steps=5), report=False)
    s = res.summary
    assert len(s["failures"]) == 4 and all(f["phase"] == "treatment" and len(f["seed"]) == 2 for f in s["failures"])
    assert {f["seed"][1] for f in s["failures"]} == {0, 1, 2, 3} and s["arms"]["placebo"]["n"] == 0
    assert all(c["estimate"] is None or math.isnan(c["estimate"]) for c in s["comparisons"])
    assert len(res.patients()) == 0  # nothing is kept as NaN rows


def test_inclusion_that_cannot_enrol_is_an_input_error():
    t = parse_trial(dict(TRIAL, replicates=1, population={"size": 2, "inclusion": {"edss_max": 0.0},
                                                          "max_screened_per_enrolled": 1}))
    with pytest.raises(ProtocolError, match="population.inclusion"):
        run_trial(t, population=POPULATION, report=False)


def test_options_are_checked_before_any_work(trial):
    with pytest.raises(ProtocolError, match="--patients"):
        run_trial(trial, patients=10**6)
    with pytest.raises(ProtocolError, match="--replicates"):
        run_trial(trial, replicates=0)


class _Shifted:
    """A population whose patients all have a given Treg proliferation (for the assurance hook)."""

    def __init__(self, a_r: float):
        self.a_r = a_r

    def sample(self, n, rng):
        return [{"burn_in_days": 120.0, "aR": self.a_r} for _ in range(n)]

    def fingerprint(self):
        return f"shifted:{self.a_r}"


def test_assurance_is_the_weighted_power_over_scenarios():
    assert isinstance(_Shifted(0.3), PatientSource)
    t = parse_trial(dict(TRIAL, replicates=1, population={"size": 3}, arms=TRIAL["arms"][:2]))
    scenarios = [Scenario(1.0, _Shifted(0.25), name="low"), Scenario(3.0, _Shifted(0.30), "treg_only", "high")]
    seen: list[tuple] = []
    res = run_trial(t, population=POPULATION, scenarios=scenarios, report=False,
                    progress=lambda phase, done, total: seen.append((phase, done, total)))
    s = res.summary
    assert [x["name"] for x in s["scenarios"]] == ["low", "high"] and s["scenarios"][1]["hypothesis"] == "treg_only"
    for e, value in s["assurance"].items():
        powers = [x["power"][e] for x in s["scenarios"]]
        assert value == pytest.approx((1.0 * powers[0] + 3.0 * powers[1]) / 4.0)
        assert all(p in (0.0, 1.0) for p in powers)  # one replicate per scenario: success or not
    treat = [x for x in seen if x[0] == "treatment"]
    assert treat[-1][1] == treat[-1][2] == 6 and np.all(np.diff([x[1] for x in treat]) > 0)


def test_matched_pairing_gives_every_arm_the_same_patients(tmp_path):
    t = parse_trial(dict(TRIAL, replicates=1, pairing="matched", population={"size": 3}, arms=TRIAL["arms"][:2]))
    res = run_trial(t, out=tmp_path / "m", population=POPULATION)
    p = res.patients()
    assert p.groupby("arm")["candidate"].apply(sorted).tolist() == [[0, 1, 2], [0, 1, 2]]
    placebo, treated = (p[p["arm"] == a].sort_values("candidate") for a in ("placebo", "igf1-50"))
    assert placebo["edss_w0"].tolist() == treated["edss_w0"].tolist()  # the same people at enrolment
    html = (tmp_path / "m" / "report.html").read_text()  # written even when an endpoint is not estimable
    assert "matched" in html and html.count("data:image/png;base64,") >= 3
