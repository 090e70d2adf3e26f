"""Parameter tables: every value has unit, bounds, source and mark; docs are generated from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tregsim.model.definition import KINETIC_PARAMETERS
from tregsim.model.parameters import MARKS, load_table, markdown, resolve, scopes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("species", ["mouse", "human"])
def test_rows_are_complete_and_within_bounds(species):
    rows = load_table(species)
    for r in rows:
        assert r.unit and r.source and r.mark in MARKS
        assert r.low <= r.value <= r.high
    base = {r.name for r in rows if r.scope == "base"}
    assert set(KINETIC_PARAMETERS) <= base


@pytest.mark.parametrize("species", ["mouse", "human"])
def test_no_duplicate_rows_per_scope(species):
    keys = [(r.name, r.scope) for r in load_table(species)]
    assert len(keys) == len(set(keys))


def test_fitted_rows_name_their_fit():
    for species in ("mouse", "human"):
        for r in load_table(species):
            if r.mark == "F":
                assert "fit" in r.source.lower()


def test_hypotheses_and_diseases_change_what_they_claim():
    assert resolve("human", "rrms")["aR"] < resolve("human", "healthy")["aR"]  # MS: Treg function deficit
    assert resolve("mouse", "eae_mog35_55", "treg_only")["Emax_teff"] == 0.0
    assert resolve("mouse", "eae_mog35_55", "treg_and_th17")["Emax_teff"] > 0.0
    assert resolve("human", "igfd")["igfbp3_factor"] < resolve("human", "healthy")["igfbp3_factor"]  # low IGFBP-3
    assert resolve("human", "ghd")["igfbp3_factor"] < resolve("human", "healthy")["igfbp3_factor"]
    assert "hypothesis:treg_only" in scopes("mouse")


def test_docs_parameters_md_is_generated_from_the_tables():
    doc = ROOT / "docs" / "parameters.md"
    assert doc.read_text(encoding="utf-8") == markdown(), "run `make docs` to regenerate docs/parameters.md"
