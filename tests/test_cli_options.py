"""Issue 12, the command line: options and the results folder are checked before any work, each problem is
one line with exit 2 (never a framed usage box); a failure while writing leaves nothing that blocks a rerun;
a solver failure that survives validation exits 1 naming the subjects, their seeds and the day reached."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tregsim.cli import app

sim_module = importlib.import_module("tregsim.simulate")  # tregsim.simulate is also the function

TINY = """kind: simulation
species: mouse
disease: eae_mog35_55
duration_days: 0.5
animals: 2
regimens:
  - {drug: igf1, route: sc, dose: 50, dose_unit: ug/kg, every_hours: 12}
"""
BOX = ("╭", "│", "╰", "Usage:")


@pytest.fixture
def proto(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(TINY)
    return f


@pytest.fixture
def no_work(monkeypatch):
    """Make any simulation fail loudly: what is checked before any work never gets there."""
    def boom(*a, **k):
        raise AssertionError("work started before the input was checked")

    monkeypatch.setattr(sim_module, "simulate", boom)


def _cli(*args) -> tuple[int, str]:
    r = CliRunner().invoke(app, [str(a) for a in args])
    return r.exit_code, r.output


def _one_error_line(out: str) -> str:
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1, out
    assert lines[0].startswith("tregsim: error: ") and "Traceback" not in out
    assert not any(b in out for b in BOX), out
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (["simulate", "PROTO", "--seed", "-1"], ["--seed", "-1", "2^63-1"]),
    (["simulate", "PROTO", "--seed", str(2**63)], ["--seed", str(2**63), "2^63-1"]),
    (["simulate", "PROTO", "--seed", "abc"], ["--seed", "integer"]),
    (["reproduce", "bilbao2014", "--animals", "1"], ["--animals", "value 1", "2 to 2000"]),
    (["reproduce", "bilbao2014", "--seed", "-5"], ["--seed", "-5"]),
    (["bench", "--patients", "0"], ["--patients", "value 0", "1 to 100000"]),
    (["bench", "--years", "nan"], ["--years", "NaN is not a number"]),
    (["bench", "--patients", "100000", "--years", "10"], ["--patients/--years", "MAX_SUBJECT"]),
    (["export", "sbml", "x.xml", "--seed", "-1"], ["--seed", "-1"]),
    (["export", "sbml", "x.xml", "--subject", "-1"], ["--subject", "-1"]),
    (["calibrate", "--starts", "0"], ["--starts", "value 0"]),
    (["simulate"], ["Missing argument"]),
    (["simulate", "PROTO", "--sed", "3"], ["No such option: --sed"]),
    (["nonsense"], ["No such command"]),
])
def test_bad_options_are_one_line_exit_2_before_any_work(proto, no_work, args, words):
    code, out = _cli(*[str(proto) if a == "PROTO" else a for a in args])
    assert code == 2, out
    line = _one_error_line(out)
    for w in words:
        assert w in line, line


@pytest.mark.parametrize("out_value, words", [
    ("/proc/nope", "cannot be created"),
    ("", "is empty"),
])
def test_bad_out_folders(proto, no_work, out_value, words):
    code, out = _cli("simulate", proto, "--out", out_value)
    assert code == 2 and words in _one_error_line(out)


def test_out_under_a_file(proto, no_work, tmp_path):
    (tmp_path / "somefile").write_text("x")
    code, out = _cli("simulate", proto, "--out", tmp_path / "somefile" / "sub")
    assert code == 2 and "is a file, not a folder" in _one_error_line(out)


def test_a_users_own_timecourse_is_never_overwritten(proto, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "timecourse.csv").write_text("my data\n")
    code, out = _cli("simulate", proto, "--out", mine)
    assert code == 2 and "timecourse.csv" in _one_error_line(out) and "--overwrite" in out
    assert (mine / "timecourse.csv").read_text() == "my data\n"
    code, out = _cli("simulate", proto, "--out", mine, "--overwrite")
    assert code == 0, out
    assert (mine / "timecourse.csv").read_text() != "my data\n" and (mine / "summary.json").is_file()


def test_a_failure_while_writing_leaves_nothing_that_blocks_a_rerun(proto, tmp_path, monkeypatch):
    import tregsim.report.html as html

    real = html.simulation_report

    def broken(result, path):
        path.with_name(path.name + ".part").write_text("half a report")
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(html, "simulation_report", broken)
    out_dir = tmp_path / "o"
    code, out = _cli("simulate", proto, "--out", out_dir)
    assert code == 1 and "internal error" in out
    assert not out_dir.exists() or not any(out_dir.iterdir())
    monkeypatch.setattr(html, "simulation_report", real)
    code, out = _cli("simulate", proto, "--out", out_dir)
    assert code == 0, out
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        ["timecourse.csv", "subjects.parquet", "summary.json", "protocol.yaml", "report.html"])


def test_a_solver_failure_keeps_the_other_subjects_and_exits_1(proto, tmp_path, monkeypatch):
    from tregsim.solve.reference import SolveError

    real = sim_module.solve_chunk

    def second_fails(solver, subjects, t):
        for sub, y, error in real(solver, subjects, t):
            if sub.index == 1:
                yield sub, None, str(SolveError(sub.seed, 0.25, "step size underflow"))
            else:
                yield sub, y, error

    monkeypatch.setattr(sim_module, "solve_chunk", second_fails)
    code, out = _cli("simulate", proto, "--out", tmp_path / "o", "--seed", 7)
    assert code == 1, out
    line = [ln for ln in out.splitlines() if ln.startswith("tregsim: error:")]
    assert len(line) == 1 and "1 of 2 subject(s) failed" in line[0] and "subjects 1;" in line[0]
    assert "seed (7, 1)" in line[0] and "day 0.25" in line[0]
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["subjects"] == 1 and summary["failures"][0]["subject"] == 1
    assert summary["failures"][0]["seed"] == [7, 1]
    assert (tmp_path / "o" / "report.html").is_file()


def test_when_every_subject_fails_the_seed_and_day_are_named(proto, tmp_path, monkeypatch):
    from tregsim.engine.ensemble import EnsembleSolver

    monkeypatch.setattr(sim_module, "EnsembleSolver", lambda: EnsembleSolver(max_steps=3))
    code, out = _cli("simulate", proto, "--out", tmp_path / "o", "--seed", 4)
    assert code == 1
    line = _one_error_line(out)
    assert "solver failure" in line and "seed (4, 0)" in line and "at day" in line and "too many steps" in line
    assert not (tmp_path / "o").exists()


def test_the_console_script_prints_one_line_not_a_box(proto):
    exe = os.path.join(os.path.dirname(sys.executable), "tregsim")
    cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "tregsim.cli"]
    r = subprocess.run([*cmd, "simulate", str(proto), "--seed", "-1"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, COLUMNS="80"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("tregsim: error: --seed: value -1 is not allowed") and r.stderr.count("\n") == 1
