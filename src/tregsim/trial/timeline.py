"""When things happen in a trial: periods, MRI scans, EDSS visits and the simulation's output grid.

Every time here is a *simulation* day (day 0 = start of screening; enrolment at ``enrolment``).  Columns of
the per-patient results are labelled in *weeks from enrolment* (``lesions_w24``, ``edss_w12``), the way
trials report visits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tregsim.trial.design import TrialProtocol

#: Screening scans for ``gd_lesions_per_month_min`` are monthly (every 4 weeks), ending at enrolment.
SCREENING_SCAN_EVERY_DAYS = 28.0
#: The window of ``relapses_prior_year_min``: 52 weeks before enrolment.
PRIOR_YEAR_DAYS = 364.0
#: Progression is confirmed at a scheduled visit at least 12 weeks after its onset.
CONFIRMATION_DAYS = 84.0

_EPS = 1e-9


def _steps(start: float, length: float, every: float, first: int = 1) -> np.ndarray:
    """start + every * j for j = first .. floor(length / every) (days)."""
    n = int(np.floor(length / every + _EPS))
    return start + every * np.arange(first, n + 1, dtype=float)


def week_label(prefix: str, weeks: float) -> str:
    """``lesions_w24``, ``edss_w12``, ``lesions_w4.5`` (weeks from enrolment)."""
    return f"{prefix}_w{weeks:g}"


@dataclass(frozen=True)
class Timeline:
    """A trial's schedule in simulation days.

    Attributes:
        enrolment: day of enrolment (randomisation) = screening length.
        treatment_start, treatment_end: the treatment period (after any baseline period).
        screening_scans: monthly screening scans (enrolment scan included), ascending.
        enrolment_scan: the reference scan at enrolment (not counted in any period's endpoint).
        baseline_scans, treatment_scans: the scans each period's lesion endpoint counts.
        visits: scheduled EDSS visits of the treatment period (its start first, its end last).
        grid: the output times every patient is simulated at: daily, plus every scan and visit.
    """

    enrolment: float
    treatment_start: float
    treatment_end: float
    screening_scans: np.ndarray
    enrolment_scan: float
    baseline_scans: np.ndarray
    treatment_scans: np.ndarray
    visits: np.ndarray
    grid: np.ndarray

    @classmethod
    def of(cls, trial: TrialProtocol) -> Timeline:
        s, b, t = trial.screening_days, trial.baseline_days, trial.treatment_days
        start, end = s + b, s + b + t
        screening = np.sort(s - SCREENING_SCAN_EVERY_DAYS * np.arange(0, int(np.floor(s / SCREENING_SCAN_EVERY_DAYS
                                                                                         + _EPS)) + 1))
        mri = 7.0 * trial.mri_every_weeks
        baseline = _steps(s, b, mri) if b > 0 else np.empty(0)
        treatment = _steps(start, t, mri)
        visits = _steps(start, t, 7.0 * trial.edss_every_weeks, first=0)
        if visits[-1] < end - _EPS:
            visits = np.append(visits, end)  # the end-of-treatment visit
        special = np.concatenate([screening, [s], baseline, treatment, visits, [start, end]])
        grid = np.unique(np.concatenate([np.arange(0.0, np.floor(end + _EPS) + 1.0), special]))
        grid = grid[grid <= end + _EPS]
        return cls(s, start, end, screening, s, baseline, treatment, visits, grid)

    def index(self, days: np.ndarray | float) -> np.ndarray:
        """Positions of ``days`` on :attr:`grid` (each must be a grid time)."""
        days = np.atleast_1d(np.asarray(days, dtype=float))
        pos = np.clip(np.searchsorted(self.grid, days - 1e-7), 0, len(self.grid) - 1)
        if not np.allclose(self.grid[pos], days, atol=1e-6):
            raise ValueError(f"times {days} are not on the trial's output grid")
        return pos

    def weeks(self, days: np.ndarray | float) -> np.ndarray:
        """Weeks from enrolment."""
        return (np.asarray(days, dtype=float) - self.enrolment) / 7.0

    @property
    def treatment_years(self) -> float:
        return (self.treatment_end - self.treatment_start) / 365.25

    @property
    def baseline_years(self) -> float:
        return (self.treatment_start - self.enrolment) / 365.25
