"""Figures for reports and ``SimulationResult.plot`` (matplotlib, Agg back end)."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tregsim.model.observables import OBSERVABLES  # noqa: E402

if TYPE_CHECKING:
    from tregsim.simulate import SimulationResult

DEFAULT_MOUSE = ["clinical_score", "alive", "teff_cns", "treg_cns", "igf1_free_ng_ml", "myelin_intact"]
DEFAULT_HUMAN = ["edss", "gd_lesions", "teff_cns", "treg_cns", "igf1_total_ng_ml", "igf1_free_ng_ml"]
#: Human panels by the drugs a protocol gives: the disease readouts and blood Treg, then each drug's exposure
#: (an IL-2-only protocol shows IL-2 and CD25, not a flat endogenous IGF-1).
HUMAN_DISEASE = ["edss", "gd_lesions", "teff_cns", "treg_cns", "treg_blood_fold"]
HUMAN_DRUG = {"igf1": ["igf1_free_ng_ml", "glucose_mmol_l"], "il2": ["il2_ng_ml", "treg_cd25_fold"]}


def default_observables(protocol) -> list[str]:
    """The panels of a result's figure: fixed for mice; for humans the disease readouts and the exposure of the
    drugs the protocol gives (IGF-1 total and free when it gives none)."""
    if protocol.species == "mouse":
        return DEFAULT_MOUSE
    drugs = [d for d in HUMAN_DRUG if any(r.drug == d for r in protocol.regimens)]
    if not drugs:
        return DEFAULT_HUMAN
    return HUMAN_DISEASE + [o for d in drugs for o in HUMAN_DRUG[d]]


def _label(name: str) -> str:
    unit = OBSERVABLES[name][0]
    return f"{name} ({unit})" if unit not in ("1", "score") else name


def timecourse_figure(result: SimulationResult, observables: list[str] | None = None):
    """Mean over subjects with a 10-90 % band, one panel per observable."""
    return compare_figure({"": result}, observables)


def compare_figure(results: dict[str, SimulationResult], observables: list[str] | None = None, ncols: int = 3):
    """Overlay several results (arms) panel by panel: mean line, 10-90 % band across subjects."""
    first = next(iter(results.values()))
    if observables is None:
        observables = default_observables(first.protocol)
    observables = [o for o in observables if o in first.data]
    nrows = int(np.ceil(len(observables) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, observables):
        for label, res in results.items():
            da = res.data[name]
            t = da["time_day"].values
            ax.plot(t, da.mean("subject").values, label=label or None, lw=1.6)
            if da.sizes["subject"] > 1:
                lo, hi = np.nanpercentile(da.values, [10, 90], axis=0)
                ax.fill_between(t, lo, hi, alpha=0.18, lw=0)
        ax.set_title(_label(name), fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
        if name.startswith(("teff", "treg")) and np.nanmax(first.data[name].values) > 1e4:
            ax.set_yscale("symlog", linthresh=100)
        else:
            ax.ticklabel_format(axis="y", useOffset=False)  # a flat curve reads as its value, not "1e-13 + x"
    for ax in list(axes.flat)[len(observables):]:
        ax.set_visible(False)
    if any(results):
        axes.flat[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def to_data_uri(fig) -> str:
    """A PNG data URI of ``fig`` (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
