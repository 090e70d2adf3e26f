"""The COMBINE archive of the seed study runs in Tellurium's SED-ML executor and gives tregsim's curves."""

from __future__ import annotations

import zipfile

import libsedml
import numpy as np
import pytest

from tests.exchange.parity import TOLERANCE, worst_relative_gap
from tregsim.exchange.omex import CURVES, arms, write_omex
from tregsim.simulate import simulate


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_omex(tmp_path_factory.mktemp("omex"))


def test_archive_holds_sbml_sedml_and_a_manifest(archive):
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        assert {"manifest.xml", "simulation.sedml", "model_vehicle.xml", "model_igf1.xml"} <= names
        sed = libsedml.readSedMLFromString(z.read("simulation.sedml").decode())
    assert sed.getNumErrors(libsedml.LIBSEDML_SEV_ERROR) == 0
    assert sed.getNumTasks() == 2 and sed.getNumOutputs() == 2


def test_tellurium_sedml_executor_reproduces_the_seed_study_curves(archive, tmp_path):
    pytest.importorskip("tellurium")
    from tellurium.sedml.tesedml import executeCombineArchive

    results = executeCombineArchive(str(archive), workingDir=str(tmp_path), createOutputs=False)
    (data,) = [r["dataGenerators"] for r in results.values()]
    scores = {}
    for arm in arms():
        res = simulate(arm.protocol)
        np.testing.assert_allclose(np.ravel(data[f"time_{arm.label}"]), res.data.time_day.values)
        expected = {c: res.data[c].values[0] for c in CURVES}
        gaps = worst_relative_gap(expected, {c: data[f"{c}_{arm.label}"] for c in CURVES})
        assert max(gaps.values()) <= TOLERANCE, (arm.label, gaps)
        scores[arm.label] = expected["clinical_score"]
    assert scores["vehicle"].max() > scores["igf1"].max()  # the figure shows the study's effect
