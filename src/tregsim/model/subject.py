"""One seeded subject: parameters, initial state and dose/trigger schedule.

Randomness comes from one generator per subject, seeded from (protocol seed,
subject index) through ``numpy.random.SeedSequence``, so a subject gives the
same trajectory whatever the chunking, worker count or back end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from tregsim.model.definition import DERIVED_NAMES, PK_STATES, STATE_INDEX, STATES
from tregsim.model.parameters import parameter_vector, resolve
from tregsim.protocol import SimulationProtocol
from tregsim.schedule import Bolus, Schedule, add_regimen, poisson_times


@dataclass
class Subject:
    """Everything a solver needs for one subject.

    Attributes:
        index: subject number within the protocol (0-based).
        seed: the (protocol seed, index) pair that reproduces this subject.
        values: resolved kinetic and readout parameters (model units).
        p: parameter vector in generated-code order (inputs zero; switches set).
        y0: initial state.
        schedule: boluses (doses, immunisation, triggers) and infusions.
        t_end: simulation end (day).
    """

    index: int
    seed: tuple[int, int]
    values: dict[str, float]
    p: np.ndarray
    y0: np.ndarray
    schedule: Schedule
    t_end: float


def pk_baseline(values: dict[str, float]) -> tuple[float, float]:
    """Endogenous steady state of IGF-1 without drug: (free, bound) amounts in ug/kg."""
    st = pk_steady_state(values)
    return st["igf1_free"], st["igf1_bound"]


def pk_steady_state(values: dict[str, float]) -> dict[str, float]:
    """The no-drug steady state of every PK/glucose state (model units) and the derived parameters.

    IGF-I and IGF-II share the IGFBP sites with one affinity, so with K = kon / (koff + k_bound) the
    unoccupied sites are S = Bt / (1 + K (c1 + c2)) and each IGF's bound level is K c S.  Production
    balances elimination: ksyn = c1 (CL_free + k_bound V_bound K S), likewise for IGF-II; the sum gives
    one equation in x = c1 + c2, x (CL_free + a / (1 + K x)) = ksyn + ksyn_igf2 with a = k_bound V_bound K Bt,
    whose left side is strictly increasing: the root is unique (brentq).  Glucose rests at G0 and
    counter-regulation at its drive there.  Bt = Bmax * igfbp3_factor is the no-drug capacity, free and
    occupied sites together; the site secretion ``ksyn_bp`` (a derived parameter) replaces what leaves:
    unoccupied sites at k_bp, occupied ones with their IGF at k_bound.  Complexes outside plasma are in
    balance with those inside: tissue = bound x k_bt / k_tb.
    """
    k = values["kon"] / (values["koff"] + values["k_bound"])
    bt = values["Bmax"] * values["igfbp3_factor"]
    cl, kb, vb = values["CL_free"], values["k_bound"], values["V_bound"]
    total_production = values["ksyn"] + values["ksyn_igf2"]
    a = kb * vb * k * bt

    def excess(x: float) -> float:
        return x * (cl + a / (1.0 + k * x)) - total_production

    hi = 1.0
    while excess(hi) < 0:
        hi *= 10
        if hi > 1e12:
            raise ValueError("endogenous IGF production exceeds the maximal elimination: no steady state")
    x = brentq(excess, 0.0, hi, xtol=1e-15, rtol=1e-14)
    sites = bt / (1.0 + k * x)
    denom = cl + kb * vb * k * sites
    c1, c2 = values["ksyn"] / denom, values["ksyn_igf2"] / denom
    state = {
        "igf1_depot_sc": 0.0, "igf1_depot_ip": 0.0,
        "igf1_free": c1 * values["V_free"], "igf1_bound": k * c1 * sites * vb,
        "igf1_tissue": k * c1 * sites * vb * values["k_bt"] / values["k_tb"],
        "igf2_free": c2 * values["V_free"], "igf2_bound": k * c2 * sites * vb,
        "igf2_tissue": k * c2 * sites * vb * values["k_bt"] / values["k_tb"],
        "igfbp_free": sites * vb,
        "igf1_eliminated": 0.0, "glucose": values["G0"], "counterreg": 0.0,
    }
    # the glucose terms at this state, from the model's own (generated) assignments
    from tregsim.model.codegen import python_assignments

    y = np.zeros(len(STATES))
    for name, amount in state.items():
        y[STATE_INDEX[name]] = amount
    a = python_assignments()(y, parameter_vector(values, derived={n: 0.0 for n in DERIVED_NAMES}))
    cr0 = values["Emax_cr"] * float(a["glc_drive"])
    state["counterreg"] = cr0
    ksyn_bp = vb * (values["k_bp"] * sites + kb * k * x * sites)  # secretion = loss of free and occupied sites
    return {**state, "ksyn_bp": ksyn_bp, "glc_uptake0": float(a["glc_uptake"]), "glc_cr0": cr0}  # with the derived parameters


def derived_parameters(values: dict[str, float]) -> dict[str, float]:
    """The :data:`~tregsim.model.definition.DERIVED_NAMES` values of a parameter set."""
    st = pk_steady_state(values)
    return {n: st[n] for n in DERIVED_NAMES}


def pk_initial_state(values: dict[str, float]) -> np.ndarray:
    """The PK/glucose states at their no-drug steady state, in PK_STATES order."""
    st = pk_steady_state(values)
    return np.array([st[n] for n in PK_STATES])


#: States carried over from the burn-in.  Humans keep their ongoing (reversible) damage and lesions;
#: naive mice keep only their immune steady state.  Irreversible damage is reset to the entry value;
#: PK stays at its endogenous baseline.
IMMUNE_STATES = ("teff_resting", "treg_resting", "teff_periphery", "treg_periphery", "teff_cns", "treg_cns")
BURN_IN_CARRIED = {"human": IMMUNE_STATES + ("demyelinated", "gd"), "mouse": IMMUNE_STATES}


_DETERMINISTIC_BURN_IN: dict[tuple, np.ndarray] = {}


def run_in_solver(stochastic: bool, parallel: bool = True):
    """The engine of a run-in, with its settings written out, so that a subject's day-0 state does not change
    with the engine's defaults.

    With triggers (RRMS): the split solve with DOP853 on the immune states (the drug subsystem is at its
    no-drug steady state), rtol 1e-11, immune absolute tolerances x 1e-4, drug rtol 3e-8.  Measured on 64
    bench patients' one-year run-ins against the coupled RODAS4 at rtol 1e-11: median error 1.2e-7, max
    4.7e-4, 12x faster than the coupled RODAS4 at rtol 1e-8 (median 5.6e-7, max 1.2e-3; the run-in engine
    before 2026-11-30).  Without triggers (mouse: computed once per parameter set and cached; the mouse fit's
    day-0 states): the coupled RODAS4, rtol 1e-8 immune / 1e-5 PK."""
    from tregsim.engine.ensemble import EnsembleSolver

    if stochastic:
        return EnsembleSolver(rtol=1e-11, rtol_pk=3e-8, immune_atol_scale=1e-4, parallel=parallel, split=True,
                              immune_method="dop853")
    return EnsembleSolver(rtol=1e-8, rtol_pk=1e-5, parallel=parallel, split=False)


def _burn_in_subject(values: dict[str, float], y0: np.ndarray, streams: dict[str, np.random.Generator],
                     switches: dict[str, float]) -> Subject:
    """The run-in of one subject as a subject of its own: the untreated disease for ``burn_in_days`` from
    ``y0`` with the subject's own run-in triggers (drawn here, from their own streams)."""
    t_burn = float(values["burn_in_days"])
    sched = Schedule()
    if values["trigger_rate"] > 0:
        for state in ("teff_resting", "treg_resting"):
            for t in poisson_times(streams[f"burn_in:{state}"], values["trigger_rate"], 0.0, t_burn):
                sched.boluses.append(Bolus(float(t), state, values["trigger_size"]))
    sched.boluses.sort(key=lambda b: b.time)
    return Subject(-1, (0, 0), values, parameter_vector(values, switches=switches), y0, sched, t_burn)


def _run_burn_ins(runs: list[Subject]) -> list[np.ndarray]:
    """The day-0 states at the end of the run-ins ``runs`` (their whole state vectors), solved together.

    The engine of :func:`run_in_solver`, in parallel over subjects: a subject's result does not depend on the
    batch or the thread count, so a subject's day-0 state is the same whether it is built alone or with
    others.  A run-in without triggers is the same for every subject with the same parameters and initial
    state: it is solved once and cached."""
    ends: list[np.ndarray | None] = [None] * len(runs)
    todo: dict[tuple, list[int]] = {}
    for k, run in enumerate(runs):
        if run.schedule.boluses:
            todo.setdefault(("stochastic", k), []).append(k)
            continue
        key = (tuple(sorted(run.values.items())), tuple(run.p), run.y0.tobytes())
        if key in _DETERMINISTIC_BURN_IN:
            ends[k] = _DETERMINISTIC_BURN_IN[key].copy()
        else:
            todo.setdefault(key, []).append(k)
    by_length: dict[tuple[float, bool], list[tuple]] = {}
    for key in todo:
        by_length.setdefault((runs[todo[key][0]].t_end, key[0] == "stochastic"), []).append(key)
    for (t_burn, _), keys in by_length.items():
        batch = [runs[todo[key][0]] for key in keys]
        solver = run_in_solver(keys[0][0] == "stochastic", parallel=len(batch) > 1)
        out = solver.solve_cohort(batch, np.array([0.0, t_burn]))
        for key, y in zip(keys, out):
            for k in todo[key]:
                ends[k] = y[-1].copy()
            if key[0] != "stochastic":
                # without triggers the run-in ends at the immune equilibrium where there is a stable one
                y_end = immune_equilibrium(y[-1], runs[todo[key][0]].p)
                for k in todo[key]:
                    ends[k] = y_end.copy()
                if len(_DETERMINISTIC_BURN_IN) > 256:
                    _DETERMINISTIC_BURN_IN.clear()
                _DETERMINISTIC_BURN_IN[key] = y_end.copy()
    return ends  # type: ignore[return-value]


def immune_equilibrium(y: np.ndarray, p: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """The immune cells' no-trigger equilibrium near ``y`` (Newton from the end of the run-in), if it is stable.

    Without triggers the Velez core settles to a fixed point through a damped oscillation whose slowest mode
    decays over ~60 days at the mouse values, so a run-in of finite length leaves a phase-dependent remainder
    (up to 4 % of the naive Treg share after 200 days: the objective's noise, docs/model.md section 5).  The
    root of the immune rates (:data:`IMMUNE_STATES`, the others held) replaces the integrated state when it
    converges and every eigenvalue of the Jacobian there has a negative real part; otherwise ``y`` is
    returned unchanged (no stable equilibrium: the state then depends on the run-in's length).
    """
    from scipy.optimize import root

    from tregsim.model.codegen import python_rhs

    rhs = python_rhs()
    idx = np.array([STATE_INDEX[s] for s in IMMUNE_STATES])

    def rates(x: np.ndarray) -> np.ndarray:
        z = y.copy()
        z[idx] = x
        return rhs(0.0, z, p)[idx]

    sol = root(rates, y[idx], method="hybr", tol=tol)
    x = sol.x
    if not sol.success or np.any(x < 0) or np.max(np.abs(rates(x))) > 1e-6 * max(1.0, np.max(np.abs(x))):
        return y
    jac = np.empty((idx.size, idx.size))
    for j in range(idx.size):
        h = 1e-6 * max(abs(x[j]), 1.0)
        up, dn = x.copy(), x.copy()
        up[j] += h
        dn[j] -= h
        jac[:, j] = (rates(up) - rates(dn)) / (2 * h)
    if np.max(np.linalg.eigvals(jac).real) >= 0:
        return y
    out = y.copy()
    out[idx] = x
    return out


#: Mayo Clinic adult male total IGF-1 reference ranges (LC-MS/MS), midpoints in ng/mL by age (years):
#: 18-22 y 91-442, 36-40 y 48-292, 61-65 y 33-220 (BRIEF 4, [V]).
MAYO_MIDPOINTS = ((20.0, (91 + 442) / 2), (38.0, (48 + 292) / 2), (63.0, (33 + 220) / 2))
REFERENCE_AGE = 38.0  # the fitted adult (FREEDOMS mean age 37)


def age_production_factor(age_years: float) -> float:
    """Endogenous IGF-1 production relative to a 38-year-old: the ratio of Mayo reference-range
    midpoints, log-linearly interpolated and flat outside 20-63 y (assumption: production, not
    clearance, falls with age)."""
    ages, mids = zip(*MAYO_MIDPOINTS)
    log_mid = np.interp(age_years, ages, np.log(mids))
    return float(np.exp(log_mid - np.interp(REFERENCE_AGE, ages, np.log(mids))))


def switches_for(knockouts: list[str]) -> dict[str, float]:
    """Knockout names to model switches."""
    ko = set(knockouts)
    return {
        "ko_treg_igf1r": 1.0 if ko & {"treg_igf1r", "pan_t_igf1r"} else 0.0,
        "ko_teff_igf1r": 1.0 if "pan_t_igf1r" in ko else 0.0,
    }


def subject_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of subject ``index`` under protocol seed ``seed`` (the immunisation draw of a mouse)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


#: One random stream per kind of event, so that no draw shifts another (keys of :func:`event_streams`).
EVENT_STREAMS: tuple[str, ...] = ("burn_in:teff_resting", "burn_in:treg_resting", "run:teff_resting",
                                  "run:treg_resting")


def event_streams(seed: int, index: int) -> dict[str, np.random.Generator]:
    """Independent generators for subject ``index``'s trigger streams: ``SeedSequence([seed, index, k])``
    with k = 1, 2, ... in the order of :data:`EVENT_STREAMS`.  With the prefix-stable
    :func:`~tregsim.schedule.poisson_times`, a subject's triggers up to day T are the same for every run
    that lasts at least T days."""
    return {name: np.random.default_rng(np.random.SeedSequence([int(seed), int(index), k]))
            for k, name in enumerate(EVENT_STREAMS, start=1)}


def build_subject(protocol: SimulationProtocol, index: int, seed: int, overrides: dict[str, float] | None = None,
                  immunisation_multiplier: float | None = None) -> Subject:
    """Draw subject ``index`` of ``protocol`` under ``seed``.

    Arguments:
        protocol: the validated protocol.
        index: subject number; with ``seed`` it fixes the subject's random draws.
        seed: protocol seed.
        overrides: parameter values replacing the table's (calibration, sensitivity).
        immunisation_multiplier: use this instead of the random lognormal draw (quadrature in fits).

    Many subjects are built faster by :func:`build_subjects` (their run-ins solved together); the
    subject is the same either way.
    """
    return build_subjects(protocol, [index], seed, [overrides], [immunisation_multiplier])[0]


def build_subjects(protocol: SimulationProtocol, indices: "list[int] | range", seed: int,
                   overrides: "list[dict[str, float] | None] | dict[str, float] | None" = None,
                   immunisation_multipliers: "list[float | None] | None" = None) -> list[Subject]:
    """Draw the subjects ``indices`` of ``protocol`` under ``seed``: the same subjects as
    :func:`build_subject` one at a time, with their run-ins solved together (in parallel).

    Arguments:
        overrides: one parameter dict (or None) per subject, or one dict for all of them.
        immunisation_multipliers: one value (or None: the random draw) per subject.
    """
    indices = list(indices)
    if overrides is None or isinstance(overrides, dict):
        overrides = [overrides] * len(indices)
    if immunisation_multipliers is None:
        immunisation_multipliers = [None] * len(indices)
    if not len(overrides) == len(immunisation_multipliers) == len(indices):
        raise ValueError("build_subjects: one override and one immunisation multiplier per subject")
    switches = switches_for(list(protocol.knockouts))
    drafts = [_draw_subject(protocol, index, seed, ov, switches) for index, ov in zip(indices, overrides)]
    pending = [k for k, d in enumerate(drafts) if d[0]["burn_in_days"] > 0]
    ends = _run_burn_ins([_burn_in_subject(drafts[k][0], drafts[k][1], drafts[k][2], switches) for k in pending])
    for k, end in zip(pending, ends):
        y0 = drafts[k][1]
        for name in BURN_IN_CARRIED[protocol.species]:
            y0[STATE_INDEX[name]] = end[STATE_INDEX[name]]
    return [_finish_subject(protocol, index, seed, values, y0, streams, switches, mult)
            for index, (values, y0, streams), mult in zip(indices, drafts, immunisation_multipliers)]


def _draw_subject(protocol: SimulationProtocol, index: int, seed: int, overrides: dict[str, float] | None,
                  switches: dict[str, float]) -> tuple[dict[str, float], np.ndarray, dict[str, np.random.Generator]]:
    """A subject's parameter values, its state before the run-in (PK at the endogenous steady state) and
    its event streams."""
    values = resolve(protocol.species, protocol.disease, protocol.hypothesis)
    if overrides:
        unknown = set(overrides) - set(values)
        if unknown:
            raise KeyError(f"unknown parameters {sorted(unknown)}")
        values.update(overrides)
    if protocol.age_years is not None:
        values["ksyn"] *= age_production_factor(protocol.age_years)
    y0 = np.zeros(len(STATES))
    steady = pk_steady_state(values)
    for name in PK_STATES:
        y0[STATE_INDEX[name]] = steady[name]
    values.update({n: steady[n] for n in DERIVED_NAMES})
    y0[STATE_INDEX["teff_periphery"]] = values["teff0"]
    y0[STATE_INDEX["treg_periphery"]] = values["treg0"]
    y0[STATE_INDEX["axon_loss"]] = values["axon_loss0"]
    return values, y0, event_streams(seed, index)


def _finish_subject(protocol: SimulationProtocol, index: int, seed: int, values: dict[str, float], y0: np.ndarray,
                    streams: dict[str, np.random.Generator], switches: dict[str, float],
                    immunisation_multiplier: float | None) -> Subject:
    """The subject after its run-in: immunisation, triggers of the run, the protocol's doses."""
    rng = subject_rng(seed, index)
    t_end = float(protocol.duration_days)
    schedule = Schedule()
    # Immunisation (mouse EAE): a bolus of primed resting Teff and the adjuvant effect at day 0; one
    # lognormal "immunisation strength" per animal scales both (animal-to-animal variability).
    if values["immunisation_teff"] > 0:
        draw = float(np.exp(rng.normal(0.0, values["immunisation_sd_log"])))
        mult = draw if immunisation_multiplier is None else immunisation_multiplier
        schedule.boluses.append(Bolus(0.0, "teff_resting", values["immunisation_teff"] * mult))
        if values["immunisation_adjuvant"] > 0:
            schedule.boluses.append(Bolus(0.0, "adjuvant", values["immunisation_adjuvant"] * mult))
    # Stochastic immune triggers (Velez 2011): independent Poisson streams for Teff and Treg, each from its
    # own generator and prefix-stable, so the triggers up to day T do not depend on the run's duration.
    for state in ("teff_resting", "treg_resting"):
        for t in poisson_times(streams[f"run:{state}"], values["trigger_rate"], 0.0, t_end):
            schedule.boluses.append(Bolus(float(t), state, values["trigger_size"]))
    bio = {"sc": values["F_sc"], "minipump": values["F_sc"], "ip": values["F_ip"]}
    for reg in protocol.regimens:
        add_regimen(schedule, reg, t_end, protocol.weight_kg, bio, values)
    schedule.boluses.sort(key=lambda b: b.time)

    p = parameter_vector(values, switches=switches)
    y0[STATE_INDEX["treg_blood"]] = treg_blood_steady(y0, p)
    return Subject(index, (int(seed), index), values, p, y0, schedule, t_end)


def treg_blood_steady(y: np.ndarray, p: np.ndarray) -> float:
    """The polyclonal blood Treg pool at its no-drug steady state: ``treg_blood_target`` at the state ``y``
    (the endogenous IGF-1 baseline, no IL-2) with the subject's parameters and knockout switches ``p``."""
    from tregsim.model.codegen import python_assignments

    return float(python_assignments()(y, p)["treg_blood_target"])
