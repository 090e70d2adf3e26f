"""The virtual population behind P(hypoglycaemia): seeded, and calibrated to a published spread."""

from __future__ import annotations

import numpy as np
import pytest

from tregsim.calibration.human_pk import concentrations
from tregsim.model.parameters import resolve
from tregsim.pk.population import IIV, person_values, population_glucose
from tregsim.schedule import Bolus, Schedule


def test_a_person_does_not_depend_on_the_population_size():
    v = resolve("human", "healthy")
    assert person_values(v, 7, 3) == person_values(v, 7, 3)
    assert person_values(v, 7, 3) != person_values(v, 8, 3)


def test_drawn_cvs_match_the_documented_ones():
    v = resolve("human", "healthy")
    draws = [person_values(v, i, 0) for i in range(4000)]
    for item in IIV:
        x = np.array([d[item.parameter] for d in draws])
        assert np.std(x) / np.mean(x) == pytest.approx(item.cv, rel=0.1), item.parameter
        assert np.mean(x) == pytest.approx(v[item.parameter], rel=0.05)


def test_guler_bolus_nadir_spread_matches_the_published_sd():
    """Guler 1987: glucose nadir 1.98 +/- 0.44 mmol/L (SD, n = 8) after 100 ug/kg IV; the population's SD
    must be of that size (the Emax_glc CV was chosen for it)."""
    v = resolve("human", "healthy")
    t = np.arange(0, 2 / 24 + 1e-9, 1 / 288)
    pop = population_glucose(v, Schedule(boluses=[Bolus(0.0, "igf1_free", 100.0)]), t, 120, random_state=1)
    assert 0.35 < np.std(pop.nadirs) < 0.55
    _, _, g = concentrations(v, Schedule(boluses=[Bolus(0.0, "igf1_free", 100.0)]), t, glucose=True)
    assert abs(np.median(pop.nadirs) - g.min()) < 0.3  # the typical person sits in the middle
