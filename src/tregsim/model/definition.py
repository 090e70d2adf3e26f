"""The one definition of the tregsim model: states, inputs, assignments and rates.

Every back end (the scipy reference solver, later the batched engines) and every
exporter (SBML, PEtab) is generated from the tables in this module, so they
cannot drift apart.  Expressions are written in a small infix language that is
valid both as Python and as an SBML Level 3 formula: ``+ - * /``, parentheses
and ``pow(a, b)``.  Nothing else (no comparisons, no ``max``) so the same text
can be compiled for numpy, numba and libsbml.

Model units: time in **days**; cells in **cells**; IGF-1 amounts in **ug/kg**
body weight; volumes in **L/kg**; concentrations in **ng/mL** (= ug/L);
damage as **fractions** of the spinal-cord / CNS myelin (0-1).

Structure (docs/model.md explains it with sources; docs/equations.md is generated from this module):

* IGF-1 pharmacokinetics after Mizuno 2001: SC and IP depots with first-order
  absorption, free IGF-1 with saturable (Michaelis-Menten) elimination,
  reversible saturable binding to IGFBP-3 (capacity ``Bmax``), slow
  elimination of the bound complex, constant endogenous production.
* Immune core after Velez de Mendizabal 2011: resting and activated
  autoreactive Teff and Treg with Hill-type cross-regulation, extended with a
  CNS compartment joined by trafficking across the blood-brain barrier and a
  logistic carrying capacity on Teff proliferation.
* IGF1R pharmacodynamics: free IGF-1 raises Treg proliferation (Emax, Bilbao
  2014) and, under hypothesis ``treg_and_th17``, the Th17 share and so the
  pathogenicity of CNS effectors (DiToro 2020: IGF1R-AKT-mTOR favours Th17 over
  Treg); the latter changes no proliferation rate, so in-vitro Teff counts do not move.  Knockout switches remove the receptor
  effect, including that of endogenous IGF-1.
* Immunisation (mouse EAE): a bolus of primed resting Teff and an adjuvant effect (CFA and
  pertussis toxin) that raises the Treg level needed for suppression and decays at ``k_adj``.
* Damage: CNS Teff demyelinate (rate ~ (Teff_CNS / a_dam)^2, Velez), myelin is
  repaired or lost irreversibly (axon loss); Gd-enhancing lesions form in
  proportion to CNS Teff and stop enhancing after ``tau_gd``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """One state variable of the ODE system.

    Attributes:
        name: identifier (also the SBML species/parameter id).
        unit: model unit of the state.
        rate: right-hand side d(name)/dt as an expression (unit per day).
        description: what it is.
    """

    name: str
    unit: str
    rate: str
    description: str


@dataclass(frozen=True)
class Assignment:
    """A derived quantity, computed in order before the rates."""

    name: str
    expr: str
    unit: str
    description: str


#: Inputs that a dosing schedule sets piecewise-constant between events
#: (zero-order infusions).  They are parameters of the system, changed only at
#: segment boundaries, never inside the right-hand side.
INPUTS: tuple[tuple[str, str, str], ...] = (
    ("rate_igf1_sc", "ug/kg/day", "zero-order IGF-1 input into the SC depot (mini-pump), after bioavailability"),
    ("rate_igf1_ip", "ug/kg/day", "zero-order IGF-1 input into the IP depot"),
    ("rate_igf1_iv", "ug/kg/day", "zero-order IGF-1 input into plasma (IV infusion)"),
)

#: Switches set by the protocol (0 or 1).
SWITCHES: tuple[tuple[str, str], ...] = (
    ("ko_treg_igf1r", "1 removes the IGF1R effect on Treg (Foxp3-Cre Igf1r fl/fl)"),
    ("ko_teff_igf1r", "1 removes the IGF1R effect on Teff (with ko_treg_igf1r: pan-T-cell knockout)"),
)

ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment("c_free", "igf1_free / V_free", "ng/mL", "free plasma IGF-1"),
    Assignment("c_bound", "igf1_bound / V_bound", "ng/mL", "IGFBP-bound plasma IGF-1"),
    Assignment("binding", "kon * c_free * (Bmax * igfbp3_factor - c_bound) * V_bound - koff * igf1_bound", "ug/kg/day",
               "net association of free IGF-1 with IGFBP-3"),
    Assignment("elim_free", "Vmax_free * c_free / (Km_free + c_free) + CL_free * c_free", "ug/kg/day",
               "elimination of free IGF-1: saturable (receptor-mediated) plus linear (renal)"),
    Assignment("elim_bound", "k_bound * igf1_bound", "ug/kg/day", "elimination of IGFBP-bound IGF-1"),
    Assignment("occ_treg", "(1 - ko_treg_igf1r) * c_free / (EC50_treg + c_free)", "1",
               "IGF1R signalling in Treg (fraction of maximal)"),
    Assignment("occ_teff", "(1 - ko_teff_igf1r) * c_free / (EC50_teff + c_free)", "1",
               "IGF1R signalling in Teff (fraction of maximal)"),
    Assignment("aR_eff", "aR * (1 + Emax_treg * occ_treg)", "1/day", "Treg proliferation capacity"),
    Assignment("aE_eff", "aE * (1 + Emax_teff_prolif * occ_teff)", "1/day",
               "Teff proliferation capacity (IGF1R raises it only if Emax_teff_prolif > 0; 0 in both built-in hypotheses)"),
    Assignment("th17", "1 + Emax_teff * occ_teff", "1",
               "pathogenicity of CNS effectors relative to no IGF1R signalling (Th17 share, DiToro 2020)"),
    Assignment("kR_eff", "kR * (1 + adjuvant)", "cells",
               "Treg level for half-maximal suppression, raised while the immunisation adjuvant acts"),
    Assignment("supp_p", "pow(treg_periphery, h) / (pow(kR_eff, h) + pow(treg_periphery, h))", "1",
               "Treg suppression of Teff, periphery"),
    Assignment("supp_c", "pow(treg_cns, h) / (pow(kR_eff, h) + pow(treg_cns, h))", "1",
               "Treg suppression of Teff, CNS"),
    Assignment("stim_p", "pow(teff_periphery, h) / (pow(kE, h) + pow(teff_periphery, h))", "1",
               "Teff-driven Treg expansion, periphery"),
    Assignment("stim_c", "pow(teff_cns, h) / (pow(kE, h) + pow(teff_cns, h))", "1", "Teff-driven Treg expansion, CNS"),
    Assignment("entry_E", "k_in * teff_periphery", "cells/day", "Teff entering the CNS across the BBB"),
    Assignment("entry_R", "k_in * treg_periphery", "cells/day", "Treg entering the CNS across the BBB"),
    Assignment("intact", "1 - demyelinated - axon_loss", "1", "intact myelin fraction"),
)

STATES: tuple[State, ...] = (
    # --- IGF-1 pharmacokinetics -------------------------------------------------
    State("igf1_depot_sc", "ug/kg", "rate_igf1_sc - ka_sc * igf1_depot_sc", "IGF-1 in the subcutaneous depot"),
    State("igf1_depot_ip", "ug/kg", "rate_igf1_ip - ka_ip * igf1_depot_ip", "IGF-1 in the peritoneal depot"),
    State("igf1_free", "ug/kg",
          "ka_sc * igf1_depot_sc + ka_ip * igf1_depot_ip + rate_igf1_iv + ksyn - binding - elim_free",
          "free IGF-1 (amount per kg body weight)"),
    State("igf1_bound", "ug/kg", "binding - elim_bound", "IGFBP-bound IGF-1"),
    State("igf1_eliminated", "ug/kg", "elim_free + elim_bound",
          "cumulative IGF-1 eliminated (bookkeeping for mass balance)"),
    # --- immune core: periphery --------------------------------------------------
    State("teff_resting", "cells", "- delta * teff_resting - beta * teff_resting + eta * teff_periphery",
          "resting autoreactive Teff (lymphoid organs)"),
    State("treg_resting", "cells", "- delta * treg_resting - beta * treg_resting + eta * treg_periphery",
          "resting autoreactive Treg (lymphoid organs)"),
    State("teff_periphery", "cells",
          "delta * teff_resting - eta * teff_periphery"
          " + aE_eff * teff_periphery * (1 - supp_p) * (1 - teff_periphery / K_E)"
          " - gE * teff_periphery * supp_p - entry_E + k_out * teff_cns",
          "activated autoreactive Teff in lymphoid organs and blood"),
    State("treg_periphery", "cells",
          "delta * treg_resting - eta * treg_periphery + aR_eff * treg_periphery * stim_p"
          " - gR * treg_periphery - entry_R + k_out * treg_cns",
          "activated autoreactive Treg in lymphoid organs and blood"),
    # --- immune core: CNS ----------------------------------------------------------
    State("teff_cns", "cells",
          "entry_E - k_out * teff_cns - eta * teff_cns"
          " + aE_eff * teff_cns * (1 - supp_c) * (1 - teff_cns / K_E) - gE * teff_cns * supp_c",
          "activated autoreactive Teff in the CNS"),
    State("treg_cns", "cells",
          "entry_R - k_out * treg_cns - eta * treg_cns + aR_eff * treg_cns * stim_c - gR * treg_cns",
          "activated autoreactive Treg in the CNS"),
    # --- damage ------------------------------------------------------------------------
    State("demyelinated", "1", "d1 * pow(th17 * teff_cns / a_dam, 2) * intact - r_rem * demyelinated - d2 * demyelinated",
          "reversibly demyelinated fraction"),
    State("axon_loss", "1", "d2 * demyelinated", "irreversibly lost fraction (axon loss)"),
    State("adjuvant", "1", "- k_adj * adjuvant",
          "immunisation adjuvant effect (CFA + pertussis toxin) that makes Teff resist Treg suppression"),
    State("gd", "lesions", "k_gd * th17 * teff_cns / a_dam - gd / tau_gd",
          "expected number of gadolinium-enhancing lesions"),
)

STATE_NAMES: tuple[str, ...] = tuple(s.name for s in STATES)
STATE_INDEX: dict[str, int] = {n: i for i, n in enumerate(STATE_NAMES)}
INPUT_NAMES: tuple[str, ...] = tuple(n for n, _, _ in INPUTS)
SWITCH_NAMES: tuple[str, ...] = tuple(n for n, _ in SWITCHES)

#: Kinetic parameters every species table must define (model units).
KINETIC_PARAMETERS: tuple[str, ...] = (
    # PK
    "V_free", "V_bound", "Bmax", "igfbp3_factor", "kon", "koff", "Vmax_free", "Km_free", "CL_free", "k_bound", "ksyn",
    "ka_sc", "ka_ip", "F_sc", "F_ip",
    # PD
    "EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff", "Emax_teff_prolif",
    # immune core
    "delta", "beta", "eta", "aE", "aR", "gE", "gR", "kE", "kR", "h", "K_E", "k_in", "k_out",
    # damage
    "d1", "a_dam", "r_rem", "d2", "k_gd", "tau_gd",
    # immunisation
    "k_adj",
)

#: Parameter vector order used by generated code: kinetic, then inputs, then switches.
PARAMETER_ORDER: tuple[str, ...] = KINETIC_PARAMETERS + INPUT_NAMES + SWITCH_NAMES
PARAMETER_INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAMETER_ORDER)}

#: States holding IGF-1 inside the body (for mass balance).
IGF1_BODY_STATES: tuple[str, ...] = ("igf1_depot_sc", "igf1_depot_ip", "igf1_free", "igf1_bound")


def equations_markdown() -> str:
    """docs/equations.md: every assignment and rate of this module, as written here."""
    out = ["# tregsim equations", "",
           "Generated from `src/tregsim/model/definition.py` by `make docs`; do not edit by hand.",
           "Time in days; cells; IGF-1 amounts in ug/kg; concentrations in ng/mL.", "",
           "## Inputs (set piecewise by dosing schedules)", ""]
    out += [f"- `{n}` ({u}): {d}" for n, u, d in INPUTS]
    out += ["", "## Switches", ""] + [f"- `{n}`: {d}" for n, d in SWITCHES]
    out += ["", "## Assignments (in order)", "", "| name | expression | unit | meaning |", "|---|---|---|---|"]
    out += [f"| `{a.name}` | `{a.expr}` | {a.unit} | {a.description} |" for a in ASSIGNMENTS]
    out += ["", "## Rates", "", "| state | d/dt | unit | meaning |", "|---|---|---|---|"]
    out += [f"| `{s.name}` | `{s.rate}` | {s.unit} | {s.description} |" for s in STATES]
    return "\n".join(out) + "\n"
