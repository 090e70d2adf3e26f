"""``run_trial``: an in-silico trial of a ``kind: trial`` protocol, chunk by chunk, resumable.

For each replicate ``r`` (an independent repetition of the whole trial):

1. **Screening.**  Candidates ``k = 0, 1, ...`` are drawn in order (parameters from the population, immune
   triggers from the seed; :mod:`tregsim.trial.streams`), simulated untreated through the screening period
   and kept if they meet the inclusion criteria (:func:`tregsim.trial.endpoints.eligible`), until enough are
   enrolled or ``population.max_screened_per_enrolled`` times as many were screened (then the trial is
   infeasible: an input error naming ``population.inclusion``).
2. **Allocation.**  ``pairing: independent`` (default): the j-th enrolled candidate goes to arm ``j mod A``
   (A arms), so every arm has its own patients, as randomisation gives, and patient ``i`` of arm ``a`` is
   enrolled candidate ``i * A + a``.  ``pairing: matched``: enrolled candidate ``i`` is patient ``i`` of every
   arm (the same virtual people under each regimen).
3. **Treatment.**  Each arm's patients are simulated over screening + baseline + treatment with the arm's
   regimens by the ensemble engine, ``chunk_size`` at a time; each chunk is reduced at once to per-patient
   endpoint rows (:func:`tregsim.trial.endpoints.patient_row`) and written as a Parquet chunk
   (:mod:`tregsim.trial.storage`); a chunk already written under the same identity is skipped (resume).
4. **Analysis.**  The replicate's comparisons (:mod:`tregsim.trial.analysis`).

A patient's results depend only on (seed, replicate, candidate, arm), never on the chunk size, the worker
count or the order of work.  Afterwards: power over replicates, the power-versus-N curve from the pooled
patients (:mod:`tregsim.trial.power`), summary.json, and report.html.

**Assurance hook.**  ``scenarios=[Scenario(weight, population, hypothesis), ...]`` runs the trial (all its
replicates) once per scenario and reports ``assurance[endpoint] = sum_s w_s * power_s / sum_s w_s``, where
``power_s`` is the share of the scenario's replicates with p < 0.05 in the direction of benefit: the
probability of success averaged over the scenarios' weights (e.g. draws from the fitted parameters'
uncertainty, and hypotheses weighted by how well they explain the mouse data).  ``assurance_curve`` gives it
at other sizes: the weighted mean over scenarios of each scenario's expected power at N (its pooled effect
scaled, :func:`tregsim.trial.power.power_at`), O'Hagan's assurance as expected power.  ``run_trial(...,
assurance=n)`` draws ``n`` scenarios by the built-in rule (:mod:`tregsim.trial.assurance`), one trial each.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tregsim.engine.ensemble import EnsembleSolver
from tregsim.model.observables import compute
from tregsim.model.subject import Subject, run_in_solver
from tregsim.protocol import ProtocolError, SimulationProtocol
from tregsim.trial import analysis as an
from tregsim.trial import storage
from tregsim.trial.design import TrialProtocol, _Problem, arm_protocol, check_size, load_trial, protocol_hash
from tregsim.trial.endpoints import Trajectory, eligible, patient_row, screening_row
from tregsim.trial.population import default_population
from tregsim.trial.population_api import PatientSource, population_fingerprint
from tregsim.trial.power import PowerCurve, power_at, scaled_curve
from tregsim.trial.streams import population_rng, replicate_seed
from tregsim.trial.subjects import base_subjects, truncated, with_regimens
from tregsim.trial.timeline import Timeline

#: Patients solved together by the engine (and written per chunk file).
CHUNK = 64
#: Most simulated patients per arm pooled for the power-versus-N fit (the first replicates, in order).
POOL_MAX_PER_ARM = 20_000
#: Most untreated subjects kept in memory between screening and treatment (beyond it, rebuilt).
_CACHE_MAX = 4096
#: Patients per arm at which the assurance curve (expected power over the draws) is reported.
ASSURANCE_GRID = np.array([20, 40, 60, 100, 150, 200, 300, 400, 600, 800, 1000, 1500, 2000, 3000, 5000])
#: Storage format of the chunks (part of a results folder's identity).
FORMAT = 1

#: ``progress(phase, done, total)``: phase 'screening' (patients enrolled) or 'treatment' (patients simulated).
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scenario:
    """One scenario of the assurance hook: a population and a hypothesis, with a weight (> 0).

    ``seed`` and ``replicates`` (default: the trial's) let each scenario be one independent draw of a Monte
    Carlo assurance (:mod:`tregsim.trial.assurance`); ``parameters`` records the model parameters it sets."""

    weight: float
    population: PatientSource | None = None
    hypothesis: str | None = None
    name: str = ""
    seed: int | None = None
    replicates: int | None = None
    parameters: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialFailure:
    """A patient whose solve failed: reported with the seed that reproduces it, never hidden as NaN.

    ``build_subject(arm_protocol, candidate, seed, overrides)`` rebuilds the subject (``arm_protocol`` from
    :func:`tregsim.trial.design.arm_protocol`).
    """

    replicate: int
    phase: str
    arm: str | None
    patient: int | None
    candidate: int
    seed: int
    message: str

    def to_dict(self) -> dict:
        return {"replicate": self.replicate, "phase": self.phase, "arm": self.arm, "patient": self.patient,
                "candidate": self.candidate, "seed": [self.seed, self.candidate], "message": self.message}


@dataclass
class TrialResult:
    """What :func:`run_trial` returns.

    Attributes:
        protocol: the validated trial protocol.
        summary: the contract's summary.json content.
        comparisons: every replicate's comparisons (column ``replicate``).
        curves: power-versus-N curves, one per treated arm and endpoint.
        timeline: the trial's schedule.
        failures: patients whose solve failed.
        out: the results folder (None: results kept in memory).
    """

    protocol: TrialProtocol
    summary: dict[str, Any]
    comparisons: pd.DataFrame
    curves: list[PowerCurve]
    timeline: Timeline
    failures: list[TrialFailure]
    store: storage.ChunkStore = field(repr=False)
    out: Path | None = None

    def patients(self, replicate: int | None = None) -> pd.DataFrame:
        """Per-patient results (one row per analysed patient) of one replicate, or of all."""
        prefix = "patients/" if replicate is None else f"patients/r{replicate:05d}-"
        return self.store.concat(prefix)

    def screening(self, replicate: int | None = None) -> pd.DataFrame:
        """Every candidate screened (one row per candidate; ``eligible``; ``status`` ok/failed)."""
        prefix = "screening/" if replicate is None else f"screening/r{replicate:05d}-"
        return self.store.concat(prefix)

    def write(self, out: str | Path, report: bool = True) -> Path:
        """Write summary.json, comparisons.csv, power_curve.csv, protocol.yaml and report.html into ``out``
        (per-patient chunks are already there when ``out`` was the run's folder)."""
        from tregsim.io import atomic_write, write_json
        from tregsim.trial.design import trial_to_yaml

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "summary.json", self.summary)
        atomic_write(out / "comparisons.csv", lambda f: self.comparisons.to_csv(f, index=False, float_format="%.10g"))
        rows = [{"arm": c.arm, "endpoint": c.endpoint, "n_per_arm": n, "power": p, "method": c.method}
                for c in self.curves for n, p in zip(c.n, c.power)]
        atomic_write(out / "power_curve.csv", lambda f: pd.DataFrame(rows).to_csv(f, index=False, float_format="%.6g"))
        atomic_write(out / "protocol.yaml", lambda f: Path(f).write_text(trial_to_yaml(self.protocol), encoding="utf-8"))
        if report:
            from tregsim.trial.report import trial_report

            trial_report(self, out / "report.html")
        return out


# --------------------------------------------------------------------------- helpers


@contextmanager
def _threads(workers: int | None):
    """Run the engine on ``workers`` threads (numba), restoring the previous count afterwards."""
    if workers is None:
        yield
        return
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(workers), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def model_fingerprint(protocol: SimulationProtocol) -> str:
    """Identity of the model a trial runs: its generated equations and the resolved parameter values."""
    from tregsim.model.codegen import inplace_rhs_source
    from tregsim.model.parameters import resolve

    values = resolve(protocol.species, protocol.disease, protocol.hypothesis)
    text = inplace_rhs_source("rhs") + json.dumps(sorted(values.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def solver_fingerprint(solver: Any) -> str:
    """What of the solver changes results: its class, back end and tolerances (not its thread count)."""
    keys = ("backend", "rtol", "rtol_pk", "atol_scale", "immune_atol_scale", "max_steps", "method", "atol", "split", "immune_method")
    return type(solver).__name__ + "".join(f":{k}={getattr(solver, k)!r}" for k in keys if hasattr(solver, k))


def _solve(solver: Any, subjects: list[Subject], t: np.ndarray):
    """(subject, states or None, error or None) per subject (the same loop as ``simulate``)."""
    from tregsim.simulate import solve_chunk

    return solve_chunk(solver, subjects, t)


def _trajectory(sub: Subject, y: np.ndarray, t: np.ndarray) -> Trajectory:
    return Trajectory.from_observables(t, compute("human", y, sub.p, sub.values))


# --------------------------------------------------------------------------- one trial (one scenario)


class _Run:
    """One trial under one population and hypothesis: screening, treatment and analysis, replicate by replicate."""

    def __init__(self, trial: TrialProtocol, size: int, replicates: int, seed: int, population: PatientSource,
                 hypothesis: str, out: Path | None, chunk_size: int, solver: Any,
                 progress: ProgressCallback | None):
        self.trial, self.size, self.replicates, self.seed = trial, size, replicates, seed
        self.population, self.hypothesis = population, hypothesis
        self.chunk = int(chunk_size)
        self.solver = solver
        self.progress = progress or (lambda phase, done, total: None)
        self.timeline = Timeline.of(trial)
        self.arms = [arm_protocol(trial, i, hypothesis) for i in range(len(trial.arms))]
        self.n_arms = len(self.arms)
        from tregsim.model.parameters import resolve

        # the error of one blood Treg measurement (sampling and assay), read by the Treg fold endpoint
        self.treg_sd_log = float(resolve(self.arms[0].species, self.arms[0].disease, hypothesis)["treg_blood_sd_log"])
        self.per_candidate = 1 if trial.pairing == "matched" else self.n_arms
        self.needed = size * self.per_candidate
        self.cap = int(math.ceil(self.needed * trial.population.max_screened_per_enrolled))
        identity = {
            "format": FORMAT, "protocol": protocol_hash(trial.model_copy(update={"replicates": 1})),
            "patients_per_arm": size, "seed": seed, "hypothesis": hypothesis, "chunk_size": self.chunk,
            "population": population_fingerprint(population), "model": model_fingerprint(self.arms[0]),
            "solver": solver_fingerprint(solver), "run_in": solver_fingerprint(run_in_solver(True)),
        }
        self.store = storage.ChunkStore(out, identity)
        self.failures: list[TrialFailure] = []
        self._cache: dict[tuple[int, int], tuple[Subject, dict[str, float]]] = {}
        self.enrolled_done = 0
        self.treated_done = 0
        self.screened: list[int] = []  # candidates screened until enrolment was complete, per replicate

    # -------------------------------------------------------------- patients

    def _candidates(self, r: int, ks: "list[int] | range") -> list[tuple[Subject, dict[str, float]]]:
        """Candidates ``ks`` of replicate r, untreated over the whole run (cached between screening and
        treatment); those not cached are built together (their run-ins solved in parallel)."""
        missing = [k for k in ks if (r, k) not in self._cache]
        built: dict[int, tuple[Subject, dict[str, float]]] = {}
        if missing:
            overrides = [dict(self.population.sample(1, population_rng(self.seed, r, k))[0]) for k in missing]
            subs = base_subjects(self.arms[0], missing, replicate_seed(self.seed, r), overrides)
            for k, sub, ov in zip(missing, subs, overrides):
                built[k] = (sub, ov)
                if len(self._cache) < _CACHE_MAX:
                    self._cache[(r, k)] = (sub, ov)
        return [self._cache[(r, k)] if (r, k) in self._cache else built[k] for k in ks]

    # -------------------------------------------------------------- screening

    def _screen_chunk(self, r: int, candidates: range) -> pd.DataFrame:
        inc = self.trial.population.inclusion
        tl = self.timeline
        seed_r = replicate_seed(self.seed, r)
        rows: list[dict[str, Any]] = []
        ident = [{"replicate": r, "candidate": k, "seed": seed_r} for k in candidates]
        if not inc.active:  # everyone is eligible: nothing to simulate before enrolment
            return pd.DataFrame([i | {"status": "ok", "eligible": True, "message": ""} for i in ident])
        bases = [sub for sub, _ in self._candidates(r, candidates)]
        grid = tl.grid[tl.grid <= tl.enrolment + 1e-9]
        if tl.enrolment <= 0:
            solved = [(b, b.y0[None, :], None) for b in bases]  # screening at day 0: the entry state
        else:
            solved = list(_solve(self.solver, [truncated(b, tl.enrolment) for b in bases], grid))
        for idn, (sub, y, error) in zip(ident, solved):
            traj = _trajectory(sub, y, grid) if error is None else None
            if traj is not None and not traj.finite():
                traj, error = None, f"subject {list(sub.seed)}: non-finite observables in screening"
            if traj is None:
                self.failures.append(TrialFailure(r, "screening", None, None, idn["candidate"], seed_r, str(error)))
                rows.append(idn | {"status": "failed", "eligible": False, "message": str(error)})
                continue
            row = screening_row(traj, tl, self.seed, r, idn["candidate"])
            rows.append(idn | row | {"status": "ok", "eligible": eligible(row, inc), "message": ""})
        return pd.DataFrame(rows)

    def screen(self, r: int) -> list[int]:
        """The enrolled candidates of replicate r, in order of enrolment."""
        enrolled: list[int] = []
        last = -1
        c = start = 0
        while len(enrolled) < self.needed:
            # no more candidates per chunk than still needed (all of them may be eligible): none is built in vain
            stop = min(start + min(self.chunk, self.needed - len(enrolled)), self.cap)
            if start >= self.cap:
                inc = self.trial.population.inclusion
                raise ProtocolError("", "population.inclusion", inc.model_dump(exclude_none=True),
                                    f"only {len(enrolled)} of {self.cap} candidates screened in replicate {r} met the "
                                    f"criteria, {self.needed} needed (screen failure above "
                                    f"{1 - self.needed / self.cap:.0%}); loosen them or raise "
                                    "population.max_screened_per_enrolled")
            name = storage.screening_name(r, c)
            if self.store.exists(name):
                table = self.store.read(name)
                for f in table[table["status"] == "failed"].itertuples():
                    self.failures.append(TrialFailure(r, "screening", None, None, int(f.candidate), int(f.seed),
                                                      str(f.message)))
            else:
                table = self._screen_chunk(r, range(start, stop))
                self.store.write(name, table)
            start = int(table["candidate"].max()) + 1
            for k, ok in zip(table["candidate"], table["eligible"]):
                if len(enrolled) < self.needed:
                    last = int(k)
                    if bool(ok):
                        enrolled.append(int(k))
            self.progress("screening", self.enrolled_done + len(enrolled), self.replicates * self.needed)
            c += 1
        self.enrolled_done += len(enrolled)
        self.screened.append(last + 1)
        return enrolled

    def allocate(self, enrolled: list[int]) -> list[list[int]]:
        """Candidates per arm, in patient order (see the module docstring's pairing rule)."""
        if self.trial.pairing == "matched":
            return [enrolled[: self.size] for _ in range(self.n_arms)]
        return [enrolled[a:: self.n_arms][: self.size] for a in range(self.n_arms)]

    # -------------------------------------------------------------- treatment

    def _treat_chunk(self, r: int, a: int, start: int, candidates: list[int]) -> tuple[pd.DataFrame, list[TrialFailure]]:
        tl = self.timeline
        seed_r = replicate_seed(self.seed, r)
        arm = self.trial.arms[a].name
        subjects, overrides = [], []
        for k, (base, ov) in zip(candidates, self._candidates(r, candidates)):
            subjects.append(with_regimens(base, self.arms[a]) if self.arms[a].regimens else base)
            overrides.append(ov)
            if self.trial.pairing != "matched" or a == self.n_arms - 1:
                self._cache.pop((r, k), None)
        rows, failures = [], []
        for i, (sub, y, error) in enumerate(_solve(self.solver, subjects, tl.grid)):
            k = candidates[i]
            traj = _trajectory(sub, y, tl.grid) if error is None else None
            if traj is not None and not traj.finite():
                traj, error = None, f"subject {list(sub.seed)}: non-finite observables"
            if traj is None:
                failures.append(TrialFailure(r, "treatment", arm, start + i, k, seed_r, str(error)))
                continue
            ident = {"replicate": r, "arm": arm, "arm_index": a, "patient": start + i, "candidate": k, "seed": seed_r}
            rows.append(ident | patient_row(traj, tl, self.seed, r, k, self.treg_sd_log)
                        | {f"param.{n}": v for n, v in sorted(overrides[i].items())})
        return pd.DataFrame(rows), failures

    def treat(self, r: int, allocation: list[list[int]]) -> None:
        total = self.replicates * self.n_arms * self.size
        for a, candidates in enumerate(allocation):
            for start in range(0, len(candidates), self.chunk):
                chunk = candidates[start:start + self.chunk]
                name = storage.patients_name(r, a, start)
                fname = storage.failures_name(r, a, start)
                if self.store.exists(name):
                    if self.store.exists(fname):
                        self.failures += [TrialFailure(int(f.replicate), "treatment", str(f.arm), int(f.patient),
                                                       int(f.candidate), int(f.seed), str(f.message))
                                          for f in self.store.read(fname).itertuples()]
                    for k in chunk:
                        if self.trial.pairing != "matched" or a == self.n_arms - 1:
                            self._cache.pop((r, k), None)
                else:
                    table, failures = self._treat_chunk(r, a, start, chunk)
                    if failures:
                        self.store.write(fname, pd.DataFrame([vars(f) for f in failures]))
                    self.store.write(name, table)  # last: its presence marks the chunk done
                    self.failures += failures
                self.treated_done += len(chunk)
                self.progress("treatment", self.treated_done, total)

    # -------------------------------------------------------------- the whole trial

    def run(self) -> tuple[pd.DataFrame, list[PowerCurve]]:
        """Every replicate (screen, allocate, treat, compare); then the power-versus-N curves."""
        frames = []
        for r in range(self.replicates):
            allocation = self.allocate(self.screen(r))
            self.treat(r, allocation)
            self._cache = {key: v for key, v in self._cache.items() if key[0] != r}
            patients = self.store.concat(f"patients/r{r:05d}-")
            frames.append(an.comparisons_frame(an.compare(patients, self.trial, self.timeline) if len(patients)
                                               else [], r))
        comparisons = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return comparisons, self.curves()

    def pooled(self) -> pd.DataFrame:
        """The simulated patients of the first replicates, up to POOL_MAX_PER_ARM per arm."""
        reps = max(1, min(self.replicates, POOL_MAX_PER_ARM // max(1, self.size)))
        frames = [self.store.concat(f"patients/r{r:05d}-") for r in range(reps)]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def curves(self) -> list[PowerCurve]:
        pool = self.pooled()
        if not len(pool):
            return []
        out = []
        for c in an.compare(pool, self.trial, self.timeline):
            n_ref = (c.n_arm + c.n_vs) / 2 if self.trial.design == "parallel" else c.n_arm
            out.append(scaled_curve(c, n_ref, an.BENEFIT[c.endpoint]))
        return out


# --------------------------------------------------------------------------- summary


def _by_endpoint(values: dict[tuple[str, str], Any], arm: str, endpoints: list[str]) -> dict[str, Any]:
    return {e: values.get((arm, e)) for e in endpoints}


def _summary(run: _Run, comparisons: pd.DataFrame, curves: list[PowerCurve]) -> dict[str, Any]:
    from tregsim import __version__

    trial, tl = run.trial, run.timeline
    endpoints, treated = trial.endpoint_list, trial.treated_arms
    first = run.store.concat("patients/r00000-")
    rep0 = comparisons[comparisons["replicate"] == 0] if len(comparisons) else comparisons
    screened = sum(run.screened)
    enrolled = run.replicates * run.needed
    summary: dict[str, Any] = {
        "tregsim_version": __version__, "command": "trial", "protocol": trial.name,
        "protocol_hash": protocol_hash(trial), "design": trial.design, "pairing": trial.pairing,
        "hypothesis": run.hypothesis, "seed": run.seed, "patients_per_arm": run.size, "replicates": run.replicates,
        "endpoints": endpoints, "primary_arm": trial.primary, "control": trial.control_arm,
        "weeks": {"screening": trial.screening_days / 7, "baseline": trial.baseline_days / 7,
                  "treatment": trial.treatment_weeks, "mri_every": trial.mri_every_weeks,
                  "edss_every": trial.edss_every_weeks},
        "population": {"class": type(run.population).__name__, "fingerprint": population_fingerprint(run.population)},
        "arms": an.arm_values(first, trial, tl),
        "comparisons": [{k: v for k, v in r.items() if k != "replicate"} for r in rep0.to_dict("records")],
        "screening": {"candidates_screened": screened, "enrolled": enrolled,
                      "screen_failure_rate": (1 - enrolled / screened) if screened else None,
                      "inclusion": trial.population.inclusion.model_dump(exclude_none=True)},
        "failures": [f.to_dict() for f in run.failures],
    }
    if trial.design == "baseline_vs_treatment":
        summary["baseline"] = an.baseline_values(first, trial, tl)
    if run.replicates > 1 and len(comparisons):
        power = {(a, e): an.replicate_power(comparisons, a, e) for a in treated for e in endpoints}
        summary["power"] = _by_endpoint(power, trial.primary, endpoints)
        if len(treated) > 1:
            summary["power_by_arm"] = {a: _by_endpoint(power, a, endpoints) for a in treated}
    n80 = {(c.arm, c.endpoint): c.n_for_80 for c in curves}
    summary["n_for_80_power"] = _by_endpoint(n80, trial.primary, endpoints)
    if len(treated) > 1:
        summary["n_for_80_power_by_arm"] = {a: _by_endpoint(n80, a, endpoints) for a in treated}
    summary["power_curve"] = {a: {c.endpoint: c.to_dict() for c in curves if c.arm == a} for a in treated}
    return summary


# --------------------------------------------------------------------------- the public entry point


def run_trial(protocol: TrialProtocol | str | Path, out: str | Path | None = None, patients: int | None = None,
              replicates: int | None = None, seed: int | None = None, population: PatientSource | None = None,
              progress: ProgressCallback | None = None, *, scenarios: Sequence[Scenario] | None = None,
              chunk_size: int = CHUNK, solver: Any = None, workers: int | None = None,
              report: bool = True, assurance: int | None = None) -> TrialResult:
    """Run an in-silico trial.

    Arguments:
        protocol: a validated :class:`TrialProtocol`, a YAML path or a built-in name (``rrms-igf1-trial``).
        out: results folder (chunks, summary.json, comparisons.csv, power_curve.csv, protocol.yaml,
            report.html); rerun into the same folder, finished chunks are skipped (resume).  None: in memory.
        patients: patients per arm (default the protocol's ``population.size``).
        replicates: repetitions of the whole trial (default the protocol's); > 1 gives ``power``.
        seed: trial seed (default the protocol's).
        population: where patients come from (default: the shipped virtual RRMS population,
            :func:`tregsim.trial.population.default_population`; :class:`TablePopulation` gives every patient
            the table's parameters).
        progress: ``progress(phase, done, total)`` after each chunk (see :mod:`tregsim.trial.progress`).
        scenarios: the assurance hook (module docstring); each scenario's chunks go to
            ``out/scenarios/sNNN/``.
        assurance: draws of the built-in assurance (:mod:`tregsim.trial.assurance`: hypotheses weighted by
            the mouse data, human PD parameters from their uncertainty, one whole trial per draw); None or 0:
            none.  Ignored when ``scenarios`` are given.
        chunk_size: patients per engine call and per chunk file (results do not depend on it; a folder is
            resumed only with the chunk size it was written with).
        solver: the engine (default :class:`~tregsim.engine.ensemble.EnsembleSolver`; e.g. ``backend='gpu'``).
        workers: engine threads (default: numba's; results do not depend on it).
        report: write report.html when ``out`` is given.

    Returns:
        A :class:`TrialResult`.

    Raises:
        ProtocolError: the protocol or an option is wrong, the inclusion criteria cannot enrol the trial, or
            ``out`` holds a different trial.
    """
    trial = protocol if isinstance(protocol, TrialProtocol) else load_trial(protocol)
    size = int(patients if patients is not None else trial.population.size)
    reps = int(replicates if replicates is not None else trial.replicates)
    seed = int(seed if seed is not None else trial.seed)
    try:
        check_size(trial, size, reps)
    except _Problem as err:
        option = {"population.size": "--patients", "replicates": "--replicates"}.get(err.field, err.field)
        raise ProtocolError("", option, err.value, err.allowed) from None
    if not 0 <= seed <= 2**63 - 1:
        raise ProtocolError("", "--seed", seed, "allowed: a whole number from 0 to 2^63-1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    out_path = Path(out) if out is not None else None
    solver = solver or EnsembleSolver()
    population = population or default_population()
    fitted_under = getattr(population, "hypothesis", None)
    if fitted_under is not None and fitted_under != trial.hypothesis:
        raise ProtocolError(getattr(trial, "name", None) or "trial", "hypothesis", trial.hypothesis,
                            f"the virtual population was calibrated under hypothesis {fitted_under} (untreated "
                            f"patients differ between hypotheses); use hypothesis: {fitted_under}, or a population "
                            "fitted under this one (VirtualPopulation(hypothesis=...).fit())")
    with _threads(workers):
        run = _Run(trial, size, reps, seed, population, trial.hypothesis, out_path, chunk_size, solver, progress)
        comparisons, curves = run.run()
        summary = _summary(run, comparisons, curves)
        record: dict[str, Any] = {}
        if not scenarios and assurance:
            from tregsim.trial.assurance import draw_scenarios

            scenarios, record = draw_scenarios(int(assurance), seed)
        if scenarios:
            summary.update(_assurance(trial, scenarios, size, reps, seed, population, out_path, chunk_size, solver,
                                      progress))
            summary.update({"assurance_" + k: v for k, v in record.items()})
    result = TrialResult(trial, summary, comparisons, curves, run.timeline, run.failures, run.store, out_path)
    if out_path is not None:
        result.write(out_path, report=report)
    return result


def _assurance(trial: TrialProtocol, scenarios: Sequence[Scenario], size: int, reps: int, seed: int,
               population: PatientSource, out: Path | None, chunk_size: int, solver: Any,
               progress: ProgressCallback | None = None) -> dict[str, Any]:
    """The assurance hook: each scenario's power (share of its replicates), weighted; with the Monte Carlo
    standard error ``sqrt(a (1 - a) / n_eff)`` (``n_eff``: Kish's effective number of scenario replicates)."""
    weights = np.array([float(s.weight) for s in scenarios])
    if not (np.all(np.isfinite(weights)) and np.all(weights > 0)):
        raise ValueError("scenario weights must be finite and > 0")
    treated, endpoints = trial.treated_arms, trial.endpoint_list
    rows = []
    grid = np.unique(np.concatenate([ASSURANCE_GRID, [size]])).astype(int)
    expected: dict[tuple[str, str], list[np.ndarray]] = {}
    for i, sc in enumerate(scenarios):
        sub = out / "scenarios" / f"s{i:03d}" if out is not None else None
        run = _Run(trial, size, sc.replicates or reps, sc.seed if sc.seed is not None else seed,
                   sc.population or population, sc.hypothesis or trial.hypothesis, sub, chunk_size, solver, None)
        comparisons, curves = run.run()
        if progress is not None:
            progress("assurance", i + 1, len(scenarios))
        power = {(a, e): an.replicate_power(comparisons, a, e) if len(comparisons) else 0.0
                 for a in treated for e in endpoints}
        rows.append((sc, power))
        # expected power at any N from the draw's own pooled effect (power.py's scaling); NaN -> no success
        for c in curves:
            p_n = power_at(c.z_ref, c.n_ref, grid)
            expected.setdefault((c.arm, c.endpoint), []).append(np.nan_to_num(p_n, nan=0.0) * weights[i])
    total = weights.sum()
    value = {(a, e): float(sum(w * p[(a, e)] for w, (_, p) in zip(weights, rows)) / total)
             for a in treated for e in endpoints}
    n_eff = float(sum(w * (sc.replicates or reps) for w, (sc, _) in zip(weights, rows)) ** 2
                  / sum((w ** 2) * (sc.replicates or reps) for w, (sc, _) in zip(weights, rows)))
    se = {k: math.sqrt(max(v * (1 - v), 0.0) / n_eff) for k, v in value.items()}
    out_d: dict[str, Any] = {
        "assurance": _by_endpoint(value, trial.primary, endpoints),
        "assurance_se": _by_endpoint(se, trial.primary, endpoints),
        "assurance_draws": len(rows),
        "scenarios": [{"name": sc.name or f"s{i:03d}", "weight": float(sc.weight),
                       "hypothesis": sc.hypothesis or trial.hypothesis,
                       "population": type(sc.population or population).__name__,
                       "parameters": dict(sc.parameters),
                       "power": _by_endpoint(p, trial.primary, endpoints)} for i, (sc, p) in enumerate(rows)],
    }
    curve = {(a, e): {"n": [int(x) for x in grid], "assurance": [float(x) for x in np.sum(v, axis=0) / total]}
             for (a, e), v in expected.items()}
    out_d["assurance_curve"] = {a: {e: curve[(a, e)] for e in endpoints if (a, e) in curve} for a in treated}
    if len(treated) > 1:
        out_d["assurance_by_arm"] = {a: _by_endpoint(value, a, endpoints) for a in treated}
    return out_d
