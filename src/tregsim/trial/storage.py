"""Where a trial keeps its per-patient results while it runs: Parquet chunks, written atomically, resumable.

Layout of a results folder (``--out``)::

    trial.json                                 the run's identity (protocol hash, options, chunking, model)
    screening/r00000-c000000.parquet           candidates screened, chunk by chunk (one row per candidate)
    patients/r00000-a00-p000000.parquet        per-patient endpoints, one file per replicate, arm and chunk
    failures/r00000-a00-p000000.parquet        patients whose solve failed, with their seeds (only if any)

``patients/`` is a Parquet dataset: ``pandas.read_parquet(out / "patients")`` reads every chunk.  Each file is
written under a hidden temporary name (``.NAME.part``, which Parquet readers skip) and renamed into place with
``os.replace``, so a crash never leaves half a file; a patients chunk is written last, after its failures, so
its presence means the chunk is done.  Rerun into the same folder with the same identity, a trial skips every
chunk already there; a folder holding a different trial is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from tregsim.io import write_json
from tregsim.protocol import ProtocolError

MANIFEST = "trial.json"


def screening_name(replicate: int, chunk: int) -> str:
    return f"screening/r{replicate:05d}-c{chunk:06d}.parquet"


def patients_name(replicate: int, arm: int, start: int) -> str:
    return f"patients/r{replicate:05d}-a{arm:02d}-p{start:06d}.parquet"


def failures_name(replicate: int, arm: int, start: int) -> str:
    return f"failures/r{replicate:05d}-a{arm:02d}-p{start:06d}.parquet"


class ChunkStore:
    """Chunk tables by name, in a folder (``root``) or, with ``root=None``, in memory."""

    def __init__(self, root: Path | None, identity: dict[str, Any]):
        self.root = Path(root) if root is not None else None
        self.identity = identity
        self._memory: dict[str, pd.DataFrame] = {}
        if self.root is not None:
            self._open()

    def _open(self) -> None:
        assert self.root is not None
        if self.root.exists() and not self.root.is_dir():
            raise ProtocolError("", "--out", str(self.root), "is a file; give a folder")
        manifest = self.root / MANIFEST
        if manifest.exists():
            try:
                held = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                held = None
            if held != self.identity:
                raise ProtocolError("", "--out", str(self.root),
                                    "holds the chunks of a different trial (protocol, patients, seed, population, "
                                    "model or chunk size differ; see its trial.json); give a new folder")
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            write_json(manifest, self.identity)

    @property
    def resumable(self) -> bool:
        return self.root is not None

    def exists(self, name: str) -> bool:
        if self.root is None:
            return name in self._memory
        return (self.root / name).is_file()

    def write(self, name: str, table: pd.DataFrame) -> None:
        """Store ``table`` under ``name`` (atomically on disk)."""
        if self.root is None:
            self._memory[name] = table.copy()
            return
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        table.to_parquet(tmp, index=False)
        os.replace(tmp, path)

    def read(self, name: str) -> pd.DataFrame:
        if self.root is None:
            return self._memory[name].copy()
        return pd.read_parquet(self.root / name)

    def names(self, prefix: str) -> list[str]:
        """Stored names starting with ``prefix`` (e.g. ``patients/r00003-``), sorted."""
        if self.root is None:
            return sorted(n for n in self._memory if n.startswith(prefix))
        folder, _, start = prefix.rpartition("/")
        base = self.root / folder
        if not base.is_dir():
            return []
        return sorted(f"{folder}/{p.name}" for p in base.iterdir()
                      if p.name.startswith(start) and p.name.endswith(".parquet") and not p.name.startswith("."))

    def concat(self, prefix: str) -> pd.DataFrame:
        """Every table under ``prefix``, concatenated (empty frame if none)."""
        frames = [self.read(n) for n in self.names(prefix)]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
