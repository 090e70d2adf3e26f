"""The ensemble engine: every subject with its own adaptive RODAS4 steps, compiled with numba, in parallel.

Generated from the one model definition: the right-hand side is the same expression text the reference
solver runs (:mod:`tregsim.model.codegen`), the Jacobian is its exact symbolic derivative
(:mod:`tregsim.engine.symbolic`).  Each subject is integrated on its own between its own breakpoints
(doses, infusion changes, immune triggers; no root finding), with the reference solver's semantics: the
state reported at an event time is the state just before the event.  A subject's result depends only on
the subject (never on which other subjects share the call, their number, or the thread count).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tregsim.model.codegen import inplace_rhs_source
from tregsim.engine.packing import pack_schedules
from tregsim.model.definition import INPUT_NAMES, PARAMETER_INDEX, PARAMETER_ORDER, STATES
from tregsim.model.subject import Subject
from tregsim.solve.reference import SolveError, _ATOL_BY_UNIT


@lru_cache(maxsize=None)
def engine_module(target: str = "cpu"):
    """The compiled engine of the model (RODAS4 + generated rhs and exact Jacobian) for 'cpu' (cached on
    disk) or 'gpu' (numba-cuda; under ``NUMBA_ENABLE_CUDASIM=1`` numba's CUDA simulator)."""
    from tregsim.engine.build import load
    from tregsim.engine.symbolic import cached_jacobian_source

    return load(inplace_rhs_source("rhs"), cached_jacobian_source("jac"), len(STATES), len(PARAMETER_ORDER),
                target)


@dataclass
class PackedSchedules:
    """Breakpoints of N subjects, concatenated (rows offsets[s]:offsets[s+1] belong to subject s)."""

    offsets: np.ndarray
    times: np.ndarray
    add: np.ndarray
    inputs: np.ndarray


def pack(subjects: list[Subject], t_out: np.ndarray) -> PackedSchedules:
    """Each subject's breakpoints (the reference solver's segments), as flat arrays."""
    every = tuple(range(len(STATES)))
    return PackedSchedules(*pack_schedules([(s.schedule, s.t_end) for s in subjects], t_out, every))


#: the split solve's methods for the immune states (:data:`tregsim.engine.split.IMMUNE_METHODS`)
IMMUNE_METHOD_NAMES = ("dp45", "dop853", "auto", "rodas4")
#: the explicit methods' default (immune rtol, factor on the immune absolute tolerances) in the split solve
#: (DOP853 and 'auto' keep DP45's: measured, DOP853 at rtol 1e-10 to 1e-13 is at the same error floor, set by
#: the drug solve and the reference, as DP45 at 1e-11; docs/engine.md)
EXPLICIT_DEFAULTS = {"dp45": (1e-11, 1e-4), "dop853": (1e-11, 1e-4), "auto": (1e-11, 1e-4)}


@dataclass(frozen=True)
class EnsembleSolver:
    """The ensemble engine: the split solve (default on the CPU) or RODAS4 on the whole system per subject,
    compiled with numba, parallel over subjects.

    Attributes:
        rtol: relative tolerance of each step's error estimate on the immune and damage states; None: the
            method's default: 1e-8 for RODAS4 (the coupled solve, and ``immune_method="rodas4"``) and 1e-11
            for DP45 (DP45's global error per unit of tolerance is larger on this model: on a treated RRMS
            year with triggers it is 6e-3 from libRoadRunner at 1e-11 with the default absolute tolerances,
            1.5e-5 with ``immune_atol_scale`` 1e-4, and 1e-7 with also ``rtol_pk`` 1e-8; docs/engine.md).
        rtol_pk: relative tolerance of the drug subsystem's states (:mod:`tregsim.engine.structure`: IGF-1,
            IGF-II, glucose, adjuvant, IL-2); None: 1e-5 in the coupled solve, 3e-8 in the split one.  The
            free IGF pools are small quasi-equilibria of fast binding, so a tight tolerance on them costs
            many steps after every dose; the coupled solve keeps 1e-5, while the split solve feeds the
            immune states the interpolated drug solution, whose error the relapse dynamics amplify (1e-5: a
            treated year drifts 2.7e-3 from libRoadRunner even with RODAS4 immune steps; 1e-7: 1.5e-5; 3e-8:
            2.7e-6; 1e-8: 1.4e-7; 1e-8 costs 1.3x the drug steps of 3e-8, 1e-7 0.7x), and its drug solve is shared by
            every subject on the regimen.
        atol_scale: multiplies the reference solver's per-unit absolute tolerances.
        immune_atol_scale: multiplies, in addition, the absolute tolerances of the immune states in the split
            solve; None: 1e-4 with DP45 (1e-10 cells: CNS cell counts are small between relapses and
            DP45's error estimate, unlike RODAS4's, lets an absolute error of 1e-6 cells per step through,
            which a relapse amplifies), 1 otherwise.
        max_steps: per subject; beyond it the subject fails (reported with its seed).
        parallel: run subjects on all cores (numba threads).
        backend: 'cpu'; 'gpu' (numba-cuda, one GPU thread per subject, the same template and generated
            code); 'auto': the GPU when one is available and a call has at least ``gpu_threshold`` subjects.
        gpu_threshold: see ``backend``.
        split: on the CPU, solve the drug subsystem (:mod:`tregsim.engine.structure`) once per group of
            subjects that share it and each subject's immune system forced by it
            (:mod:`tregsim.engine.split`) (default); False: the whole coupled system per subject (RODAS4).
            The GPU back end always runs the coupled system.
        immune_method: with ``split``, the method of the immune subsystem: 'auto' (default: DOP853 on a
            subject's stretches before its first dose or infusion, while the drug signal is constant, DP45
            from then on; the solution before the first dose is the one DOP853 gives without any dose, so a
            later first dose changes nothing before it; untreated RRMS patients 3x faster than with DP45
            throughout, docs/engine.md), 'dp45' (explicit Dormand-Prince 5(4): once the fast drug binding is
            solved apart, the immune states are not stiff, eigenvalues of their Jacobian below ~1 per day on
            RRMS patients), 'dop853' (explicit Runge-Kutta 8(5,3): 7x fewer steps than DP45 on untreated
            patients at the same error, but slower on patients dosed every 12 h, whose interpolated drug
            signal limits the steps) or 'rodas4'.
    """

    rtol: float | None = None
    rtol_pk: float | None = None
    atol_scale: float = 1.0
    immune_atol_scale: float | None = None
    max_steps: int = 2_000_000
    parallel: bool = True
    backend: str = "cpu"
    gpu_threshold: int = 4096
    split: bool = True
    immune_method: str = "auto"

    def _explicit(self, coupled: bool) -> bool:
        """The immune states go to an explicit method (DP45 or DOP853): their tightened default tolerances."""
        return self.split and self.immune_method in EXPLICIT_DEFAULTS and not coupled

    def atol(self, coupled: bool = False) -> np.ndarray:
        """Per-state absolute tolerances (definition order); ``coupled``: for the coupled system."""
        a = np.array([_ATOL_BY_UNIT[s.unit] for s in STATES]) * self.atol_scale
        scale = self.immune_scale(coupled)
        if scale != 1.0:
            from tregsim.engine.structure import partition

            a[list(partition().immune)] *= scale
        return a

    def immune_scale(self, coupled: bool = False) -> float:
        """The factor on the immune states' absolute tolerances (``immune_atol_scale``; split solve only)."""
        if coupled or not self.split:
            return 1.0
        if self.immune_atol_scale is not None:
            return float(self.immune_atol_scale)
        return EXPLICIT_DEFAULTS[self.immune_method][1] if self._explicit(coupled) else 1.0

    def immune_rtol(self, coupled: bool = False) -> float:
        """The relative tolerance of the immune and damage states (``rtol``, or its method's default);
        ``coupled``: for the coupled system (RODAS4), as the GPU runs it whatever ``split`` says."""
        if self.rtol is not None:
            return float(self.rtol)
        return EXPLICIT_DEFAULTS[self.immune_method][0] if self._explicit(coupled) else 1e-8

    def pk_rtol(self, coupled: bool = False) -> float:
        """The relative tolerance of the drug subsystem (``rtol_pk``, or 3e-8 split / 1e-5 coupled)."""
        if self.rtol_pk is not None:
            return float(self.rtol_pk)
        return 3e-8 if self.split and not coupled else 1e-5

    def rtols(self, coupled: bool = False) -> np.ndarray:
        """Per-state relative tolerances (definition order): ``pk_rtol()`` on the drug subsystem."""
        from tregsim.engine.structure import partition

        drug = set(partition().drug)
        immune, pk = self.immune_rtol(coupled), self.pk_rtol(coupled)
        return np.array([pk if i in drug else immune for i in range(len(STATES))])

    def solve_many(self, subjects: list[Subject], t_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """States of every subject at ``t_out``: (N, len(t_out), n_states); a status per subject (0 ok; see
        :data:`tregsim.engine.rodas.STATUS_TEXT`), a failed subject's rows NaN; and per subject (accepted
        steps, rejected steps, day reached)."""
        t_out = np.asarray(t_out, dtype=float)
        n = len(subjects)
        if self.split and not self._use_gpu(n):
            from tregsim.engine.split import solve_split

            out, status, stats = solve_split(subjects, t_out, self.rtols(), self.atol(), self.max_steps, self.parallel,
                                             self.immune_method)
            out[status != 0] = np.nan
            return out, status, stats
        packed = pack(subjects, t_out)
        out = np.full((n, len(t_out), len(STATES)), np.nan)
        status = np.zeros(n, np.int64)
        stats = np.zeros((n, 3))
        y0 = np.stack([s.y0 for s in subjects]).astype(float)
        p0 = np.stack([s.p for s in subjects]).astype(float)
        index = np.array([PARAMETER_INDEX[n] for n in INPUT_NAMES], np.int64)
        args = (y0, p0, packed.offsets, packed.times, packed.add, packed.inputs, index, t_out, self.rtols(True),
                self.atol(True), np.int64(self.max_steps), out, status, stats)
        if self._use_gpu(n):
            _run_gpu(engine_module("gpu"), args)
        else:
            engine = engine_module("cpu")
            (engine.integrate_many if self.parallel else engine.integrate_serial)(*args)
        out[status != 0] = np.nan
        return out, status, stats

    def _use_gpu(self, n: int) -> bool:
        if self.immune_method not in IMMUNE_METHOD_NAMES:
            raise ValueError(f"immune_method {self.immune_method!r} is not allowed; allowed: "
                             f"{', '.join(IMMUNE_METHOD_NAMES)}")
        if self.backend not in ("cpu", "gpu", "auto"):
            raise ValueError(f"backend {self.backend!r} is not allowed; allowed: cpu, gpu, auto")
        if self.backend == "cpu":
            return False
        available = gpu_available()
        if self.backend == "gpu" and not available:
            raise RuntimeError("backend 'gpu': no CUDA device (numba-cuda finds none); use backend 'cpu'")
        return available and (self.backend == "gpu" or n >= self.gpu_threshold)

    def solve_cohort(self, subjects: list[Subject], t_out: np.ndarray) -> np.ndarray:
        """Every subject at ``t_out``, shape (N, len(t_out), n_states) (the cohort solvers' interface).

        Raises:
            SolveError: a subject failed (the first one, with its seed and the day reached).
        """
        from tregsim.engine.rodas import STATUS_TEXT

        out, status, stats = self.solve_many(subjects, t_out)
        bad = np.nonzero(status)[0]
        if bad.size:
            k = int(bad[0])
            raise SolveError(subjects[k].seed, float(stats[k, 2]), STATUS_TEXT[int(status[k])])
        return out

    def solve(self, subject: Subject, t_out: np.ndarray) -> np.ndarray:
        """One subject, the :class:`~tregsim.solve.reference.ReferenceSolver` interface.

        Raises:
            SolveError: the integration failed (with the subject's seed and the day reached).
        """
        return self.solve_cohort([subject], t_out)[0]


def gpu_available() -> bool:
    """A CUDA device numba-cuda can use (or numba's CUDA simulator, NUMBA_ENABLE_CUDASIM=1)."""
    try:
        from numba import cuda
    except ImportError:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # noqa: BLE001 - a broken driver means: no GPU
        return False


def _run_gpu(module, args: tuple, threads_per_block: int = 64) -> None:
    """Launch the kernel (one thread per subject) and copy the results back into ``args``' arrays."""
    from numba import cuda

    *inputs, out, status, stats = args
    device = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in inputs]
    d_out, d_status, d_stats = cuda.to_device(out), cuda.to_device(status), cuda.to_device(stats)
    n = status.shape[0]
    blocks = (n + threads_per_block - 1) // threads_per_block
    module.integrate_kernel[blocks, threads_per_block](*device, d_out, d_status, d_stats)
    d_out.copy_to_host(out)
    d_status.copy_to_host(status)
    d_stats.copy_to_host(stats)
