"""Keep the mouse EAE fit's pharmacodynamics when the IGF-1 PK changes (a documented re-expression, not a fit).

The mouse EAE data pin down what IGF1R signalling does to T cells at two exposures: the endogenous free
IGF-1 level and the level on Bilbao 2014's mini-pump (assumed 1 mg/kg/day SC).  What the fit determined is
therefore the Treg proliferation capacity at those two levels (and, under ``treg_and_th17``, the Th17
pathogenicity factor), not ``aR`` and ``Emax_treg`` by themselves.  When the PK is revised the two free
levels move, so the shipped mouse fit is *re-expressed*: ``aR`` (the capacity without IGF1R signalling, as
in the knockouts) is kept, and ``Emax_treg`` and ``EC50_treg`` are solved so that

    aR (1 + Emax_treg o(c0)) = r0   and   aR (1 + Emax_treg o(cp)) = rp,   o(c) = c / (EC50_treg + c),

and likewise ``Emax_teff`` and ``EC50_teff`` so that ``Emax_teff c / (EC50_teff + c)`` keeps its two values.
(The knockouts' capacity must be kept too: the model is steep in ``aR``, and a 1% lower ``aR`` turns
DiToro's pan-T-cell knockout from milder to worse than wild type.)
The anchors (:func:`anchors`) are computed from the table being replaced (the shipped mouse EAE fit,
under the PK it was fitted with), so that re-expressing for an unchanged PK changes nothing.  The rows
written say "re-expressed"; a mouse EAE fit (``tregsim calibrate --only mouse_eae``, which
``tregsim calibrate`` runs right after) replaces them.
"""

from __future__ import annotations

import numpy as np

#: The mini-pump of Bilbao 2014 as the fit assumed it (ug/kg/day, SC).
PUMP_UG_KG_DAY = 1000.0
#: The scope of each hypothesis' rows in the mouse table.
SCOPE = {"treg_and_th17": "base", "treg_only": "hypothesis:treg_only"}
SOURCE = ("mouse EAE fit re-expressed for the current IGF-1 PK (calibration/mouse_anchor.py): Treg proliferation "
          "and Th17 pathogenicity at the endogenous and the pump's free IGF-1 kept as fitted, EC50_treg kept; "
          "not refitted (docs/model.md section 5)")


def free_levels(values: dict[str, float]) -> tuple[float, float]:
    """Endogenous and pump steady-state free IGF-1 (ng/mL) of a mouse parameter set."""
    from tregsim.calibration.human_pk import concentrations
    from tregsim.schedule import Infusion, Schedule

    sched = Schedule(infusions=[Infusion(0.0, 28.0, "rate_igf1_sc", PUMP_UG_KG_DAY * values["F_sc"])])
    _, free = concentrations(values, sched, np.array([0.0, 14.0]))
    return float(free[0]), float(free[1])


def _emax_ec50(c0: float, cp: float, u0: float, up: float) -> tuple[float, float]:
    """(E, K) with E c0 / (K + c0) = u0 and E cp / (K + cp) = up."""
    k = c0 * cp * (up - u0) / (u0 * cp - up * c0)
    return u0 * (k + c0) / c0, k


def anchors(values: dict[str, float]) -> dict[str, float]:
    """Treg proliferation capacity (1/day) without IGF1R signalling (rz), at the endogenous (r0) and pump (rp)
    free IGF-1 levels, and the Th17 pathogenicity increment at them (t0, tp), of a mouse parameter set."""
    c0, cp = free_levels(values)
    cap = lambda c: values["aR"] * (1.0 + values["Emax_treg"] * c / (values["EC50_treg"] + c))  # noqa: E731
    th = lambda c: values["Emax_teff"] * c / (values["EC50_teff"] + c)  # noqa: E731
    return {"rz": values["aR"], "r0": cap(c0), "rp": cap(cp), "t0": th(c0), "tp": th(cp)}


def _hypothesis_values(rows: list, hypothesis: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for sc in ("base", "disease:eae_mog35_55", f"hypothesis:{hypothesis}",
               f"hypothesis:{hypothesis}+disease:eae_mog35_55"):  # the tables' scope order, last wins
        values.update({r.name: r.value for r in rows if r.scope == sc})
    return values


def reexpressed(values: dict[str, float], hypothesis: str, a: dict[str, float]) -> dict[str, float]:
    """aR, Emax_treg, EC50_treg (and Emax_teff, EC50_teff where the hypothesis has a Teff effect) for
    ``values``' PK, keeping the anchors ``a`` (:func:`anchors` of the fit being re-expressed)."""
    c0, cp = free_levels(values)
    emax, k = _emax_ec50(c0, cp, a["r0"] / a["rz"] - 1.0, a["rp"] / a["rz"] - 1.0)
    out = {"aR": a["rz"], "Emax_treg": emax, "EC50_treg": k}
    if a["t0"] > 0:
        et, kt = _emax_ec50(c0, cp, a["t0"], a["tp"])
        out.update({"EC50_teff": kt, "Emax_teff": et})
    return out


def reexpress_rows(rows: list, fitted: list | None = None) -> list:
    """The mouse table rows with each hypothesis' PD rows re-expressed for the PK in ``rows``, keeping the
    anchors of ``fitted`` (default: the mouse table in use, i.e. the shipped fit under the shipped PK)."""
    from dataclasses import replace

    from tregsim.model.parameters import load_table

    fitted = list(load_table("mouse")) if fitted is None else fitted
    out = list(rows)
    for hypothesis, scope in SCOPE.items():
        new = reexpressed(_hypothesis_values(out, hypothesis), hypothesis,
                          anchors(_hypothesis_values(fitted, hypothesis)))
        for i, r in enumerate(out):
            if r.name in new and r.scope == scope:
                out[i] = replace(r, value=float(f"{new[r.name]:.6g}"), source=SOURCE + "; prior: " +
                                 r.source.split("prior: ", 1)[-1] if "prior: " in r.source else SOURCE)
    for r in out:
        r.check()
    return out


#: The human IGF1R pharmacodynamics are the mouse fit's (rhIGF-1 is the human protein; same receptor
#: pharmacology; no human in-vivo data): per hypothesis scope, these rows are copied.
HUMAN_PD = ("EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff")
HUMAN_PD_SOURCE = ("assumption: equal to the mouse EAE fit (rhIGF-1 is the human protein; same receptor "
                   "pharmacology); no human in-vivo data")


def human_pd_rows(human: list, mouse: list) -> list:
    """The human table with its IGF1R PD rows set to the mouse table's, scope by scope (base and each
    hypothesis); rows the mouse table has and the human one lacks are added after the human base row."""
    from dataclasses import replace

    out = list(human)
    for m in mouse:
        if m.name not in HUMAN_PD or not (m.scope == "base" or m.scope.startswith("hypothesis:")):
            continue
        idx = next((i for i, r in enumerate(out) if r.name == m.name and r.scope == m.scope), None)
        if idx is not None:
            if out[idx].mark == "U":
                out[idx] = replace(out[idx], value=m.value, prior=m.value)
            continue
        base = next(i for i, r in enumerate(out) if r.name == m.name and r.scope == "base")
        out.insert(base + 1, replace(out[base], scope=m.scope, value=m.value, prior=m.value, source=HUMAN_PD_SOURCE))
    for r in out:
        r.check()
    return out
