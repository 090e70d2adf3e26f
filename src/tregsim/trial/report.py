"""report.html of a trial: self-contained (inline CSS, figures as embedded PNG), opens offline.

Sections: the answer in numbers (arm values, comparisons with estimate, 95% CI and p), power and N for 80%
power (and assurance when scenarios were run), Kaplan-Meier curves of 12-week confirmed progression,
relapse-count and lesion-count distributions per arm, the power-versus-N curves, screening, failures and
the protocol.  Figures show replicate 0 (the trial as one would run it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tregsim.report.html import Report  # noqa: E402
from tregsim.trial.analysis import scan_labels  # noqa: E402
from tregsim.trial.statistics import kaplan_meier  # noqa: E402

if TYPE_CHECKING:
    from tregsim.trial.run import TrialResult

_LABELS = {"annualized_relapse_rate": "annualized relapse rate", "gd_lesions_per_scan": "Gd+ lesions per scan",
           "cdp_12w": "12-week confirmed progression", "edss_change": "EDSS change",
           "treg_blood_fold": "blood Treg fold"}


def km_figure(patients: pd.DataFrame, arms: list[str]):
    """Kaplan-Meier cumulative proportion with 12-week confirmed progression, per arm (weeks from the start
    of treatment), with 95% bands."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for arm in arms:
        d = patients[patients["arm"] == arm]
        if not len(d):
            continue
        km = kaplan_meier(d["cdp_days"].to_numpy(), d["cdp_event"].to_numpy())
        weeks = km["time"].to_numpy() / 7.0
        line = ax.step(weeks, 1 - km["survival"], where="post", label=f"{arm} (n={len(d)})", lw=1.6)[0]
        ax.fill_between(weeks, 1 - km["ci_low"], 1 - km["ci_high"], step="post", alpha=0.15, lw=0,
                        color=line.get_color())
    ax.set_xlabel("weeks from the start of treatment")
    ax.set_ylabel("proportion progressed (12-w confirmed)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _bars(ax, shares: dict[str, np.ndarray], labels: list[str]) -> None:
    width = 0.8 / max(1, len(shares))
    x = np.arange(len(labels))
    for i, (arm, s) in enumerate(shares.items()):
        ax.bar(x + (i - (len(shares) - 1) / 2) * width, s, width, label=arm)
    ax.set_xticks(x, labels)
    ax.legend(fontsize=8, frameon=False)


def distributions_figure(patients: pd.DataFrame, arms: list[str], lesion_columns: list[str], top: int = 6):
    """Share of patients by relapse count, and share of scans by Gd+ lesion count, per arm."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10.0, 3.4))
    labels = [str(i) for i in range(top)] + [f">={top}"]
    rel, les = {}, {}
    for arm in arms:
        d = patients[patients["arm"] == arm]
        if not len(d):
            continue
        r = np.minimum(d["relapses"].to_numpy(int), top)
        rel[arm] = np.bincount(r, minlength=top + 1) / len(r)
        if lesion_columns:
            c = np.minimum(d[lesion_columns].to_numpy(int).ravel(), top)
            les[arm] = np.bincount(c, minlength=top + 1) / len(c)
    _bars(a1, rel, labels)
    a1.set_xlabel("relapses during treatment")
    a1.set_ylabel("share of patients")
    _bars(a2, les, labels)
    a2.set_xlabel("Gd+ lesions on a scan")
    a2.set_ylabel("share of scans")
    fig.tight_layout()
    return fig


def power_figure(result: TrialResult):
    """Power against patients per arm, one panel per endpoint, one line per treated arm; 80% and the N for it
    marked; the replicate power at the simulated N as a point when there are replicates."""
    curves = result.curves
    endpoints = [e for e in result.protocol.endpoint_list if any(c.endpoint == e for c in curves)]
    ncols = min(3, max(1, len(endpoints)))
    nrows = int(math.ceil(len(endpoints) / ncols)) or 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.1 * nrows), squeeze=False)
    by_arm = result.summary.get("power_by_arm") or ({result.protocol.primary: result.summary["power"]}
                                                    if "power" in result.summary else {})
    n_sim = result.summary["patients_per_arm"]
    for ax, e in zip(axes.flat, endpoints):
        if not any(np.isfinite(c.power).any() for c in curves if c.endpoint == e):
            ax.text(0.5, 0.5, "not estimable\n(see the comparisons)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=8, color="#666")
        for c in (c for c in curves if c.endpoint == e):
            line = ax.plot(c.n, c.power, lw=1.6, label=c.arm)[0]
            if c.n_for_80 is not None:
                ax.axvline(c.n_for_80, color=line.get_color(), lw=0.8, ls=":")
            p = (by_arm.get(c.arm) or {}).get(e)
            if p is not None:
                ax.plot([n_sim], [p], "o", color=line.get_color(), ms=5)
            a = ((result.summary.get("assurance_curve") or {}).get(c.arm) or {}).get(e)
            if a is not None:
                ax.plot(a["n"], a["assurance"], lw=1.4, ls="--", color=line.get_color(), label=f"{c.arm}: assurance")
        ax.axhline(0.8, color="#888", lw=0.8, ls="--")
        ns = [n for c in curves if c.endpoint == e for n in c.n] + [n_sim]
        ax.set_xscale("log")
        ax.set_xlim(max(1.0, min(ns) / 1.2), max(ns) * 1.2)  # explicit: a panel may have no finite curve
        ax.set_ylim(0, 1.02)
        ax.set_title(_LABELS.get(e, e), fontsize=9)
        ax.set_xlabel("patients per arm", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(endpoints):]:
        ax.set_visible(False)
    axes.flat[0].set_ylabel("power (p < 0.05, benefit)")
    axes.flat[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def dose_response_figure(curve: pd.DataFrame):
    """The population's relapse rate, relative to untreated, against the Treg proliferation multiplier and
    against the IGF-1 dose (:func:`tregsim.trial.population.relapse_rate_curve`): one panel per kind, each
    point the same patients and triggers."""
    kinds = list(dict.fromkeys(curve["kind"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.2 * len(kinds), 3.1), squeeze=False)
    for ax, kind in zip(axes.flat, kinds):
        grp = curve[curve["kind"] == kind]
        ax.plot(grp["x"], grp["rate_ratio"], "o-", lw=1.6, ms=4)
        ax.axhline(1.0, color="#888", lw=0.8, ls="--")
        ax.set_ylim(0, max(1.3, float(np.nanmax(grp["rate_ratio"])) * 1.05))
        ax.set_xlabel(kind, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].set_ylabel("relapse rate / untreated", fontsize=8)
    fig.tight_layout()
    return fig


def _fmt(x: Any) -> Any:
    return x if not isinstance(x, float) or math.isfinite(x) else None


def trial_report(result: TrialResult, path: str | Path) -> Path:
    """Write report.html for ``result``."""
    s, trial = result.summary, result.protocol
    arms = [a.name for a in trial.arms]
    rep = Report(f"tregsim trial: {trial.name or 'trial'}",
                 f"{trial.design}, {s['patients_per_arm']} patients per arm, {len(arms)} arms, "
                 f"{trial.treatment_weeks:g} weeks of treatment, {s['replicates']} replicate(s), seed {s['seed']}, "
                 f"hypothesis {s['hypothesis']}, population {s['population']['class']}")
    if s["population"]["class"] == "TablePopulation":
        rep.text("Population: every patient has the parameter table's values; patients differ only in their "
                 "random immune triggers. This is not a calibrated virtual population: effects and N are those of "
                 "one parameter set.", note=True)
    if trial.pairing == "matched":
        rep.text("Pairing: matched, the same virtual patients in every arm. The parallel-design tests assume "
                 "independent arms, so p-values and power here do not describe a real parallel trial.", note=True)
    rep.heading("Arms (replicate 0)")
    eps = trial.endpoint_list
    rep.table([{"arm": a, **{k: _fmt(v) for k, v in s["arms"][a].items()}} for a in arms], ["arm", "n", *eps])
    if "baseline" in s:
        rep.text("Baseline period of the same patients:")
        rep.table([{"arm": a, **{k: _fmt(v) for k, v in s["baseline"][a].items()}} for a in arms],
                  ["arm", "n", *[e for e in eps if e != "cdp_12w"]])
    rep.heading("Comparisons (replicate 0)")
    rep.table([{k: _fmt(v) for k, v in c.items()} for c in s["comparisons"]],
              ["endpoint", "arm", "vs", "estimate", "ci_low", "ci_high", "p_value", "test", "n_arm", "n_vs"])
    rep.heading("Power and patients needed")
    rows = []
    for arm in trial.treated_arms:
        for e in eps:
            row = {"arm": arm, "endpoint": e,
                   "n_for_80_power": (s.get("n_for_80_power_by_arm") or {arm: s["n_for_80_power"]}).get(arm, {}).get(e)}
            if "power" in s:
                row["power"] = (s.get("power_by_arm") or {trial.primary: s["power"]}).get(arm, {}).get(e)
            if "assurance" in s:
                row["assurance"] = (s.get("assurance_by_arm") or {trial.primary: s["assurance"]}).get(arm, {}).get(e)
            rows.append(row)
    rep.table(rows)
    rep.text("Power: share of replicates with p < 0.05 in the direction of benefit. N for 80% power: from the "
             "endpoint's test fitted on all simulated patients pooled, its standard error scaled as 1/sqrt(N) "
             "(docs/trial.md).")
    if "assurance" in s:
        w = s.get("assurance_hypothesis_weights") or {}
        se = s.get("assurance_se") or {}
        rep.text(f"Assurance ({s.get('assurance_draws')} draws; Monte Carlo standard error "
                 + ", ".join(f"{e} {v:.2f}" for e, v in se.items() if v is not None) + "): "
                 + (s.get("assurance_rule") or "") + ". Hypothesis weights from the mouse data: "
                 + ", ".join(f"{h} {d['weight']:.3g} (chi2 {d['mouse_chi2']:.1f})" for h, d in w.items()) + ".")
        params = s.get("assurance_parameters") or {}
        rep.table([{"hypothesis": h, **u} for h, us in params.items() for u in us],
                  ["hypothesis", "name", "value", "sd_log", "low", "high", "unit", "why"])
    patients = result.patients(0)
    if len(patients):
        rep.heading("Power against patients per arm")
        rep.figure(power_figure(result), "lines: power at the point estimate (the scaling method); dashed: assurance "
                                         "(expected power over the assurance draws), when run; dotted: N for 80% "
                                         "power; points: power over the simulated replicates")
        if "cdp_12w" in eps:
            rep.heading("12-week confirmed disability progression")
            rep.figure(km_figure(patients, arms), "Kaplan-Meier cumulative proportion progressed, 95% band")
        rep.heading("Relapses and Gd+ lesions")
        rep.figure(distributions_figure(patients, arms, scan_labels(result.timeline)),
                   "relapse counts per patient and lesion counts per on-study scan")
    rep.heading("Screening")
    sc = s["screening"]
    rep.table([{"candidates screened": sc["candidates_screened"], "enrolled": sc["enrolled"],
                "screen failure rate": sc["screen_failure_rate"], "inclusion": json.dumps(sc["inclusion"])}])
    if s["failures"]:
        rep.heading("Solver failures")
        rep.text(f"{len(s['failures'])} patient(s) failed to solve and are not analysed; each is listed with the "
                 "seed that reproduces it.", note=True)
        rep.table(s["failures"][:200])
    rep.heading("Protocol")
    rep.table([{"field": k, "value": json.dumps(v) if isinstance(v, (list, dict)) else v}
               for k, v in trial.model_dump(mode="json", exclude_none=True).items()])
    return rep.write(Path(path))
