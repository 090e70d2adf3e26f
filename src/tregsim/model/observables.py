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
* ``treg_blood_fold``: ``treg_periphery`` over the subject's own day-0 value.
* ``glucose_mmol_l``: blood glucose (a state of the minimal glucose model, both species).
"""

from __future__ import annotations

import numpy as np

from tregsim.model.codegen import python_assignments
from tregsim.model.definition import STATE_INDEX

#: name -> (unit, description); the contract's observables.
OBSERVABLES: dict[str, tuple[str, str]] = {
    "teff_periphery": ("cells", "activated autoreactive Teff in lymphoid organs and blood"),
    "treg_periphery": ("cells", "activated autoreactive Treg in lymphoid organs and blood"),
    "teff_cns": ("cells", "activated autoreactive Teff in the CNS"),
    "treg_cns": ("cells", "activated autoreactive Treg in the CNS"),
    "treg_blood_fold": ("1", "blood Treg relative to the subject's day 0"),
    "igf1_total_ng_ml": ("ng/mL", "plasma IGF-1, total"),
    "igf1_free_ng_ml": ("ng/mL", "plasma IGF-1, free"),
    "myelin_intact": ("1", "fraction of myelin intact"),
    "clinical_score": ("score", "mouse EAE score 0-5 (5 = dead)"),
    "alive": ("1", "mouse survival indicator"),
    "edss": ("score", "expanded disability status scale 0-10"),
    "gd_lesions": ("lesions", "expected gadolinium-enhancing lesion count"),
    "relapse": ("1", "1 while a relapse is under way"),
    "glucose_mmol_l": ("mmol/L", "blood glucose"),
}
MOUSE_ONLY = ("clinical_score", "alive")
HUMAN_ONLY = ("edss", "gd_lesions", "relapse")


def observable_names(species: str) -> list[str]:
    drop = HUMAN_ONLY if species == "mouse" else MOUSE_ONLY
    return [n for n in OBSERVABLES if n not in drop]


def hill(x: np.ndarray, x50: float, n: float) -> np.ndarray:
    x = np.clip(x, 0.0, None)
    return x**n / (x50**n + x**n)


def compute(species: str, y: np.ndarray, p: np.ndarray, values: dict[str, float]) -> dict[str, np.ndarray]:
    """Observables of one subject; ``y`` has shape (n_times, n_states)."""
    a = python_assignments()(y.T, p)
    s = {name: y[:, i] for name, i in STATE_INDEX.items()}
    intact = np.clip(a["intact"], 0.0, 1.0)
    out: dict[str, np.ndarray] = {
        "teff_periphery": s["teff_periphery"], "treg_periphery": s["treg_periphery"],
        "teff_cns": s["teff_cns"], "treg_cns": s["treg_cns"],
        "treg_blood_fold": s["treg_periphery"] / s["treg_periphery"][0] if s["treg_periphery"][0] > 0
        else np.full(len(y), np.nan),
        "igf1_total_ng_ml": a["c_free"] + a["c_bound"], "igf1_free_ng_ml": a["c_free"],
        "myelin_intact": intact,
        "glucose_mmol_l": s["glucose"],
    }
    lost = 1.0 - intact
    if species == "mouse":
        score = 5.0 * hill(lost, values["score_x50"], values["score_n"])
        dead = np.maximum.accumulate(score >= values["death_score"])
        out["clinical_score"] = np.where(dead, 5.0, score)
        out["alive"] = (~dead).astype(float)
    else:
        out["edss"] = 10.0 * hill(lost, values["edss_y50"], values["edss_n"])
        out["gd_lesions"] = s["gd"]
        out["relapse"] = (s["demyelinated"] > values["relapse_threshold"]).astype(float)
    return out
