"""Dose units: parsing and conversion to model units.

Model units for every drug are ug per kg body weight (amounts) and ug/kg/day (rates).
Absolute doses (``ug``, ``mg``) are divided by the subject's body weight.

Mass units (``ug/kg``, ``mg``, ``mg/kg/day`` ...) fit every drug.  Activity units (``MIU``, ``MIU/kg``,
``MIU/day``, ``IU/kg`` ...; IU = International Units of biological activity) fit only drugs whose descriptor
gives the mass of one MIU (IL-2: 1 MIU = 61.1 ug, Proleukin label; :mod:`tregsim.model.drugs.il2`).
:func:`allowed_units` lists what fits a drug, and :func:`check_unit_for_drug` refuses the rest.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DoseUnit:
    """A dose unit: its kind and factor to ug(/kg) and per day."""

    kind: str  # "amount" or "rate"
    factor_ug: float  # multiply the number by this to get ug (or ug/kg)
    per_kg: bool  # True when already per kg body weight
    per_day_factor: float = 1.0  # rates: multiply by this to get per day
    activity: bool = False  # True: factor_ug converts to MIU (International Units), not to ug


_MASS = {"ng": 1e-3, "ug": 1.0, "mcg": 1.0, "\u00b5g": 1.0, "mg": 1e3}
_TIME = {"day": 1.0, "d": 1.0, "h": 24.0, "hour": 24.0, "min": 1440.0}


def _build() -> dict[str, DoseUnit]:
    table: dict[str, DoseUnit] = {}
    for m, f in _MASS.items():
        table[f"{m}/kg"] = DoseUnit("amount", f, True)
        table[m] = DoseUnit("amount", f, False)
        for t, tf in _TIME.items():
            table[f"{m}/kg/{t}"] = DoseUnit("rate", f, True, tf)
            table[f"{m}/{t}"] = DoseUnit("rate", f, False, tf)
    return table


_ACTIVITY = {"MIU": 1.0, "IU": 1e-6}  # in MIU


def _build_activity() -> dict[str, DoseUnit]:
    table: dict[str, DoseUnit] = {}
    for m, f in _ACTIVITY.items():
        table[f"{m}/kg"] = DoseUnit("amount", f, True, activity=True)
        table[m] = DoseUnit("amount", f, False, activity=True)
        for t, tf in (("day", 1.0), ("d", 1.0), ("h", 24.0), ("hour", 24.0)):
            table[f"{m}/kg/{t}"] = DoseUnit("rate", f, True, tf, activity=True)
            table[f"{m}/{t}"] = DoseUnit("rate", f, False, tf, activity=True)
    return table


DOSE_UNITS: dict[str, DoseUnit] = {**_build(), **_build_activity()}
#: The spellings shown to users in error messages (mass units: every drug).
DOSE_UNITS_SHOWN = ("ug/kg", "mg/kg", "ug", "mg", "ug/kg/day", "mg/kg/day", "ug/kg/h", "mg/kg/h", "ug/day", "mg/day")
#: Activity units shown for drugs dosed in International Units (IL-2).
ACTIVITY_UNITS_SHOWN = ("MIU", "MIU/kg", "IU/kg", "MIU/day", "MIU/h", "MIU/kg/day", "IU/kg/h")


def allowed_units(ug_per_miu: float | None) -> tuple[str, ...]:
    """The units shown as allowed for a drug: activity units first where the drug has an IU conversion."""
    return (ACTIVITY_UNITS_SHOWN + DOSE_UNITS_SHOWN) if ug_per_miu else DOSE_UNITS_SHOWN


def parse_dose_unit(text: str, shown: tuple[str, ...] = DOSE_UNITS_SHOWN) -> DoseUnit:
    """Return the :class:`DoseUnit` for ``text`` or raise ValueError listing ``shown`` as allowed."""
    key = text.strip().replace(" ", "")
    if key not in DOSE_UNITS:
        raise ValueError(f"unknown dose unit; allowed: {', '.join(shown)}")
    return DOSE_UNITS[key]


def check_unit_for_drug(unit: DoseUnit, drug: str, ug_per_miu: float | None) -> None:
    """Raise ValueError if ``unit`` does not fit the drug (an activity unit for a drug dosed by mass)."""
    if unit.activity and not ug_per_miu:
        raise ValueError(f"activity units (International Units: MIU, IU) fit only drugs dosed in IU; {drug} is "
                         f"dosed by mass; allowed: {', '.join(DOSE_UNITS_SHOWN)}")


def ug_per_unit(unit: DoseUnit, ug_per_miu: float | None = None) -> float:
    """ug (or ug/kg) in one unit of dose, before any per-day factor.

    Raises:
        ValueError: an activity unit without the drug's MIU conversion.
    """
    if not unit.activity:
        return unit.factor_ug
    if not ug_per_miu:
        raise ValueError("an International Unit dose needs the drug's mass per MIU")
    return unit.factor_ug * ug_per_miu


def to_model_amount(dose: float, unit: DoseUnit, body_weight_kg: float, ug_per_miu: float | None = None) -> float:
    """An amount dose in ug/kg body weight (``ug_per_miu`` converts activity units such as MIU)."""
    if unit.kind != "amount":
        raise ValueError("not an amount unit")
    ug = dose * ug_per_unit(unit, ug_per_miu)
    return ug if unit.per_kg else ug / body_weight_kg


def to_model_rate(dose: float, unit: DoseUnit, body_weight_kg: float, ug_per_miu: float | None = None) -> float:
    """A rate dose in ug/kg/day (``ug_per_miu`` converts activity units such as MIU/day)."""
    if unit.kind != "rate":
        raise ValueError("not a rate unit")
    ug = dose * ug_per_unit(unit, ug_per_miu) * unit.per_day_factor
    return ug if unit.per_kg else ug / body_weight_kg
