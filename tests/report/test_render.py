"""A report renders offline in headless Chromium with every figure decoded (skipped without Chromium;
`make check-report` installs it and runs the same check on a real reproduce report)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from tregsim.report.html import Report

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_report", ROOT / "tools" / "check_report.py")
check_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_report)


def _report(tmp_path: Path, n: int) -> Path:
    rep = Report("render test")
    for i in range(n):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, i])
        rep.figure(fig, f"figure {i}")
    return rep.write(tmp_path / "report.html")


def test_report_is_self_contained(tmp_path):
    html = _report(tmp_path, 2).read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert html.count("data:image/png;base64,") == 2


@pytest.mark.skipif(check_report.chromium() is None, reason="no chromium (make check-report installs it)")
def test_report_renders_with_figures_in_headless_chromium(tmp_path):
    path = _report(tmp_path, 3)
    shot = tmp_path / "shot.png"
    assert check_report.render(path, shot) == 3
    assert shot.stat().st_size > 10000
