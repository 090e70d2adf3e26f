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


def test_human_panels_follow_the_drugs_a_protocol_gives():
    """An IL-2 protocol shows IL-2, CD25 and blood Treg (not a flat endogenous IGF-1); an IGF-1 protocol its free
    IGF-1 and glucose; an undosed human the IGF-1 baseline panels; a mouse its fixed panels."""
    from tests.conftest import human_protocol
    from tregsim.report.figures import DEFAULT_HUMAN, DEFAULT_MOUSE, default_observables
    from tregsim.protocol import parse_protocol

    il2 = dict(drug="il2", route="sc", dose=1.0, dose_unit="MIU", every_hours=24, start_day=0, stop_day=4)
    igf1 = dict(drug="igf1", route="sc", dose=50, dose_unit="ug/kg", every_hours=12)
    got = default_observables(human_protocol(regimens=[il2]))
    assert {"il2_ng_ml", "treg_cd25_fold", "treg_blood_fold"} <= set(got) and "igf1_free_ng_ml" not in got
    both = default_observables(human_protocol(regimens=[igf1, il2]))
    assert {"igf1_free_ng_ml", "glucose_mmol_l", "il2_ng_ml"} <= set(both)
    assert default_observables(human_protocol()) == DEFAULT_HUMAN
    mouse = parse_protocol(dict(kind="simulation", species="mouse", disease="eae_mog35_55", duration_days=10))
    assert default_observables(mouse) == DEFAULT_MOUSE


def test_band_figure_places_each_value_in_its_band():
    """Fit (filled) and fresh (open) markers at (value - low) / (high - low); rows without a band are left out."""
    from tregsim.report.figures import band_figure

    rows = [{"id": "a", "low": 0.2, "high": 0.4, "simulated": 0.3, "fresh_patients": 0.5},
            {"id": "b", "low": 1.0, "high": 3.0, "simulated": 0.5, "fresh_patients": None},
            {"id": "c", "simulated": 4.0, "low": None, "high": None}]
    fig = band_figure(rows)
    points = sorted((round(float(line.get_xdata()[0]), 9), float(line.get_ydata()[0])) for line in fig.axes[0].lines)
    assert points == [(-0.25, 1.0), (0.5, 0.0), (1.5, 0.0)]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a  [0.2, 0.4]", "b  [1, 3]"]
    plt.close(fig)
