"""Power against the number of patients per arm, and the N that gives 80% power.

Default method, **scaling** (:func:`scaled_curve`): fit the endpoint's own test once on every simulated
patient pooled over replicates (``n_ref`` per arm), which estimates the effect ``b`` (log rate or hazard
ratio, or difference of means) and its standard error ``se_ref`` precisely; a trial of ``N`` per arm then has
``se(N) = se_ref * sqrt(n_ref / N)`` (every test here is asymptotically normal with variance proportional to
1/N), so its power, counting only significance in the direction of benefit, is

    power(N) = Phi(z_b * sqrt(N / n_ref) - z_{1-alpha/2}),   z_b = b / se_ref signed towards benefit,

and ``N80 = n_ref * ((z_{1-alpha/2} + z_{0.8}) / z_b)^2``.  With normal data this is the textbook two-means
power (:func:`tregsim.trial.statistics.analytic_power_two_means`; tested).  It is deterministic, costs one fit
per endpoint and arm, and leans on the normal approximation, which is weakest for few events (small N
with rare relapses or progressions).

Check method, **resampling** (:func:`resampled_power`): draw ``resamples`` trials of ``N`` patients per arm
with replacement from the simulated patients (a fixed seed), run the real test on each, and count the share
significant in the direction of benefit; slower (one fit per resample), no normal approximation beyond the
test's own.  The replicate power reported in ``power`` (the share of fully simulated replicates) is a third,
independent estimate at the simulated N.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from tregsim.trial.statistics import Comparison

Z_ALPHA = float(stats.norm.ppf(0.975))
Z_POWER80 = float(stats.norm.ppf(0.80))
#: Largest N per arm on a curve (and reported as N for 80% power: beyond it, "not reached", null).
MAX_N = 100_000


def is_ratio(c: Comparison) -> bool:
    """Whether a comparison's estimate is a ratio (no effect = 1) rather than a difference (no effect = 0)."""
    return not c.test.startswith("difference")


def effect_and_se(c: Comparison) -> tuple[float, float]:
    """The estimate on its test's scale (log for ratios) and its standard error from the 95% CI."""
    if is_ratio(c):
        if not (c.estimate > 0 and c.ci_low > 0 and c.ci_high > 0):
            return math.nan, math.nan
        return math.log(c.estimate), (math.log(c.ci_high) - math.log(c.ci_low)) / (2 * Z_ALPHA)
    return c.estimate, (c.ci_high - c.ci_low) / (2 * Z_ALPHA)


def benefit_z(c: Comparison, benefit: str) -> float:
    """The z statistic signed so that positive means benefit ('below': a lower value is better)."""
    b, se = effect_and_se(c)
    if not (math.isfinite(b) and math.isfinite(se) and se > 0):
        return math.nan
    return (-b if benefit == "below" else b) / se


def power_at(z_ref: float, n_ref: float, n: np.ndarray | float, alpha: float = 0.05) -> np.ndarray:
    """Power in the direction of benefit at ``n`` per arm, from the benefit-signed z at ``n_ref``."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    n = np.asarray(n, dtype=float)
    if not math.isfinite(z_ref):
        return np.full(n.shape, np.nan)
    return stats.norm.cdf(z_ref * np.sqrt(n / n_ref) - z)


def n_for_power(z_ref: float, n_ref: float, target: float = 0.80, alpha: float = 0.05) -> int | None:
    """Smallest whole N per arm with power >= ``target`` (None when the effect is nil, harmful or needs more
    than :data:`MAX_N`)."""
    if not (math.isfinite(z_ref) and z_ref > 0):
        return None
    need = n_ref * ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target)) / z_ref) ** 2
    n = int(math.ceil(need - 1e-9))
    return max(n, 2) if n <= MAX_N else None


def default_grid(n_ref: float, n80: int | None) -> np.ndarray:
    """N values for a curve: around N80 (a quarter to four times it) and the simulated N, 2 to MAX_N."""
    centre = n80 if n80 is not None else 4 * n_ref
    pts = np.unique(np.round(np.geomspace(max(2.0, centre / 8), min(MAX_N, centre * 4), 13)).astype(int))
    return np.unique(np.concatenate([pts, [int(round(n_ref))]]).clip(2, MAX_N))


@dataclass
class PowerCurve:
    """Power against patients per arm for one endpoint and arm.

    Attributes:
        n: patients per arm.
        power: power (p < 0.05 in the direction of benefit) at each ``n``.
        n_for_80: patients per arm for 80% power (None: not reached up to MAX_N, or no benefit).
        z_ref, n_ref: the benefit-signed z statistic of the pooled fit and the patients per arm it pooled.
        method: 'scaling' or 'resampling'.
    """

    arm: str
    endpoint: str
    n: list[int]
    power: list[float]
    n_for_80: int | None
    method: str
    z_ref: float = math.nan
    n_ref: float = math.nan
    resampled: dict[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"n": self.n, "power": self.power, "n_for_80_power": self.n_for_80, "method": self.method,
                "z_pooled": self.z_ref, "n_pooled": self.n_ref,
                **({"resampled": {str(k): v for k, v in self.resampled.items()}} if self.resampled else {})}


def scaled_curve(pooled: Comparison, n_ref: float, benefit: str, grid: np.ndarray | None = None) -> PowerCurve:
    """The scaling-method curve from the comparison fitted on the pooled patients (``n_ref`` per arm)."""
    z = benefit_z(pooled, benefit)
    n80 = n_for_power(z, n_ref)
    n = default_grid(n_ref, n80) if grid is None else np.asarray(grid, int)
    return PowerCurve(pooled.arm, pooled.endpoint, [int(x) for x in n], [float(p) for p in power_at(z, n_ref, n)],
                      n80, "scaling", z, float(n_ref))


def resampled_power(trial_at: Callable[[int, np.random.Generator], Comparison], n: int, resamples: int,
                    benefit: str, seed: int = 0, alpha: float = 0.05) -> float:
    """Share of ``resamples`` bootstrap trials of ``n`` per arm significant in the direction of benefit.

    ``trial_at(n, rng)`` draws one trial of ``n`` patients per arm (with replacement from the simulated
    patients) and returns its comparison; the generator is seeded from (``seed``, ``n``).
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(n) + 1, 0x50575252]))
    hits = 0
    for _ in range(int(resamples)):
        c = trial_at(n, rng)
        z = benefit_z(c, benefit)
        hits += bool(c.p_value < alpha and math.isfinite(z) and z > 0)
    return hits / int(resamples)
