"""A progress bar for long trials: rich on a terminal, silent otherwise.

``run_trial(..., progress=callback)`` calls ``callback(phase, done, total)`` after every chunk, with phase
``'screening'`` (patients enrolled so far, of all replicates) and ``'treatment'`` (patients simulated).
:func:`rich_progress` gives such a callback drawing one bar per phase on standard error::

    with rich_progress() as progress:
        result = run_trial("rrms-igf1-trial", progress=progress)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tregsim.trial.run import ProgressCallback

_LABELS = {"screening": "screening  (patients enrolled)", "treatment": "treatment  (patients simulated)",
           "assurance": "assurance  (trials drawn)"}


@contextmanager
def rich_progress(force: bool = False) -> Iterator[ProgressCallback]:
    """A ``progress(phase, done, total)`` callback drawing rich bars on stderr when it is a terminal
    (or ``force``); a no-op otherwise."""
    if not (force or sys.stderr.isatty()):
        yield lambda phase, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_LABELS.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update
