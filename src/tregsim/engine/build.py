"""Write, import and cache the compiled engine module.

The module is the RODAS4 template (:mod:`tregsim.engine.rodas`) followed by a system's generated
``rhs``/``jac`` (closed) or ``frhs``/``fjac`` (forced) and its sizes ``N``, ``P``, ``NU``.  It is written to a cache folder under a name that hashes its text, so numba's
on-disk cache (``cache=True``) is reused by every later process: the first run of a new model compiles
(seconds), later runs load the machine code.  The folder is ``$TREGSIM_CACHE`` if set, else
``~/.cache/tregsim``; if it cannot be written, a temporary folder is used (compiled every process).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import ModuleType

_POW = '''

@nb.njit(cache=True)
def pow(a, b):  # noqa: A001 - the expression language's pow, for numba
    # whole exponents 1-16 (the Hill coefficients, squares) by repeated squaring: several times faster than
    # the library's pow and within an ulp or two of it; any other exponent goes to the library
    if b >= 1.0 and b <= 16.0 and b == math.floor(b):
        n = int(b)
        r = 1.0
        x = a
        while n > 0:
            if n & 1:
                r *= x
            x *= x
            n >>= 1
        return r
    return a ** b

'''


def cache_dir() -> Path:
    """The folder for generated engine modules and numba's cache."""
    base = os.environ.get("TREGSIM_CACHE")
    folder = Path(base) if base else Path.home() / ".cache" / "tregsim"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
        return folder
    except OSError:
        return Path(tempfile.mkdtemp(prefix="tregsim-engine-"))


_CPU_DECORATOR = '@nb.njit(cache=True, error_model="numpy")'
_DRIVERS_MARK = "# ---- CPU drivers"

#: The GPU driver: one thread per subject, its scratch in thread-local arrays, the template's integrate_one.
_KERNEL = '''

@cuda.jit
def integrate_kernel(y0, p0, offsets, bp_t, bp_add, bp_inputs, input_index, t_out, rtol, atol, max_steps, out,
                     status, stats):
    s = cuda.grid(1)
    if s < y0.shape[0]:
        a = offsets[s]
        z = offsets[s + 1]
        status[s] = integrate_one(y0[s], p0[s], bp_t[a:z], bp_add[a:z], bp_inputs[a:z], input_index, t_out, rtol,
                                  atol, max_steps, out[s], stats[s],
                                  cuda.local.array(N, nb.float64), cuda.local.array(P, nb.float64),
                                  cuda.local.array(N, nb.float64), cuda.local.array(N, nb.float64),
                                  cuda.local.array((2, N), nb.float64), cuda.local.array((7, N), nb.float64),
                                  cuda.local.array((N, N), nb.float64), cuda.local.array(N, nb.int64),
                                  cuda.local.array((N, 1), nb.float64), cuda.local.array(N, nb.float64),
                                  cuda.local.array(1, nb.float64), cuda.local.array(1, nb.float64),
                                  t_out[:0], out[s, :0], out[s, :0], t_out[:0], input_index[:0],
                                  input_index[:0], t_out[:0], out[s, :0], out[s, :0], input_index[:0],
                                  cuda.local.array(N, nb.float64), RODAS4, -1e300)
'''


def _jit(source: str, decorator: str) -> str:
    """Decorate every top-level ``def`` of generated source."""
    return "\n".join((decorator + "\n" + line) if line.startswith("def ") else line
                     for line in source.splitlines()) + "\n"


#: a closed system's rates and Jacobian in the template's (forced) signatures
_CLOSED = '''
def frhs(y, u, p, out):
    rhs(y, p, out)


def fjac(y, u, p, J, Ju):
    jac(y, p, J)
'''


def module_source(rhs_source: str, jac_source: str, n_states: int, n_parameters: int, target: str = "cpu",
                  n_signals: int = 0) -> str:
    """The engine module's text: the RODAS4 template, then the system (``rhs``, ``jac``, ``N``, ``P``, ``NU``).

    With ``n_signals`` 0 (a closed system) the sources define ``rhs(y, p, out)`` and ``jac(y, p, J)``; else
    (a forced system) ``frhs(y, u, p, out)`` and ``fjac(y, u, p, J, Ju)`` (CPU only).
    ``target`` 'cpu': numba njit with on-disk cache, parallel drivers.  'gpu': the same template functions as
    CUDA device functions (numba-cuda) and a kernel with one thread per subject.
    """
    template = resources.files("tregsim.engine").joinpath("rodas.py").read_text(encoding="utf-8")
    system = f"N = {int(n_states)}\nP = {int(n_parameters)}\nNU = {int(n_signals)}\n"
    if n_signals:
        if target != "cpu":
            raise ValueError("a forced system (n_signals > 0) has the CPU target only")
    else:
        rhs_source = rhs_source + _CLOSED
    if target == "cpu":
        return (template + "\n\n# ---- generated system (tregsim.engine.build) ----\n" + system
                + _POW + _jit(rhs_source, "@nb.njit(cache=True)") + "\n" + _jit(jac_source, "@nb.njit(cache=True)"))
    if target != "gpu":
        raise ValueError(f"unknown target {target!r}; allowed: cpu, gpu")
    device = "@cuda.jit(device=True)"
    body = template[: template.index(_DRIVERS_MARK)].replace(_CPU_DECORATOR, device)
    body = body.replace("import numba as nb\n", "import numba as nb\nfrom numba import cuda\n", 1)
    return (body + "\n\n# ---- generated system (tregsim.engine.build) ----\n" + system
            + _POW.replace("@nb.njit(cache=True)", device) + _jit(rhs_source, device) + "\n"
            + _jit(jac_source, device) + _KERNEL)


@lru_cache(maxsize=None)
def load(rhs_source: str, jac_source: str, n_states: int, n_parameters: int, target: str = "cpu",
         n_signals: int = 0) -> ModuleType:
    """Import (writing it first if needed) the engine module of one system for ``target``."""
    text = module_source(rhs_source, jac_source, n_states, n_parameters, target, n_signals)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"tregsim_engine_{target}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = cache_dir() / f"{name}.py"
    if not path.exists() and sys.stderr.isatty():
        sys.stderr.write(f"tregsim: compiling the simulation engine ({target}) for this model version: first run "
                         f"only, about 10-30 s; cached in {path.parent}\n")
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # atomic: concurrent processes never import half a file
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
