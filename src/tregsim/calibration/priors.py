"""Priors of the fits: one documented rule, shared by every fit.

A fitted parameter has a log-normal prior centred at its table's ``prior`` column, with
``sd(log) = ln(high / low) / 4``: the table's bounds sit two standard deviations either side (for a
prior at the bounds' geometric centre).  Fits are maximum a posteriori: bounded least squares of target
residuals plus :func:`prior_residuals`; their uncertainty is the Laplace approximation
(:func:`laplace_sd_log`).
"""

from __future__ import annotations

import math

import numpy as np


def prior_sd_log(low: float, high: float) -> float:
    """sd of log(value) of a parameter bounded by [low, high] (both > 0)."""
    if not (low > 0 and high > low):
        raise ValueError(f"a log-normal prior needs 0 < low < high, got [{low}, {high}]")
    return math.log(high / low) / 4.0


def prior_residuals(theta_log: np.ndarray, prior_log: np.ndarray, sd_log: np.ndarray) -> np.ndarray:
    """(log value - log prior) / sd(log), one per parameter."""
    return (np.asarray(theta_log) - np.asarray(prior_log)) / np.asarray(sd_log)


def laplace_sd_log(jac: np.ndarray) -> np.ndarray:
    """sd(log) of each parameter from the Jacobian of all residuals (targets and priors) at the optimum:
    the square root of the diagonal of pinv(J^T J)."""
    cov = np.linalg.pinv(jac.T @ jac)
    return np.sqrt(np.clip(np.diag(cov), 0.0, None))
