"""Input limits: what a protocol or a command may ask for, with the reason for each bound.

Everything a user gives is checked against these numbers **before any work**; a value outside them is an
input error (exit code 2) whose message names the field, the value and the limit.  Three kinds of limit:

* **Plausibility** (doses, intervals, body weight, times): a value no experiment or clinic would use is far
  more likely a typo (a unit slip, a missing decimal point) than a request, and an implausible value
  drives the model where it was never checked.  The bounds are wide: every built-in protocol, the mouse
  mini-pump and the whole label range sit well inside them.
* **Work** (output points, subjects, subject-years, doses): what a run would cost in memory and time,
  estimated from the protocol alone, refused when it would exhaust a workstation rather than finish.
* **Structure** (file size, nesting depth, values after YAML aliases): a protocol is a small document;
  these stop a hand-made or generated file from exhausting memory or the stack while it is read.

Units: days (``_DAYS``), hours (``_HOURS``), kilograms (``_KG``); doses in ug per kg body weight
(amounts) and ug/kg/day (rates), the model's units (:mod:`tregsim.units`).

Trials (``tregsim trial``, not built yet) multiply a protocol by patients, arms and replicates; the hook
for their limits is :func:`check_trial_size`, to be called by the trial command on its options and its
protocol before any patient is simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tregsim.errors import FieldProblem, number
from tregsim.units import DoseUnit, ug_per_unit

# --------------------------------------------------------------------------- time

#: Longest run, days (100 years: longer than any life course the human model describes).
MAX_DURATION_DAYS = 36500.0
#: Shortest run, days (1 minute).  The shortest experiment modelled (an IV bolus followed for minutes)
#: lasts hours; a shorter run resolves nothing and asks the integrator for steps below its resolution
#: (``duration_days: 1.0e-300`` used to fail in the solver or hang).
MIN_DURATION_DAYS = 1.0 / 1440.0
#: Finest output grid, hours (1 second).  The finest built-in grid is 5 minutes.
MIN_OUTPUT_EVERY_HOURS = 1.0 / 3600.0
#: Coarsest output grid, hours (the longest run).
MAX_OUTPUT_EVERY_HOURS = 24.0 * MAX_DURATION_DAYS
#: Shortest interval between repeated boluses, hours.  Injecting the same drug more often than hourly is
#: an infusion: give a rate unit (``ug/kg/h``) instead.  Built-in protocols use 6 to 24 h.
MIN_INTERVAL_HOURS = 1.0
#: Longest repeat interval, hours (yearly dosing).
MAX_INTERVAL_HOURS = 8760.0

# --------------------------------------------------------------------------- subjects and covariates

#: Most animals or subjects in one simulation.
MAX_SUBJECTS = 100_000
#: Body weight per species, kg (low, high).  Mouse: 5-100 g (weanlings to obese adults; C57BL/6 adults
#: 18-30 g, the built-in lit/lit protocols 18 g).  Human: 20-400 kg (the model is of adults, 18-90 years).
BODY_WEIGHT_KG: dict[str, tuple[float, float]] = {"mouse": (0.005, 0.1), "human": (20.0, 400.0)}
#: Human age range, years (the Mayo adult reference ranges that scale endogenous IGF-1).
AGE_YEARS = (18.0, 90.0)
#: Largest seed (seeds are 0 .. 2^63 - 1, numpy's SeedSequence entropy).
MAX_SEED = 2**63 - 1

# --------------------------------------------------------------------------- work

#: Most output times per subject (hourly for 100 years is 876,000).  The simulated grid is the protocol's
#: ``output_every_hours`` joined with an hourly grid whenever a drug is given (Cmax and Ctrough need it).
MAX_OUTPUT_POINTS = 1_000_000
#: Most subjects x output times in one simulation.  Every subject's time course is kept in memory
#: (measured: about 0.8 kB per subject and output time, with the files written), so this is about 8 GB:
#: 1,000 patients for a year on a drug (hourly grid) is 8.8 million.
MAX_SUBJECT_POINTS = 10_000_000
#: Most simulated subject-years in one simulation (the engine runs tens to hundreds of patient-years per
#: second on a workstation: this is minutes to hours, not days).
MAX_SUBJECT_YEARS = 10_000.0
#: Most regimens in one protocol.
MAX_REGIMENS = 100
#: Most dose events per subject, all regimens together (boluses, and the start and stop of each infusion):
#: twice daily for 100 years is 73,000.
MAX_DOSE_EVENTS = 100_000

# --------------------------------------------------------------------------- trials (hook, see check_trial_size)

#: Most patients in one replicate of a trial, all arms together.
MAX_TRIAL_PATIENTS = 100_000
#: Most replicates of a trial.
MAX_TRIAL_REPLICATES = 10_000
#: Most simulated patient-years in a whole trial, every replicate included.
MAX_TRIAL_PATIENT_YEARS = 1_000_000.0

# --------------------------------------------------------------------------- protocol documents

#: Largest protocol file, bytes (the largest built-in is under 1 kB).
MAX_FILE_BYTES = 1_000_000
#: Deepest nesting of lists and mappings (a simulation protocol needs 4 levels, a trial 6).
MAX_DEPTH = 20
#: Most values in a document once YAML aliases are expanded (a protocol with 100 regimens has ~1,000).
MAX_VALUES = 10_000
#: Longest ``name``, characters.
MAX_NAME_CHARS = 200
#: Longest ``description``, characters.
MAX_DESCRIPTION_CHARS = 2_000

# --------------------------------------------------------------------------- doses


@dataclass(frozen=True)
class DoseLimit:
    """The largest plausible dose of one drug: per administration (ug/kg) and as a rate (ug/kg/day)."""

    max_amount_ug_kg: float
    max_rate_ug_kg_day: float
    #: Why, in one short clause (quoted in messages).
    label: str
    #: The full reasoning, with sources.
    reason: str
    #: The maximum in the drug's usual units, for messages that list every drug's.
    summary: str = ""


_IGF1 = DoseLimit(
    max_amount_ug_kg=10_000.0,
    max_rate_ug_kg_day=10_000.0,
    label="~80x the Increlex label maximum of 0.12 mg/kg twice daily",
    summary="10 mg/kg per administration or per day",
    reason="rhIGF-1: the Increlex label maximum is 0.12 mg/kg SC twice daily; the largest bolus in tregsim's "
           "sources is 0.1 mg/kg IV (Guler 1987), rodent injections reach ~2 mg/kg (30 ug in an 18 g lit/lit "
           "mouse), the seed study's pump 1 mg/kg/day and the highest human infusion 1 mg/kg/day (Kerr 1993); "
           "10 mg/kg (per dose or per day) is ~80x the label maximum",
)
_IL2 = DoseLimit(
    max_amount_ug_kg=400.0,
    max_rate_ug_kg_day=1200.0,
    label="~11x the Proleukin label's high-dose 0.6 MIU/kg IV every 8 h",
    summary="6.5 MIU/kg (400 ug/kg) per administration, 20 MIU/kg/day (1.2 mg/kg/day) as a rate",
    reason="aldesleukin: the Proleukin label's high-dose regimen (metastatic renal cell carcinoma, melanoma) is "
           "600,000 IU/kg (0.6 MIU/kg, 36.7 ug/kg at 61.1 ug per MIU) IV every 8 h, 1.8 MIU/kg/day; low-dose "
           "regimens in autoimmunity give 0.33-3 MIU per day SC (Hartemann 2013; Louapre 2023).  400 ug/kg "
           "(6.5 MIU/kg) per administration and 1.2 mg/kg/day (~20 MIU/kg/day) are ~11x the label maximum",
)
#: The largest plausible dose per drug.  A placebo (vehicle) mirrors the active arm, so it has igf1's
#: bounds for mass units and il2's for International Units.  A new drug gets its own entry with its module.
DOSE_LIMITS: dict[str, DoseLimit] = {"igf1": _IGF1, "il2": _IL2, "placebo": _IGF1}


_g = number


def check_dose(field: str, drug: str, dose: float, unit_text: str, unit: DoseUnit, body_weight_kg: float) -> None:
    """Refuse a dose above the drug's plausible maximum, naming the maximum in the user's own unit.

    Arguments:
        field: the field path for the message (``regimens[0].dose``).
        drug: the drug (a key of :data:`DOSE_LIMITS`).
        dose: the number given, in ``unit``.
        unit_text: the unit as the user wrote it.
        unit: the parsed unit.
        body_weight_kg: converts absolute doses (ug, mg) to per kg.

    Raises:
        FieldProblem: the dose exceeds the limit.
    """
    limit = DOSE_LIMITS.get(drug)
    if drug == "placebo" and unit.activity:
        drug, limit = "placebo (il2 bounds for International Units)", _IL2
    if limit is None:
        return
    from tregsim.model.drugs import DRUGS  # the drug's mass per MIU (activity units)

    ug_per_miu = DRUGS["il2"].ug_per_miu if drug.startswith("placebo") else getattr(DRUGS.get(drug), "ug_per_miu",
                                                                                     None)
    per_unit = ug_per_unit(unit, ug_per_miu) * (unit.per_day_factor if unit.kind == "rate" else 1.0)
    per_kg = per_unit if unit.per_kg else per_unit / body_weight_kg  # ug/kg(/day) for one unit of dose
    max_model = limit.max_amount_ug_kg if unit.kind == "amount" else limit.max_rate_ug_kg_day
    if dose * per_kg <= max_model * (1 + 1e-12):
        return
    what = "per administration" if unit.kind == "amount" else "as a rate"
    model = f"{_g(max_model / 1000)} mg/kg" + ("" if unit.kind == "amount" else "/day")
    at_weight = "" if unit.per_kg else f" at body weight {_g(body_weight_kg)} kg"
    raise FieldProblem(field, dose, f"at most {_g(max_model / per_kg)} {unit_text.strip()}{at_weight} {what} for "
                                    f"{drug} ({model}: {limit.label}; see tregsim.limits)")


# --------------------------------------------------------------------------- work estimates


def bolus_count(start_day: float, stop_day: float | None, every_hours: float | None, duration_days: float) -> int:
    """Boluses one regimen gives in a run (as :func:`tregsim.schedule.add_regimen` lays them out)."""
    if start_day > duration_days:
        return 0
    if every_hours is None:
        return 1
    stop = duration_days if stop_day is None else min(stop_day, duration_days)
    n = (stop - start_day) / (every_hours / 24.0)
    return int(min(n, 1e15)) + 1


def output_points(duration_days: float, output_step_days: float, drug_given: bool) -> float:
    """Output times per subject (an upper estimate): the protocol's grid, plus an hourly grid with a drug."""
    points = duration_days / output_step_days + 2
    if drug_given:
        points += duration_days * 24.0 + 1
    return points


def check_work(*, duration_days: float, output_step_days: float, output_field: str, subjects: int,
               subjects_field: str, drug_given: bool) -> None:
    """Refuse a simulation whose output grid, memory or subject-years exceed the limits above.

    Raises:
        FieldProblem: naming ``output_field`` (the grid) or ``subjects_field`` (the subjects).
    """
    points = output_points(duration_days, output_step_days, drug_given)
    if points > MAX_OUTPUT_POINTS:
        hourly = " (with a drug the grid is at least hourly)" if drug_given else ""
        value = output_step_days * 24.0 if output_field == "output_every_hours" else duration_days
        raise FieldProblem(output_field, value,
                           f"{_g(points)} output times per subject{hourly}; at most {MAX_OUTPUT_POINTS:,} "
                           "(limit MAX_OUTPUT_POINTS): give a coarser output_every_hours or a shorter run")
    if subjects * points > MAX_SUBJECT_POINTS:
        raise FieldProblem(subjects_field, subjects,
                           f"{subjects} subjects x {_g(points)} output times = {_g(subjects * points)}; at most "
                           f"{MAX_SUBJECT_POINTS:,} (limit MAX_SUBJECT_POINTS, ~8 GB of results): fewer subjects, "
                           "a coarser output_every_hours or a shorter run")
    years = subjects * duration_days / 365.25
    if years > MAX_SUBJECT_YEARS:
        raise FieldProblem(subjects_field, subjects,
                           f"{subjects} subjects x {_g(duration_days)} days = {_g(years)} subject-years; at most "
                           f"{MAX_SUBJECT_YEARS:,.0f} (limit MAX_SUBJECT_YEARS)")


def check_dose_events(field: str, value: float | None, events: int) -> None:
    """Refuse more than :data:`MAX_DOSE_EVENTS` dose events per subject."""
    if events > MAX_DOSE_EVENTS:
        raise FieldProblem(field, value, f"the regimens give {events:,} dose events per subject; at most "
                                         f"{MAX_DOSE_EVENTS:,} (limit MAX_DOSE_EVENTS): a longer every_hours, "
                                         "a shorter regimen, or a rate unit for continuous delivery")


def check_trial_size(*, patients_per_arm: int, arms: int, replicates: int, years: float) -> None:
    """The hook for ``tregsim trial`` (not built yet): refuse a trial larger than the limits above.

    To be called on the trial's options (``--patients``, ``--replicates``) and protocol before any
    patient is simulated; each arm's protocol is also checked by :func:`check_work`.

    Raises:
        FieldProblem: naming ``patients`` or ``replicates``.
    """
    patients = patients_per_arm * arms
    if patients_per_arm < 1:
        raise FieldProblem("patients", patients_per_arm, "at least 1 patient per arm")
    if patients > MAX_TRIAL_PATIENTS:
        raise FieldProblem("patients", patients_per_arm, f"{patients_per_arm} per arm x {arms} arms = {patients:,} "
                                                         f"patients; at most {MAX_TRIAL_PATIENTS:,} (MAX_TRIAL_PATIENTS)")
    if not 1 <= replicates <= MAX_TRIAL_REPLICATES:
        raise FieldProblem("replicates", replicates, f"an integer from 1 to {MAX_TRIAL_REPLICATES:,} "
                                                     "(MAX_TRIAL_REPLICATES)")
    total = patients * replicates * years
    if not math.isfinite(total) or total > MAX_TRIAL_PATIENT_YEARS:
        raise FieldProblem("replicates", replicates,
                           f"{patients:,} patients x {replicates} replicates x {_g(years)} years = {_g(total)} "
                           f"patient-years; at most {MAX_TRIAL_PATIENT_YEARS:,.0f} (MAX_TRIAL_PATIENT_YEARS)")
