"""Drugs: how each one is dosed into the model, in one descriptor per drug.

A drug is a module of this package that defines a :class:`Drug` (its routes, the state or input each route
doses, the bioavailability parameter of each route, its concentration column, mass units and, for biologics
dosed in International Units, the mass of one MIU).  A drug with its own pharmacology also contributes states,
assignments, inputs, kinetic parameters and observables, which :mod:`tregsim.model.definition` appends to the
one model; its parameter rows go into ``data/parameters_<species>.csv``.  So a further drug is a new module
here, its registration in :data:`DRUGS` and its parameter rows.

IGF-1's states are the model's original core (``definition.py``); its descriptor is :mod:`.igf1`.  IL-2
(aldesleukin) is :mod:`.il2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Drug:
    """How a drug enters the model.

    Attributes:
        name: the protocol's ``drug`` value.
        label: what it is, for messages and reports.
        routes: the routes a protocol may use.
        bolus_state: route -> the state an amount dose is added to (ug/kg, after bioavailability).
        infusion_input: route -> the input a rate dose sets (ug/kg/day, after bioavailability).
        bioavailability: route -> the parameter holding the fraction absorbed (routes absent: 1).
        concentration_column: the observable whose Cmax/Ctrough summarise exposure (ng/mL).
        body_states: states holding the drug inside the body (ug/kg), for mass balance.
        eliminated_state: cumulative amount eliminated (ug/kg), for mass balance.
        species: species whose parameter tables describe this drug.
        ug_per_miu: mass of one million International Units (ug), for drugs dosed in IU; None: mass only.
        ug_per_miu_source: where that conversion comes from.
    """

    name: str
    label: str
    routes: tuple[str, ...]
    bolus_state: Mapping[str, str]
    infusion_input: Mapping[str, str]
    bioavailability: Mapping[str, str]
    concentration_column: str
    body_states: tuple[str, ...]
    eliminated_state: str
    species: tuple[str, ...] = ("mouse", "human")
    ug_per_miu: float | None = None
    ug_per_miu_source: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def fraction_absorbed(self, route: str, values: Mapping[str, float]) -> float:
        """Bioavailability of ``route`` from a subject's parameter values (1 where the route has none)."""
        name = self.bioavailability.get(route)
        return 1.0 if name is None else float(values[name])


def _registry() -> dict[str, Drug]:
    from tregsim.model.drugs import igf1, il2

    return {igf1.DRUG.name: igf1.DRUG, il2.DRUG.name: il2.DRUG}


#: Every modelled drug by its protocol name (placebo is not a drug: it doses nothing).
DRUGS: dict[str, Drug] = _registry()


def drug(name: str) -> Drug:
    """The descriptor of drug ``name``.

    Raises:
        KeyError: not a modelled drug.
    """
    return DRUGS[name]
