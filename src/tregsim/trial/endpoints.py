"""Per-patient trial endpoints from a simulated daily trajectory, defined as trials define them.

Inputs are one patient's observables on the trial's output grid (:class:`Trajectory`; simulation days):
``relapse`` (1 while a relapse is under way), ``gd_lesions`` (the *expected* number of enhancing lesions),
``edss`` (continuous, 0-10) and ``treg_blood_fold``.  Definitions (sources in docs/trial.md):

* **Relapses**: a relapse is an onset, a 0 -> 1 transition of ``relapse`` on the daily grid; a period counts
  the onsets inside it (a relapse already under way when the period starts is not counted).  Annualized
  relapse rate = relapses / years followed.
* **MRI**: scans every ``mri_every_weeks`` from enrolment; the enrolment scan is the reference scan and is
  not counted (as FREEDOMS and most RRMS trials report on-study scans); each scan's Gd+ lesion count is a
  Poisson draw from the expected number (:func:`tregsim.trial.streams.lesion_counts`).
* **EDSS**: assessed at scheduled visits (every ``edss_every_weeks`` from the start of treatment, and at its
  end) and scored on the scale's steps (0, 1.0, 1.5, ..., 10; :func:`score_edss`).
* **12-week confirmed disability progression** (:func:`confirmed_progression`): an increase from the
  baseline score of >= 1.0 (baseline 0.5-5.5; >= 1.5 from 0; >= 0.5 above 5.5), at a visit and at every
  visit up to and including one at least 12 weeks later, which must not fall during a relapse; the event
  time is the first visit of the confirmed increase (days from the start of treatment), otherwise the patient
  is censored at the last visit.
* **EDSS change**: scored EDSS at the end of the period minus at its start.
* **Blood Treg fold**: blood Treg at the end of the period over their value at the start, each as measured:
  the model's level times a log-normal sampling-and-assay error of one blood sample (``treg_blood_sd_log``,
  drawn per sample from :func:`tregsim.trial.streams.measured_blood_treg`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tregsim.trial.design import Inclusion
from tregsim.trial.streams import lesion_counts, measured_blood_treg
from tregsim.trial.timeline import CONFIRMATION_DAYS, PRIOR_YEAR_DAYS, Timeline, week_label

#: The EDSS scale's scores: 0, then 1.0 to 10 in steps of 0.5 (Kurtzke 1983; there is no 0.5).
EDSS_SCALE = np.concatenate(([0.0], np.arange(1.0, 10.0 + 1e-9, 0.5)))

#: The observables a trial reads.
TRIAL_OBSERVABLES = ("relapse", "gd_lesions", "edss", "treg_blood_fold")


def score_edss(x: np.ndarray | float) -> np.ndarray:
    """Continuous EDSS to the nearest score of the scale (ties go to the lower score)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    dist = np.abs(x[:, None] - EDSS_SCALE[None, :])
    return EDSS_SCALE[np.argmin(dist + 1e-12 * np.arange(len(EDSS_SCALE)), axis=1)]


def cdp_threshold(baseline_score: float) -> float:
    """The EDSS increase that counts as progression from ``baseline_score``: 1.5 from 0, 1.0 up to 5.5,
    0.5 above 5.5."""
    if baseline_score <= 0.0:
        return 1.5
    return 1.0 if baseline_score <= 5.5 else 0.5


def relapse_onsets(t: np.ndarray, relapse: np.ndarray, after: float, until: float) -> np.ndarray:
    """Times (days) of relapse onsets (0 -> 1 transitions) in the window (after, until]."""
    r = np.asarray(relapse, dtype=float) >= 0.5
    rising = np.nonzero(~r[:-1] & r[1:])[0] + 1
    times = np.asarray(t, dtype=float)[rising]
    return times[(times > after + 1e-9) & (times <= until + 1e-9)]


def confirmed_progression(visit_days: np.ndarray, scores: np.ndarray, in_relapse: np.ndarray,
                          confirm_days: float = CONFIRMATION_DAYS) -> tuple[bool, float]:
    """12-week confirmed disability progression from the first visit's score.

    Arguments:
        visit_days: scheduled visit times (days), the baseline visit first.
        scores: EDSS scores at the visits (on the scale, :func:`score_edss`).
        in_relapse: whether a relapse is under way at each visit.
        confirm_days: the confirmation interval (84 days = 12 weeks).

    Returns:
        (event, time): whether progression was confirmed, and the days from the baseline visit to the first
        visit of the confirmed increase; without an event, the days to the last visit (censored).
    """
    days, scores = np.asarray(visit_days, float), np.asarray(scores, float)
    relapsing = np.asarray(in_relapse, bool)
    meets = scores - scores[0] >= cdp_threshold(float(scores[0])) - 1e-9
    for v in range(1, len(days)):
        if not meets[v]:
            continue
        later = np.nonzero(days - days[v] >= confirm_days - 1e-6)[0]
        if later.size == 0:
            break  # no visit left to confirm it
        c = int(later[0])
        if meets[v:c + 1].all() and not relapsing[c]:
            return True, float(days[v] - days[0])
    return False, float(days[-1] - days[0])


@dataclass(frozen=True)
class Trajectory:
    """One patient's trial observables on an output grid (simulation days)."""

    t: np.ndarray
    relapse: np.ndarray
    gd_lesions: np.ndarray
    edss: np.ndarray
    treg_blood_fold: np.ndarray

    @classmethod
    def from_observables(cls, t: np.ndarray, obs: dict[str, np.ndarray]) -> Trajectory:
        return cls(np.asarray(t, float), *(np.asarray(obs[n], float) for n in TRIAL_OBSERVABLES))

    def at(self, days: np.ndarray | float) -> np.ndarray:
        """Positions of ``days`` on this trajectory's grid (each must be a grid time)."""
        days = np.atleast_1d(np.asarray(days, dtype=float))
        pos = np.clip(np.searchsorted(self.t, days - 1e-7), 0, len(self.t) - 1)
        if not np.allclose(self.t[pos], days, atol=1e-6):
            raise ValueError(f"times {days} are not on the trajectory's grid")
        return pos

    def finite(self) -> bool:
        return all(np.isfinite(getattr(self, n)).all() for n in TRIAL_OBSERVABLES)


# --------------------------------------------------------------------------- screening (inclusion)


def screening_row(traj: Trajectory, timeline: Timeline, seed: int, replicate: int, candidate: int) -> dict[str, Any]:
    """What inclusion reads from a candidate's screening history (the trajectory up to enrolment).

    Keys: ``edss_screening`` (score at enrolment), ``gd_lesions_per_month`` (mean count over the monthly
    screening scans), ``relapses_prior_year`` (onsets in the 52 weeks before enrolment; NaN when the screening
    is shorter), ``days_since_relapse`` (days from the last day in relapse to enrolment; +inf when none was seen
    during screening).
    """
    s = timeline.enrolment
    edss = float(score_edss(traj.edss[traj.at(s)])[0])
    scans = timeline.screening_scans
    counts = lesion_counts(traj.gd_lesions[traj.at(scans)], scans, seed, replicate, candidate)
    prior = (float(relapse_onsets(traj.t, traj.relapse, s - PRIOR_YEAR_DAYS, s).size)
             if s >= PRIOR_YEAR_DAYS - 1e-9 else float("nan"))
    inside = traj.t <= s + 1e-9
    in_relapse = np.nonzero(traj.relapse[inside] >= 0.5)[0]
    since = float(s - traj.t[inside][in_relapse[-1]]) if in_relapse.size else float("inf")
    return {"edss_screening": edss, "gd_lesions_per_month": float(counts.mean()),
            "screening_scans": int(counts.size), "relapses_prior_year": prior, "days_since_relapse": since}


def eligible(row: dict[str, Any], inclusion: Inclusion) -> bool:
    """Whether a screening row meets every inclusion criterion."""
    inc = inclusion
    if inc.edss_min is not None and row["edss_screening"] < inc.edss_min - 1e-9:
        return False
    if inc.edss_max is not None and row["edss_screening"] > inc.edss_max + 1e-9:
        return False
    if inc.gd_lesions_per_month_min is not None and row["gd_lesions_per_month"] < inc.gd_lesions_per_month_min - 1e-9:
        return False
    if inc.relapses_prior_year_min is not None and not row["relapses_prior_year"] >= inc.relapses_prior_year_min:
        return False
    if inc.no_relapse_within_days is not None and not row["days_since_relapse"] > inc.no_relapse_within_days:
        return False
    return True


# --------------------------------------------------------------------------- treatment (and baseline) periods


def _period(traj: Trajectory, timeline: Timeline, start: float, end: float, scans: np.ndarray, seed: int,
            replicate: int, candidate: int, suffix: str, treg_sd_log: float) -> dict[str, Any]:
    """Relapses, lesions, EDSS change and Treg fold of one period [start, end] (simulation days); the blood
    Treg at both ends as measured (log-normal error ``treg_sd_log`` per sample)."""
    onsets = relapse_onsets(traj.t, traj.relapse, start, end)
    years = (end - start) / 365.25
    counts = lesion_counts(traj.gd_lesions[traj.at(scans)], scans, seed, replicate, candidate)
    i0, i1 = traj.at([start, end])
    e0, e1 = score_edss(traj.edss[[i0, i1]])
    row: dict[str, Any] = {
        f"relapses{suffix}": int(onsets.size), f"years{suffix}": years,
        f"annualized_relapse_rate{suffix}": onsets.size / years,
        f"scans{suffix}": int(counts.size), f"lesions{suffix}": int(counts.sum()),
        f"gd_lesions_per_scan{suffix}": float(counts.mean()) if counts.size else float("nan"),
        f"edss_start{suffix}": float(e0), f"edss_end{suffix}": float(e1), f"edss_change{suffix}": float(e1 - e0),
        f"edss_change_continuous{suffix}": float(traj.edss[i1] - traj.edss[i0]),
        f"treg_blood_fold{suffix}": float(np.divide(*measured_blood_treg(
            traj.treg_blood_fold[[i1, i0]], np.array([end, start]), treg_sd_log, seed, replicate, candidate))),
    }
    for d, c in zip(scans, counts):
        row[week_label("lesions", float(timeline.weeks(d)))] = int(c)
    return row


def patient_row(traj: Trajectory, timeline: Timeline, seed: int, replicate: int, candidate: int,
                treg_sd_log: float = 0.0) -> dict[str, Any]:
    """Every endpoint of one patient (the row of patients.parquet, without its identifiers).

    Treatment-period keys: ``relapses``, ``years``, ``annualized_relapse_rate``, ``scans``, ``lesions``,
    ``gd_lesions_per_scan``, ``edss_start`` (the baseline score), ``edss_end``, ``edss_change``,
    ``edss_change_continuous``, ``treg_blood_fold``, ``cdp_event``, ``cdp_days``, ``lesions_w<week>`` per scan
    (the enrolment scan as ``lesions_w0``) and ``edss_w<week>`` per visit.  With a baseline period the same
    keys with the suffix ``_baseline`` describe it.  ``treg_sd_log``: the log-normal measurement error of one
    blood Treg sample (the table's ``treg_blood_sd_log`` in a trial; 0 measures the model's level exactly).
    """
    row = _period(traj, timeline, timeline.treatment_start, timeline.treatment_end, timeline.treatment_scans, seed,
                  replicate, candidate, "", treg_sd_log)
    if timeline.treatment_start > timeline.enrolment + 1e-9:
        row.update(_period(traj, timeline, timeline.enrolment, timeline.treatment_start, timeline.baseline_scans,
                           seed, replicate, candidate, "_baseline", treg_sd_log))
    first = lesion_counts(traj.gd_lesions[traj.at(timeline.enrolment)], np.array([timeline.enrolment]), seed,
                          replicate, candidate)
    row[week_label("lesions", 0.0)] = int(first[0])
    pos = traj.at(timeline.visits)
    scores = score_edss(traj.edss[pos])
    event, days = confirmed_progression(timeline.visits, scores, traj.relapse[pos] >= 0.5)
    row["cdp_event"], row["cdp_days"] = bool(event), days
    for d, sc in zip(timeline.visits, scores):
        row[week_label("edss", float(timeline.weeks(d)))] = float(sc)
    return row
