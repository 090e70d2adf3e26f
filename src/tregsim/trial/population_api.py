"""Where a trial's patients come from: the :class:`PatientSource` protocol and the honest default.

A patient source draws per-patient parameter overrides, the ``overrides`` of
:func:`tregsim.model.subject.build_subject`.  The trial asks for one candidate at a time, each with its own
generator (:func:`tregsim.trial.streams.population_rng`), so a candidate's parameters never depend on how many
others are drawn or in what chunks.

:class:`TablePopulation` is the default until a fitted virtual population exists: every patient has the
parameter table's values (plus any fixed overrides given), so patients differ only in their stochastic immune
triggers.  That is a population of one parameter set, not a calibrated population: it shows what the trial
machinery does, not how many patients a real trial needs.  A fitted ``VirtualPopulation``
(tregsim.trial.population) replaces it through the same protocol.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class PatientSource(Protocol):
    """Anything with ``sample(n, rng) -> list[dict[str, float]]``: per-patient parameter overrides (model
    units, names of the human parameter table).

    Optional: ``fingerprint() -> str``, a stable identity of the population (its parameters, its fit), used
    to refuse resuming a results folder with a different population; without it the class name is used.
    """

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        ...


class TablePopulation:
    """Every patient has the parameter table's values and ``overrides``; only the immune triggers differ.

    Arguments:
        overrides: fixed parameter values given to every patient (model units), e.g. ``{"aR": 0.27}``.
    """

    def __init__(self, overrides: dict[str, float] | None = None):
        self.overrides = {str(k): float(v) for k, v in (overrides or {}).items()}

    def sample(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        """``n`` copies of the fixed overrides (``rng`` is not used: no parameter is random)."""
        return [dict(self.overrides) for _ in range(int(n))]

    def fingerprint(self) -> str:
        return "TablePopulation:" + json.dumps(sorted(self.overrides.items()))

    def __repr__(self) -> str:
        return f"TablePopulation({self.overrides!r})"


def population_fingerprint(population: PatientSource) -> str:
    """A short stable identity of ``population`` (its ``fingerprint()``, else its class)."""
    fp = getattr(population, "fingerprint", None)
    text = str(fp()) if callable(fp) else f"{type(population).__module__}.{type(population).__qualname__}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
