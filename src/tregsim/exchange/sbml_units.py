"""tregsim's unit strings (``ug/kg/day``, ``mL/ng/day``...) as SBML unit definitions.

A unit string is a product of base units separated by ``/``: the first factor is the numerator (``1``
for none), every later one a divisor.  Each base unit maps to an SBML kind with a scale and multiplier.
"""

from __future__ import annotations

import re

import libsbml

#: base unit -> (SBML kind, scale as a power of ten, multiplier)
BASE_UNITS: dict[str, tuple[int, int, float]] = {
    "1": (libsbml.UNIT_KIND_DIMENSIONLESS, 0, 1.0),
    "score": (libsbml.UNIT_KIND_DIMENSIONLESS, 0, 1.0),
    "cells": (libsbml.UNIT_KIND_ITEM, 0, 1.0),
    "lesions": (libsbml.UNIT_KIND_ITEM, 0, 1.0),
    "ug": (libsbml.UNIT_KIND_GRAM, -6, 1.0),
    "ng": (libsbml.UNIT_KIND_GRAM, -9, 1.0),
    "kg": (libsbml.UNIT_KIND_KILOGRAM, 0, 1.0),
    "L": (libsbml.UNIT_KIND_LITRE, 0, 1.0),
    "mL": (libsbml.UNIT_KIND_LITRE, -3, 1.0),
    "mmol": (libsbml.UNIT_KIND_MOLE, -3, 1.0),
    "day": (libsbml.UNIT_KIND_SECOND, 0, 86400.0),
}


def unit_id(unit: str) -> str:
    """The SBML id of a unit string (``ug/kg/day`` -> ``ug_per_kg_per_day``; ``1`` -> ``dimensionless``)."""
    if unit in ("1", "score"):
        return "dimensionless"
    parts = unit.split("/")
    head = "one" if parts[0] == "1" else parts[0]
    return re.sub(r"[^A-Za-z0-9_]", "_", "_per_".join([head, *parts[1:]]))


def factors(unit: str) -> list[tuple[str, int]]:
    """(base unit, exponent) factors of a unit string.

    Raises:
        ValueError: a base unit tregsim does not know.
    """
    parts = unit.split("/")
    out = [(parts[0], 1)] + [(p, -1) for p in parts[1:]]
    unknown = [b for b, _ in out if b not in BASE_UNITS]
    if unknown:
        raise ValueError(f"unit {unit!r}: unknown base unit(s) {unknown}; known: {sorted(BASE_UNITS)}")
    return [(b, e) for b, e in out if b != "1"]


def add_unit_definition(model: libsbml.Model, unit: str) -> str:
    """Define ``unit`` on ``model`` once; return the id to put in a ``units`` attribute."""
    uid = unit_id(unit)
    if uid == "dimensionless" or model.getUnitDefinition(uid) is not None:
        return uid
    ud = model.createUnitDefinition()
    ud.setId(uid)
    ud.setName(unit)
    for base, exponent in factors(unit):
        kind, scale, multiplier = BASE_UNITS[base]
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(exponent)
        u.setScale(scale)
        u.setMultiplier(multiplier)
    return uid
