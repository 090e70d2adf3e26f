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


def band_figure(rows: list[dict], title: str = ""):
    """Targets against their bands on one axis: each row's value as a position in its band (0 = low, 1 =
    high), the fitted value as a filled dot and the fresh-patient value (if any) as an open circle; the band
    is the shaded strip.  ``rows``: dicts with ``id``, ``low``, ``high``, ``simulated`` and optionally
    ``fresh_patients`` (rows without a finite band or value are left out)."""
    keep = [r for r in rows if all(isinstance(r.get(k), (int, float)) and np.isfinite(r[k])
                                   for k in ("low", "high", "simulated")) and r["high"] > r["low"]]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(keep) + 1.2))
    ax.axvspan(0.0, 1.0, color="#d8ecd8", zorder=0, label="target band")
    for k, r in enumerate(keep):
        pos = (r["simulated"] - r["low"]) / (r["high"] - r["low"])
        ax.plot(pos, k, "o", color="#1f5fa8", zorder=3, label="fit" if k == 0 else None)
        fresh = r.get("fresh_patients")
        if isinstance(fresh, (int, float)) and np.isfinite(fresh):
            ax.plot((fresh - r["low"]) / (r["high"] - r["low"]), k, "o", mfc="none", color="#c0392b", zorder=3,
                    label="fresh patients" if k == 0 else None)
    ax.set_yticks(range(len(keep)), [f"{r['id']}  [{r['low']:g}, {r['high']:g}]" for r in keep], fontsize=8)
    ax.set_xlabel("position in the target band (0 = low edge, 1 = high edge)")
    lo = min([-0.5] + [line.get_xdata()[0] for line in ax.lines])
    hi = max([1.5] + [line.get_xdata()[0] for line in ax.lines])
    ax.set_xlim(lo - 0.1, hi + 0.1)
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout(pad=1.2)
    return fig
