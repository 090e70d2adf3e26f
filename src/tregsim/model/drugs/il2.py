"""Low-dose IL-2 (aldesleukin): pharmacokinetics and IL-2-receptor pharmacodynamics.

Pharmacokinetics (docs/model.md, "IL-2"; every value with its source in the parameter tables):

* SC: two equal first-order steps (injection depot, then a transit compartment: lymphatic uptake) at rate
  ``ka_il2``, which peak at 1/ka and decline with half-life ln2/ka, matching both the time to peak (4.4 h)
  and the apparent half-life after SC dosing (3.3 h) of Piscitelli 1996, and Konrad 1990's serum levels that
  stay "fairly constant for about 8 h" after SC injection.  Fraction absorbed ``F_il2_sc``.
* IV: bolus or infusion straight into plasma.
* Plasma: one compartment of the plasma volume ``V_il2`` (Konrad 1990: the level right after an IV bolus is
  the dose over the plasma volume), cleared linearly at ``CL_il2`` (renal filtration, Konrad 1990): half-life
  16 min (Konrad: 12.9 min, then a minor 85-min phase not represented).
* ``il2_eliminated`` counts what was cleared, for mass balance.

Pharmacodynamics through the IL-2 receptor (after Khailaie 2013 Front Immunol 4:474, IL-2, Treg and
conventional T cells):

* Treg carry the high-affinity receptor (CD25/CD122/CD132): occupancy ``occ_il2_treg`` with half-maximum
  ``EC50_il2_treg`` (its Kd).  STAT5 signalling raises CD25 itself (the positive feedback of Khailaie 2013):
  the state ``cd25_rise`` (relative rise of CD25 on Treg, 0 at baseline) relaxes at ``k_cd25`` towards
  ``Emax_cd25 * occ_il2_treg``.  Treg with more CD25 proliferate on IL-2 without needing antigen-driven help,
  but only after a lag (cell-cycle entry and division take days): the state ``il2_prolif`` follows
  ``g_il2 * cd25_rise`` at rate ``k_il2_prolif``, and the Treg proliferation drive gains
  ``il2_treg_drive = il2_prolif`` on top of the Teff-driven ``stim_p`` (periphery only: IL-2 acts in
  lymphoid organs and blood, not behind the blood-brain barrier).  Louapre 2023 (the MS low-dose IL-2
  trial) measured exactly this sequence: CD25 on Treg up 2.17-fold at day 5 while Treg numbers had not yet
  risen, and Treg up 1.26-fold at day 15; the four PD parameters are fitted to it (calibration/il2.py).
* Conventional (effector) T cells signal through the intermediate-affinity receptor (CD122/CD132), about
  100 times less sensitive: occupancy ``occ_il2_teff`` with ``EC50_il2_teff`` raises their proliferation
  capacity by ``Emax_il2_teff`` at saturation, only while exposure is high (no memory): a transient Teff boost
  that appears above the low-dose range.
* With IGF-1: IGF1R (PI3K-AKT) raises the Treg proliferation *capacity* ``aR_eff``; IL-2 (STAT5) adds to the
  proliferation *signal*.  Proliferation is capacity x signal, ``aR_eff * (stim_p + il2_treg_drive)``, so the
  two act independently and multiply: each drug's relative effect is kept and the combination exceeds the sum
  of the two single effects by the product term (Shapiro 2023, J Immunol 211:1108: IGF-1 and IL-2 together
  expand Treg more than either alone).

Without IL-2 every added term is exactly zero, so the model is the one the shipped population was fitted on.
Units: amounts ug/kg, concentrations ng/mL (= ug/L), time days.
"""

from __future__ import annotations

from tregsim.model.drugs import Drug
from tregsim.model.elements import Assignment, Observable, State

#: Mass of one million International Units of aldesleukin, ug: the Proleukin label gives 18 million IU per
#: 1.1 mg of protein (vial strength 1.1 mg/mL; NDC 73776-022), so 1 MIU = 1100 / 18 = 61.1 ug.
UG_PER_MIU = 1100.0 / 18.0
UG_PER_MIU_SOURCE = "Proleukin (aldesleukin) label: 18 million IU per 1.1 mg protein, so 1 MIU = 61.1 ug"
#: Aldesleukin's molecular weight (Da), for converting receptor Kd (molar) to ng/mL.
MOLECULAR_WEIGHT_DA = 15300.0

INPUTS: tuple[tuple[str, str, str], ...] = (
    ("rate_il2_iv", "ug/kg/day", "zero-order IL-2 input into plasma (IV infusion)"),
)

ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment("c_il2", "il2_plasma / V_il2", "ng/mL", "plasma IL-2 (aldesleukin)"),
    Assignment("occ_il2_treg", "c_il2 / (EC50_il2_treg + c_il2)", "1",
               "occupancy of the high-affinity IL-2 receptor (CD25/CD122/CD132) on Treg"),
    Assignment("occ_il2_teff", "c_il2 / (EC50_il2_teff + c_il2)", "1",
               "occupancy of the intermediate-affinity IL-2 receptor (CD122/CD132) on conventional T cells"),
    Assignment("il2_treg_drive", "il2_prolif", "1",
               "IL-2-driven Treg proliferation signal, added to the Teff-driven stim_p (periphery)"),
    Assignment("aE_il2", "aE_eff * (1 + Emax_il2_teff * occ_il2_teff)", "1/day",
               "Teff proliferation capacity in the periphery, raised while IL-2 occupies the intermediate-affinity "
               "receptor"),
)

STATES: tuple[State, ...] = (
    State("il2_depot_sc", "ug/kg", "- ka_il2 * il2_depot_sc", "IL-2 at the SC injection site"),
    State("il2_transit", "ug/kg", "ka_il2 * il2_depot_sc - ka_il2 * il2_transit",
          "IL-2 on its way from the injection site to blood (lymphatic uptake)"),
    State("il2_plasma", "ug/kg", "ka_il2 * il2_transit + rate_il2_iv - CL_il2 * c_il2",
          "IL-2 in plasma (amount per kg body weight)"),
    State("il2_eliminated", "ug/kg", "CL_il2 * c_il2", "cumulative IL-2 cleared (bookkeeping for mass balance)"),
    State("cd25_rise", "1", "k_cd25 * (Emax_cd25 * occ_il2_treg - cd25_rise)",
          "relative rise of CD25 (IL-2R alpha) on blood Treg, induced by IL-2 signalling (STAT5)"),
    State("il2_prolif", "1", "k_il2_prolif * (g_il2 * cd25_rise - il2_prolif)",
          "IL-2-driven Treg proliferation signal: follows the CD25 rise with a lag (cell-cycle entry and "
          "division of CD25-high Treg take days)"),
)

#: Kinetic parameters (model units) every species table must define.
PARAMETERS: tuple[str, ...] = ("F_il2_sc", "ka_il2", "V_il2", "CL_il2", "EC50_il2_treg", "k_cd25", "Emax_cd25",
                               "g_il2", "k_il2_prolif", "EC50_il2_teff", "Emax_il2_teff")

OBSERVABLES: tuple[Observable, ...] = (
    Observable("il2_ng_ml", "piecewise(0, lt(c_il2, 0), c_il2)", "ng/mL",
               "plasma IL-2 (aldesleukin; the solver's round-off below 0 after clearance shown as 0)"),
    Observable("treg_cd25_fold", "1 + cd25_rise", "1", "CD25 on blood Treg relative to no IL-2"),
)

#: States holding IL-2 inside the body, and the closed IL-2 PK subsystem (depends on nothing else).
BODY_STATES: tuple[str, ...] = ("il2_depot_sc", "il2_transit", "il2_plasma")
PK_STATES: tuple[str, ...] = BODY_STATES + ("il2_eliminated",)

DRUG = Drug(
    name="il2",
    label="low-dose IL-2 (aldesleukin)",
    routes=("sc", "iv"),
    bolus_state={"sc": "il2_depot_sc", "iv": "il2_plasma"},
    infusion_input={"iv": "rate_il2_iv"},
    bioavailability={"sc": "F_il2_sc"},
    concentration_column="il2_ng_ml",
    body_states=BODY_STATES,
    eliminated_state="il2_eliminated",
    species=("human",),
    ug_per_miu=UG_PER_MIU,
    ug_per_miu_source=UG_PER_MIU_SOURCE,
)
