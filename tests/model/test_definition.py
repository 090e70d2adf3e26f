"""The one model definition: names resolve, generated code is consistent, derivatives are sane."""

from __future__ import annotations

import ast

import numpy as np

from tregsim.model.codegen import RHS_SOURCE, python_assignments, python_rhs
from tregsim.model.definition import ASSIGNMENTS, PARAMETER_ORDER, PK_STATES, STATES
from tregsim.model.parameters import parameter_vector, resolve
from tregsim.model.subject import pk_steady_state

ALLOWED_CALLS = {"pow"}


def _names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


def test_every_expression_uses_only_defined_names_in_order():
    known = {s.name for s in STATES} | set(PARAMETER_ORDER) | ALLOWED_CALLS
    for a in ASSIGNMENTS:
        missing = _names(a.expr) - known
        assert not missing, f"assignment {a.name} uses undefined {missing}"
        known.add(a.name)
    for s in STATES:
        assert not _names(s.rate) - known, f"rate of {s.name} uses undefined {_names(s.rate) - known}"


def test_expressions_use_only_the_portable_subset():
    for expr in [a.expr for a in ASSIGNMENTS] + [s.rate for s in STATES]:
        for node in ast.walk(ast.parse(expr, mode="eval")):
            if isinstance(node, ast.Call):
                assert node.func.id in ALLOWED_CALLS, expr
            assert not isinstance(node, (ast.Compare, ast.IfExp, ast.BoolOp)), expr


def test_generated_rhs_is_zero_for_pk_at_baseline_and_immune_at_rest():
    values = resolve("human", "healthy", "treg_and_th17")
    y = np.zeros(len(STATES))
    steady = pk_steady_state(values)
    names = [s.name for s in STATES]
    for n in PK_STATES:
        y[names.index(n)] = steady[n]
    d = python_rhs()(0.0, y, parameter_vector(values))
    for n in ("igf1_free", "igf1_bound", "igf2_free", "igf2_bound", "glucose", "counterreg", "igf1_depot_sc",
              "teff_periphery", "treg_cns", "demyelinated"):
        assert abs(d[names.index(n)]) < 1e-9 * max(1.0, abs(y[names.index(n)])), n
    # bookkeeping state accumulates exactly the endogenous production at steady state
    assert np.isclose(d[names.index("igf1_eliminated")], values["ksyn"], rtol=1e-9)


def test_pk_subsystem_is_closed_and_matches_the_full_rhs():
    from tregsim.model.codegen import python_pk_rhs, subsystem_source

    values = resolve("human", "rrms")
    p = parameter_vector(values, inputs={"rate_igf1_iv": 50.0})
    y = np.abs(np.random.default_rng(1).normal(size=len(STATES))) * 10 + 1
    names = [s.name for s in STATES]
    ix = [names.index(n) for n in PK_STATES]
    assert np.allclose(python_pk_rhs()(0.0, y[ix], p), python_rhs()(0.0, y, p)[ix], rtol=1e-12)
    import pytest

    with pytest.raises(ValueError, match="not closed"):
        subsystem_source(("igf1_free", "teff_cns"), "f")  # teff_cns reads immune states


def test_assignments_vectorise_over_time():
    values = resolve("mouse", "eae_mog35_55", "treg_only")
    y = np.abs(np.random.default_rng(0).normal(size=(len(STATES), 7))) * 100
    a = python_assignments()(y, parameter_vector(values))
    assert a["c_free"].shape == (7,)
    assert "def rhs(t, y, p):" in RHS_SOURCE


def test_docs_equations_md_is_generated_from_the_definition():
    from pathlib import Path

    from tregsim.model.definition import equations_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "equations.md"
    assert doc.read_text(encoding="utf-8") == equations_markdown(), "run `make docs`"
