"""The SBML export: valid, annotated, generated from the definition, and reproduced by libRoadRunner and COPASI."""

from __future__ import annotations

import collections
import math
import warnings

import libsbml
import numpy as np
import pytest

from tests.exchange.parity import TOLERANCE, human_bid_year, human_il2_combo, mouse_knockout, mouse_sc, worst_relative_gap
from tregsim.exchange.sbml import (consistency, default_protocol, roadrunner_time_course, sbml_document,
                                   sbml_string)
from tregsim.model.definition import ASSIGNMENTS, INPUTS, OBSERVABLES, STATES, SWITCHES
from tregsim.model.observables import observable_names
from tregsim.model.parameters import resolve
from tregsim.model.subject import build_subject
from tregsim.simulate import simulate

PROTOCOLS = {"mouse_sc": mouse_sc, "mouse_knockout": mouse_knockout, "human_bid_year": human_bid_year,
             "human_il2_combo": human_il2_combo}


def _formula(node: libsbml.ASTNode) -> str:
    return libsbml.formulaToL3String(node)


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_libsbml_finds_no_errors(name):
    doc = sbml_document(PROTOCOLS[name](), subject=0)
    report = consistency(doc)
    assert report.errors == []
    kinds = collections.Counter(w.split(":")[0] for w in report.warnings)
    for kind, n in kinds.items():  # listed in pytest's warnings summary
        warnings.warn(f"{name}: libSBML {kind}: {n} warning(s)", UserWarning, stacklevel=1)
    assert doc.getLevel() == 3 and doc.getVersion() == 2
    m = doc.getModel()
    assert m.getNumConstraints() == 0 and m.getNumReactions() == 0
    assert all(m.getRule(i).getTypeCode() != libsbml.SBML_ALGEBRAIC_RULE for i in range(m.getNumRules()))
    assert "delay" not in libsbml.writeSBMLToString(doc)


def test_rules_are_the_definitions_expressions():
    """Never a second copy: every rate, assignment and observable rule is the definition's text, parsed."""
    for proto in (mouse_sc(), human_bid_year()):
        m = sbml_document(proto).getModel()
        for st in STATES:
            assert _formula(m.getRateRuleByVariable(st.name).getMath()) == _formula(libsbml.parseL3Formula(st.rate))
        for a in ASSIGNMENTS:
            assert _formula(m.getAssignmentRuleByVariable(a.name).getMath()) == _formula(libsbml.parseL3Formula(a.expr))
        for o in OBSERVABLES:
            if proto.species in o.species and o.name not in {s.name for s in STATES}:
                assert _formula(m.getAssignmentRuleByVariable(o.name).getMath()) == \
                    _formula(libsbml.parseL3Formula(o.expr))


def test_every_contract_observable_is_an_sbml_id_with_units():
    for species, proto in (("mouse", mouse_sc()), ("human", human_bid_year())):
        m = sbml_document(proto).getModel()
        for name in observable_names(species):
            element = m.getElementBySId(name)
            assert element is not None, name
            units = element.getSubstanceUnits() if isinstance(element, libsbml.Species) else element.getUnits()
            assert units, name
        for i in range(m.getNumParameters()):
            assert m.getParameter(i).isSetUnits(), m.getParameter(i).getId()


def _parameters(text: str) -> dict[str, float]:
    doc = libsbml.readSBMLFromString(text)
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    m = doc.getModel()
    return {m.getParameter(i).getId(): m.getParameter(i).getValue() for i in range(m.getNumParameters())}


def test_round_trip_gives_the_resolved_parameter_table():
    """Read back by libSBML: the table's parameters, with the values the table resolves for the protocol."""
    for species in ("mouse", "human"):
        proto = default_protocol(species)
        back = _parameters(sbml_string(None, species=species))
        table = resolve(species, proto.disease, proto.hypothesis)
        assert set(table) <= set(back)
        assert {k: back[k] for k in table} == pytest.approx(table, rel=1e-14)  # libSBML writes 15 digits
    proto = human_bid_year()
    sub = build_subject(proto, 0, 1)
    back = _parameters(sbml_string(proto, seed=1))
    assert {k: back[k] for k in sub.values} == pytest.approx(sub.values, rel=1e-14)
    rest = set(back) - set(sub.values)
    assert {n for n, _, _ in INPUTS} | {n for n, _ in SWITCHES} <= rest
    assert all(back[n] == 0.0 for n, _, _ in INPUTS)  # inputs start off; events switch them


def test_knockouts_become_switch_values():
    back = _parameters(sbml_string(mouse_knockout()))
    assert back["ko_treg_igf1r"] == 1.0 and back["ko_teff_igf1r"] == 0.0


def test_annotations_and_history():
    doc = sbml_document(mouse_sc())
    m = doc.getModel()
    text = libsbml.writeSBMLToString(doc)
    assert "https://identifiers.org/CL:0000815" in m.getSpecies("treg_cns").getAnnotationString()
    assert "https://identifiers.org/CL:0000911" in m.getSpecies("teff_cns").getAnnotationString()
    assert "https://identifiers.org/uniprot:P05017" in m.getSpecies("igf1_free").getAnnotationString()  # mouse IGF1
    bound = m.getSpecies("igf1_bound").getAnnotationString()
    assert "uniprot:P47878" in bound and "hasPart" in bound  # mouse IGFBP3 in the complex
    assert "uniprot:Q60751" in m.getParameter("EC50_treg").getAnnotationString()  # mouse IGF1R
    assert "taxonomy:10090" in m.getAnnotationString()
    human = sbml_document(human_bid_year()).getModel()
    assert "uniprot:P05019" in human.getSpecies("igf1_free").getAnnotationString()
    assert "uniprot:P08069" in human.getParameter("EC50_treg").getAnnotationString()
    history = m.getModelHistory()
    assert history.getNumCreators() == 1 and history.isSetCreatedDate()
    notes = m.getParameter("EC50_treg").getNotesString()
    assert "source:" in notes and "mark:" in notes
    assert text.count("<rateRule") == len(STATES)


def test_the_seed_s_triggers_are_events():
    proto = human_bid_year()
    sub = build_subject(proto, 0, 1)
    triggers = sorted({b.time for b in sub.schedule.boluses if b.state in ("teff_resting", "treg_resting")})
    assert triggers, "the test protocol should have immune triggers"
    m = sbml_document(proto, seed=1).getModel()
    fire = {m.getEvent(i).getTrigger().getMath().getChild(1).getValue() for i in range(m.getNumEvents())}
    fire_times = np.array(sorted(fire))
    assert all(np.min(np.abs(fire_times - t)) <= 1e-13 * max(t, 1.0) for t in triggers)  # 15 digits written
    assert len(fire) == len({b.time for b in sub.schedule.boluses})  # doses and triggers, one event per time
    other = sbml_document(proto, seed=2).getModel()
    assert other.getNumEvents() != m.getNumEvents() or _formula(other.getEvent(1).getTrigger().getMath()) != \
        _formula(m.getEvent(1).getTrigger().getMath())


def _tregsim(proto):
    res = simulate(proto)
    return res, {n: res.data[n].values[0] for n in res.data.data_vars}


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_libroadrunner_reproduces_tregsim(name):
    pytest.importorskip("roadrunner")
    proto = PROTOCOLS[name]()
    res, expected = _tregsim(proto)
    times = res.data.time_day.values
    out = roadrunner_time_course(proto, times, list(expected))
    assert np.allclose(out["time"], times)
    gaps = worst_relative_gap(expected, {n: out[n] for n in expected})
    assert max(gaps.values()) <= TOLERANCE, gaps
    if proto.species == "mouse":
        assert np.ptp(expected["clinical_score"]) > 0.5  # the comparison covers a disease course


def test_copasi_reproduces_tregsim_on_the_mouse_protocol():
    basico = pytest.importorskip("basico")
    proto = mouse_sc()
    res, expected = _tregsim(proto)
    times = [float(t) for t in res.data.time_day.values]
    dm = basico.load_model_from_string(sbml_string(proto))
    try:
        df = basico.run_time_course(values=times, duration=times[-1], a_tol=1e-12, r_tol=1e-10,
                                    max_steps=1_000_000, model=dm, use_sbml_id=True)
    finally:
        basico.remove_datamodel(dm)
    assert np.allclose(df.index.values, times)
    gaps = worst_relative_gap(expected, {n: df[n].values for n in expected})
    assert max(gaps.values()) <= TOLERANCE, gaps


def test_death_is_an_event_that_copies_the_death_rule():
    """An animal that dies: alive drops to 0 and the score reads 5 in both tregsim and libRoadRunner."""
    pytest.importorskip("roadrunner")
    proto = mouse_sc().model_copy(update={"disease": "eae_severe", "regimens": [], "seed": 0})
    res, expected = _tregsim(proto)
    if expected["alive"].min() > 0:
        pytest.fail("the severe-EAE animal was expected to die; pick another seed")
    out = roadrunner_time_course(proto, res.data.time_day.values, ["alive", "clinical_score"])
    np.testing.assert_array_equal(out["alive"], expected["alive"])
    assert max(worst_relative_gap({"s": expected["clinical_score"]}, {"s": out["clinical_score"]}).values()) <= TOLERANCE


def test_default_export_has_no_doses():
    m = sbml_document(None, species="mouse").getModel()
    assert all(not math.isnan(m.getParameter(i).getValue()) for i in range(m.getNumParameters()))
    targets = {m.getEvent(i).getEventAssignment(j).getVariable()
               for i in range(m.getNumEvents()) for j in range(m.getEvent(i).getNumEventAssignments())}
    assert not targets & {"igf1_depot_sc", "igf1_depot_ip", "igf1_free", "rate_igf1_sc", "rate_igf1_ip", "rate_igf1_iv"}
