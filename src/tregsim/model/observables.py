"""Observables of the public contract, computed from state trajectories.

Continuous readouts are functions of the model state (assignments of the one
model definition); threshold readouts (death, relapse) are defined on the
trajectory and documented here:

* ``clinical_score`` (mouse): ``5 x^n / (x50^n + x^n)`` with ``x = 1 - myelin_intact``
  (spinal-cord myelin lost, reversibly or not).  An animal whose score reaches
  ``death_score`` (4.5, moribund: humane end point) is dead from then on:
  ``alive = 0`` and the score is 5 (the EAE scale's "dead").
* ``edss`` (human): ``10 y^n / (y50^n + y^n)`` with ``y = 1 - myelin_intact``.
* ``relapse`` (human): 1 while the reversibly demyelinated fraction exceeds
  ``relapse_threshold``.
* ``gd_lesions``: the expected count of enhancing lesions (a state).
* ``treg_blood_fold``: the polyclonal blood Treg pool ``treg_blood`` over the subject's own day-0 value.
* ``glucose_mmol_l``: blood glucose (a state of the minimal glucose model, both species).
"""

from __future__ import annotations

import numpy as np

from tregsim.model.codegen import evaluate, identifiers, python_assignments
from tregsim.model.definition import INTERNAL_OBSERVABLES, OBSERVABLES as _DEFINED, STATE_INDEX, TRAJECTORY_QUANTITIES

TRAJECTORY_NAMES = frozenset(n for n, _, _ in TRAJECTORY_QUANTITIES)

#: name -> (unit, description); the contract's observables (from the model definition).
OBSERVABLES: dict[str, tuple[str, str]] = {o.name: (o.unit, o.description) for o in _DEFINED
                                           if o.name not in INTERNAL_OBSERVABLES}
MOUSE_ONLY = tuple(o.name for o in _DEFINED if o.species == ("mouse",) and o.name not in INTERNAL_OBSERVABLES)
HUMAN_ONLY = tuple(o.name for o in _DEFINED if o.species == ("human",) and o.name not in INTERNAL_OBSERVABLES)


def observable_names(species: str) -> list[str]:
    drop = HUMAN_ONLY if species == "mouse" else MOUSE_ONLY
    return [n for n in OBSERVABLES if n not in drop]


def _trajectory_quantity(name: str, names: dict) -> np.ndarray | float:
    """The definition's TRAJECTORY_QUANTITIES from a subject's trajectory (first row: day 0)."""
    if name == "treg_blood_day0":
        first = float(names["treg_blood"][0])
        return first if first > 0 else np.nan
    if name == "dead":  # absorbing: dead from the first output time the raw score reaches death_score
        return np.maximum.accumulate(names["score_raw"] >= names["death_score"]).astype(float)
    raise KeyError(name)


def compute(species: str, y: np.ndarray, p: np.ndarray, values: dict[str, float]) -> dict[str, np.ndarray]:
    """Observables of one subject; ``y`` has shape (n_times, n_states).

    Every observable is its expression in :data:`tregsim.model.definition.OBSERVABLES`, evaluated on the
    trajectory; ``values`` supplies the readout parameters.
    """
    names: dict = dict(values)
    names.update({name: y[:, i] for name, i in STATE_INDEX.items()})
    names.update(python_assignments()(y.T, p))
    out: dict[str, np.ndarray] = {}
    for obs in _DEFINED:
        if species not in obs.species:
            continue
        for ident in identifiers(obs.expr):
            if ident not in names and ident in TRAJECTORY_NAMES:
                names[ident] = _trajectory_quantity(ident, names)
        value = np.broadcast_to(np.asarray(evaluate(obs.expr, names), dtype=float), (len(y),)).copy()
        names[obs.name] = value
        if obs.name not in INTERNAL_OBSERVABLES:
            out[obs.name] = value
    return out
