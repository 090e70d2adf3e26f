"""Dose units: parsing and conversion to model units.

Model units for IGF-1 are ug per kg body weight (amounts) and ug/kg/day (rates).
Absolute doses (``ug``, ``mg``) are divided by the subject's body weight.
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


DOSE_UNITS: dict[str, DoseUnit] = _build()
#: The spellings shown to users in error messages.
DOSE_UNITS_SHOWN = ("ug/kg", "mg/kg", "ug", "mg", "ug/kg/day", "mg/kg/day", "ug/kg/h", "mg/kg/h", "ug/day", "mg/day")


def parse_dose_unit(text: str) -> DoseUnit:
    """Return the :class:`DoseUnit` for ``text`` or raise ValueError listing the allowed units."""
    key = text.strip().replace(" ", "")
    if key not in DOSE_UNITS:
        raise ValueError(f"unknown dose unit; allowed: {', '.join(DOSE_UNITS_SHOWN)}")
    return DOSE_UNITS[key]


def to_model_amount(dose: float, unit: DoseUnit, body_weight_kg: float) -> float:
    """An amount dose in ug/kg body weight."""
    if unit.kind != "amount":
        raise ValueError("not an amount unit")
    ug = dose * unit.factor_ug
    return ug if unit.per_kg else ug / body_weight_kg


def to_model_rate(dose: float, unit: DoseUnit, body_weight_kg: float) -> float:
    """A rate dose in ug/kg/day."""
    if unit.kind != "rate":
        raise ValueError("not a rate unit")
    ug = dose * unit.factor_ug * unit.per_day_factor
    return ug if unit.per_kg else ug / body_weight_kg
