"""Human and mouse IGF-1 PK and glucose: the shipped tables meet every PK/glucose target through the
built-in study protocols; known behaviours hold; the fit machinery reaches the shipped values."""

from __future__ import annotations

import numpy as np
import pytest

from tregsim.calibration.human_pk import (
    all_targets, concentrations, mouse_pk_values, simulated_targets, table_values, target_residual,
)
from tregsim.model.parameters import resolve
from tregsim.model.subject import age_production_factor, pk_baseline, pk_steady_state
from tregsim.schedule import Bolus, Infusion, Schedule

#: Targets the shipped fit misses, with why (a model finding, reported in README and docs/model.md).
#: Each is pinned to where it sits today, so a change that moves it shows up here.
KNOWN_MISSES: dict[str, str] = {
    "human_pk_iv_bolus_free_share_15min": "the bolus binds the few unoccupied IGFBP sites and those secreted within "
    "minutes; with ~200 ng/mL of baseline bound IGF-1, a share >= 0.6 at the measured rise needs unoccupied sites "
    "to turn over in minutes (k_bp >~ 250/day), far from the prior; Guler's baseline was 144 and its 1987 'free' "
    "likely included binary complexes",
}
KNOWN_MISS_VALUES = {"human_pk_iv_bolus_free_share_15min": (0.4, 0.6)}


@pytest.fixture(scope="module")
def simulated():
    return simulated_targets()


def test_every_pk_and_glucose_target_is_met_by_the_fast_path(simulated):
    targets = all_targets()
    failed = {k: simulated[k] for k, t in targets.items()
              if k in simulated and not t.passes(simulated[k]) and k not in KNOWN_MISSES}
    assert not failed
    assert set(targets) <= set(simulated)  # every human_pk, human_glucose and mouse_pk row is computed
    for k, (lo, hi) in KNOWN_MISS_VALUES.items():  # the known misses stay where the docs say they are
        assert lo <= simulated[k] <= hi, (k, simulated[k])


def test_target_residual_fails_on_both_sides():
    t = all_targets()["human_pk_healthy_thalf"]
    assert target_residual(t, t.low - 1) < -1 and target_residual(t, t.high + 1) > 1
    one_sided = all_targets()["human_glucose_nadir_ghd_sc_40"]
    assert target_residual(one_sided, 5.0) == 0 and target_residual(one_sided, 3.0) > 1


def test_igfd_and_ghd_clear_faster_and_start_lower_than_healthy(simulated):
    assert simulated["human_pk_igfd_thalf"] < simulated["human_pk_healthy_thalf"] * 0.6
    assert simulated["human_pk_ghd_baseline"] < simulated["human_pk_total_baseline"] / 3


def test_a_bolus_stays_free_longer_than_slow_absorption_would():
    """Shared IGFBP capacity (IGF-II occupies most sites): free share after an IV bolus far above the
    free share at the peak after an SC dose of the same size."""
    v = resolve("human", "healthy")
    t = np.arange(0, 1.0001, 1 / 288)
    tot_iv, free_iv = concentrations(v, Schedule(boluses=[Bolus(0.0, "igf1_free", 40.0)]), t)
    tot_sc, free_sc = concentrations(v, Schedule(boluses=[Bolus(0.0, "igf1_depot_sc", 40.0)]), t)
    i = int(np.argmax(tot_sc))
    assert free_iv[3] / tot_iv[3] > 5 * free_sc[i] / tot_sc[i]


def test_repeated_dosing_does_not_accumulate_free_igf1():
    """Free IGF-1 reaches its steady cycle within days (the review found free accumulating while total did not)."""
    v = resolve("human", "rrms")
    t = np.arange(0, 14.0001, 1 / 96)
    sched = Schedule(boluses=[Bolus(float(d), "igf1_depot_sc", 80.0) for d in np.arange(0, 14, 0.5)])
    _, free = concentrations(v, sched, t)
    day = lambda k: free[(t >= k) & (t < k + 1)].max()  # noqa: E731
    assert day(13) == pytest.approx(day(6), rel=0.1)


def test_rrms_higher_igfbp3_lowers_free_not_total():
    h, r = resolve("human", "healthy"), resolve("human", "rrms")
    fh, bh = pk_baseline(h)
    fr, br = pk_baseline(r)
    total_h = fh / h["V_free"] + bh / h["V_bound"]
    total_r = fr / r["V_free"] + br / r["V_bound"]
    assert fr / r["V_free"] < fh / h["V_free"]  # less bioavailable (Lanzillo/Di Somma 2011)
    assert 150 <= total_r <= 300 and abs(total_r / total_h - 1) < 0.25  # total stays normal


def test_steady_state_solves_both_igfs_and_glucose_rests_at_g0():
    v = resolve("human", "healthy")
    st = pk_steady_state(v)
    assert st["glucose"] == v["G0"] and st["counterreg"] == pytest.approx(st["glc_cr0"])
    t = np.arange(0, 5.0001, 0.5)
    total, free, glucose = concentrations(v, Schedule(), t, glucose=True)
    assert np.allclose(total, total[0], rtol=1e-7) and np.allclose(glucose, v["G0"], rtol=1e-7)


def test_older_adults_have_less_igf1():
    assert age_production_factor(20) > 1 > age_production_factor(63)
    assert age_production_factor(38) == pytest.approx(1.0)


def test_pk_is_nonlinear_dose_normalised_free_exposure_rises_with_dose():
    v = resolve("human", "healthy")
    t = np.arange(0, 3.0001, 1 / 96)
    auc = []
    for dose in (10.0, 40.0, 160.0):
        _, free = concentrations(v, Schedule(boluses=[Bolus(0.0, "igf1_depot_sc", dose)]), t)
        auc.append(np.trapezoid(free - free[0], t) / dose)
    assert auc[0] < auc[1] < auc[2]  # the IGFBP sites fill


def test_mouse_pk_is_the_human_fit_scaled_and_the_tables_agree():
    human = table_values("human")
    mouse = table_values("mouse")
    for key, v in mouse_pk_values(human).items():
        assert mouse[key] == pytest.approx(v, rel=1e-5), key


def test_mouse_sc_injection_is_short_and_pump_is_steady():
    v = resolve("mouse", "healthy")
    t = np.arange(0, 1.0001, 1 / 96)
    total, _ = concentrations(v, Schedule(boluses=[Bolus(0.0, "igf1_depot_sc", 40.0)]), t)
    excess = total - total[0]
    up = t[excess > 0.1 * excess.max()] * 24
    assert up[-1] - up[0] < 10  # one SC injection raises mouse IGF-1 for hours (4-6 h, Horm Metab Res 1991)
    t = np.arange(0, 28.0001, 1.0)
    total, free = concentrations(v, Schedule(infusions=[Infusion(0, 28, "rate_igf1_sc", 1000.0)]), t)
    assert np.allclose(free[3:27], free[14], rtol=0.02) and free[14] > free[0]
