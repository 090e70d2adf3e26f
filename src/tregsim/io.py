"""Writing results: atomic files and strict JSON (NaN and infinities become null)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def jsonable(x: Any) -> Any:
    """A copy of ``x`` that ``json.dumps`` writes as strict JSON (no NaN)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def atomic_write(path: Path, writer: Callable[[str], None]) -> Path:
    """Call ``writer`` on a temporary name beside ``path`` and rename it into place."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    writer(str(tmp))
    tmp.replace(path)
    return path


def write_json(path: Path, data: Any) -> Path:
    return atomic_write(path, lambda f: Path(f).write_text(json.dumps(jsonable(data), indent=2, allow_nan=False), encoding="utf-8"))
