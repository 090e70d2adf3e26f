"""``tregsim bench``: the ensemble engine against libRoadRunner and the scipy loop, in the same run.

The same N virtual RRMS patients (each after its own run-in, with its own seeded immune triggers) over
``years`` years, untreated and on rhIGF-1 50 ug/kg SC every 12 h, through

* the engine (:class:`~tregsim.engine.ensemble.EnsembleSolver`, all cores);
* libRoadRunner on tregsim's own exported SBML, in its fastest documented use for a dosing schedule:
  one loaded model, ``simulate`` piecewise between events with the state bumped and the inputs set from
  Python (no SBML events; the model is reset and given each patient's initial state);
* the scipy reference loop (:class:`~tregsim.solve.reference.ReferenceSolver`, LSODA, rtol 1e-8) on the
  first ``scipy_patients`` of them (it is slow: its throughput is measured on those).

Throughput is patient-years per second of wall time (building the patients, run-ins included, is not
timed: it is the same for every solver).  ``max_rel_error`` of each is the largest gap on any contract
observable, relative to that observable's range over the patient's run, against a tight reference on the
first ``reference_patients`` patients: libRoadRunner (CVODE, BDF, a different integrator and code from the
engine's) at rtol 1e-12, atol 1e-12, driven like the peer.  It is converged where the previous reference was
not: scipy LSODA at rtol 1e-10 took ~30 min per treated patient and was up to 5.5e-4 from LSODA at 1e-12; on
the treated year with triggers of the SBML parity tests libRoadRunner at rtol 1e-10 already agrees with the
engine's coupled RODAS4 at rtol 1e-11 (drug 1e-10) within 4.3e-8 (docs/engine.md).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tregsim.engine.ensemble import EnsembleSolver
from tregsim.model.definition import INPUT_NAMES, STATES
from tregsim.model.observables import compute, observable_names
from tregsim.model.subject import Subject, build_subjects
from tregsim.protocol import SimulationProtocol, parse_protocol
from tregsim.schedule import segments
from tregsim.solve.reference import ReferenceSolver

#: the tight reference's tolerances (libRoadRunner CVODE; see the module's text)
TIGHT_RTOL, TIGHT_ATOL = 1e-12, 1e-12
TIGHT_USE = (f"libRoadRunner CVODE rtol {TIGHT_RTOL:g}, atol {TIGHT_ATOL:g}, piecewise between events like the "
             "peer (converged: a different integrator from the engine's)")
CASES = ("untreated", "treated")


def bench_protocol(case: str, patients: int, years: float) -> SimulationProtocol:
    """The benchmark's population: RRMS, daily output, untreated or on IGF-1 50 ug/kg SC every 12 h."""
    regimens = [] if case == "untreated" else [
        {"drug": "igf1", "route": "sc", "dose": 50, "dose_unit": "ug/kg", "every_hours": 12}]
    return parse_protocol({"kind": "simulation", "name": f"bench-rrms-{case}", "species": "human",
                           "disease": "rrms", "duration_days": 365.0 * years, "output_every_hours": 24,
                           "subjects": patients, "seed": 2026, "regimens": regimens}, f"bench {case}")


class RoadRunnerPeer:
    """libRoadRunner on the exported SBML (no events), driven piecewise from Python."""

    def __init__(self, subject: Subject, rtol: float = 1e-8, atol: float = 1e-12):
        import libsbml

        from tregsim.exchange.sbml import roadrunner_model, subject_document
        from tregsim.schedule import Schedule

        plain = Subject(subject.index, subject.seed, subject.values, subject.p, subject.y0, Schedule(), subject.t_end)
        proto = SimulationProtocol(species="human", disease="rrms", duration_days=subject.t_end)
        self.rr = roadrunner_model(libsbml.writeSBMLToString(subject_document(plain, proto)), rtol, atol)
        self.states = [s.name for s in STATES]
        self.selections = ["time", *self.states]
        ids = list(self.rr.model.getFloatingSpeciesIds())
        self.index = np.array([ids.index(n) for n in self.states], dtype=np.int32)

    def solve(self, subject: Subject, t_out: np.ndarray) -> np.ndarray:
        rr = self.rr
        rr.reset()  # time 0; then this patient's day-0 state (setting init() values would recompile: ~0.1 s each)
        rr.model.setFloatingSpeciesAmounts(self.index, np.asarray(subject.y0, dtype=float))
        out = np.full((len(t_out), len(self.states)), np.nan)
        for seg in segments(subject.schedule, subject.t_end, t_out):
            if seg.at_t0.any():
                out[seg.at_t0] = [rr.getValue(n) for n in self.states]
            for b in seg.boluses:
                rr.model.setValue(b.state, rr.model.getValue(b.state) + b.amount)
            for name in INPUT_NAMES:
                if rr.model.getValue(name) != seg.inputs[name]:
                    rr.model.setValue(name, seg.inputs[name])
            if seg.t1 is None:
                break
            res = np.asarray(rr.simulate(times=[seg.t0, *seg.t_eval], selections=self.selections))
            if seg.n_inside:
                out[seg.inside] = res[1: 1 + seg.n_inside, 1:]
        return out


@dataclass
class Timed:
    states: list[np.ndarray]
    seconds: float


def _timed(run: Callable[[], list[np.ndarray]]) -> Timed:
    t0 = time.perf_counter()
    states = run()
    return Timed(states, time.perf_counter() - t0)


def _observables(subject: Subject, y: np.ndarray) -> dict[str, np.ndarray]:
    return compute("human", y, subject.p, subject.values)


def max_rel_error(subjects: list[Subject], states: list[np.ndarray], references: list[np.ndarray]) -> float:
    """Largest gap on any observable, relative to the observable's range in the reference run."""
    worst = 0.0
    for sub, y, ref in zip(subjects, states, references):
        if not np.all(np.isfinite(y)):
            continue  # a failed run is reported as failed, not as an error size
        a, b = _observables(sub, y), _observables(sub, ref)
        for name in observable_names("human"):
            scale = float(np.max(np.abs(b[name])))
            if scale > 0:
                worst = max(worst, float(np.max(np.abs(a[name] - b[name]))) / scale)
    return worst


def run_case(case: str, patients: int, years: float, scipy_patients: int, reference_patients: int,
             progress: Callable[[str], None] | None = None) -> dict:
    """One case of the benchmark: throughputs, ratios and errors."""
    say = progress or (lambda _msg: None)
    proto = bench_protocol(case, patients, years)
    t_out = np.arange(0.0, proto.duration_days + 1e-9, 1.0)
    say(f"{case}: building {patients} patients (run-ins through the engine)")
    subjects = build_subjects(proto, range(patients), int(proto.seed))
    engine = EnsembleSolver()  # the default: the split solve
    engine.solve_many(subjects[:1], t_out[:2])  # load the compiled engine before timing
    say(f"{case}: engine")
    eng = _timed(lambda: list(engine.solve_many(subjects, t_out)[0]))
    say(f"{case}: libRoadRunner")
    peer = RoadRunnerPeer(subjects[0])
    rr_failed: list[str] = []

    def peer_solve(sub: Subject) -> np.ndarray:
        try:
            return peer.solve(sub, t_out)
        except RuntimeError as err:  # CVODE gave up: reported, not hidden
            rr_failed.append(f"patient {sub.index} (seed {list(sub.seed)}): {' '.join(str(err).split())[:160]}")
            return np.full((len(t_out), len(STATES)), np.nan)

    rr = _timed(lambda: [peer_solve(s) for s in subjects])
    say(f"{case}: scipy reference loop on {scipy_patients} patient(s)")
    sp = _timed(lambda: [ReferenceSolver().solve(s, t_out) for s in subjects[:scipy_patients]])
    say(f"{case}: tight reference on {reference_patients} patient(s)")
    tight = RoadRunnerPeer(subjects[0], rtol=TIGHT_RTOL, atol=TIGHT_ATOL)
    ref_failed: list[str] = []

    def tight_solve(sub: Subject) -> np.ndarray:
        try:
            return tight.solve(sub, t_out)
        except RuntimeError as err:
            ref_failed.append(f"patient {sub.index}: {' '.join(str(err).split())[:160]}")
            return np.full((len(t_out), len(STATES)), np.nan)

    t_ref = time.perf_counter()
    refs = [tight_solve(s) for s in subjects[:reference_patients]]
    t_ref = time.perf_counter() - t_ref
    k = reference_patients
    years_total = patients * years

    def throughput(timed: Timed, n: int) -> float:
        return n * years / timed.seconds

    out = {
        "patients": patients, "days": float(proto.duration_days),
        "tregsim": {"patient_years_per_s": throughput(eng, patients), "seconds": eng.seconds,
                    "max_rel_error": max_rel_error(subjects[:k], eng.states[:k], refs),
                    "solver": engine_description(engine)},
        "peers": {
            "libroadrunner": {"patient_years_per_s": throughput(rr, patients), "seconds": rr.seconds,
                              "max_rel_error": max_rel_error(subjects[:k], rr.states[:k], refs),
                              "use": "one loaded model without events, simulate() piecewise between events, "
                                     "state bumped and inputs set from Python; CVODE rtol 1e-8, atol 1e-12",
                              "failed": rr_failed},
            "scipy": {"patient_years_per_s": throughput(sp, scipy_patients), "seconds": sp.seconds,
                      "patients": scipy_patients,
                      "max_rel_error": max_rel_error(subjects[:min(k, scipy_patients)],
                                                     sp.states[:min(k, scipy_patients)], refs),
                      "use": "tregsim's reference loop: scipy solve_ivp LSODA rtol 1e-8, restarted at every event"},
        },
        "patient_years": years_total,
        "reference": {"use": TIGHT_USE, "patients": reference_patients, "seconds": t_ref,
                      "failed": ref_failed},
    }
    out["max_rel_error"] = out["tregsim"]["max_rel_error"]
    out["ratio_vs_libroadrunner"] = out["tregsim"]["patient_years_per_s"] / out["peers"]["libroadrunner"]["patient_years_per_s"]
    out["ratio_vs_scipy"] = out["tregsim"]["patient_years_per_s"] / out["peers"]["scipy"]["patient_years_per_s"]
    return out


def engine_description(engine: EnsembleSolver) -> str:
    """The engine's method and tolerances, in words (for the bench output)."""
    threads = f"numba, {engine_threads()} threads"
    if engine.split:
        method = {"dp45": "Dormand-Prince 5(4)", "dop853": "DOP853, Runge-Kutta 8(5,3)",
                  "auto": "DOP853 until the first dose, then Dormand-Prince 5(4)", "rodas4": "RODAS4"}[engine.immune_method]
        return (f"ensemble engine ({threads}): drug subsystem once per shared regimen (RODAS4, rtol "
                f"{engine.pk_rtol():g}), immune states per patient forced by it ({method}, rtol "
                f"{engine.immune_rtol():g}, immune absolute tolerances x {engine.immune_scale():g})")
    return f"RODAS4 ensemble engine ({threads}), rtol {engine.immune_rtol():g} immune / {engine.pk_rtol(True):g} PK"


def engine_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def run_bench(patients: int = 32, years: float = 2.0, scipy_patients: int = 2, reference_patients: int = 2,
              progress: Callable[[str], None] | None = None) -> dict:
    """Both cases; the top level holds the least favourable case's figures (lowest ratio vs libRoadRunner)."""
    cases = {c: run_case(c, patients, years, scipy_patients, reference_patients, progress) for c in CASES}
    worst = min(cases.values(), key=lambda c: c["ratio_vs_libroadrunner"])
    summary = {k: v for k, v in worst.items()}
    summary["cases"] = cases
    summary["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                          "processor": platform.processor() or platform.machine()}
    summary["max_rel_error"] = max(c["max_rel_error"] for c in cases.values())
    return summary


#: the per-patient row of :func:`reduced_cohort` (what a trial or a population selection keeps of a patient)
REDUCED_COLUMNS = ("relapses", "edss_end", "gd_mean", "myelin_intact_end", "failed")


def reduced_chunk(case: str, start: int, stop: int, years: float, solver: EnsembleSolver) -> np.ndarray:
    """Patients ``start`` .. ``stop - 1`` of the bench population, built, solved and reduced to one row each
    (:data:`REDUCED_COLUMNS`); relapses (onsets of the ``relapse`` observable), EDSS at the end, mean
    Gd-enhancing lesions, intact myelin at the end, 1 if the solve failed (the row is NaN then)."""
    proto = bench_protocol(case, stop - start, years)
    t_out = np.arange(0.0, proto.duration_days + 1e-9, 1.0)
    rows = np.full((stop - start, len(REDUCED_COLUMNS)), np.nan)
    subjects = build_subjects(proto, range(start, stop), int(proto.seed))
    out, status, _ = solver.solve_many(subjects, t_out)
    for k, sub in enumerate(subjects):
        if status[k] != 0:
            rows[k, -1] = 1.0
            continue
        o = _observables(sub, out[k])
        onsets = np.count_nonzero(np.diff(o["relapse"]) > 0.5)
        rows[k] = (onsets, o["edss"][-1], float(np.mean(o["gd_lesions"])), o["myelin_intact"][-1], 0.0)
    return rows


def reduced_cohort(case: str, patients: int, years: float, chunk: int = 256,
                   solver: EnsembleSolver | None = None) -> np.ndarray:
    """Patients of the bench population simulated ``chunk`` at a time (built, solved, reduced, dropped), so
    memory holds one chunk's trajectories and one small row per patient: shape (patients,
    len(REDUCED_COLUMNS)) (see :func:`reduced_chunk`).  Patient i is the bench's patient i whatever
    ``chunk``."""
    engine = solver or EnsembleSolver()
    rows = np.full((patients, len(REDUCED_COLUMNS)), np.nan)
    for start in range(0, patients, chunk):
        stop = min(start + chunk, patients)
        rows[start:stop] = reduced_chunk(case, start, stop, years, engine)
    return rows


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (MiB; ``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    import resource
    import sys

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def memory_probe(case: str, patients: int, years: float, chunk: int = 256) -> dict:
    """Peak resident memory of :func:`reduced_cohort` in this process (run it in a fresh one): the
    baseline after loading the engine, the peak after the run, and the wall time."""
    reduced_cohort(case, 2, 0.1, chunk)  # load the compiled engines and the tables
    base = peak_rss_mib()
    t0 = time.perf_counter()
    rows = reduced_cohort(case, patients, years, chunk)
    return {"case": case, "patients": patients, "years": years, "chunk": chunk, "baseline_peak_mib": base,
            "peak_mib": peak_rss_mib(), "seconds": time.perf_counter() - t0,
            "failed": int(np.nansum(rows[:, -1])), "rows_mib": rows.nbytes / 2**20}


def _write_atomic(path: str, data: "dict | np.ndarray") -> None:
    """``data`` (a dict as JSON, an array as .npy) to ``path`` through :func:`tregsim.io.atomic_write` (a
    temporary file renamed into place: a reader never sees half a file)."""
    from pathlib import Path

    from tregsim.io import atomic_write, write_json

    if isinstance(data, dict):
        write_json(Path(path), data)
    else:
        def save(tmp: str) -> None:
            with open(tmp, "wb") as f:  # a file object: np.save would append .npy to a bare name
                np.save(f, data)

        atomic_write(Path(path), save)


def resumable_memory_run(directory: str, case: str = "untreated", patients: int = 1_000_000, years: float = 2.0,
                         chunk: int = 256, max_seconds: float | None = None,
                         progress: Callable[[int, int], None] | None = None, reverse: bool = False) -> dict:
    """The memory benchmark for runs longer than one sitting: :func:`reduced_cohort` of ``patients``, each
    chunk's rows written atomically to ``directory/rows-<first patient>.npy`` and skipped when already there,
    so a run that stops (crash, ``max_seconds`` reached, machine handed back) resumes where it stopped.

    ``directory/identity.json`` fixes the run (case, patients, years, chunk, model); a different run in the
    same directory is refused.  This process (a *part* of the run) keeps ``directory/part-<start time>-<pid>.json``
    up to date after every chunk: chunks it computed, its peak resident memory (after loading, and overall) and
    its wall time.  Parts may run at the same time (one per core): a part checks that a chunk's rows are still
    missing just before computing it, and ``reverse=True`` takes the chunks from the last, so two parts meet in
    the middle and repeat at most the chunk each has in hand then.  Returns the run's summary so far (also
    ``directory/summary.json``): patients done, failed patients (bench seed and index), the peak over all
    parts, and whether the run is complete.  ``progress`` gets the chunks done by all parts (a stat per chunk:
    negligible beside a chunk's solve)."""
    import json

    from tregsim.model.subject import run_in_solver
    from tregsim.trial.run import model_fingerprint, solver_fingerprint

    os.makedirs(directory, exist_ok=True)
    identity = {"case": case, "patients": int(patients), "years": float(years), "chunk": int(chunk),
                "model": model_fingerprint(bench_protocol(case, 1, years)),
                "solver": solver_fingerprint(EnsembleSolver()), "run_in": solver_fingerprint(run_in_solver(True))}
    id_path = os.path.join(directory, "identity.json")
    if os.path.exists(id_path):
        with open(id_path, encoding="utf-8") as f:
            found = json.load(f)
        if found != identity:
            raise ValueError(f"{id_path}: holds a different run {found}; use another directory")
    else:
        _write_atomic(id_path, identity)
    starts = list(range(0, patients, chunk))

    def chunk_path(start: int) -> str:
        return os.path.join(directory, f"rows-{start:09d}.npy")

    reduced_cohort(case, 2, 0.1, chunk)  # load the compiled engines and the tables
    engine = EnsembleSolver()
    part = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "pid": os.getpid(), "chunks": 0, "patients": 0,
            "baseline_peak_mib": peak_rss_mib(), "peak_mib": peak_rss_mib(), "seconds": 0.0,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}}
    part_path = os.path.join(directory, f"part-{time.time_ns()}-{os.getpid()}.json")
    t0 = time.perf_counter()
    todo = [s for s in starts if not os.path.exists(chunk_path(s))]
    if reverse:
        todo.reverse()
    for start in todo:
        if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
            break
        if os.path.exists(chunk_path(start)):  # another part, running alongside, has done it
            continue
        stop = min(start + chunk, patients)
        rows = reduced_chunk(case, start, stop, years, engine)
        _write_atomic(chunk_path(start), rows)
        part.update(chunks=part["chunks"] + 1, patients=part["patients"] + stop - start, peak_mib=peak_rss_mib(),
                    seconds=time.perf_counter() - t0)
        _write_atomic(part_path, part)
        if progress is not None:
            progress(sum(os.path.exists(chunk_path(s)) for s in starts), len(starts))
    return memory_run_summary(directory)


def memory_run_summary(directory: str) -> dict:
    """The state of a :func:`resumable_memory_run` in ``directory`` (written to ``summary.json`` too)."""
    import glob
    import json

    with open(os.path.join(directory, "identity.json"), encoding="utf-8") as f:
        identity = json.load(f)
    parts = []
    for path in sorted(glob.glob(os.path.join(directory, "part-*.json"))):
        with open(path, encoding="utf-8") as f:
            parts.append(json.load(f))
    done, failed, relapses = 0, [], 0.0
    seed = int(bench_protocol(identity["case"], 1, identity["years"]).seed)
    for path in sorted(glob.glob(os.path.join(directory, "rows-*.npy"))):
        first = int(os.path.basename(path)[5:-4])
        rows = np.load(path)
        done += len(rows)
        failed += [[seed, first + int(k)] for k in np.nonzero(rows[:, -1] == 1.0)[0]]
        relapses += float(np.nansum(rows[:, 0]))
    summary = {**identity, "patients_done": done, "complete": done == identity["patients"],
               "failed_seeds": failed, "mean_relapses_per_patient": relapses / max(done - len(failed), 1),
               "peak_mib": max((p["peak_mib"] for p in parts), default=None),
               "baseline_peak_mib": max((p["baseline_peak_mib"] for p in parts), default=None),
               "seconds": sum(p["seconds"] for p in parts), "parts": len(parts),
               "summary_process_peak_mib": peak_rss_mib()}
    _write_atomic(os.path.join(directory, "summary.json"), summary)
    return summary
