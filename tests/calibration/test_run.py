"""`tregsim calibrate` plumbing: a short human PK refit writes tables and keeps every target met."""

from __future__ import annotations

import json

from tregsim.calibration.run import calibrate
from tregsim.model.parameters import load_table


def test_short_human_pk_refit_writes_tables_and_keeps_targets(tmp_path):
    calibrate(tmp_path, only=("human_pk",), max_nfev=2)
    s = json.loads((tmp_path / "summary.json").read_text())
    fit = s["fits"]["human_pk"]
    assert all(t["pass"] for t in fit["targets"])
    text = (tmp_path / "parameters_human.csv").read_text()
    assert text.count(",F,") == len(fit["values"]) + sum(r.mark == "F" for r in load_table("human")
                                                         if (r.name + "|" + r.scope) not in fit["values"])
    assert (tmp_path / "report.html").is_file()
