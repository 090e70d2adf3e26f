"""Input errors: the one-line messages behind exit code 2, and bounded excerpts of the values they quote.

Every problem with what a user gave (a protocol file, a command-line option) is an :class:`InputError`;
the command line prints ``str(err)`` on one line and exits with code 2.  A message names the file, the
field (a path such as ``regimens[0].dose``), the value given and what is allowed.  Values are quoted
through :func:`excerpt`, which never writes more than :data:`EXCERPT_CHARS` characters, however large
or self-referencing the value (a YAML alias tree is never expanded into a message).
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

#: The most characters of a value a message quotes.
EXCERPT_CHARS = 80

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 4, 4, 4, 4
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 60, 60, 40


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A one-line, bounded rendering of ``value`` for a message (YAML spelling for true/false/null/.nan/.inf).

    Strings are quoted with Python's escapes, so control characters and lone surrogates are shown as
    ``\\x00`` or ``\\ud800`` and never written raw to a terminal.
    """
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and not math.isfinite(value):
        text = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    else:
        try:
            text = _REPR.repr(value)
        except Exception:  # noqa: BLE001 - a value whose repr fails is still quoted as something
            text = f"<{type(value).__name__}>"
    text = " ".join(text.split()) if "\n" in text or "\r" in text else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Nothing:
    """The value of a message about the document or the file as a whole (there is no one value to quote)."""

    def __repr__(self) -> str:
        return "NOTHING"


#: Pass as ``value`` when no single value is at fault (a YAML syntax error, an unreadable file).
NOTHING = _Nothing()


def number(x: float) -> str:
    """A bound or a count as a person writes it: 36500, 0.0002778, 1e-09, 9223372036854775807."""
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


class InputError(ValueError):
    """Something the user gave is wrong.  ``str(err)`` is the one-line message (exit code 2)."""


class FieldProblem(ValueError):
    """Raised by validators and limit checks to blame one field (``field`` is a path such as ``regimens[0].dose``)."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(allowed)


class ProtocolError(InputError):
    """A protocol is wrong.  ``str(err)`` is the one-line message for the user.

    Attributes:
        source: the file (or ``built-in:NAME``) the protocol came from.
        field: the field path (``regimens[0].dose``), empty for the document as a whole.
        value: the value given (may be large; messages quote :func:`excerpt` of it).
        allowed: what is allowed, or what is wrong.
        where: a position in the file (``line 3, column 7``) for problems found while reading YAML.
    """

    def __init__(self, source: str, field: str, value: Any, allowed: str, *, where: str | None = None,
                 shown: str | None = None):
        self.source, self.field, self.value, self.allowed, self.where = source, field, value, allowed, where
        parts = [source] if source else []
        if where:
            parts.append(where)
        if field:
            parts.append(f"field '{field}'")
        elif not where:
            parts.append("document")
        head = ": ".join(parts)
        if shown is None and value is NOTHING:
            text = f"{head}: {allowed}"
        else:
            text = f"{head}: value {shown if shown is not None else excerpt(value)} is not allowed; {allowed}"
        super().__init__(" ".join(text.split()))
