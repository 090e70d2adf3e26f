"""The mouse EAE fit starts from documented priors and reproduces the shipped values (a reduced run)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from tregsim.calibration.mouse_eae import FIT_PARAMETERS, fit_mouse, fit_parameters, hypothesis_scope
from tregsim.calibration.priors import laplace_sd_log, prior_residuals, prior_sd_log
from tregsim.model.parameters import load_table


def test_prior_rule():
    assert prior_sd_log(1.0, math.e**4) == pytest.approx(1.0)  # bounds two SDs either side
    assert np.allclose(prior_residuals(np.log([2.0]), np.log([1.0]), np.array([math.log(2)])), [1.0])
    with pytest.raises(ValueError):
        prior_sd_log(0.0, 1.0)
    jac = np.array([[2.0, 0.0], [0.0, 0.5]])
    assert np.allclose(laplace_sd_log(jac), [0.5, 2.0])


def test_every_fitted_mouse_row_has_a_documented_prior_inside_positive_bounds():
    rows = {(r.name, r.scope): r for r in load_table("mouse")}
    for hypothesis in ("treg_and_th17", "treg_only"):
        for key in fit_parameters(hypothesis):
            r = rows[hypothesis_scope(key, hypothesis)]
            assert r.mark == "F" and 0 < r.low <= r.prior <= r.high, key
            assert "prior: " in r.source, key


@pytest.mark.parametrize("free", [(("k_in", "base"), ("r_rem", "base"))])
def test_reduced_fit_from_the_priors_lands_on_the_shipped_values(free):
    """With the other parameters at the shipped optimum, fitting a few from their priors must come back to
    the shipped values within the uncertainty the table reports (the shipped values are the MAP optimum that
    ``tregsim calibrate`` reaches from the priors: CMA-ES, then the local fit).  Fails if the shipped values
    are edited by hand or the objective changes without a refit.  Both starts, as the full fit: measured on the
    run-3 tables, the local fit alone from the priors stops at k_in 0.13 (shipped 0.99, sd(log) 0.11); with
    the CMA-ES start (100 evaluations, ~70 s) it lands on 0.986."""
    rows = {(r.name, r.scope): r for r in load_table("mouse")}
    fit = fit_mouse(max_nfev=30, free=free, global_evals=100)  # both starts, as the full fit
    for key in free:
        shipped = rows[key]
        sd = float(re.search(r"sd\(log\) ([0-9.e+-]+)", shipped.source).group(1))
        gap = abs(math.log(fit.values_[key]) - math.log(shipped.value))
        assert gap <= max(sd, 0.02), (key, fit.values_[key], shipped.value, sd)
    assert set(free) <= set(FIT_PARAMETERS)


def test_expected_metrics_move_continuously_with_the_parameters():
    """The fit's objective has no steps: over a 1% change of a parameter, in two half steps, no target moves
    by a step -- one half carrying the whole change while the other carries almost none -- unless the whole
    change is small against the target's band (a node crossing the onset or death score shifts weight
    continuously; the naive state is an equilibrium, so no oscillation phase enters)."""
    from tregsim.calibration.mouse_eae import _table_values, expected_metrics, overrides_from
    from tregsim.experiments.bilbao2014 import simulated_targets
    from tregsim.targets import targets_by_id

    def targets(theta):
        return simulated_targets(expected_metrics(overrides_from(theta)))

    theta = _table_values()
    scale = {tid: (tg.high - tg.low) / 2 if math.isfinite(tg.high - tg.low)
             else abs(tg.high if math.isfinite(tg.high) else tg.low) for tid, tg in targets_by_id("mouse_eae").items()}
    for key in (("aR", "base"), ("a_dam", "base")):
        points = [targets({**theta, key: theta[key] * f}) for f in (1.0, 1.005, 1.01)]
        for tid in scale:
            d1, d2 = points[1][tid] - points[0][tid], points[2][tid] - points[1][tid]
            big, small = max(abs(d1), abs(d2)), min(abs(d1), abs(d2))
            assert big <= 0.02 * scale[tid] or small >= 0.2 * big, (key, tid, [p[tid] for p in points])


def test_threshold_z_interpolates_and_extrapolates():
    from tregsim.calibration.mouse_eae import threshold_z

    z = np.array([-1.0, 0.0, 1.0])
    assert threshold_z(z, np.array([0.0, 1.0, 2.0]), 1.5) == pytest.approx(0.5)
    assert threshold_z(z, np.array([0.0, 1.0, 2.0]), 3.0) == pytest.approx(2.0)  # above the top node
    assert threshold_z(z, np.array([0.0, 1.0, 2.0]), -1.0) == pytest.approx(-2.0)  # below the bottom node


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_global_search_finds_the_deep_basin_a_local_fit_from_the_start_misses(seed):
    """Known answer: a shallow bowl at the start (as the priors) and a deep well away from it (as the shipped
    mouse basin), too far for the well's slope to reach the start.  A local fit from the start stays there;
    CMA-ES over the box finds the well (the bowl's pull moves its minimum by ~0.8 % towards the start) on
    every seed tried, and the same seed gives the same point."""
    from scipy.optimize import minimize

    from tregsim.calibration.mouse_eae import global_search

    well = np.array([1.5, -1.2, 0.8])

    def cost(u):
        return 0.05 * float(u @ u) + 3.0 - 3.0 * math.exp(-float((u - well) @ (u - well)) / 0.5)

    lo, hi, x0 = np.full(3, -3.0), np.full(3, 3.0), np.zeros(3)
    assert cost(minimize(cost, x0).x) > 2.9  # the local fit stays at the start
    x, f, nfev = global_search(cost, lo, hi, x0, max_evals=3000, random_state=seed)
    assert np.linalg.norm(x - well) < 0.05 and f < 0.25 and nfev <= 3000 + 20
    assert np.array_equal(global_search(cost, lo, hi, x0, max_evals=3000, random_state=seed)[0], x)


def test_band_residuals_turn_steep_inside_the_edge(monkeypatch):
    """The MAP optimum sits where the steep part begins (the priors pull it there), so that point must lie
    inside the band: at the edge itself a two-sided target already costs more than anywhere inside."""
    import tregsim.experiments.bilbao2014 as b14
    from tregsim.calibration.mouse_eae import EDGE_MARGIN, _target_residuals
    from tregsim.targets import targets_by_id

    tg = targets_by_id("mouse_eae")["mouse_treg_fraction_cd4"]
    centre = tg.value if math.isfinite(tg.value) else (tg.low + tg.high) / 2
    base = {tid: (t.low + t.high) / 2 if math.isfinite(t.low + t.high) else t.high - 1 if math.isfinite(t.high)
            else t.low + 1 for tid, t in targets_by_id("mouse_eae").items()}

    def residual(x):
        monkeypatch.setattr(b14, "simulated_targets", lambda ex: {**base, "mouse_treg_fraction_cd4": x})
        return _target_residuals({})["mouse_treg_fraction_cd4"]

    inset = tg.low + 1.5 * EDGE_MARGIN * (centre - tg.low)
    assert -0.5 < residual(inset) < 0  # before the steep part: the linear flank
    assert residual(tg.low) < -1.0  # the edge is already on the steep part
    assert residual(tg.low) - residual(tg.low - 0.01 * (centre - tg.low)) > 0.2  # and it keeps rising outside
    assert residual(centre) == 0.0


def test_a_fraction_at_its_own_limit_is_inside_a_band_that_ends_there(monkeypatch):
    """With ``natural_limits``, incidence 1.0 (band 0.80-1.00) and vehicle survival 0.0 (band 0.0-0.5) stay on the
    linear flank: neither can leave its band on that side; the other edges of the same targets stay steep.
    Without it (the shipped objective, run 3's) incidence 1.0 costs a residual of ~47 (the documented defect)."""
    import tregsim.experiments.bilbao2014 as b14
    from tregsim.calibration.mouse_eae import _target_residuals
    from tregsim.targets import targets_by_id

    targets = targets_by_id("mouse_eae")
    base = {tid: (t.low + t.high) / 2 if math.isfinite(t.low + t.high) else t.high - 1 if math.isfinite(t.high)
            else t.low + 1 for tid, t in targets.items()}

    def residual(tid, x, natural_limits=True):
        monkeypatch.setattr(b14, "simulated_targets", lambda ex: {**base, tid: x})
        return _target_residuals({}, natural_limits)[tid]

    inc, surv = targets["eae_incidence"], targets["bilbao_vehicle_survival"]
    assert inc.high == 1.0 and surv.low == 0.0
    # the linear flank (half the distance from the centre, in half bands), not the steep part
    assert 0 < residual("eae_incidence", 1.0) < 1.0 and -1.0 < residual("bilbao_vehicle_survival", 0.0) < 0
    assert residual("eae_incidence", inc.low) < -1.0  # the inner edges stay steep
    assert residual("bilbao_vehicle_survival", surv.high + 0.01) - residual("bilbao_vehicle_survival", surv.high) > 0.5
    assert residual("eae_incidence", 1.0, natural_limits=False) > 40  # the shipped objective's defect


def test_global_starts_in_worker_processes_equal_the_starts_run_here():
    """Two seeded global starts (CMA-ES, then the local fit) give the same fit in two spawned worker processes
    as one after the other in this one: the full fit's result does not depend on the number of cores."""
    free = (("k_in", "base"), ("aR", "base"))
    kwargs = dict(max_nfev=2, free=free, global_evals=6, global_seeds=(0, 1), natural_limits=True)
    here, there = fit_mouse(workers=1, **kwargs), fit_mouse(workers=2, **kwargs)
    assert here.values_ == there.values_ and here.sd_log_ == there.sd_log_ and here.cost_ == there.cost_
    assert [s["from"] for s in here.starts_] == [s["from"] for s in there.starts_]
    assert sum("CMA-ES seed 1" in s["from"] for s in here.starts_) == 2  # the search and its local fit
