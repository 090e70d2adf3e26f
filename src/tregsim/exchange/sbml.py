"""SBML Level 3 Version 2 export of one subject, generated from the one model definition.

What is written (and how an SBML tool sees tregsim's model):

* every state of :data:`~tregsim.model.definition.STATES` is a species (amount, ``hasOnlySubstanceUnits``)
  in a unit compartment ``body``, its initial amount the subject's day-0 state (for a human, the end of
  the run-in), its derivative the definition's rate as a rate rule;
* every parameter the subject resolves (kinetic, readout, derived at baseline, protocol meta-values),
  the inputs (changed by events) and the knockout switches are SBML parameters with units and, as a
  note, the parameter table's source, mark and bounds;
* every assignment of the definition is a parameter set by an assignment rule; every observable is a
  species in a compartment ``readout`` set by an assignment rule (so COPASI, which lists species by
  name and parameters as ``Values[...]``, shows the contract's names), in the definition's order;
* doses, infusion starts and stops, the immunisation and that seed's immune triggers are events at fixed
  times (``time >= t``), one per time, so an SBML simulator reproduces ``tregsim simulate`` of the same
  protocol and seed;
* the trajectory quantities: ``treg_blood_day0`` is an initial assignment; a mouse's ``dead`` is set
  to 1 by an event when ``score_raw`` reaches ``death_score`` (tregsim checks the score at its output
  times, the event at the crossing itself, so the two agree at every output time after the crossing).

Nothing SBML tools handle poorly: no ``delay``, fast reactions, ``comp`` or algebraic rules.
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass
from pathlib import Path

import libsbml
import numpy as np

from tregsim.exchange import annotations as ann
from tregsim.exchange.sbml_units import add_unit_definition
from tregsim.model.definition import (ASSIGNMENTS, DERIVED_PARAMETERS, INPUTS, OBSERVABLES, STATES, SWITCHES,
                                      TRAJECTORY_QUANTITIES)
from tregsim.model.parameters import ParameterRow, resolve_rows
from tregsim.model.subject import Subject, build_subject, switches_for
from tregsim.protocol import SimulationProtocol

LEVEL, VERSION = 3, 2

#: The default disease of each species when no protocol is given, and the length of its immune history.
DEFAULT_DISEASE = {"mouse": "eae_mog35_55", "human": "rrms"}
DEFAULT_DAYS = {"mouse": 60.0, "human": 365.0}

#: Who and what to credit in the model history.
CREATOR = ("tregsim", "developers", "tregsim project")


class ExportError(RuntimeError):
    """libSBML refused part of the model (a bug in the exporter, not a user input problem)."""


@dataclass(frozen=True)
class ConsistencyReport:
    """libSBML's consistency check: messages by severity."""

    errors: list[str]
    warnings: list[str]


def default_protocol(species: str = "mouse") -> SimulationProtocol:
    """The model without doses at its species' default disease state (what ``export sbml`` writes without
    ``--protocol``): one subject, :data:`DEFAULT_DAYS` of immune history, no regimens."""
    return SimulationProtocol(species=species, disease=DEFAULT_DISEASE[species], duration_days=DEFAULT_DAYS[species],
                              name=f"{species}-{DEFAULT_DISEASE[species]}-untreated")


def _check(code: int, what: str) -> None:
    if code not in (libsbml.LIBSBML_OPERATION_SUCCESS, None):
        raise ExportError(f"libSBML refused {what}: {libsbml.OperationReturnValue_toString(code)}")


def _math(expr: str, what: str) -> libsbml.ASTNode:
    node = libsbml.parseL3Formula(expr)
    if node is None:
        raise ExportError(f"cannot parse {what}: {expr!r}: {libsbml.getLastParseL3Error()}")
    return node


def _notes(element: libsbml.SBase, lines: list[str]) -> None:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    _check(element.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'), f"notes of {element.getId()}")


def _annotate(element: libsbml.SBase, terms: list[tuple[str, str]], model_qualifier: bool = False) -> None:
    if not terms:
        return
    if not element.isSetMetaId():
        element.setMetaId(f"meta_{element.getId()}")
    for qualifier, resource in terms:
        cv = libsbml.CVTerm(libsbml.MODEL_QUALIFIER if model_qualifier else libsbml.BIOLOGICAL_QUALIFIER)
        if model_qualifier:
            cv.setModelQualifierType({"is": libsbml.BQM_IS, "isDescribedBy": libsbml.BQM_IS_DESCRIBED_BY}[qualifier])
        else:
            cv.setBiologicalQualifierType({"is": libsbml.BQB_IS, "hasPart": libsbml.BQB_HAS_PART,
                                           "hasTaxon": libsbml.BQB_HAS_TAXON,
                                           "isDescribedBy": libsbml.BQB_IS_DESCRIBED_BY}[qualifier])
        cv.addResource(resource)
        _check(element.addCVTerm(cv), f"annotation of {element.getId()}")


def _parameter(model: libsbml.Model, name: str, value: float, unit: str, constant: bool, notes: list[str],
               terms: list[tuple[str, str]] | None = None) -> libsbml.Parameter:
    p = model.createParameter()
    _check(p.setId(name), f"parameter id {name}")
    _check(p.setValue(float(value)), f"value of {name}")
    p.setUnits(add_unit_definition(model, unit))
    p.setConstant(constant)
    _notes(p, notes)
    _annotate(p, terms or [])
    return p


def _row_notes(row: ParameterRow, value: float) -> list[str]:
    lines = [row.description, f"unit: {row.unit}; bounds: [{row.low:g}, {row.high:g}]; mark: {row.mark} "
             "(V verified in the source, U unverified/assumption, F fitted by tregsim); table scope: " + row.scope,
             f"source: {row.source}"]
    if value != row.value:
        lines.append(f"table value {row.value!r}, this subject's value {value!r} (protocol covariate, e.g. age)")
    return lines


def _history(model: libsbml.Model, when: _dt.datetime) -> None:
    history = libsbml.ModelHistory()
    creator = libsbml.ModelCreator()
    creator.setFamilyName(CREATOR[0])
    creator.setGivenName(CREATOR[1])
    creator.setOrganization(CREATOR[2])
    _check(history.addCreator(creator), "the model creator")
    stamp = libsbml.Date(when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _check(history.setCreatedDate(stamp), "the creation date")
    _check(history.setModifiedDate(stamp), "the modification date")
    _check(model.setModelHistory(history), "the model history")


def _events(model: libsbml.Model, subject: Subject) -> None:
    """One event per time at which the schedule changes the system: boluses added, inputs (re)set."""
    sched = subject.schedule
    times = sorted({b.time for b in sched.boluses} | {t for inf in sched.infusions for t in (inf.start, inf.stop)})
    previous = dict.fromkeys((n for n, _, _ in INPUTS), 0.0)
    day = add_unit_definition(model, "day")
    state_units = {st.name: add_unit_definition(model, st.unit) for st in STATES}
    input_units = {n: add_unit_definition(model, u) for n, u, _ in INPUTS}
    for k, t in enumerate(t for t in times if 0.0 <= t <= subject.t_end):
        added: dict[str, float] = {}
        for b in sched.boluses:
            if b.time == t:
                added[b.state] = added.get(b.state, 0.0) + b.amount
        rates = sched.inputs_at(t)
        changed = {n: r for n, r in rates.items() if r != previous[n]}
        previous = rates
        if not added and not changed:
            continue
        ev = model.createEvent()
        ev.setId(f"event_{k}")
        ev.setName(f"day {t:.6g}: " + ", ".join([f"+{a:.6g} {s}" for s, a in added.items()]
                                                + [f"{n} = {r:.6g}" for n, r in changed.items()]))
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)  # fires at t0 when t == 0
        trig.setPersistent(True)
        # literal numbers carry their units, so libSBML can check the events' units
        _check(trig.setMath(_math(f"time >= {t!r} {day}", f"trigger of event {k}")), f"trigger of event {k}")
        for state, amount in added.items():
            ea = ev.createEventAssignment()
            ea.setVariable(state)
            ea.setMath(_math(f"{state} + {amount!r} {state_units[state]}", f"dose into {state}"))
        for name, rate in changed.items():
            ea = ev.createEventAssignment()
            ea.setVariable(name)
            ea.setMath(_math(f"{float(rate)!r} {input_units[name]}", f"input {name}"))


def sbml_document(protocol: SimulationProtocol | None = None, seed: int | None = None, subject: int = 0,
                  species: str = "mouse", when: _dt.datetime | None = None) -> libsbml.SBMLDocument:
    """The SBML L3V2 document of one subject of ``protocol`` under ``seed``.

    Arguments:
        protocol: a validated protocol; None: :func:`default_protocol` of ``species`` (no doses).
        seed: seed of the random draws (default: the protocol's, else 0), as in ``tregsim simulate``.
        subject: which subject (animal, patient) of the protocol, 0-based.
        species: only without a protocol.
        when: the model history's date (default: now, UTC).
    """
    if protocol is None:
        protocol = default_protocol(species)
    seed = int(seed if seed is not None else (protocol.seed if protocol.seed is not None else 0))
    return subject_document(build_subject(protocol, subject, seed), protocol, when)


def subject_document(sub: Subject, protocol: SimulationProtocol, when: _dt.datetime | None = None
                     ) -> libsbml.SBMLDocument:
    """The SBML document of an already built subject of ``protocol`` (its values, day-0 state, schedule)."""
    subject, seed = sub.index, sub.seed[0]
    rows = resolve_rows(protocol.species, protocol.disease, protocol.hypothesis)
    sp = protocol.species

    doc = libsbml.SBMLDocument(LEVEL, VERSION)
    model = doc.createModel()
    label = protocol.name or f"{sp}-{protocol.disease}"
    model.setId("tregsim_" + "".join(c if c.isalnum() else "_" for c in label))
    model.setName(f"tregsim {label} (subject {subject}, seed {seed})")
    model.setMetaId("meta_model")
    model.setTimeUnits(add_unit_definition(model, "day"))
    # Model-wide substance unit: item.  Each species declares its own unit; this default makes tools that
    # keep one quantity unit (COPASI) count amounts as plain numbers rather than as moles.
    model.setSubstanceUnits("item")
    model.setExtentUnits("item")
    _notes(model, [
        "tregsim: IGF-1 -> IGF1R -> Treg -> effector T cell -> myelin -> disability.",
        f"Protocol {label}: species {sp}, disease {protocol.disease}, hypothesis {protocol.hypothesis}, "
        f"knockouts {list(protocol.knockouts) or 'none'}; subject {subject}, seed {seed}; "
        f"{protocol.duration_days:g} days.",
        "Time in days; cells; IGF-1 amounts in ug/kg body weight; concentrations in ng/mL; glucose in mmol/L.",
        "Generated from tregsim's model definition (src/tregsim/model/definition.py); "
        "docs/equations.md lists every expression and docs/parameters.md every value with its source.",
    ])
    _annotate(model, [("hasTaxon", ann.uri(f"taxonomy:{ann.TAXON[sp][0]}")),
                      ("isDescribedBy", ann.uri(ann.MS[0]))])
    _history(model, when or _dt.datetime.now(_dt.timezone.utc))

    comp = model.createCompartment()
    comp.setId("body")
    comp.setName("one subject (amounts per kg body weight; cells per subject)")
    comp.setSize(1.0)
    comp.setConstant(True)
    comp.setSpatialDimensions(3)
    comp.setUnits("dimensionless")

    for i, st in enumerate(STATES):
        s = model.createSpecies()
        _check(s.setId(st.name), f"species {st.name}")
        s.setName(st.name)  # the contract's name, so tools that label by name (COPASI) show it; meaning in notes
        s.setCompartment("body")
        s.setInitialAmount(float(sub.y0[i]))
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)
        s.setSubstanceUnits(add_unit_definition(model, st.unit))
        _notes(s, [st.description, f"unit: {st.unit}"])
        _annotate(s, ann.state_terms(st.name, sp))

    # parameters: the table's (as resolved for this subject), derived, inputs, switches
    derived = {n: (u, d) for n, u, d in DERIVED_PARAMETERS}
    receptor = [("is", ann.uri(f"uniprot:{ann.UNIPROT['IGF1R'][sp][0]}"))]
    for name, value in sub.values.items():
        if name in derived:
            unit, desc = derived[name]
            _parameter(model, name, value, unit, True, [desc, "derived by tregsim at the subject's no-drug steady "
                                                               "state (tregsim.model.subject.pk_steady_state)"])
        else:
            row = rows[name]
            _parameter(model, name, value, row.unit, True, _row_notes(row, value),
                       receptor if name in ann.RECEPTOR_PARAMETERS else None)
    for name, unit, desc in INPUTS:
        _parameter(model, name, 0.0, unit, False, [desc, "set by the dosing events"])
    switches = switches_for(list(protocol.knockouts))
    for name, desc in SWITCHES:
        _parameter(model, name, switches[name], "1", True, [desc], receptor)

    for name, unit, desc in TRAJECTORY_QUANTITIES:
        if name == "dead" and sp != "mouse":
            continue
        _parameter(model, name, 0.0, unit, name != "dead", [desc])
    ia = model.createInitialAssignment()
    ia.setSymbol("treg_blood_day0")
    ia.setMath(_math("treg_blood", "treg_blood_day0"))

    # rules: assignments, then observables (those that are not a state of the same name)
    state_names = {s.name for s in STATES}
    for a in ASSIGNMENTS:
        _parameter(model, a.name, 0.0, a.unit, False, [a.description])
        rule = model.createAssignmentRule()
        rule.setVariable(a.name)
        _check(rule.setMath(_math(a.expr, a.name)), f"rule {a.name}")
    readout = model.createCompartment()
    readout.setId("readout")
    readout.setName("readouts of the public contract (values set by assignment rules)")
    readout.setSize(1.0)
    readout.setConstant(True)
    readout.setSpatialDimensions(3)
    readout.setUnits("dimensionless")
    for o in OBSERVABLES:
        if sp not in o.species or o.name in state_names:
            continue
        # a species set by an assignment rule, so tools that list species (COPASI) show it by its contract name
        s = model.createSpecies()
        _check(s.setId(o.name), f"observable {o.name}")
        s.setName(o.name)
        s.setCompartment("readout")
        s.setHasOnlySubstanceUnits(True)
        s.setBoundaryCondition(False)
        s.setConstant(False)
        s.setSubstanceUnits(add_unit_definition(model, o.unit))
        _notes(s, [o.description, f"unit: {o.unit}", "observable of tregsim's public contract"])
        rule = model.createAssignmentRule()
        rule.setVariable(o.name)
        _check(rule.setMath(_math(o.expr, o.name)), f"rule {o.name}")
    for st in STATES:
        rule = model.createRateRule()
        rule.setVariable(st.name)
        _check(rule.setMath(_math(st.rate, f"rate of {st.name}")), f"rate rule {st.name}")

    _events(model, sub)
    if sp == "mouse":
        ev = model.createEvent()
        ev.setId("death")
        ev.setName("moribund: the raw score reaches death_score (absorbing)")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(_math("score_raw >= death_score", "death trigger"))
        ea = ev.createEventAssignment()
        ea.setVariable("dead")
        ea.setMath(_math("1", "dead"))
    return doc


def consistency(doc: libsbml.SBMLDocument) -> ConsistencyReport:
    """libSBML's full consistency check (units included) split into errors and warnings."""
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    errors, warnings = [], []
    for i in range(doc.getNumErrors()):
        e = doc.getError(i)
        text = f"{e.getCategoryAsString()} {e.getErrorId()} line {e.getLine()}: {' '.join(e.getMessage().split())}"
        (errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR else warnings).append(text)
    return ConsistencyReport(errors, warnings)


def sbml_string(protocol: SimulationProtocol | None = None, seed: int | None = None, subject: int = 0,
                species: str = "mouse") -> str:
    """The SBML text of :func:`sbml_document`."""
    return libsbml.writeSBMLToString(sbml_document(protocol, seed, subject, species))


def roadrunner_model(sbml: str, rtol: float = 1e-10, atol: float = 1e-12):
    """A libRoadRunner instance on SBML text: CVODE at ``rtol``/``atol``, up to 10^6 internal steps per
    output interval (the parity tests', the bench peer's and the benchmarks' one set-up)."""
    import roadrunner

    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.setValue("maximum_num_steps", 1_000_000)
    return rr


def roadrunner_time_course(protocol: SimulationProtocol, times, selections, rtol: float = 1e-10,
                           atol: float = 1e-12) -> dict[str, np.ndarray]:
    """``selections`` (SBML ids) at ``times`` (days), simulated by libRoadRunner on ``protocol``'s export
    (events included), keyed by id, with ``time``."""
    rr = roadrunner_model(sbml_string(protocol), rtol, atol)
    rr.timeCourseSelections = ["time", *selections]
    out = rr.simulate(times=[float(x) for x in times])
    return {n: np.asarray(out[n]) for n in ["time", *selections]}


def write_document(path: str | Path, doc: libsbml.SBMLDocument) -> Path:
    """Write an SBML document to ``path`` atomically; returns the path."""
    from tregsim.io import atomic_write

    path = Path(path)
    text = libsbml.writeSBMLToString(doc)
    atomic_write(path, lambda f: Path(f).write_text(text, encoding="utf-8"))
    return path


def write_sbml(path: str | Path, protocol: SimulationProtocol | None = None, seed: int | None = None,
               subject: int = 0, species: str = "mouse") -> Path:
    """Write :func:`sbml_document` to ``path`` (atomically); returns the path."""
    return write_document(path, sbml_document(protocol, seed, subject, species))
