"""Unit strings to SBML unit definitions."""

from __future__ import annotations

import libsbml
import pytest

from tregsim.exchange.sbml_units import add_unit_definition, factors, unit_id
from tregsim.model.definition import ASSIGNMENTS, INPUTS, STATES
from tregsim.model.parameters import SPECIES, load_table


def test_factors_and_ids():
    assert factors("ug/kg/day") == [("ug", 1), ("kg", -1), ("day", -1)]
    assert factors("1/day") == [("day", -1)]
    assert unit_id("mL/ng/day") == "mL_per_ng_per_day" and unit_id("1") == "dimensionless"
    with pytest.raises(ValueError, match="furlong"):
        factors("furlong/day")


def test_a_day_is_86400_seconds_and_ug_per_kg_is_1e_9():
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    ud = m.getUnitDefinition(add_unit_definition(m, "ug/kg/day"))
    si = libsbml.UnitDefinition.convertToSI(ud)
    scale = 1.0
    for i in range(si.getNumUnits()):
        u = si.getUnit(i)
        scale *= (u.getMultiplier() * 10 ** u.getScale()) ** u.getExponent()
    assert scale == pytest.approx(1e-9 / 86400)  # ug -> kg is 1e-9; per day


def test_every_unit_of_the_model_has_a_definition():
    units = {s.unit for s in STATES} | {a.unit for a in ASSIGNMENTS} | {u for _, u, _ in INPUTS}
    units |= {r.unit for sp in SPECIES for r in load_table(sp)}
    doc = libsbml.SBMLDocument(3, 2)  # keep the document alive: the model is owned by it
    m = doc.createModel()
    for u in units:
        assert add_unit_definition(m, u)
