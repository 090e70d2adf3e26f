"""Dose units convert to model units (ug/kg, ug/kg/day) exactly."""

import pytest

from tregsim.units import parse_dose_unit, to_model_amount, to_model_rate


@pytest.mark.parametrize("unit, dose, weight, expected", [
    ("ug/kg", 40, 70, 40.0), ("mg/kg", 0.12, 70, 120.0), ("mg", 7, 70, 100.0), ("ug", 25, 0.025, 1000.0),
])
def test_amounts(unit, dose, weight, expected):
    assert to_model_amount(dose, parse_dose_unit(unit), weight) == pytest.approx(expected)


@pytest.mark.parametrize("unit, dose, weight, expected", [
    ("mg/kg/day", 1.0, 0.025, 1000.0), ("ug/kg/h", 9, 70, 216.0), ("ug/day", 25, 0.025, 1000.0),
])
def test_rates(unit, dose, weight, expected):
    assert to_model_rate(dose, parse_dose_unit(unit), weight) == pytest.approx(expected)


def test_unknown_unit_lists_allowed():
    with pytest.raises(ValueError, match="allowed"):
        parse_dose_unit("furlongs")
