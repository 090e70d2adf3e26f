"""``tregsim.simulate``: run a protocol's seeded subjects and return labelled results."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tregsim import metrics as _metrics
from tregsim.io import atomic_write, write_json
from tregsim.model.observables import OBSERVABLES, compute, observable_names
from tregsim.model.subject import build_subjects
from tregsim.protocol import SimulationProtocol, load_protocol, to_yaml
from tregsim.engine.ensemble import EnsembleSolver
from tregsim.solve.reference import ReferenceSolver, SolveError


@dataclass(frozen=True)
class SubjectFailure:
    """A subject whose solve failed: reported with its seed, never hidden as NaN."""

    subject: int
    seed: tuple[int, int]
    message: str


@dataclass
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes:
        protocol: the validated protocol.
        seed: the seed used.
        data: xarray Dataset, dims (subject, time_day), one variable per observable with a
            ``units`` attribute; failed subjects are absent (see ``failures``).
        metrics: the contract's summary metrics.
        failures: subjects whose integration failed, with their seeds.
    """

    protocol: SimulationProtocol
    seed: int
    data: xr.Dataset
    metrics: dict[str, Any]
    failures: list[SubjectFailure] = field(default_factory=list)

    @property
    def timecourse(self) -> pd.DataFrame:
        """Mean over subjects per output time (so ``alive`` is the survival fraction)."""
        return self.data.mean("subject").to_dataframe().reset_index()

    def to_dataframe(self) -> pd.DataFrame:
        """Every subject's rows (columns ``subject``, ``time_day`` and the observables)."""
        return self.data.to_dataframe().reset_index()

    def summary(self) -> dict[str, Any]:
        p = self.protocol
        return {
            "tregsim_version": _version(), "command": "simulate", "protocol": p.name, "seed": self.seed,
            "species": p.species, "disease": p.disease, "hypothesis": p.hypothesis, "knockouts": list(p.knockouts),
            "subjects": int(self.data.sizes["subject"]), "duration_days": p.duration_days,
            "metrics": self.metrics,
            "failures": [{"subject": f.subject, "seed": list(f.seed), "message": f.message} for f in self.failures],
            "units": {k: v[0] for k, v in OBSERVABLES.items() if k in self.data},
        }

    def write(self, out: str | Path) -> Path:
        """Write timecourse.csv, subjects.parquet, summary.json and protocol.yaml into ``out``.

        Files are written to temporary names and renamed, so a crash never leaves a half file.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "timecourse.csv", lambda f: self.timecourse.to_csv(f, index=False, float_format="%.10g"))
        atomic_write(out / "subjects.parquet", lambda f: self.to_dataframe().to_parquet(f, index=False))
        write_json(out / "summary.json", self.summary())
        atomic_write(out / "protocol.yaml", lambda f: Path(f).write_text(to_yaml(self.protocol), encoding="utf-8"))
        return out

    def plot(self, observables: list[str] | None = None):
        """Mean (line) and 10-90% band over subjects of the main observables; returns a matplotlib Figure."""
        from tregsim.report.figures import timecourse_figure

        return timecourse_figure(self, observables)


def _version() -> str:
    from tregsim import __version__

    return __version__


def output_grid(protocol: SimulationProtocol) -> np.ndarray:
    step = protocol.output_step_days
    n = int(math.floor(protocol.duration_days / step + 1e-9))
    grid = np.arange(n + 1) * step
    if grid[-1] < protocol.duration_days - 1e-12:
        grid = np.append(grid, protocol.duration_days)
    return grid


def _metric_grid(protocol: SimulationProtocol, grid: np.ndarray) -> np.ndarray:
    """The output grid, made at least hourly when a drug is given (Cmax/Ctrough need it)."""
    if not any(r.drug != "placebo" for r in protocol.regimens):
        return grid
    hourly = np.arange(0.0, protocol.duration_days + 1e-12, 1.0 / 24.0)
    return np.unique(np.concatenate([grid, hourly]))


def _last_dose_day(protocol: SimulationProtocol) -> float:
    ends = [min(r.stop_day if r.stop_day is not None else protocol.duration_days, protocol.duration_days)
            for r in protocol.regimens if r.drug != "placebo"]
    return max(ends) if ends else protocol.duration_days


#: subjects built and solved together (the engine runs a chunk's subjects in parallel)
CHUNK = 64


def solve_chunk(solver, subjects: list, t: np.ndarray):
    """(subject, states or None, error message or None) per subject, whichever solver is used."""
    if hasattr(solver, "solve_many"):
        from tregsim.engine.rodas import STATUS_TEXT

        out, status, stats = solver.solve_many(subjects, t)
        for k, sub in enumerate(subjects):
            if status[k] == 0:
                yield sub, out[k], None
            else:
                yield sub, None, str(SolveError(sub.seed, float(stats[k, 2]), STATUS_TEXT[int(status[k])]))
        return
    for sub in subjects:
        try:
            yield sub, solver.solve(sub, t), None
        except SolveError as err:
            yield sub, None, str(err)


def simulate(protocol: SimulationProtocol | str | Path, seed: int | None = None,
             solver: EnsembleSolver | ReferenceSolver | None = None, progress: Callable[[int], None] | None = None
             ) -> SimulationResult:
    """Simulate every subject of ``protocol``.

    Arguments:
        protocol: a validated protocol, a YAML file path or a built-in protocol name.
        seed: seed of the subjects' random draws (immunisation, immune triggers); default:
            the protocol's ``seed``, else 0.
        solver: the integrator (default: the ensemble engine,
            :class:`~tregsim.engine.ensemble.EnsembleSolver`; :class:`ReferenceSolver`, scipy LSODA, is the
            reference).
        progress: called with the number of subjects done after each chunk (for progress bars).

    Returns:
        A :class:`SimulationResult`.

    Raises:
        ProtocolError: the protocol is invalid.
    """
    if not isinstance(protocol, SimulationProtocol):
        protocol = load_protocol(protocol)
    seed = int(seed if seed is not None else (protocol.seed if protocol.seed is not None else 0))
    solver = solver or EnsembleSolver()
    grid = output_grid(protocol)
    fine = _metric_grid(protocol, grid)
    on_grid = np.isin(fine, grid)
    names = observable_names(protocol.species)
    per_subject: list[dict[str, np.ndarray]] = []
    kept: list[int] = []
    failures: list[SubjectFailure] = []
    for start in range(0, protocol.n_subjects, CHUNK):
        chunk = build_subjects(protocol, range(start, min(start + CHUNK, protocol.n_subjects)), seed)
        for subject, y, error in solve_chunk(solver, chunk, fine):
            if error is not None:
                failures.append(SubjectFailure(subject.index, subject.seed, error))
            else:
                per_subject.append(compute(protocol.species, y, subject.p, subject.values))
                kept.append(subject.index)
        if progress is not None:
            progress(len(chunk))
    if not per_subject:
        raise SolveError((seed, -1), 0.0, "every subject failed: " + "; ".join(f.message for f in failures))
    stacked = {n: np.stack([o[n] for o in per_subject]) for n in names}
    m: dict[str, Any] = {}
    if protocol.species == "mouse":
        m.update(_metrics.mouse_metrics(fine, stacked))
    else:
        m.update(_metrics.human_metrics(fine, stacked))
    if any(r.drug == "igf1" for r in protocol.regimens):
        m.update(_metrics.drug_metrics(fine, stacked, _last_dose_day(protocol)))
    if any(r.drug == "il2" for r in protocol.regimens):
        m.update(_metrics.il2_metrics(fine, stacked, _last_dose_day(protocol),
                                      primary=not any(r.drug == "igf1" for r in protocol.regimens)))
    data = xr.Dataset(
        {n: (("subject", "time_day"), stacked[n][:, on_grid], {"units": OBSERVABLES[n][0],
                                                                 "long_name": OBSERVABLES[n][1]}) for n in names},
        coords={"subject": np.array(kept), "time_day": ("time_day", fine[on_grid], {"units": "day"})},
        attrs={"species": protocol.species, "disease": protocol.disease, "hypothesis": protocol.hypothesis,
               "seed": seed},
    )
    return SimulationResult(protocol, seed, data, m, failures)
