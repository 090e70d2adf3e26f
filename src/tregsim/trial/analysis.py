"""A trial's analysis from its per-patient table: arm-level values and every comparison of the contract.

``patients`` is the per-patient table (one row per analysed patient: columns ``replicate``, ``arm``,
``arm_index``, ``patient`` and the endpoint columns of :func:`tregsim.trial.endpoints.patient_row`).

* parallel design: every treated arm against the control arm, per endpoint: ARR by the negative-binomial
  rate ratio, Gd+ lesions per scan by the NB GEE rate ratio over every on-study scan with the patient as
  cluster, 12-week CDP by the Cox hazard ratio, EDSS change and blood Treg fold by the difference of means;
* baseline_vs_treatment: every arm's treatment period against its patients' own baseline period
  (``"vs": "baseline"``): ARR and lesions by paired NB GEE rate ratios, EDSS change (per year, as the periods
  differ in length) and Treg fold by the mean within-patient difference.

A comparison that cannot be estimated (e.g. no relapse at all in either arm) is reported with NaN estimate,
CI and p-value (null in JSON) and the reason in its ``test``, never dropped.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tregsim.trial import statistics as st
from tregsim.trial.design import TrialProtocol
from tregsim.trial.timeline import Timeline, week_label

#: The direction of benefit of each endpoint (of the estimate against no effect: 1 for ratios, 0 for
#: differences).  A higher blood Treg fold is the mechanism's benefit.
BENEFIT: dict[str, str] = {"annualized_relapse_rate": "below", "gd_lesions_per_scan": "below", "cdp_12w": "below",
                           "edss_change": "below", "treg_blood_fold": "above"}
ALPHA = 0.05


def cluster_ids(patients: pd.DataFrame) -> np.ndarray:
    """One id per patient, unique across replicates and arms (the GEE cluster)."""
    return ((patients["replicate"].to_numpy(np.int64) * 100 + patients["arm_index"].to_numpy(np.int64))
            * 10_000_000 + patients["patient"].to_numpy(np.int64))


def scan_labels(timeline: Timeline, period: str = "treatment") -> list[str]:
    """The lesion columns of a period's counted scans (``lesions_w24`` ...)."""
    days = timeline.treatment_scans if period == "treatment" else timeline.baseline_scans
    return [week_label("lesions", float(w)) for w in timeline.weeks(days)]


def scans_long(patients: pd.DataFrame, labels: list[str], arm_label: str | None = None) -> pd.DataFrame:
    """One row per scan: ``patient`` (cluster id), ``arm`` (or ``arm_label``) and ``lesions``."""
    ids = cluster_ids(patients)
    arms = np.full(len(patients), arm_label, dtype=object) if arm_label else patients["arm"].to_numpy(object)
    counts = patients[labels].to_numpy(float)
    return pd.DataFrame({"patient": np.repeat(ids, len(labels)), "arm": np.repeat(arms, len(labels)),
                         "lesions": counts.reshape(-1)})


def _guarded(fit: Callable[[], st.Comparison], endpoint: str, arm: str, vs: str, test: str, n_arm: int,
             n_vs: int) -> st.Comparison:
    """Run one comparison; a failed or non-finite fit is reported as not estimable (NaN, with the reason)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            c = fit()
        except Exception as err:  # noqa: BLE001 - statsmodels/lifelines raise many kinds on degenerate data
            reason = f"{type(err).__name__}: {' '.join(str(err).split())[:120]}"
            return st.Comparison(endpoint, arm, vs, math.nan, math.nan, math.nan, math.nan,
                                 f"{test} (not estimable: {reason})", n_arm, n_vs)
    if not all(math.isfinite(x) for x in (c.estimate, c.ci_low, c.ci_high, c.p_value)):
        return st.Comparison(endpoint, arm, vs, math.nan, math.nan, math.nan, math.nan,
                             f"{c.test} (not estimable: non-finite fit)", c.n_arm, c.n_vs)
    return c


_TESTS = {"annualized_relapse_rate": "negative binomial rate ratio",
          "gd_lesions_per_scan": "negative binomial GEE rate ratio (patient as cluster)",
          "cdp_12w": "Cox proportional hazards ratio", "edss_change": "difference of means (OLS, HC3)",
          "treg_blood_fold": "difference of means (OLS, HC3)"}


def _no_events(events: np.ndarray) -> None:
    if not np.asarray(events, bool).any():
        raise ValueError("no progression event in either arm")


def compare_parallel(patients: pd.DataFrame, trial: TrialProtocol, timeline: Timeline, arm: str,
                     endpoints: list[str]) -> list[st.Comparison]:
    """``arm`` against the control arm, one comparison per endpoint."""
    control = trial.control_arm
    assert control is not None
    d = patients[patients["arm"].isin([arm, control])]
    a = d["arm"].to_numpy(object)
    n_arm, n_vs = int((a == arm).sum()), int((a == control).sum())
    fits: dict[str, Callable[[], st.Comparison]] = {
        "annualized_relapse_rate": lambda: st.relapse_rate_ratio(d["relapses"].to_numpy(), d["years"].to_numpy(),
                                                                 a, arm, control),
        "gd_lesions_per_scan": lambda: st.lesion_rate_ratio(scans_long(d, scan_labels(timeline)), arm, control),
        "cdp_12w": lambda: (_no_events(d["cdp_event"]), st.hazard_ratio(d["cdp_days"].to_numpy(),
                                                                         d["cdp_event"].to_numpy(), a, arm,
                                                                         control))[1],
        "edss_change": lambda: st.mean_difference(d["edss_change"].to_numpy(), a, arm, control, "edss_change"),
        "treg_blood_fold": lambda: st.mean_difference(d["treg_blood_fold"].to_numpy(), a, arm, control,
                                                      "treg_blood_fold"),
    }
    return [_guarded(fits[e], e, arm, control, _TESTS[e], n_arm, n_vs) for e in endpoints]


def compare_paired(patients: pd.DataFrame, timeline: Timeline, arm: str, endpoints: list[str]) -> list[st.Comparison]:
    """``arm``'s treatment period against its patients' own baseline period, one comparison per endpoint."""
    d = patients[patients["arm"] == arm]
    n = len(d)
    per_year_t = d["edss_change"].to_numpy(float) / d["years"].to_numpy(float)
    per_year_b = d["edss_change_baseline"].to_numpy(float) / d["years_baseline"].to_numpy(float)

    def lesions() -> st.Comparison:
        scans = pd.concat([scans_long(d, scan_labels(timeline), arm),
                           scans_long(d, scan_labels(timeline, "baseline"), "baseline")], ignore_index=True)
        return st.lesion_rate_ratio(scans, arm, "baseline")

    fits: dict[str, Callable[[], st.Comparison]] = {
        "annualized_relapse_rate": lambda: st.paired_rate_ratio(d["relapses"], d["years"], d["relapses_baseline"],
                                                                d["years_baseline"], arm),
        "gd_lesions_per_scan": lesions,
        "edss_change": lambda: st.paired_mean_difference(per_year_t, per_year_b, arm, "edss_change"),
        "treg_blood_fold": lambda: st.paired_mean_difference(d["treg_blood_fold"], d["treg_blood_fold_baseline"],
                                                             arm, "treg_blood_fold"),
    }
    tests = dict(_TESTS, edss_change="difference of means, paired (per year)",
                 treg_blood_fold="difference of means, paired")
    return [_guarded(fits[e], e, arm, "baseline", tests[e], n, n) for e in endpoints if e in fits]


def compare(patients: pd.DataFrame, trial: TrialProtocol, timeline: Timeline,
            arms: list[str] | None = None) -> list[st.Comparison]:
    """Every comparison of the design (each treated arm, each endpoint) on ``patients``."""
    endpoints = trial.endpoint_list
    out: list[st.Comparison] = []
    for arm in arms or trial.treated_arms:
        if trial.design == "parallel":
            out += compare_parallel(patients, trial, timeline, arm, endpoints)
        else:
            out += compare_paired(patients, timeline, arm, endpoints)
    return out


# --------------------------------------------------------------------------- arm-level values


def proportion_progressed(days: np.ndarray, events: np.ndarray, by_day: float) -> float:
    """Kaplan-Meier proportion with confirmed progression by ``by_day`` (1 - S(by_day))."""
    if len(days) == 0:
        return math.nan
    if not np.asarray(events, bool).any():
        return 0.0
    km = st.kaplan_meier(days, events)
    s = km.loc[km["time"] <= by_day + 1e-9, "survival"]
    return float(1.0 - s.iloc[-1]) if len(s) else 0.0


def period_values(d: pd.DataFrame, endpoints: list[str], suffix: str, follow_days: float) -> dict[str, Any]:
    """Arm-level values of one period: ARR = relapses / patient-years, lesions per scan = lesions / scans,
    cdp_12w = Kaplan-Meier proportion progressed by the end, EDSS change and Treg fold as means."""
    out: dict[str, Any] = {"n": int(len(d))}
    if not len(d):
        return out | {e: None for e in endpoints}
    values = {
        "annualized_relapse_rate": lambda: float(d[f"relapses{suffix}"].sum() / d[f"years{suffix}"].sum()),
        "gd_lesions_per_scan": lambda: float(d[f"lesions{suffix}"].sum() / d[f"scans{suffix}"].sum()),
        "cdp_12w": lambda: proportion_progressed(d["cdp_days"].to_numpy(), d["cdp_event"].to_numpy(), follow_days),
        "edss_change": lambda: float(d[f"edss_change{suffix}"].mean()),
        "treg_blood_fold": lambda: float(d[f"treg_blood_fold{suffix}"].mean()),
    }
    for e in endpoints:
        if e == "cdp_12w" and suffix:
            continue
        out[e] = values[e]()
    return out


def arm_values(patients: pd.DataFrame, trial: TrialProtocol, timeline: Timeline) -> dict[str, dict[str, Any]]:
    """``{arm: {"n": patients analysed, endpoint: value}}`` (treatment period)."""
    follow = timeline.treatment_end - timeline.treatment_start
    return {a.name: period_values(patients[patients["arm"] == a.name] if len(patients) else patients,
                                  trial.endpoint_list, "", follow) for a in trial.arms}


def baseline_values(patients: pd.DataFrame, trial: TrialProtocol, timeline: Timeline) -> dict[str, dict[str, Any]]:
    """The same for each arm's baseline period (baseline_vs_treatment)."""
    follow = timeline.treatment_start - timeline.enrolment
    return {a.name: period_values(patients[patients["arm"] == a.name] if len(patients) else patients,
                                  trial.endpoint_list, "_baseline", follow) for a in trial.arms}


def comparisons_frame(comparisons: list[st.Comparison], replicate: int) -> pd.DataFrame:
    rows = [c.to_dict() | {"replicate": replicate} for c in comparisons]
    return pd.DataFrame(rows)


def replicate_power(table: pd.DataFrame, arm: str, endpoint: str, alpha: float = ALPHA) -> float:
    """Share of replicates whose comparison of ``arm`` on ``endpoint`` has p < alpha in the direction of benefit."""
    rows = table[(table["arm"] == arm) & (table["endpoint"] == endpoint)]
    comps = [st.Comparison(r.endpoint, r.arm, r.vs, r.estimate, r.ci_low, r.ci_high,
                           r.p_value if math.isfinite(r.p_value) else 1.0, r.test, int(r.n_arm), int(r.n_vs))
             for r in rows.itertuples()]
    return st.power(comps, alpha, BENEFIT[endpoint])
