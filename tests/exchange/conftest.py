"""COPASI (basico) sets the whole process locale to "C" when imported, which turns Python's default text
encoding into ASCII for everything that runs later in the same process; restore it after each test here."""

from __future__ import annotations

import locale

import pytest


@pytest.fixture(autouse=True)
def _restore_locale():
    saved = locale.setlocale(locale.LC_ALL)
    yield
    locale.setlocale(locale.LC_ALL, saved)
