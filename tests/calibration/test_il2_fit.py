"""The IL-2 PD fit (calibration/il2.py): its sample, its objective and how it writes the table."""

from __future__ import annotations

import numpy as np
import pytest

from tregsim.calibration import il2 as cal
from tregsim.calibration.run import FITS


def test_il2_is_a_calibrate_stage_after_the_population():
    assert FITS[-1] == "il2" and FITS.index("population") < FITS.index("il2")


def test_the_fit_sample_is_fixed():
    """Same candidate, same answer (the people fixed); a larger g_il2 raises the day-15 blood Treg fold and
    leaves CD25 alone (CD25 does not depend on it; to the solver tolerance)."""
    s = cal.FitSample(patients=4, seed=3)
    base = dict(k_cd25=0.03, Emax_cd25=30.0, g_il2=0.35, k_il2_prolif=0.2)
    a, b = s.simulated(base), s.simulated(base)
    assert a == b
    c = s.simulated({**base, "g_il2": 0.7})
    assert c["treg_day15"] > a["treg_day15"] and c["cd25_day5"] == pytest.approx(a["cd25_day5"], rel=1e-6)
    assert s.evaluations == 3


def test_fitted_rows_are_marked_f_with_the_command_and_keep_the_prior():
    res = cal.Il2Fit(values_=dict(k_cd25=0.03, Emax_cd25=30.0, g_il2=0.35, k_il2_prolif=0.2),
                     prior_=dict(k_cd25=0.04, Emax_cd25=32.0, g_il2=0.32, k_il2_prolif=0.4),
                     sd_log_=dict(k_cd25=1.0, Emax_cd25=0.9, g_il2=0.6, k_il2_prolif=0.9), at_bound_=[],
                     simulated_=dict(treg_day5=1.05, treg_day15=1.25, cd25_day5=2.2),
                     prior_simulated_=dict(treg_day5=1.1, treg_day15=1.33, cd25_day5=2.7), cost_=0.5,
                     evaluations_=1, seconds_=1.0)
    human, mouse = cal.fitted_rows(res)
    h = {r.name: r for r in human if r.scope == "base"}
    m = {r.name: r for r in mouse if r.scope == "base"}
    for k, v in res.values_.items():
        assert h[k].value == v and h[k].mark == "F" and m[k].value == v
        assert "python -m tregsim.calibration.il2 --fit" in h[k].source and "prior: " in h[k].source
        assert h[k].prior == res.prior_[k] and np.isfinite(h[k].low)
    assert "treg_day15 1.25" in h["g_il2"].source


def test_calibrate_only_il2_writes_fitted_tables_and_a_summary(tmp_path, monkeypatch):
    """`tregsim calibrate --only il2` wiring, on a tiny sample and one iteration (a smoke test, not the fit)."""
    import json

    from tregsim.calibration.run import calibrate
    from tregsim.model.parameters import load_table

    monkeypatch.setattr(cal, "FIT_PATIENTS", 3)
    summary = calibrate(tmp_path, only=("il2",), max_nfev=1)
    fit = summary["fits"]["il2"]
    assert set(fit["values"]) == set(cal.PD_KEYS) and fit["evaluations"] >= 1
    assert {t["id"] for t in fit["targets"]} == {"treg_day5", "treg_day15", "cd25_day5"}
    text = (tmp_path / "parameters_human.csv").read_text(encoding="utf-8")
    assert "calibration.il2 --fit" in text and (tmp_path / "parameters_mouse.csv").is_file()
    assert json.loads((tmp_path / "summary.json").read_text())["fits"]["il2"]["values"] == fit["values"]
    assert load_table("human")  # the shipped tables are read again afterwards (use_tables(None))
