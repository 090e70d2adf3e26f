"""The command line: contract outputs, exit code 2 with one message for bad input, no overwrite."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "tregsim.cli"]

GOOD = """kind: simulation
species: mouse
disease: eae_mog35_55
duration_days: 20
animals: 2
regimens:
  - {drug: igf1, route: minipump, dose: 1.0, dose_unit: mg/kg/day, every_hours: null, start_day: 0, stop_day: 28}
"""


def _run(*args, cwd=None):
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_simulate_writes_contract_files(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    r = _run("simulate", f, "--out", tmp_path / "o", "--seed", 3)
    assert r.returncode == 0, r.stderr
    for name in ("timecourse.csv", "subjects.parquet", "summary.json", "report.html"):
        assert (tmp_path / "o" / name).is_file()
    s = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert s["seed"] == 3 and "peak_score_mean" in s["metrics"]


def test_results_are_never_silently_overwritten(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    assert _run("simulate", f, "--out", tmp_path / "o").returncode == 0
    r = _run("simulate", f, "--out", tmp_path / "o")
    assert r.returncode == 2 and "--overwrite" in r.stderr and "Traceback" not in r.stderr
    assert _run("simulate", f, "--out", tmp_path / "o", "--overwrite").returncode == 0


@pytest.mark.parametrize("text, word", [
    (GOOD.replace("dose: 1.0", "dose: -1.0"), "regimens[0].dose"),
    (GOOD.replace("mg/kg/day", "furlongs"), "dose_unit"),
    (GOOD.replace("species: mouse", "species: dragon"), "species"),
    ("kind: !!python/object/apply:os.system ['echo hacked']\n", "YAML"),
    ("kind: [unclosed\n  : : :", "YAML"),
])
def test_bad_input_exits_2_with_one_message(tmp_path, text, word):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    r = _run("simulate", f, "--out", tmp_path / "o")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and word in r.stderr and str(f) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_missing_file_exits_2(tmp_path):
    r = _run("simulate", tmp_path / "nope.yaml")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_protocols_list_and_show(tmp_path):
    r = _run("protocols", "list")
    assert r.returncode == 0 and "bilbao2014-eae-igf1" in r.stdout
    r = _run("protocols", "show", "bilbao2014-eae-vehicle")
    assert r.returncode == 0 and "species: mouse" in r.stdout
    r = _run("protocols", "show", "nope")
    assert r.returncode == 2


def test_help_lists_the_commands():
    r = _run("--help")
    assert r.returncode == 0
    for cmd in ("run", "simulate", "protocols"):
        assert cmd in r.stdout


def test_calibrate_rejects_unknown_fit_and_missing_targets(tmp_path):
    r = _run("calibrate", "--only", "everything", "--out", tmp_path / "o")
    assert r.returncode == 2 and "--only" in r.stderr and "Traceback" not in r.stderr
    r = _run("calibrate", "--targets", tmp_path / "none.csv", "--out", tmp_path / "o")
    assert r.returncode == 2 and "--targets" in r.stderr


def test_reproduce_rejects_unknown_study(tmp_path):
    r = _run("reproduce", "nobody2099", "--out", tmp_path / "o")
    assert r.returncode == 2 and "bilbao2014" in r.stderr


def test_export_sbml_writes_a_file_libsbml_reads_and_never_overwrites(tmp_path):
    import libsbml

    target = tmp_path / "model.xml"
    r = _run("export", "sbml", target, "--protocol", "bilbao2014-eae-igf1", "--seed", 2)
    assert r.returncode == 0, r.stderr
    doc = libsbml.readSBMLFromFile(str(target))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0 and doc.getModel().getNumEvents() >= 2
    again = _run("export", "sbml", target)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    bad = _run("export", "sbml", tmp_path / "x.xml", "--protocol", "bilbao2014-eae-igf1", "--subject", 99)
    assert bad.returncode == 2 and "--subject" in bad.stderr and "0-19" in bad.stderr
    human = _run("export", "sbml", tmp_path / "h.xml", "--species", "human")
    assert human.returncode == 0 and libsbml.readSBMLFromFile(str(tmp_path / "h.xml")).getModel().getSpecies("gd")


def test_export_omex_writes_the_archive(tmp_path):
    r = _run("export", "omex", tmp_path / "arch")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "arch" / "bilbao2014.omex").is_file()
    assert _run("export", "omex", tmp_path / "arch").returncode == 2
