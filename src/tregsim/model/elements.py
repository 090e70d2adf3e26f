"""The building blocks of the model definition: states and assignments.

They live in their own module so that drug modules (:mod:`tregsim.model.drugs`) can declare their states
and assignments without importing :mod:`tregsim.model.definition`, which assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    """One state variable of the ODE system.

    Attributes:
        name: identifier (also the SBML species/parameter id).
        unit: model unit of the state.
        rate: right-hand side d(name)/dt as an expression (unit per day).
        description: what it is.
    """

    name: str
    unit: str
    rate: str
    description: str


@dataclass(frozen=True)
class Assignment:
    """A derived quantity, computed in order before the rates."""

    name: str
    expr: str
    unit: str
    description: str


@dataclass(frozen=True)
class Observable:
    """One observable of the public contract, as an expression of states, assignments and parameters.

    Attributes:
        name: the contract's name (column of timecourse.csv; SBML id of its assignment rule).
        expr: its value (same language as the rates; may also use ``piecewise(a, cond, b)``, ``gt``, ``lt``,
            ``geq``, the readout parameters of the tables and the trajectory quantities of
            :data:`tregsim.model.definition.TRAJECTORY_QUANTITIES`).
        unit: unit of the value.
        description: what it is.
        species: the species that report it.
    """

    name: str
    expr: str
    unit: str
    description: str
    species: tuple[str, ...] = ("mouse", "human")
