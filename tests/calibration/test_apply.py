"""Writing fits into tables: default-hypothesis fits replace rows, other hypotheses get their own rows."""

from __future__ import annotations

import math

from tregsim.calibration.apply import apply_fit, write_table
from tregsim.calibration.mouse_eae import MouseFit
from tregsim.calibration.run import mouse_rows_for
from tregsim.model.parameters import ParameterRow, load_table


def _fit(values):
    return MouseFit(values_=values, sd_log_={k: 0.1 for k in values}, residuals_={}, expected_={}, cost_=0.0, nfev_=1)


def test_default_hypothesis_replaces_rows_and_ties_the_severe_immunisation():
    fit = _fit({("aR", "base"): 0.3, ("immunisation_teff", "disease:eae_mog35_55"): 7.0})
    values, sd, tied = mouse_rows_for("treg_and_th17", fit)
    rows = {(r.name, r.scope): r for r in apply_fit("mouse", values, sd, "test fit", tied)}
    assert rows[("aR", "base")].value == 0.3 and rows[("aR", "base")].mark == "F"
    assert rows[("immunisation_teff", "disease:eae_severe")].value == 7.0
    assert "test fit" in rows[("aR", "base")].source


def test_other_hypothesis_gets_hypothesis_scoped_rows(tmp_path):
    fit = _fit({("aR", "base"): 0.31, ("immunisation_teff", "disease:eae_mog35_55"): 6.0})
    values, sd, tied = mouse_rows_for("treg_only", fit)
    new = apply_fit("mouse", values, sd, "test fit", tied)
    rows = {(r.name, r.scope): r for r in new}
    assert rows[("aR", "hypothesis:treg_only")].value == 0.31
    assert rows[("immunisation_teff", "hypothesis:treg_only+disease:eae_severe")].value == 6.0
    base = {(r.name, r.scope): r for r in load_table("mouse")}
    assert rows[("aR", "base")] == base[("aR", "base")]  # the default hypothesis' row is untouched
    path = write_table(new, tmp_path / "t.csv")
    text = path.read_text(encoding="utf-8")
    assert "hypothesis:treg_only+disease:eae_severe" in text and text.count("\n") == len(new) + 1


def test_out_of_bounds_fit_is_refused():
    fit = _fit({("aR", "base"): 50.0})
    values, sd, tied = mouse_rows_for("treg_and_th17", fit)
    try:
        apply_fit("mouse", values, sd, "bad fit", tied)
    except ValueError as e:
        assert "outside" in str(e)
    else:
        raise AssertionError("a value outside its bounds was accepted")
    assert isinstance(load_table("mouse")[0], ParameterRow) and not math.isnan(load_table("mouse")[0].value)


def test_a_value_at_its_bound_is_flagged_and_the_prior_doc_is_kept():
    fit = _fit({("aR", "base"): 2.0})  # aR's upper bound
    values, sd, tied = mouse_rows_for("treg_and_th17", fit)
    row = {(r.name, r.scope): r for r in apply_fit("mouse", values, sd, "test fit", tied)}[("aR", "base")]
    assert "AT A BOUND" in row.source and "prior: " in row.source and row.source.count("prior: ") == 1
    again = apply_fit("mouse", values, sd, "second fit", tied,
                      rows=list(apply_fit("mouse", values, sd, "test fit", tied)))
    assert {(r.name, r.scope): r for r in again}[("aR", "base")].source.count("prior: ") == 1
