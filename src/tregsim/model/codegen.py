"""Generate executable right-hand sides from the model definition.

The generated functions are plain Python over floats or numpy arrays, so the
same source serves the scipy reference solver (scalars) and vectorised
observable evaluation (arrays over time or subjects).  The source text is kept
(:data:`RHS_SOURCE`) so that a JIT back end can compile exactly the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from tregsim.model.definition import ASSIGNMENTS, PARAMETER_ORDER, PK_STATES, STATES


def _header(state_arg: str, param_arg: str) -> list[str]:
    lines = [f"    {s.name} = {state_arg}[{i}]" for i, s in enumerate(STATES)]
    lines += [f"    {p} = {param_arg}[{i}]" for i, p in enumerate(PARAMETER_ORDER)]
    lines += [f"    {a.name} = {a.expr}" for a in ASSIGNMENTS]
    return lines


def rhs_source(name: str = "rhs") -> str:
    """Python source of ``rhs(t, y, p) -> dydt`` (t in days)."""
    lines = [f"def {name}(t, y, p):"]
    lines += _header("y", "p")
    lines.append(f"    out = np.empty({len(STATES)})")
    lines += [f"    out[{i}] = {s.rate}" for i, s in enumerate(STATES)]
    lines.append("    return out")
    return "\n".join(lines) + "\n"


def inplace_rhs_source(name: str = "rhs_inplace") -> str:
    """Python source of ``name(y, p, out)`` writing d(state)/dt into ``out`` (for compiled back ends)."""
    lines = [f"def {name}(y, p, out):"]
    lines += _header("y", "p")
    lines += [f"    out[{i}] = {s.rate}" for i, s in enumerate(STATES)]
    return "\n".join(lines) + "\n"


def batch_rhs_source(name: str = "batch_rhs") -> str:
    """Python source of ``batch_rhs(t, y, p) -> dydt`` for a cohort.

    ``y`` is the flat state of N subjects, state-major (``y.reshape(n_states, N)``); ``p`` has shape
    (n_parameters,) or (n_parameters, N).  Same expressions as :func:`rhs_source`, evaluated on rows.
    """
    lines = [f"def {name}(t, y, p):", f"    y = y.reshape({len(STATES)}, -1)"]
    lines += _header("y", "p")
    lines.append("    out = np.empty_like(y)")
    lines += [f"    out[{i}] = {s.rate}" for i, s in enumerate(STATES)]
    lines.append("    return out.ravel()")
    return "\n".join(lines) + "\n"


def identifiers(expr: str) -> set[str]:
    """Names used in an expression (functions such as ``pow`` included)."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr))


def subsystem_source(states: tuple[str, ...], name: str) -> str:
    """Python source of ``name(t, y, p) -> dydt`` for a closed subset of the states, in the given order.

    Only the assignments the subset's rates need (transitively) are computed.

    Raises:
        ValueError: a rate of the subset reads a state outside it (the subset is not closed).
    """
    by_state = {s.name: s for s in STATES}
    by_assign = {a.name: a for a in ASSIGNMENTS}
    outside = set(by_state) - set(states)
    needed: set[str] = set()
    todo = [by_state[n].rate for n in states]
    while todo:
        for ident in identifiers(todo.pop()):
            if ident in outside:
                raise ValueError(f"the subsystem {states} is not closed: it reads state {ident!r}")
            if ident in by_assign and ident not in needed:
                needed.add(ident)
                todo.append(by_assign[ident].expr)
    used = set().union(*(identifiers(by_state[n].rate) for n in states),
                       *(identifiers(by_assign[a].expr) for a in needed))
    lines = [f"def {name}(t, y, p):"]
    lines += [f"    {n} = y[{i}]" for i, n in enumerate(states)]
    lines += [f"    {p} = p[{i}]" for i, p in enumerate(PARAMETER_ORDER) if p in used]
    lines += [f"    {a.name} = {a.expr}" for a in ASSIGNMENTS if a.name in needed]
    lines.append(f"    out = np.empty({len(states)})")
    lines += [f"    out[{i}] = {by_state[n].rate}" for i, n in enumerate(states)]
    lines.append("    return out")
    return "\n".join(lines) + "\n"


def assignments_source(name: str = "assignments") -> str:
    """Python source of ``assignments(y, p) -> dict`` (y may be states x time)."""
    lines = [f"def {name}(y, p):"]
    lines += _header("y", "p")
    body = ", ".join(f"'{a.name}': {a.name}" for a in ASSIGNMENTS)
    lines.append(f"    return {{{body}}}")
    return "\n".join(lines) + "\n"


def _piecewise(value, condition, otherwise):
    """SBML ``piecewise(value, condition, otherwise)`` on floats or arrays."""
    return np.where(condition, value, otherwise)


#: The functions of the expression language, for numpy (SBML's names: pow, piecewise, gt, lt, geq).
FUNCTIONS: dict = {"np": np, "pow": np.power, "piecewise": _piecewise, "gt": np.greater, "lt": np.less,
                   "geq": np.greater_equal}


@lru_cache(maxsize=None)
def _compiled_expression(expr: str):
    return compile(expr, "<tregsim expression>", "eval")


def evaluate(expr: str, names: dict) -> np.ndarray:
    """Value of one expression of the model definition, with ``names`` (floats or arrays) bound."""
    return eval(_compiled_expression(expr), dict(FUNCTIONS), names)  # noqa: S307 - our own definition's text


def _compile(source: str, name: str) -> Callable:
    namespace: dict = dict(FUNCTIONS)
    exec(compile(source, f"<tregsim generated {name}>", "exec"), namespace)  # noqa: S102 - our own source
    return namespace[name]


RHS_SOURCE = rhs_source()


@lru_cache(maxsize=None)
def python_rhs() -> Callable:
    """The right-hand side compiled as plain Python."""
    return _compile(RHS_SOURCE, "rhs")


@lru_cache(maxsize=None)
def python_batch_rhs() -> Callable:
    """The cohort right-hand side (state-major flat vector of N subjects)."""
    return _compile(batch_rhs_source(), "batch_rhs")


@lru_cache(maxsize=None)
def python_pk_rhs() -> Callable:
    """The right-hand side of the PK and glucose subsystem (:data:`~tregsim.model.definition.PK_STATES`)."""
    return _compile(subsystem_source(PK_STATES, "pk_rhs"), "pk_rhs")


@lru_cache(maxsize=None)
def python_assignments() -> Callable:
    """Derived quantities (concentrations, occupancies...) for state arrays."""
    return _compile(assignments_source(), "assignments")
