"""Trial protocols: the built-in loads, days default to the treatment period, bad input names file, field, value."""

from __future__ import annotations

import pytest

from tregsim.protocol import ProtocolError
from tregsim.trial.design import DEFAULT_TRIAL, arm_protocol, load_trial, parse_trial, trial_to_yaml

IGF1 = "{drug: igf1, route: sc, dose: 50, dose_unit: ug/kg, every_hours: 12}"
BASE = f"""kind: trial
species: human
disease: rrms
population:
  size: 10
  inclusion: {{edss_max: 5.5}}
design: parallel
treatment_weeks: 24
mri_every_weeks: 4
arms:
  - {{name: placebo, regimens: []}}
  - name: igf1
    regimens: [{IGF1}]
replicates: 1
seed: 1
"""


def _write(tmp_path, text, name="t.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_builtin_default_trial_has_placebo_two_label_doses_and_the_il2_comparator():
    t = load_trial(DEFAULT_TRIAL)
    assert t.design == "parallel" and t.control_arm == "placebo" and len(t.treated_arms) == 4
    igf1 = [r for a in t.arms for r in a.regimens if r.drug == "igf1"]
    assert sorted({r.dose for r in igf1}) == [50.0, 100.0] and all(40 <= r.dose <= 120 for r in igf1)  # Increlex
    assert all(r.every_hours == 12 and r.route == "sc" for r in igf1)
    drugs = {a.name: sorted({r.drug for r in a.regimens}) for a in t.arms}
    assert drugs["il2-1miu"] == ["il2"] and drugs["igf1-50ugkg+il2-1miu"] == ["igf1", "il2"]
    il2 = [r for r in t.arms[3].regimens]  # MS-IL2 (Louapre 2023): 1 MIU daily x5, then every 2 weeks
    assert [(r.dose, r.dose_unit, r.every_hours) for r in il2] == [(1.0, "MIU", 24.0), (1.0, "MIU", 336.0)]
    assert t.treatment_weeks == 96 and t.population.inclusion.edss_max == 5.5
    assert t.primary == t.treated_arms[0]


def test_regimen_days_default_to_the_treatment_period(tmp_path):
    t = load_trial(_write(tmp_path, BASE))
    reg = arm_protocol(t, 1).regimens[0]
    assert (reg.start_day, reg.stop_day) == (0.0, 168.0)
    bvt = BASE.replace("design: parallel", "design: baseline_vs_treatment\nbaseline_weeks: 8").replace(
        "  - {name: placebo, regimens: []}\n", "")
    t = load_trial(_write(tmp_path, bvt.replace("edss_max: 5.5", "edss_max: 5.5, no_relapse_within_days: 14")))
    assert t.screening_days == 14 and t.baseline_days == 56
    reg = arm_protocol(t, 0).regimens[0]  # simulation days: screening first, then baseline, then treatment
    assert (reg.start_day, reg.stop_day) == (14 + 56.0, 14 + 56 + 168.0)
    assert arm_protocol(t, 0).duration_days == 14 + 56 + 168
    explicit = BASE.replace(IGF1, IGF1[:-1] + ", start_day: 28, stop_day: 84}")
    reg = arm_protocol(load_trial(_write(tmp_path, explicit)), 1).regimens[0]
    assert (reg.start_day, reg.stop_day) == (28.0, 84.0)


def test_defaults_screening_endpoints_and_round_trip(tmp_path):
    t = load_trial(_write(tmp_path, BASE.replace("edss_max: 5.5", "relapses_prior_year_min: 1")))
    assert t.screening_days == 364 and len(t.endpoint_list) == 5
    again = load_trial(_write(tmp_path, trial_to_yaml(t), "again.yaml"))
    assert again == t and arm_protocol(again, 1).regimens == arm_protocol(t, 1).regimens
    bvt = parse_trial({"kind": "trial", "population": {"size": 3}, "design": "baseline_vs_treatment",
                       "baseline_weeks": 8, "treatment_weeks": 8, "arms": [{"name": "a"}]})
    assert "cdp_12w" not in bvt.endpoint_list and bvt.control_arm is None and bvt.treated_arms == ["a"]


@pytest.mark.parametrize("edit, field, value_fragment", [
    (("seed: 1", "seed: 1\ncolour: blue"), "colour", "blue"),
    ((IGF1, IGF1.replace("dose: 50", "dose: -5")), "arms[1].regimens[0].dose", "-5"),
    ((IGF1, IGF1.replace("ug/kg", "furlongs")), "arms[1].regimens[0].dose_unit", "furlongs"),
    ((IGF1, IGF1.replace("dose: 50", "dose: 50000")), "arms[1].regimens[0].dose", "50000"),
    ((IGF1, IGF1.replace("dose: 50", "dose: 50, start_day: 500")), "arms[1].regimens[0].start_day", "500"),
    ((IGF1, IGF1.replace("dose: 50", "dose: 50, colour: red")), "arms[1].regimens[0].colour", "red"),
    (("design: parallel", "design: crossover"), "design", "crossover"),
    (("size: 10", "size: 0"), "population.size", "0"),
    (("size: 10", "size: ten"), "population.size", "ten"),
    (("edss_max: 5.5", "edss_max: 11"), "population.inclusion.edss_max", "11"),
    (("edss_max: 5.5", "edss_maximum: 5.5"), "population.inclusion.edss_maximum", "5.5"),
    (("  inclusion: {edss_max: 5.5}", "  inclusion: {relapses_prior_year_min: 1}\nscreening_weeks: 10"),
     "screening_weeks", "10"),
    (("replicates: 1", "replicates: 0"), "replicates", "0"),
    (("seed: 1", "seed: -1"), "seed", "-1"),
    (("species: human", "species: mouse"), "species", "mouse"),
    (("disease: rrms", "disease: eae_mog35_55"), "disease", "eae_mog35_55"),
    (("treatment_weeks: 24", "treatment_weeks: -1"), "treatment_weeks", "-1"),
    (("mri_every_weeks: 4", "mri_every_weeks: 30"), "mri_every_weeks", "30"),
    (("seed: 1", "seed: 1\nendpoints: [annualized_relapse_rate, vibes]"), "endpoints[1]", "vibes"),
    (("seed: 1", "seed: 1\nbaseline_weeks: 8"), "baseline_weeks", "8"),
    (("design: parallel", "design: baseline_vs_treatment"), "baseline_weeks", "null"),
    (("design: parallel", "design: baseline_vs_treatment\nbaseline_weeks: 8\nendpoints: [cdp_12w]"),
     "endpoints[0]", "cdp_12w"),
    (("name: igf1", "name: placebo"), "arms[1].name", "placebo"),
    (("name: igf1", "name: 'igf 1/2'"), "arms[1].name", "igf 1/2"),
    (("{name: placebo, regimens: []}", f"{{name: other, regimens: [{IGF1}]}}"), "control", "null"),
    (("seed: 1", "seed: 1\ncontrol: nobody"), "control", "nobody"),
    (("kind: trial", "kind: simulation"), "kind", "simulation"),
])
def test_bad_fields_are_named(tmp_path, edit, field, value_fragment):
    old, new = edit
    assert old in BASE
    f = _write(tmp_path, BASE.replace(old, new))
    with pytest.raises(ProtocolError) as e:
        load_trial(f)
    msg = str(e.value)
    assert str(f) in msg and f"'{field}'" in msg and value_fragment in msg, msg
    assert ("allowed" in msg or "required" in msg) and "\n" not in msg


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ProtocolError, match="no such file"):
        load_trial(tmp_path / "nothere.yaml")
    with pytest.raises(ProtocolError, match="mapping"):
        parse_trial([1, 2])
