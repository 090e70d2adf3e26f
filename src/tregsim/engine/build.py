"""Write, import and cache the compiled engine module.

The module is the RODAS4 template (:mod:`tregsim.engine.rodas`) followed by a system's generated
``rhs``, ``jac`` and ``N``.  It is written to a cache folder under a name that hashes its text, so numba's
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


def _jit(source: str) -> str:
    """Decorate every top-level ``def`` of generated source with numba's cached njit."""
    return "\n".join(("@nb.njit(cache=True)\n" + line) if line.startswith("def ") else line
                     for line in source.splitlines()) + "\n"


def module_source(rhs_source: str, jac_source: str, n_states: int) -> str:
    """The engine module's text: the RODAS4 template, then the system (``rhs``, ``jac``, ``N``)."""
    template = resources.files("tregsim.engine").joinpath("rodas.py").read_text(encoding="utf-8")
    return (template + "\n\n# ---- generated system (tregsim.engine.build) ----\n" + f"N = {int(n_states)}\n"
            + _POW + _jit(rhs_source) + "\n" + _jit(jac_source))


@lru_cache(maxsize=None)
def load(rhs_source: str, jac_source: str, n_states: int) -> ModuleType:
    """Import (writing it first if needed) the engine module of one system."""
    text = module_source(rhs_source, jac_source, n_states)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"tregsim_engine_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # atomic: concurrent processes never import half a file
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
