"""The pharmacokinetics section of reports: curves, exposure against dose, targets, translation."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from tregsim.calibration.human_pk import target_results
from tregsim.pk.translation import HUMAN_REGIMENS, Regimen, human_exposure, regimen_timecourse
from tregsim.report.html import Report


def curves_figure(disease: str):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    for reg in HUMAN_REGIMENS:
        t, total, free = regimen_timecourse(reg, disease, days=4.0)
        axes[0].plot(t * 24, total, label=reg.name, lw=1.3)
        axes[1].plot(t * 24, free, label=reg.name, lw=1.3)
    for ax, what in zip(axes, ("total", "free")):
        ax.set_title(f"{what} plasma IGF-1, {disease} (ng/mL)", fontsize=9)
        ax.set_xlabel("hours from first dose")
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
    rep.heading("IGF-1 pharmacokinetics: fit to the human PK targets")
    rep.table(target_results(), ["id", "simulated", "low", "high", "pass", "unit", "source"])
    rep.text("Nonlinearity: free IGF-1 is cleared by a saturable pathway plus a small linear one, and binds to a "
             "saturable IGFBP capacity. Once total IGF-1 approaches that capacity, free IGF-1 rises steeply with "
             "dose: label-range doses are an extrapolation beyond the fitted data (a single 40 ug/kg dose and a "
             "75-min infusion), so free exposures there carry wide uncertainty.", note=True)
    rep.heading(f"Concentration-time curves ({disease})")
    rep.figure(curves_figure(disease), "first 4 days of each regimen; free IGF-1 on a log scale")
    rep.heading("Exposure against dose")
    rep.figure(exposure_figure(disease, translation["mouse_protective_free_cavg_ng_ml"]),
               "steady-state free IGF-1 against the SC twice-daily dose")
    rep.heading("From mouse to patient")
    rep.text(f"Protective mouse exposure: free IGF-1 {translation['mouse_protective_free_cavg_ng_ml']:.3g} ng/mL "
             f"(mean at steady state on the seed-study pump, {translation['mouse_pump_mg_kg_day']:g} mg/kg/day, an "
             f"assumed dose). Matching human regimen: {translation['matching_bid_mg_kg']:.3g} mg/kg SC twice daily "
             f"(hypoglycaemia risk index {translation['matching_bid_risk_index']:.2f}; label maximum "
             f"{translation['label_maximum_mg_kg_bid']:g} mg/kg twice daily = 1).")
    rep.table(translation["rows"], ["regimen", "mg_kg_day", "free_cmax_ng_ml", "free_ctrough_ng_ml",
                                    "free_auc24_ng_h_ml", "total_cmax_ng_ml", "ratio_to_mouse_protective",
                                    "hypoglycaemia_risk_index", "beyond_label"])
    rep.text("Risk index (assumption): steady-state peak free IGF-1 divided by its value at the label maximum "
             "(0.12 mg/kg twice daily), where the label reports hypoglycaemia in 42% of 71 children (5 severe).")
