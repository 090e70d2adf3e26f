"""A COMBINE archive (OMEX: SBML + SED-ML) of the seed study: vehicle vs IGF-1 EAE, one animal each.

The archive holds one SBML file per arm (:mod:`tregsim.exchange.sbml`, the arm's protocol at a fixed seed,
animal 0), one SED-ML file (python-libsedml) that simulates both over the arms' duration with a daily
output, and reports and plots the seed-study figure's curves (clinical score, CNS Treg, free IGF-1,
survival, glucose).  Any SED-ML executor (Tellurium/libRoadRunner, COPASI, BioSimulators) reproduces
``tregsim simulate`` of the two protocols for that animal.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import libcombine
import libsedml

from tregsim.exchange.sbml import write_sbml
from tregsim.protocol import SimulationProtocol, load_protocol

#: The seed study's arms: (label, built-in protocol).
ARMS: tuple[tuple[str, str], ...] = (("vehicle", "bilbao2014-eae-vehicle"), ("igf1", "bilbao2014-eae-igf1"))
#: The curves of the figure (SBML ids; all are observables of the contract).
CURVES: tuple[str, ...] = ("clinical_score", "treg_cns", "igf1_free_ng_ml", "alive", "glucose_mmol_l")
#: KiSAO: CVODE, with its relative and absolute tolerance parameters.
KISAO_CVODE, KISAO_RTOL, KISAO_ATOL = "KISAO:0000019", "KISAO:0000209", "KISAO:0000211"
RTOL, ATOL = 1e-10, 1e-12

#: Format URIs as libCombine knows them (the generic ones, which every libCombine-based reader recognises).
_FORMAT = {"sbml": libcombine.KnownFormats.lookupFormat("sbml"),
           "sedml": libcombine.KnownFormats.lookupFormat("sedml")}
_STATE_IDS = ("treg_cns", "teff_cns", "treg_periphery", "teff_periphery")  # SBML species; the rest are parameters


@dataclass(frozen=True)
class ArchiveArm:
    """One arm in the archive: its label, protocol, SBML location and the SED-ML report's column ids."""

    label: str
    protocol: SimulationProtocol
    sbml: str


def arms(seed: int | None = None) -> list[ArchiveArm]:
    """The seed study's arms, one animal each (animal 0 of the protocol under ``seed``, default the protocol's)."""
    out = []
    for label, name in ARMS:
        proto = load_protocol(name).model_copy(update={"animals": 1})
        if seed is not None:
            proto = proto.model_copy(update={"seed": int(seed)})
        out.append(ArchiveArm(label, proto, f"model_{label}.xml"))
    return out


def _target(sbml_id: str) -> str:
    kind = "species" if sbml_id in _STATE_IDS else "parameter"
    plural = "Species" if kind == "species" else "Parameters"
    return f"/sbml:sbml/sbml:model/sbml:listOf{plural}/sbml:{kind}[@id='{sbml_id}']"


def _check(code: int, what: str) -> None:
    if code != libsedml.LIBSEDML_OPERATION_SUCCESS:
        raise RuntimeError(f"libSEDML refused {what}: code {code}")


def sedml_document(archive_arms: list[ArchiveArm]) -> libsedml.SedDocument:
    """The SED-ML (L1V4): one model, uniform time course, task and data generators per arm; a report of
    every curve and a plot of the clinical score."""
    doc = libsedml.SedDocument(1, 4)
    days = {a.protocol.duration_days for a in archive_arms}
    if len(days) != 1:
        raise ValueError(f"the arms last different times: {sorted(days)}")
    duration = days.pop()
    sim = doc.createUniformTimeCourse()
    sim.setId("daily")
    sim.setName(f"0-{duration:g} days, daily output")
    sim.setInitialTime(0.0)
    sim.setOutputStartTime(0.0)
    sim.setOutputEndTime(duration)
    sim.setNumberOfPoints(int(round(duration)))
    alg = sim.createAlgorithm()
    alg.setKisaoID(KISAO_CVODE)
    for kisao, value in ((KISAO_RTOL, RTOL), (KISAO_ATOL, ATOL)):
        ap = alg.createAlgorithmParameter()
        ap.setKisaoID(kisao)
        ap.setValue(repr(value))

    report = doc.createReport()
    report.setId("figure_data")
    report.setName("Bilbao 2014 EAE, vehicle vs IGF-1, one animal each (tregsim)")
    plot = doc.createPlot2D()
    plot.setId("clinical_score_plot")
    plot.setName("EAE clinical score, vehicle vs IGF-1")

    def generator(gid: str, task: str, symbol: str | None = None, sbml_id: str | None = None) -> str:
        dg = doc.createDataGenerator()
        dg.setId(gid)
        dg.setName(gid)
        var = dg.createVariable()
        var.setId(f"v_{gid}")
        var.setTaskReference(task)
        if symbol:
            var.setSymbol(symbol)
        else:
            var.setTarget(_target(sbml_id))
        _check(dg.setMath(libsedml.parseL3Formula(f"v_{gid}")), f"math of {gid}")
        ds = report.createDataSet()
        ds.setId(f"ds_{gid}")
        ds.setLabel(gid)
        ds.setDataReference(gid)
        return gid

    for arm in archive_arms:
        model = doc.createModel()
        model.setId(f"model_{arm.label}")
        model.setSource(arm.sbml)
        model.setLanguage("urn:sedml:language:sbml.level-3.version-2")
        task = doc.createTask()
        task.setId(f"task_{arm.label}")
        task.setModelReference(model.getId())
        task.setSimulationReference("daily")
        t = generator(f"time_{arm.label}", task.getId(), symbol="urn:sedml:symbol:time")
        for curve in CURVES:
            gid = generator(f"{curve}_{arm.label}", task.getId(), sbml_id=curve)
            if curve == "clinical_score":
                c = plot.createCurve()
                c.setId(f"curve_{arm.label}")
                c.setName(arm.label)
                c.setXDataReference(t)
                c.setYDataReference(gid)
    return doc


def write_omex(folder: str | Path, seed: int | None = None) -> Path:
    """Write ``folder/bilbao2014.omex`` (SBML per arm + SED-ML + manifest); returns the archive's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    archive_arms = arms(seed)
    archive = libcombine.CombineArchive()
    with tempfile.TemporaryDirectory() as tmp:
        for arm in archive_arms:
            write_sbml(Path(tmp, arm.sbml), arm.protocol)
            archive.addFile(str(Path(tmp, arm.sbml)), arm.sbml, _FORMAT["sbml"], False)
        sed = Path(tmp, "simulation.sedml")
        libsedml.writeSedMLToFile(sedml_document(archive_arms), str(sed))
        archive.addFile(str(sed), "simulation.sedml", _FORMAT["sedml"], True)
        target = folder / "bilbao2014.omex"
        partial = folder / ".bilbao2014.omex.partial"
        if not archive.writeToFile(str(partial)):
            raise RuntimeError(f"libCombine could not write {partial}")
        archive.cleanUp()
        partial.replace(target)
    return target
