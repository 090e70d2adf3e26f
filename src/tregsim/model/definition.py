"""The one definition of the tregsim model: states, inputs, assignments and rates.

Every back end (the scipy reference solver, later the batched engines) and every
exporter (SBML, PEtab) is generated from the tables in this module, so they
cannot drift apart.  Expressions are written in a small infix language that is
valid both as Python and as an SBML Level 3 formula: ``+ - * /``, parentheses
and ``pow(a, b)``; observables may also use ``piecewise(a, cond, b)`` with ``gt``, ``lt`` and ``geq``
(SBML's own names, defined for numpy in :mod:`tregsim.model.codegen`).  Nothing else (no ``max``, no
operators such as ``>``) so the same text can be compiled for numpy, numba and libsbml.

Model units: time in **days**; cells in **cells**; IGF-1 and IL-2 amounts in **ug/kg**
body weight; volumes in **L/kg**; concentrations in **ng/mL** (= ug/L);
damage as **fractions** of the spinal-cord / CNS myelin (0-1).

Structure (docs/model.md explains it with sources; docs/equations.md is generated from this module):

* IGF-1 pharmacokinetics after Mizuno 2001, with the binding capacity shared with IGF-II (BRIEF 4b):
  SC and IP depots with first-order absorption; free IGF-1 cleared linearly; reversible binding to
  IGFBP sites (capacity ``Bmax``, IGFBP-3 with its ALS ternary complex) that endogenous IGF-II
  occupies too, so a bolus that floods plasma stays mostly free while slow SC absorption binds
  as sites turn over; slow elimination of the complexes; constant endogenous production of both.
* Blood glucose: a minimal turnover model in which free IGF-1 raises glucose disposal (insulin-like,
  Emax) and counter-regulation, switched on below ``G_cr``, raises production with first-order lag.
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
* Low-dose IL-2 (aldesleukin; :mod:`tregsim.model.drugs.il2`, its states, assignments, inputs and
  parameters appended here): SC depot and transit, plasma, clearance; high-affinity receptor signalling
  raises CD25 on Treg, which adds an IL-2 drive to peripheral Treg proliferation (``stim_p +
  il2_treg_drive``, multiplied by IGF-1's capacity ``aR_eff``); the intermediate-affinity receptor raises
  peripheral Teff proliferation (``aE_il2``) while exposure is high.  Without IL-2 every added term is zero.
* Polyclonal blood Treg (``treg_blood``; what a blood draw counts, mostly not myelin-reactive): a
  homeostatic pool with logistic turnover at ``k_treg_blood`` (human Treg double in 8 days in vivo,
  Vukmanovic-Stejic 2006) towards a level raised by IGF1R's proliferation capacity and IL-2's drive; it reads
  only the drugs, so the blood Treg fold does not follow relapses (MS-IL2 placebo: 1.01, IQR 0.95-1.05).
* Damage: CNS Teff demyelinate (rate ~ (Teff_CNS / a_dam)^2, Velez), myelin is
  repaired or lost irreversibly (axon loss); Gd-enhancing lesions form in
  proportion to CNS Teff and stop enhancing after ``tau_gd``.
"""

from __future__ import annotations

from tregsim.model.drugs import il2 as _il2
from tregsim.model.elements import Assignment, Observable, State

__all__ = ["Assignment", "Observable", "State"]  # re-exported: they used to be defined here


#: Inputs that a dosing schedule sets piecewise-constant between events
#: (zero-order infusions).  They are parameters of the system, changed only at
#: segment boundaries, never inside the right-hand side.
INPUTS: tuple[tuple[str, str, str], ...] = (
    ("rate_igf1_sc", "ug/kg/day", "zero-order IGF-1 input into the SC depot (mini-pump), after bioavailability"),
    ("rate_igf1_ip", "ug/kg/day", "zero-order IGF-1 input into the IP depot"),
    ("rate_igf1_iv", "ug/kg/day", "zero-order IGF-1 input into plasma (IV infusion)"),
) + _il2.INPUTS

#: Switches set by the protocol (0 or 1).
SWITCHES: tuple[tuple[str, str], ...] = (
    ("ko_treg_igf1r", "1 removes the IGF1R effect on Treg (Foxp3-Cre Igf1r fl/fl)"),
    ("ko_teff_igf1r", "1 removes the IGF1R effect on Teff (with ko_treg_igf1r: pan-T-cell knockout)"),
)

ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment("c_free", "igf1_free / V_free", "ng/mL", "free plasma IGF-1"),
    Assignment("c_bound", "igf1_bound / V_bound", "ng/mL", "IGFBP-bound plasma IGF-1"),
    Assignment("c2_free", "igf2_free / V_free", "ng/mL", "free plasma IGF-II"),
    Assignment("c2_bound", "igf2_bound / V_bound", "ng/mL", "IGFBP-bound plasma IGF-II"),
    Assignment("sites", "igfbp_free / V_bound", "ng/mL",
               "unoccupied IGFBP binding sites, in IGF mass equivalents (IGF-I and IGF-II share them)"),
    Assignment("binding", "kon * c_free * sites * V_bound - koff * igf1_bound", "ug/kg/day",
               "net association of free IGF-1 with IGFBP sites"),
    Assignment("binding2", "kon * c2_free * sites * V_bound - koff * igf2_bound", "ug/kg/day",
               "net association of free IGF-II with the same sites (same affinity assumed)"),
    Assignment("elim_free", "CL_free * c_free", "ug/kg/day", "elimination of free IGF-1 (linear)"),
    Assignment("elim_bound", "k_bound * igf1_bound", "ug/kg/day", "elimination of IGFBP-bound IGF-1"),
    Assignment("occ_glc", "pow(c_free, n_glc) / (pow(EC50_glc, n_glc) + pow(c_free, n_glc))", "1",
               "insulin-like glucose-lowering action of free IGF-1 (fraction of maximal; Hill)"),
    Assignment("glc_uptake", "1 + Emax_glc * occ_glc", "1",
               "glucose disposal (and suppression of production) relative to no IGF-1 action"),
    Assignment("glc_drive", "pow(G_cr, n_cr) / (pow(G_cr, n_cr) + pow(glucose, n_cr))", "1",
               "counter-regulatory drive: rises steeply as glucose falls below G_cr"),
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
) + _il2.ASSIGNMENTS + (
    # the polyclonal blood Treg pool reads IL-2's drive, so it comes after the IL-2 assignments
    Assignment("treg_blood_target", "(1 + Emax_treg * occ_treg) * (1 + il2_treg_drive)", "1",
               "homeostatic level of the polyclonal blood Treg pool: IGF1R's proliferation capacity (as in aR_eff) "
               "times the tonic signal (1) plus IL-2's drive"),
)

STATES: tuple[State, ...] = (
    # --- IGF-1 pharmacokinetics -------------------------------------------------
    State("igf1_depot_sc", "ug/kg", "rate_igf1_sc - ka_sc * igf1_depot_sc", "IGF-1 in the subcutaneous depot"),
    State("igf1_depot_ip", "ug/kg", "rate_igf1_ip - ka_ip * igf1_depot_ip", "IGF-1 in the peritoneal depot"),
    State("igf1_free", "ug/kg",
          "ka_sc * igf1_depot_sc + ka_ip * igf1_depot_ip + rate_igf1_iv + ksyn - binding - elim_free",
          "free IGF-1 (amount per kg body weight)"),
    State("igf1_bound", "ug/kg", "binding - elim_bound - k_bt * igf1_bound + k_tb * igf1_tissue",
          "IGFBP-bound IGF-1 in plasma"),
    State("igf1_tissue", "ug/kg", "k_bt * igf1_bound - k_tb * igf1_tissue",
          "IGF-1-IGFBP complexes outside plasma (binary complexes cross the capillary wall and return intact)"),
    State("igf2_free", "ug/kg", "ksyn_igf2 - binding2 - CL_free * c2_free",
          "free IGF-II (endogenous only; cleared like free IGF-1)"),
    State("igf2_bound", "ug/kg", "binding2 - k_bound * igf2_bound - k_bt * igf2_bound + k_tb * igf2_tissue",
          "IGFBP-bound IGF-II in plasma (eliminated and exchanged like bound IGF-1)"),
    State("igf2_tissue", "ug/kg", "k_bt * igf2_bound - k_tb * igf2_tissue",
          "IGF-II-IGFBP complexes outside plasma"),
    State("igfbp_free", "ug/kg", "ksyn_bp - k_bp * igfbp_free - binding - binding2",
          "unoccupied IGFBP binding sites (IGFBP-3 with ALS), in IGF-I mass equivalents: secreted at ksyn_bp, "
          "cleared within hours while unoccupied (k_bp), protected once an IGF binds (the complex leaves at k_bound)"),
    State("igf1_eliminated", "ug/kg", "elim_free + elim_bound",
          "cumulative IGF-1 eliminated (bookkeeping for mass balance)"),
    # --- blood glucose ------------------------------------------------------------------
    State("glucose", "mmol/L",
          "k_glc * (G0 * glc_uptake0 * (1 + counterreg) / (1 + glc_cr0) - glucose * glc_uptake)",
          "blood glucose: production (raised by counter-regulation) minus disposal (raised by free IGF-1)"),
    State("counterreg", "1", "k_cr * (Emax_cr * glc_drive - counterreg)",
          "counter-regulation (adrenaline, cortisol, GH; glucagon is absent after IGF-1, Kerr 1993): "
          "relative rise of glucose production"),
    # --- immune core: periphery --------------------------------------------------
    State("teff_resting", "cells", "- delta * teff_resting - beta * teff_resting + eta * teff_periphery",
          "resting autoreactive Teff (lymphoid organs)"),
    State("treg_resting", "cells", "- delta * treg_resting - beta * treg_resting + eta * treg_periphery",
          "resting autoreactive Treg (lymphoid organs)"),
    State("teff_periphery", "cells",
          "delta * teff_resting - eta * teff_periphery"
          " + aE_il2 * teff_periphery * (1 - supp_p) * (1 - teff_periphery / K_E)"
          " - gE * teff_periphery * supp_p - entry_E + k_out * teff_cns",
          "activated autoreactive Teff in lymphoid organs and blood"),
    State("treg_periphery", "cells",
          "delta * treg_resting - eta * treg_periphery + aR_eff * treg_periphery * (stim_p + il2_treg_drive)"
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
) + _il2.STATES + (
    # --- polyclonal blood Treg (what a blood draw counts) -------------------------------------------
    State("treg_blood", "1", "k_treg_blood * treg_blood * (treg_blood_target - treg_blood)",
          "polyclonal blood Treg (all CD4+CD25hiFOXP3+ cells, mostly not myelin-reactive), relative to a "
          "no-drug pool with no IGF1R signal: homeostatic (logistic) turnover at k_treg_blood towards "
          "treg_blood_target; it reads the drugs, never the autoreactive cells or relapses"),
)

#: Quantities an observable may read that depend on the trajectory, not the current state alone.  Each
#: is one number per subject; the solvers compute it from the trajectory and an SBML export realises it
#: with an initial assignment or an event (see :mod:`tregsim.exchange.sbml`).
TRAJECTORY_QUANTITIES: tuple[tuple[str, str, str], ...] = (
    ("treg_blood_day0", "1", "treg_blood at day 0 (the subject's own reference)"),
    ("dead", "1", "mouse: 1 from the first time score_raw reaches death_score (moribund: humane end point), "
                  "else 0; absorbing"),
)

#: Observables, in the order they are computed (later ones may read earlier ones).
OBSERVABLES: tuple[Observable, ...] = (
    Observable("teff_periphery", "teff_periphery", "cells", "activated autoreactive Teff in lymphoid organs and blood"),
    Observable("treg_periphery", "treg_periphery", "cells", "activated autoreactive Treg in lymphoid organs and blood"),
    Observable("teff_cns", "teff_cns", "cells", "activated autoreactive Teff in the CNS"),
    Observable("treg_cns", "treg_cns", "cells", "activated autoreactive Treg in the CNS"),
    Observable("treg_blood_fold", "treg_blood / treg_blood_day0", "1",
               "blood Treg (the polyclonal pool, treg_blood) relative to the subject's day 0"),
    Observable("igf1_total_ng_ml", "c_free + c_bound", "ng/mL", "plasma IGF-1, total"),
    Observable("igf1_free_ng_ml", "c_free", "ng/mL", "plasma IGF-1, free"),
    Observable("myelin_intact", "piecewise(0, lt(intact, 0), piecewise(1, gt(intact, 1), intact))", "1",
               "fraction of myelin intact (clipped to 0-1)"),
    Observable("score_raw",
               "5 * pow(1 - myelin_intact, score_n) / (pow(score_x50, score_n) + pow(1 - myelin_intact, score_n))",
               "score", "mouse EAE score from lost spinal-cord myelin before the death rule (Hill)", ("mouse",)),
    Observable("clinical_score", "piecewise(5, gt(dead, 0.5), score_raw)", "score",
               "mouse EAE score 0-5 (5 = dead)", ("mouse",)),
    Observable("alive", "1 - dead", "1", "mouse survival indicator", ("mouse",)),
    Observable("edss", "10 * pow(1 - myelin_intact, edss_n) / (pow(edss_y50, edss_n) + pow(1 - myelin_intact, edss_n))",
               "score", "expanded disability status scale 0-10", ("human",)),
    Observable("gd_lesions", "gd", "lesions", "expected gadolinium-enhancing lesion count", ("human",)),
    Observable("relapse", "piecewise(1, gt(demyelinated, relapse_threshold), 0)", "1",
               "1 while a relapse is under way (reversible demyelination above relapse_threshold)", ("human",)),
    Observable("glucose_mmol_l", "glucose", "mmol/L", "blood glucose"),
) + _il2.OBSERVABLES

#: Observables that are internal steps, not columns of the contract.
INTERNAL_OBSERVABLES: tuple[str, ...] = ("score_raw",)

#: Readout parameters (in the tables, not in the rates) that observables read.
READOUT_PARAMETERS: tuple[str, ...] = ("score_x50", "score_n", "death_score", "edss_y50", "edss_n",
                                       "relapse_threshold", "treg_blood_sd_log")

STATE_NAMES: tuple[str, ...] = tuple(s.name for s in STATES)
STATE_INDEX: dict[str, int] = {n: i for i, n in enumerate(STATE_NAMES)}
INPUT_NAMES: tuple[str, ...] = tuple(n for n, _, _ in INPUTS)
SWITCH_NAMES: tuple[str, ...] = tuple(n for n, _ in SWITCHES)

#: Kinetic parameters every species table must define (model units).
KINETIC_PARAMETERS: tuple[str, ...] = (
    # PK
    "V_free", "V_bound", "Bmax", "igfbp3_factor", "k_bp", "k_bt", "k_tb", "kon", "koff", "CL_free", "k_bound", "ksyn", "ksyn_igf2",
    "ka_sc", "ka_ip", "F_sc", "F_ip",
    # glucose
    "G0", "k_glc", "Emax_glc", "EC50_glc", "n_glc", "G_cr", "n_cr", "k_cr", "Emax_cr",
    # PD
    "EC50_treg", "Emax_treg", "EC50_teff", "Emax_teff", "Emax_teff_prolif",
    # immune core
    "delta", "beta", "eta", "aE", "aR", "gE", "gR", "kE", "kR", "h", "K_E", "k_in", "k_out",
    # damage
    "d1", "a_dam", "r_rem", "d2", "k_gd", "tau_gd",
    # immunisation
    "k_adj",
    # polyclonal blood Treg
    "k_treg_blood",
) + _il2.PARAMETERS  # drugs with their own pharmacology append theirs (model/drugs)

#: Parameters derived from the others at a subject's baseline (computed when a subject is built, never
#: read from a table): they make the no-drug state a steady state of the glucose equations.
DERIVED_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("ksyn_bp", "ug/kg/day", "IGFBP site secretion that holds the no-drug capacity (free and occupied sites) at "
                             "Bmax * igfbp3_factor"),
    ("glc_uptake0", "1", "glc_uptake at the endogenous free IGF-1 baseline"),
    ("glc_cr0", "1", "counter-regulation at the baseline glucose G0: Emax_cr * glc_drive(G0)"),
)
DERIVED_NAMES: tuple[str, ...] = tuple(n for n, _, _ in DERIVED_PARAMETERS)

#: Parameter vector order used by generated code: kinetic, derived, then inputs, then switches.
PARAMETER_ORDER: tuple[str, ...] = KINETIC_PARAMETERS + DERIVED_NAMES + INPUT_NAMES + SWITCH_NAMES
PARAMETER_INDEX: dict[str, int] = {n: i for i, n in enumerate(PARAMETER_ORDER)}

#: States holding IL-2 inside the body, and the closed IL-2 PK subsystem (model/drugs/il2.py).
IL2_BODY_STATES: tuple[str, ...] = _il2.BODY_STATES
IL2_PK_STATES: tuple[str, ...] = _il2.PK_STATES

#: States holding IGF-1 inside the body (for mass balance).
IGF1_BODY_STATES: tuple[str, ...] = ("igf1_depot_sc", "igf1_depot_ip", "igf1_free", "igf1_bound", "igf1_tissue")

#: States whose rates depend only on each other, the parameters and the inputs (never on immune states):
#: IGF-1/IGF-II pharmacokinetics and glucose.  The coupling is one-way (the immune core reads c_free), so
#: this subsystem can be solved on its own (PK fits, dose translation); tests check the closure.
PK_STATES: tuple[str, ...] = ("igf1_depot_sc", "igf1_depot_ip", "igf1_free", "igf1_bound", "igf1_tissue",
                              "igf2_free", "igf2_bound", "igf2_tissue", "igfbp_free", "igf1_eliminated", "glucose", "counterreg")


def equations_markdown() -> str:
    """docs/equations.md: every assignment and rate of this module, as written here."""
    out = ["# tregsim equations", "",
           "Generated from `src/tregsim/model/definition.py` by `make docs`; do not edit by hand.",
           "Time in days; cells; IGF-1 and IL-2 amounts in ug/kg; concentrations in ng/mL.", "",
           "## Inputs (set piecewise by dosing schedules)", ""]
    out += [f"- `{n}` ({u}): {d}" for n, u, d in INPUTS]
    out += ["", "## Switches", ""] + [f"- `{n}`: {d}" for n, d in SWITCHES]
    out += ["", "## Derived parameters (computed from the others at baseline)", ""]
    out += [f"- `{n}` ({u}): {d}" for n, u, d in DERIVED_PARAMETERS]
    out += ["", "## Assignments (in order)", "", "| name | expression | unit | meaning |", "|---|---|---|---|"]
    out += [f"| `{a.name}` | `{a.expr}` | {a.unit} | {a.description} |" for a in ASSIGNMENTS]
    out += ["", "## Rates", "", "| state | d/dt | unit | meaning |", "|---|---|---|---|"]
    out += [f"| `{s.name}` | `{s.rate}` | {s.unit} | {s.description} |" for s in STATES]
    out += ["", "## Trajectory quantities", ""] + [f"- `{n}` ({u}): {d}" for n, u, d in TRAJECTORY_QUANTITIES]
    out += ["", "## Observables (in order)", "", "| name | expression | unit | species | meaning |",
            "|---|---|---|---|---|"]
    out += [f"| `{o.name}` | `{o.expr}` | {o.unit} | {', '.join(o.species)} | {o.description} |" for o in OBSERVABLES]
    return "\n".join(out) + "\n"
