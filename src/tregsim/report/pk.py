"""The pharmacokinetics section of reports: curves, exposure against dose, targets, translation."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from tregsim.calibration.human_pk import target_results, values_for, table_values
from tregsim.pk.studies import run_pk
from tregsim.pk.translation import HUMAN_REGIMENS, Regimen, human_exposure, regimen_timecourse
from tregsim.protocol import load_protocol
from tregsim.report.html import Report


def _course(name: str):
    proto = load_protocol(name)
    return run_pk(proto, values_for(table_values("human"))(proto))


def studies_figure():
    """The model's curves for the clinical studies of BRIEF 4b beside the published points (black)."""
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.2))
    ax = axes[0, 0]
    c = _course("human-pk-iv-bolus")
    ax.plot(c.t * 24, c.total, label="model total")
    ax.plot(c.t * 24, c.free, label="model free")
    ax.errorbar([0.25], [c.total[0] + 280], yerr=[56], fmt="ko", label="Guler 1987: total (baseline + 280)")
    ax.plot([0.25], [0.8 * (c.total[0] + 280)], "kv", label="Guler: 80% free")
    ax.set_title("IV bolus 100 ug/kg, healthy (ng/mL)", fontsize=9)
    ax.set_xlabel("hours")
    ax.legend(fontsize=6, frameon=False)
    ax = axes[0, 1]
    for name, free_fold, total_fold, col in (("human-pk-iv-infusion", 11.5, 1.4, "C0"),
                                            ("human-pk-iv-infusion-low", 1.41, 1.09, "C1")):
        c = _course(name)
        ax.plot(c.t * 1440, c.free / c.free[0], color=col, label=f"{name}: free fold")
        ax.plot(c.t * 1440, c.total / c.total[0], color=col, ls="--", label="total fold")
        ax.plot([75, 75], [free_fold, total_fold], "ko")
    ax.set_yscale("log")
    ax.set_title("Frystyk infusions 9 and 1.5 ug/kg/h (fold over baseline)", fontsize=9)
    ax.set_xlabel("minutes")
    ax.legend(fontsize=6, frameon=False)
    ax = axes[0, 2]
    c = _course("human-pk-ghd-40qd")
    ax.plot(c.t, c.total, label="model total")
    ax.plot(c.t, c.free, label="model free")
    ax.plot([3.5 / 24, 6 + 3.5 / 24], [190, 237], "ko", label="Thoren 1994: total peaks")
    ax.plot([0.0, 6.0], [22, 43], "ks", label="troughs")
    ax.plot([2.5 / 24, 6 + 2.5 / 24], [17, 20], "k^", label="free peaks")
    ax.set_title("adult GHD, 40 ug/kg SC daily (ng/mL)", fontsize=9)
    ax.set_xlabel("days")
    ax.legend(fontsize=6, frameon=False)
    ax = axes[1, 0]
    for name, rise, sd, col in (("human-pk-igfd-40qd", 111, 12, "C0"), ("human-pk-igfd-40bid", 150, 3, "C1")):
        c = _course(name)
        ax.plot(c.t, c.total - c.total[0], color=col, label=f"{name}")
        ax.errorbar([6.3], [rise], yerr=[sd], fmt="o", color="k")
    ax.set_title("GHRD, 40 ug/kg SC once/twice daily: rise of total (ng/mL)", fontsize=9)
    ax.set_xlabel("days (points: Grahnen 1993 maximum rise, day 7)")
    ax.legend(fontsize=6, frameon=False)
    ax = axes[1, 1]
    for name, label in (("human-pk-iv-bolus", "IV bolus 100 ug/kg"), ("human-glucose-iv-infusion-kerr", "0.7 ug/kg/min 2 h"),
                        ("human-glucose-iv-infusion-7h", "21.4 ug/kg/h 7 h")):
        c = _course(name)
        ax.plot(c.t * 24, c.glucose, label=label)
    ax.errorbar([0.5], [1.98], yerr=[0.44], fmt="ko", label="Guler 1987 nadir")
    ax.errorbar([1.5], [2.6], yerr=[0.32], fmt="ks", label="Kerr 1993 nadir")
    ax.axhspan(3.0, 4.6, xmin=0, xmax=0.6, color="grey", alpha=0.15, label="7-h infusion: no hypoglycaemia")
    ax.axhline(3.0, color="red", lw=0.8, ls=":")
    ax.set_title("blood glucose, healthy adults (mmol/L)", fontsize=9)
    ax.set_xlabel("hours")
    ax.legend(fontsize=6, frameon=False)
    ax = axes[1, 2]
    for name, label in (("mouse-glucose-litlit-30ug-once", "30 ug once (severe hypoglycaemia)"),
                        ("mouse-glucose-litlit-30ug-split4", "7.5 ug x 4 (none)")):
        proto = load_protocol(name)
        c = run_pk(proto, values_for(table_values("human"))(proto))
        ax.plot(c.t * 24, c.glucose, label=label)
    ax.axhline(3.0, color="red", lw=0.8, ls=":")
    ax.set_title("lit/lit mouse glucose (mmol/L)", fontsize=9)
    ax.set_xlabel("hours")
    ax.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return fig


def curves_figure(disease: str):
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    for reg in HUMAN_REGIMENS:
        t, total, free, glucose = regimen_timecourse(reg, disease, days=4.0)
        axes[2].plot(t * 24, glucose, label=reg.name, lw=1.3)
        axes[0].plot(t * 24, total, label=reg.name, lw=1.3)
        axes[1].plot(t * 24, free, label=reg.name, lw=1.3)
    for ax, what in zip(axes, ("total", "free")):
        ax.set_title(f"{what} plasma IGF-1, {disease} (ng/mL)", fontsize=9)
        ax.set_xlabel("hours from first dose")
    axes[2].axhline(3.0, color="red", lw=0.8, ls=":")
    axes[2].set_title(f"blood glucose, typical {disease} patient, fasting (mmol/L)", fontsize=9)
    axes[2].set_xlabel("hours from first dose")
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=6.5, frameon=False)
    fig.tight_layout()
    return fig


def exposure_figure(disease: str, mouse_cavg: float):
    doses = np.array([0.01, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.16])
    cavg = [human_exposure(Regimen("bid", d, 12.0), disease).free_cavg for d in doses]
    cmax = [human_exposure(Regimen("bid", d, 12.0), disease).free_cmax for d in doses]
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.plot(doses, cavg, "o-", label="free Cavg (steady state)")
    ax.plot(doses, cmax, "s--", label="free Cmax")
    ax.axhline(mouse_cavg, color="#2e7d32", ls=":", label="protective mouse exposure (free Cavg)")
    ax.axvspan(0.04, 0.12, color="grey", alpha=0.12, label="label range (BID)")
    ax.set_xlabel("dose per injection, SC twice daily (mg/kg)")
    ax.set_ylabel("free IGF-1 (ng/mL)")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def pk_section(rep: Report, translation: dict) -> None:
    """Append the PK section to ``rep``; ``translation`` is pk.translation.translation_table()."""
    disease = translation["disease"]
    rep.heading("IGF-1 pharmacokinetics and glucose: the clinical studies")
    rep.figure(studies_figure(), "model (lines) against the published measurements (black points; BRIEF 4b)")
    rep.table(target_results(), ["id", "simulated", "low", "high", "pass", "unit", "source"])
    rep.text("Structure: free IGF-1 binds IGFBP sites (IGFBP-3 with ALS) that IGF-II shares; in healthy adults the "
             "sites are nearly full, so a bolus that floods plasma stays largely free and is cleared in minutes, "
             "while slow SC absorption binds as sites turn over. Free IGF-1 is cleared linearly. Each target is "
             "checked through `tregsim simulate` on its built-in protocol (human-pk-*, human-glucose-*, "
             "mouse-glucose-*).", note=True)
    rep.heading(f"Concentration-time curves ({disease})")
    rep.figure(curves_figure(disease), "first 4 days of each regimen; free IGF-1 on a log scale")
    rep.heading("Exposure against dose")
    rep.figure(exposure_figure(disease, translation["mouse_protective_free_cavg_ng_ml"]),
               "steady-state free IGF-1 against the SC twice-daily dose")
    rep.heading("From mouse to patient")
    rep.text(f"Protective mouse exposure: free IGF-1 {translation['mouse_protective_free_cavg_ng_ml']:.3g} ng/mL "
             f"(mean at steady state on the seed-study pump, {translation['mouse_pump_mg_kg_day']:g} mg/kg/day, an "
             f"assumed dose); the mouse's glucose nadir on that pump is "
             f"{translation['mouse_pump_glucose_nadir_mmol_l']:.2f} mmol/L "
             f"({'tolerable' if translation['mouse_pump_tolerable'] else 'NOT tolerable: below 3.0 mmol/L'} by this "
             f"model). Matching human regimen: {translation['matching_bid_mg_kg']:.3g} mg/kg SC twice daily "
             f"(typical glucose nadir {translation['matching_bid_glucose_nadir_mmol_l']:.2f} mmol/L; "
             f"P(glucose < 3.0 mmol/L) {translation['matching_bid_p_glucose_below_3_mmol_l']:.2f} over "
             f"{translation['population_size']} virtual patients).")
    rep.table(translation["rows"], ["regimen", "mg_kg_day", "free_cmax_ng_ml", "free_ctrough_ng_ml",
                                    "free_auc24_ng_h_ml", "total_cmax_ng_ml", "ratio_to_mouse_protective",
                                    "glucose_nadir_mmol_l", "p_glucose_below_3_mmol_l", "p_glucose_below_3_9_mmol_l",
                                    "beyond_label"])
    rep.text("Glucose: nadir of a typical patient (fitted values) over 14 days; P(glucose < 3.0 mmol/L), ADA level 2, "
             "and P(< 3.9), level 1, over a virtual population with between-person variability of free IGF-1 "
             "clearance and volume, IGF-1 production, fasting glucose and IGF-1's glucose-lowering action "
             "(CVs with sources in tregsim.pk.population), fasting and without meals: the label advises dosing "
             "with meals, so these are upper estimates.", note=True)
