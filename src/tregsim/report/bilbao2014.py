"""report.html of ``tregsim reproduce bilbao2014``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np

from tregsim.model.parameters import load_table
from tregsim.report.html import Report

if TYPE_CHECKING:
    from tregsim.experiments.bilbao2014 import Cohort
    from tregsim.experiments.reproduce import ReproduceResult

PANELS = (
    ("Wild type: vehicle, IGF-1 from immunisation, IGF-1 after onset",
     ("eae_vehicle", "eae_igf1", "eae_igf1_post_onset")),
    ("Treg-specific IGF1R knockout (Bilbao 2014)", ("eae_vehicle_treg_igf1r_ko", "eae_igf1_treg_igf1r_ko")),
    ("Pan-T-cell IGF1R knockout (DiToro 2020)", ("eae_vehicle", "eae_vehicle_pan_t_igf1r_ko", "eae_igf1_pan_t_igf1r_ko")),
    ("Severe EAE (Bilbao 2014: survival < 50% vehicle, > 80% IGF-1)", ("eae_severe_vehicle", "eae_severe_igf1")),
)


def _sem(x: np.ndarray) -> np.ndarray:
    return x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]) if x.shape[0] > 1 else np.zeros(x.shape[1])


def score_figure(cohorts: dict[str, Cohort]):
    fig, axes = plt.subplots(1, len(PANELS), figsize=(17, 3.6), sharey=True)
    for ax, (title, ids) in zip(axes, PANELS):
        for eid in ids:
            c = cohorts[eid]
            s = c.obs["clinical_score"]
            m, e = s.mean(axis=0), _sem(s)
            ax.plot(c.t, m, label=eid, lw=1.6)
            ax.fill_between(c.t, m - e, m + e, alpha=0.2, lw=0)
        ax.set_title(title, fontsize=8.5)
        ax.set_xlabel("day after immunisation", fontsize=8)
        ax.legend(fontsize=6.5, frameon=False)
        ax.set_ylim(0, 5.1)
    axes[0].set_ylabel("clinical score (mean ± SEM)")
    fig.tight_layout()
    return fig


def survival_figure(cohorts: dict[str, Cohort]):
    """Kaplan-Meier curves (lifelines) of death (score 5) per arm, with 95 % bands."""
    from lifelines import KaplanMeierFitter

    ids = ("eae_severe_vehicle", "eae_severe_igf1", "eae_vehicle", "eae_igf1")
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for eid in ids:
        c = cohorts[eid]
        alive = c.obs["alive"]
        dead = alive[:, -1] == 0
        t_death = np.where(dead, c.t[np.argmax(alive == 0, axis=1)], c.t[-1])
        kmf = KaplanMeierFitter(label=eid).fit(t_death, event_observed=dead)
        kmf.plot_survival_function(ax=ax, ci_show=True, lw=1.5)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("day after immunisation")
    ax.set_ylabel("survival")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def cns_figure(cohorts: dict[str, Cohort]):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    for ax, name in zip(axes, ("treg_cns", "teff_cns")):
        for eid in ("eae_vehicle", "eae_igf1", "eae_vehicle_treg_igf1r_ko", "eae_igf1_treg_igf1r_ko"):
            c = cohorts[eid]
            ax.plot(c.t, c.obs[name].mean(axis=0), label=eid, lw=1.4)
        ax.set_yscale("log")
        ax.set_title(f"{name} (cells, mean over animals)", fontsize=9)
        ax.set_xlabel("day after immunisation")
        ax.legend(fontsize=6.5, frameon=False)
    fig.tight_layout()
    return fig


def in_vitro_figure(experiments: dict):
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.3), sharey=True)
    for ax, key in zip(axes, ("in_vitro_mouse", "in_vitro_human")):
        d = experiments[key]
        c = np.asarray(d["concentrations_ng_ml"])
        x = np.where(c > 0, c, 0.3)
        ax.plot(x, d["treg_fold_curve"], "o-", label="Treg")
        ax.plot(x, d["teff_fold_curve"], "s--", label="Teff")
        ax.axhline(1.2, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(f"{key}: {d['culture_days']:g}-day culture", fontsize=9)
        ax.set_xlabel("rhIGF-1 (ng/mL; 0 plotted at 0.3)")
        ax.legend(fontsize=7, frameon=False)
    axes[0].set_ylabel("cells vs no IGF-1 (fold)")
    fig.tight_layout()
    return fig


def knockout_figure(cohorts: dict[str, Cohort]):
    ids = ("eae_vehicle", "eae_igf1", "eae_vehicle_treg_igf1r_ko", "eae_igf1_treg_igf1r_ko",
           "eae_vehicle_pan_t_igf1r_ko", "eae_igf1_pan_t_igf1r_ko")
    peaks = [cohorts[i].obs["clinical_score"].max(axis=1) for i in ids]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.bar(range(len(ids)), [p.mean() for p in peaks], yerr=[p.std(ddof=1) / np.sqrt(len(p)) for p in peaks],
           color=["#7a8794", "#2e7d32"] * 3, capsize=3)
    ax.set_xticks(range(len(ids)))
    ax.set_xticklabels([i.replace("eae_", "").replace("_igf1r_ko", " KO") for i in ids], rotation=20, fontsize=7.5)
    ax.set_ylabel("peak score (mean ± SEM)")
    fig.tight_layout()
    return fig


def parameter_rows() -> list[dict]:
    return [{"name": r.name, "scope": r.scope, "value": r.value, "unit": r.unit, "bounds": f"{r.low:.3g}-{r.high:.3g}",
             "mark": r.mark, "source": r.source} for r in load_table("mouse")]


def reproduce_report(result: ReproduceResult, path: Path) -> Path:
    h = result.default_hypothesis
    cohorts = result.cohorts[h]
    ex = result.experiments[h]
    summ = result.summary()["hypotheses"]
    rep = Report("tregsim reproduce bilbao2014",
                 f"Bilbao et al. 2014 (EMBO Mol Med 6:1423) in silico, with DiToro 2020 and Lovett-Racke 1998; "
                 f"{result.animals} seeded animals per arm, seed {result.seed}; default hypothesis {h}")
    met = summ[h]
    verdict = ("meets every mouse target and check" if met["all_met"] else
               f"misses {len(met['missed'])}: {', '.join(met['missed'])}")
    rep.text(f"Default hypothesis {h} {verdict} ({met['targets_met']}/{met['targets_total']} targets, "
             f"{met['checks_met']}/{met['checks_total']} checks).", note=not met["all_met"])
    rep.text("Assumed design constants (not in tregsim's sources): pump dose 1 mg/kg/day for 28 days; post-onset "
             "pump from day 14; 3-day cultures; in-vitro fold reported at 100 ng/mL.", note=True)
    rep.heading("Clinical score over time")
    rep.figure(score_figure(cohorts), "mean clinical score ± SEM per arm")
    rep.heading("Survival")
    rep.figure(survival_figure(cohorts), "Kaplan-Meier survival (lifelines), 95 % bands; death = score 5")
    rep.heading("CNS Treg and Teff")
    rep.figure(cns_figure(cohorts), "mean CNS (spinal cord and brain) autoreactive T cells")
    rep.heading("In vitro: rhIGF-1 dose-response")
    rep.figure(in_vitro_figure(ex), "Treg and Teff fold over no IGF-1 after culture")
    rep.heading("Knockouts")
    rep.figure(knockout_figure(cohorts), "peak clinical score per arm")
    rep.heading("Targets (targets.csv, mouse rows)")
    rep.table(result.targets(), ["id", "simulated", "low", "high", "pass", "unit", "source"])
    rep.heading("Further checks of the seed study's claims")
    rep.table(result.checks(), ["check", "simulated", "low", "high", "pass"])
    rep.heading("Hypotheses: which targets each meets")
    cols = ["target"] + [c for hh in result.experiments for c in (hh, f"{hh} value")]
    rep.table(result.hypothesis_table(), cols)
    rep.heading("Experiments (default hypothesis)")
    rows = [{"experiment": k, **{m: v for m, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}}
            for k, d in ex.items() if k.startswith("eae_")]
    rep.table(rows, ["experiment", "incidence", "onset_day_mean", "peak_score_mean", "peak_day", "survival",
                     "course_days", "treg_cns_max", "teff_cns_max"])
    rep.heading("Mouse parameters and their sources")
    rep.table(parameter_rows())
    return rep.write(path)
