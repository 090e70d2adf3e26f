"""Writing results: the output folder, atomic files, staged result sets and strict JSON.

A command's results folder is checked before any work (:func:`prepare_out_dir`): it can be created and
written, and it holds none of the files the command would write unless ``--overwrite`` was given.  The
results are then written into a hidden staging folder inside it and moved into place only when every
file is complete (:func:`staged`), so a failure while computing or writing leaves no partial file that
would block a rerun, and nothing is ever written outside the results folder.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from tregsim.errors import InputError, excerpt

#: Prefix of the staging folder inside a results folder (removed whatever happens).
STAGING_PREFIX = ".tregsim-staging-"


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
    """Call ``writer`` on a temporary name beside ``path`` and rename it into place.

    If ``writer`` fails, the temporary file is removed and the error re-raised: no ``.part`` file is left.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        writer(str(tmp))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data: Any) -> Path:
    return atomic_write(path, lambda f: Path(f).write_text(json.dumps(jsonable(data), indent=2, allow_nan=False), encoding="utf-8"))


# --------------------------------------------------------------------------- results folders


def _why(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _first_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            return p
    return Path(".")


def prepare_out_dir(out: str, outputs: Iterable[str], overwrite: bool, option: str = "--out") -> tuple[Path, bool]:
    """Check and create a results folder before any work.

    Arguments:
        out: the folder as the user gave it.
        outputs: the names (files or folders) the command writes there.
        overwrite: whether the user allowed replacing them.
        option: the option's name for messages.

    Returns:
        ``(folder, created)``: the folder, and whether this call created it.

    Raises:
        InputError: the name is empty, names a file, cannot be created or written, or the folder already
            holds one of ``outputs`` and ``overwrite`` is false.
    """
    shown = excerpt(out)
    if not out.strip():
        raise InputError(f"{option}: value {shown} is empty; give a folder name")
    if "\x00" in out:
        raise InputError(f"{option}: value {shown} holds a NUL character; give a folder name")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{option}: value {shown} is a file; give a folder")
    if folder.is_dir():
        held = [name for name in outputs if (folder / name).exists()]
        if held and not overwrite:
            raise InputError(f"{option}: value {shown} already holds {', '.join(held)} (results this command "
                             "writes); give a new or empty folder, or pass --overwrite")
    blocker = _first_existing(folder)
    if blocker != folder and not blocker.is_dir():
        raise InputError(f"{option}: value {shown} cannot be created: {excerpt(str(blocker))} is a file, not a folder")
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{option}: value {shown} cannot be created ({_why(err)})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".tregsim-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        if created:
            _remove_empty(folder)
        raise InputError(f"{option}: value {shown} is not writable ({_why(err)}); give a folder you can write") from None
    return folder, created


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _move_into(staging: Path, folder: Path) -> None:
    """Move everything from ``staging`` into ``folder``, replacing what is there (files atomically)."""
    for entry in sorted(staging.iterdir()):
        target = folder / entry.name
        if entry.is_dir() and target.is_dir():
            shutil.rmtree(target)
        elif entry.is_dir() and target.exists():
            target.unlink()
        elif not entry.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)


@contextmanager
def staged(folder: Path, created: bool = False) -> Iterator[Path]:
    """Write a command's results into a staging folder inside ``folder``, moved into place on success.

    Yields the staging folder.  On success its contents replace the same names in ``folder``; on any
    failure (including Ctrl-C) the staging folder is removed, and ``folder`` too when ``created`` and left
    empty, so nothing partial stays behind and a rerun is not blocked.
    """
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield staging
        _move_into(staging, folder)
    except BaseException:
        if created:
            shutil.rmtree(staging, ignore_errors=True)
            _remove_empty(folder)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
