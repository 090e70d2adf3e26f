"""Summary metrics of a simulation (the contract's ``summary.json`` ``metrics``).

Mouse EAE (per animal, then over animals):
    incidence: share of animals whose score reaches 1 (limp tail).
    onset_day_mean: mean day of first score >= 1 among animals with disease.
    peak_score_mean: mean over animals of each animal's maximum score (dead = 5).
    peak_day: day of the maximum of the mean score curve.
    survival: share alive at the end.
    treg_cns_max: maximum of the mean CNS Treg curve (cells).
Human:
    annualized_relapse_rate: relapse onsets (0 -> 1) per subject-year.
    gd_lesions_per_scan: mean expected enhancing-lesion count at scans every 4 weeks.
    edss_change: mean EDSS at the end minus at day 0.
Drug (any regimen of IGF-1): cmax_ng_ml and ctrough_ng_ml of total plasma IGF-1 (the
clinically measured quantity) and the same for free IGF-1 (``*_free_ng_ml``); the trough is
the minimum over the last 24 h of dosing.  ``glucose_nadir_mmol_l``: mean over subjects of each subject's
lowest blood glucose over the run.
IL-2 (any regimen of il2): ``il2_cmax_ng_ml`` and ``il2_ctrough_ng_ml`` of plasma IL-2 (same rules; with no
IGF-1 in the protocol they are also the contract's ``cmax_ng_ml`` and ``ctrough_ng_ml``), and
``treg_blood_fold_max``, the largest mean blood Treg fold over the run.
"""

from __future__ import annotations

import math

import numpy as np

ONSET_SCORE = 1.0
SCAN_EVERY_DAYS = 28.0


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def mouse_metrics(t: np.ndarray, obs: dict[str, np.ndarray]) -> dict[str, float | None]:
    """``obs`` arrays have shape (n_subjects, n_times)."""
    score = obs["clinical_score"]
    peak = score.max(axis=1)
    diseased = peak >= ONSET_SCORE
    onset = np.array([t[np.argmax(s >= ONSET_SCORE)] for s in score[diseased]])
    mean_score = score.mean(axis=0)
    return {
        "incidence": float(diseased.mean()),
        "onset_day_mean": _finite_or_none(onset.mean()) if onset.size else None,
        "peak_score_mean": float(peak.mean()),
        "peak_day": float(t[np.argmax(mean_score)]),
        "survival": float(obs["alive"][:, -1].mean()),
        "treg_cns_max": float(obs["treg_cns"].mean(axis=0).max()),
    }


def human_metrics(t: np.ndarray, obs: dict[str, np.ndarray]) -> dict[str, float | None]:
    years = (t[-1] - t[0]) / 365.25
    rel = obs["relapse"]
    onsets = np.sum(np.diff(rel, axis=1) > 0.5, axis=1)
    scans = np.arange(SCAN_EVERY_DAYS, t[-1] + 1e-9, SCAN_EVERY_DAYS)
    gd = np.array([[np.interp(s, t, g) for s in scans] for g in obs["gd_lesions"]]) if scans.size else None
    return {
        "annualized_relapse_rate": float(onsets.sum() / (years * len(rel))) if years > 0 else None,
        "gd_lesions_per_scan": float(gd.mean()) if gd is not None else None,
        "edss_change": float((obs["edss"][:, -1] - obs["edss"][:, 0]).mean()),
    }


def drug_metrics(t: np.ndarray, obs: dict[str, np.ndarray], last_dose_day: float) -> dict[str, float]:
    """Cmax over the run and trough over the last 24 h of dosing, of the mean concentration."""
    out = {}
    window = (t >= last_dose_day - 1.0 - 1e-9) & (t <= last_dose_day + 1e-9)
    if not window.any():
        window = t >= t[-1] - 1.0
    for key, col in (("", "igf1_total_ng_ml"), ("_free", "igf1_free_ng_ml")):
        c = obs[col].mean(axis=0)
        out[f"cmax{key}_ng_ml"] = float(c.max())
        out[f"ctrough{key}_ng_ml"] = float(c[window].min())
    if "glucose_mmol_l" in obs:
        out["glucose_nadir_mmol_l"] = float(obs["glucose_mmol_l"].min(axis=1).mean())
    return out


def il2_metrics(t: np.ndarray, obs: dict[str, np.ndarray], last_dose_day: float, primary: bool) -> dict[str, float]:
    """IL-2 Cmax over the run and trough over the last 24 h of dosing (mean concentration), and the peak of the
    mean blood Treg fold; ``primary`` (no IGF-1 given) also reports them as ``cmax_ng_ml``/``ctrough_ng_ml``."""
    window = (t >= last_dose_day - 1.0 - 1e-9) & (t <= last_dose_day + 1e-9)
    if not window.any():
        window = t >= t[-1] - 1.0
    c = obs["il2_ng_ml"].mean(axis=0)
    out = {"il2_cmax_ng_ml": float(c.max()), "il2_ctrough_ng_ml": float(c[window].min())}
    if "treg_blood_fold" in obs:
        out["treg_blood_fold_max"] = float(np.nanmax(obs["treg_blood_fold"].mean(axis=0)))
    if primary:
        out["cmax_ng_ml"], out["ctrough_ng_ml"] = out["il2_cmax_ng_ml"], out["il2_ctrough_ng_ml"]
    return out
