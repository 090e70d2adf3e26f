"""simulate(): contract columns, invariants, seeds, knockouts, Velez's healthy vs autoimmune behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import tregsim
from tests.conftest import IGF1_PUMP, human_protocol, mouse_protocol
from tregsim.model.codegen import python_assignments
from tregsim.model.subject import build_subject
from tregsim.solve.reference import ReferenceSolver

MOUSE_COLUMNS = ["time_day", "teff_periphery", "treg_periphery", "teff_cns", "treg_cns", "treg_blood_fold",
                 "igf1_total_ng_ml", "igf1_free_ng_ml", "myelin_intact", "clinical_score", "alive"]
HUMAN_COLUMNS = ["edss", "gd_lesions", "relapse"]


@pytest.fixture(scope="module")
def mouse_igf1():
    return tregsim.simulate(mouse_protocol(regimens=[IGF1_PUMP], animals=4, duration_days=40), seed=3)


def test_mouse_result_follows_the_contract(mouse_igf1, tmp_path):
    tc = mouse_igf1.timecourse
    assert list(tc.columns[: len(MOUSE_COLUMNS)]) == MOUSE_COLUMNS
    assert tc.time_day.iloc[-1] == 40.0
    values = tc.drop(columns="time_day").to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all()
    assert ((tc.clinical_score >= 0) & (tc.clinical_score <= 5)).all()
    for k in ("incidence", "onset_day_mean", "peak_score_mean", "peak_day", "survival", "treg_cns_max",
              "cmax_ng_ml", "ctrough_ng_ml"):
        assert k in mouse_igf1.metrics
    mouse_igf1.write(tmp_path)
    for f in ("timecourse.csv", "subjects.parquet", "summary.json", "protocol.yaml"):
        assert (tmp_path / f).is_file()
    assert mouse_igf1.data["igf1_free_ng_ml"].attrs["units"] == "ng/mL"


def test_dead_animals_stay_dead_at_score_five(mouse_igf1):
    d = mouse_igf1.data
    for s in d.subject.values:
        alive = d.alive.sel(subject=s).values
        score = d.clinical_score.sel(subject=s).values
        assert np.all(np.diff(alive) <= 0)
        assert np.all(score[alive == 0] == 5.0)


def test_human_result_follows_the_contract():
    reg = dict(drug="igf1", route="sc", dose=50, dose_unit="ug/kg", every_hours=12, start_day=0, stop_day=20)
    res = tregsim.simulate(human_protocol(regimens=[reg], duration_days=30, subjects=2), seed=1)
    tc = res.timecourse
    assert set(HUMAN_COLUMNS) <= set(tc.columns) and "clinical_score" not in tc.columns
    assert np.isfinite(tc.drop(columns="time_day").to_numpy()).all()
    assert (tc.edss.between(0, 10)).all()
    for k in ("annualized_relapse_rate", "gd_lesions_per_scan", "edss_change", "cmax_ng_ml", "ctrough_ng_ml"):
        assert k in res.metrics
    assert res.metrics["cmax_ng_ml"] > res.metrics["ctrough_ng_ml"] > tc.igf1_total_ng_ml.iloc[0] * 0.5


def test_same_seed_same_trajectory_and_seeds_matter():
    p = mouse_protocol(animals=3)
    a, b = tregsim.simulate(p, seed=11), tregsim.simulate(p, seed=11)
    c = tregsim.simulate(p, seed=12)
    assert a.data.equals(b.data)
    assert not np.allclose(a.data.teff_cns.values, c.data.teff_cns.values)


def test_a_subject_is_the_same_whatever_the_cohort_size():
    small = tregsim.simulate(mouse_protocol(animals=2), seed=4)
    large = tregsim.simulate(mouse_protocol(animals=5), seed=4)
    assert np.array_equal(small.data.teff_cns.values, large.data.teff_cns.sel(subject=[0, 1]).values)


def _occupancies(knockouts, hypothesis="treg_and_th17"):
    proto = mouse_protocol(regimens=[IGF1_PUMP], animals=1, knockouts=knockouts, hypothesis=hypothesis)
    subj = build_subject(proto, 0, seed=1)
    y = ReferenceSolver().solve(subj, np.array([0.0, 5.0, 10.0]))
    a = python_assignments()(y.T, subj.p)
    return a, y


def test_knockouts_remove_exactly_the_receptor_effects():
    wt, y_wt = _occupancies([])
    treg_ko, y_t = _occupancies(["treg_igf1r"])
    pan_ko, y_p = _occupancies(["pan_t_igf1r"])
    v = build_subject(mouse_protocol(), 0, 1).values
    # wild type: both receptors signal, including at endogenous IGF-1 (day 0)
    assert wt["occ_treg"][0] > 0 and wt["occ_teff"][0] > 0
    # Treg knockout: Treg lose IGF1R signalling entirely (aR back to its receptor-less value); Teff keep theirs
    assert np.all(treg_ko["occ_treg"] == 0) and np.allclose(treg_ko["aR_eff"], v["aR"])
    assert np.all(treg_ko["occ_teff"] > 0)
    # pan-T knockout: neither signals
    assert np.all(pan_ko["occ_treg"] == 0) and np.all(pan_ko["occ_teff"] == 0) and np.allclose(pan_ko["th17"], 1)
    # knockouts act on T cells, not on IGF-1 pharmacokinetics
    assert np.allclose(wt["c_free"], treg_ko["c_free"]) and np.allclose(wt["c_free"], pan_ko["c_free"])


def test_under_treg_only_the_pan_t_knockout_equals_the_treg_knockout():
    _, y_t = _occupancies(["treg_igf1r"], "treg_only")
    _, y_p = _occupancies(["pan_t_igf1r"], "treg_only")
    assert np.allclose(y_t, y_p)


def test_velez_healthy_treg_gives_no_lasting_damage_autoimmune_gives_relapses():
    """Velez 2011: healthy aR (1.0) keeps autoreactivity in check; the MS deficit (0.25) relapses."""
    healthy = tregsim.simulate(human_protocol(disease="healthy", duration_days=730, subjects=4), seed=7)
    ms = tregsim.simulate(human_protocol(disease="rrms", duration_days=730, subjects=4), seed=7)
    assert healthy.metrics["annualized_relapse_rate"] == 0.0
    assert healthy.data.myelin_intact.min() > 0.99
    assert healthy.metrics["edss_change"] < 0.05
    assert ms.metrics["annualized_relapse_rate"] > 0.3
    relapses_per_subject = (ms.data.relapse.diff("time_day") > 0.5).sum("time_day")
    assert (relapses_per_subject >= 2).mean() >= 0.5  # relapsing-remitting, not one attack per person
    assert ms.data.myelin_intact.min() < 0.97


def test_plot_returns_a_figure_with_one_panel_per_observable(mouse_igf1):
    fig = mouse_igf1.plot(["clinical_score", "treg_cns"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["clinical_score", "treg_cns (cells)"]
    assert len(visible[0].lines) == 1


def test_age_lowers_endogenous_igf1_in_humans():
    young = tregsim.simulate(human_protocol(disease="healthy", duration_days=2, age_years=20), seed=1)
    old = tregsim.simulate(human_protocol(disease="healthy", duration_days=2, age_years=63), seed=1)
    assert young.timecourse.igf1_total_ng_ml.iloc[0] > old.timecourse.igf1_total_ng_ml.iloc[0]


def test_top_level_api_for_notebooks():
    with pytest.raises(ValueError, match="bilbao2014"):
        tregsim.reproduce("nobody2099")
    assert callable(tregsim.dose_translation) and "simulate" in tregsim.__all__
