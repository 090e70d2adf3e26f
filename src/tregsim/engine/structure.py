"""The model's one-way structure, derived from the definition: the drug subsystem and the rest.

The immune states are the states counted in cells; every state whose rate reads them (directly, or through
another such state) belongs with them (damage, lesions).  The other states form the **drug subsystem**
``D``: their rates read only each other, the parameters and the dosing inputs (today the IGF-1/IGF-II
pharmacokinetics, glucose and the immunisation adjuvant; a new drug's states join it by themselves as long
as no rate of theirs reads an immune state).  The coupling is one-way: the immune rates read a few drug
states (the **coupling states** ``C``, today ``igf1_free``), never the reverse.  So ``D`` can be solved on
its own, once for every subject that shares its parameters, initial state and dosing, and the immune
system integrated with ``C(t)`` as a known, interpolated function of time (:mod:`tregsim.engine.split`).

The partition is computed from the symbolic rates (every assignment substituted), never listed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tregsim.model.codegen import identifiers
from tregsim.model.definition import ASSIGNMENTS, INPUT_NAMES, PARAMETER_ORDER, STATES


@dataclass(frozen=True)
class Partition:
    """State indices (definition order) of the two subsystems.

    Attributes:
        drug: the drug subsystem ``D`` (rates read only ``D`` states).
        immune: the rest ``I`` (immune cells and every state that reads them).
        coupling: the ``D`` states that some ``I`` rate reads.
        drug_parameters: parameter indices (:data:`~tregsim.model.definition.PARAMETER_ORDER`) that ``D``
            rates read, the dosing inputs included: with ``D``'s initial state and dosing they decide its
            solution.
    """

    drug: tuple[int, ...]
    immune: tuple[int, ...]
    coupling: tuple[int, ...]
    drug_parameters: tuple[int, ...]


def state_dependencies() -> list[set[int]]:
    """For each state, the indices of the states its rate reads (with every assignment substituted)."""
    from tregsim.engine.symbolic import rates

    symbols, exprs = rates()
    index = {s: i for i, s in enumerate(symbols)}
    return [{index[x] for x in e.free_symbols if x in index} for e in exprs]


@lru_cache(maxsize=None)
def partition() -> Partition:
    """The drug subsystem, the immune rest and their coupling, from the definition's dependency graph."""
    from tregsim.engine.symbolic import rates

    deps = state_dependencies()
    immune = {i for i, s in enumerate(STATES) if s.unit == "cells"}
    grown = True
    while grown:  # close under "reads an immune state"
        grown = False
        for i, d in enumerate(deps):
            if i not in immune and d & immune:
                immune.add(i)
                grown = True
    drug = tuple(i for i in range(len(STATES)) if i not in immune)
    coupling = tuple(sorted(set().union(set(), *(deps[i] for i in immune)) - immune))
    _, exprs = rates()
    names = set().union(set(), *({x.name for x in exprs[i].free_symbols} for i in drug)) | set(INPUT_NAMES)
    params = tuple(k for k, q in enumerate(PARAMETER_ORDER) if q in names)
    return Partition(drug, tuple(sorted(immune)), coupling, params)


def _needed_assignments(rates_text: list[str]) -> set[str]:
    by_assign = {a.name: a for a in ASSIGNMENTS}
    needed: set[str] = set()
    todo = list(rates_text)
    while todo:
        for ident in identifiers(todo.pop()):
            if ident in by_assign and ident not in needed:
                needed.add(ident)
                todo.append(by_assign[ident].expr)
    return needed


def block_rhs_source(name: str, rows: tuple[int, ...], ucols: tuple[int, ...] = ()) -> str:
    """Python source of the rates ``rows`` of a subsystem, as the definition writes them, in place.

    Without ``ucols``: ``name(y, p, out)``, ``y`` holding the states ``rows``.  With ``ucols``:
    ``name(y, u, p, out)``, ``u`` holding the states ``ucols`` (read, not integrated).  Only the assignments
    the rates need (transitively) are computed.

    Raises:
        ValueError: a rate reads a state that is neither in ``rows`` nor in ``ucols``.
    """
    rates_text = [STATES[i].rate for i in rows]
    needed = _needed_assignments(rates_text)
    used = set().union(set(), *(identifiers(t) for t in rates_text),
                       *(identifiers(a.expr) for a in ASSIGNMENTS if a.name in needed))
    known = {STATES[i].name for i in (*rows, *ucols)}
    outside = used & ({s.name for s in STATES} - known)
    if outside:
        raise ValueError(f"the rates of {[STATES[i].name for i in rows]} read {sorted(outside)}")
    lines = [f"def {name}(y, u, p, out):" if ucols else f"def {name}(y, p, out):"]
    lines += [f"    {STATES[i].name} = y[{k}]" for k, i in enumerate(rows) if STATES[i].name in used]
    lines += [f"    {STATES[i].name} = u[{k}]" for k, i in enumerate(ucols) if STATES[i].name in used]
    lines += [f"    {q} = p[{k}]" for k, q in enumerate(PARAMETER_ORDER) if q in used]
    lines += [f"    {a.name} = {a.expr}" for a in ASSIGNMENTS if a.name in needed]
    lines += [f"    out[{k}] = {STATES[i].rate}" for k, i in enumerate(rows)]
    return "\n".join(lines) + "\n"
