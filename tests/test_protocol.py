"""Protocol schema: good input validates, bad input gets one message naming file, field, value, allowed."""

from __future__ import annotations

import pytest

from tregsim.protocol import ProtocolError, builtin_names, load_protocol, to_yaml

BASE = """kind: simulation
species: mouse
disease: eae_mog35_55
duration_days: 30
animals: 2
"""
REG = "regimens:\n  - {drug: igf1, route: %s, dose: %s, dose_unit: %s, every_hours: %s, start_day: %s, stop_day: %s}\n"


def _write(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_builtins_load_and_round_trip(tmp_path):
    assert {"bilbao2014-eae-vehicle", "bilbao2014-eae-igf1"} <= set(builtin_names())
    from tregsim.trial.design import load_trial, trial_to_yaml

    for name in builtin_names():
        if name.endswith("-trial"):  # kind: trial (tregsim trial)
            t = load_trial(name)
            assert load_trial(_write(tmp_path, trial_to_yaml(t), f"{name}.yaml")) == t
            continue
        p = load_protocol(name)
        again = load_protocol(_write(tmp_path, to_yaml(p), f"{name}.yaml"))
        assert again == p


@pytest.mark.parametrize("text, field, value_fragment", [
    (BASE + REG % ("minipump", -1.0, "mg/kg/day", "null", 0, 28), "regimens[0].dose", "-1.0"),
    (BASE + REG % ("minipump", 0, "mg/kg/day", "null", 0, 28), "regimens[0].dose", "0"),
    (BASE + REG % ("minipump", 1.0, "furlongs", "null", 0, 28), "regimens[0].dose_unit", "furlongs"),
    (BASE + REG % ("sc", 1.0, "mg/kg", 0, 0, 10), "regimens[0].every_hours", "0"),
    (BASE + REG % ("sc", 1.0, "mg/kg", 12, 20, 10), "regimens[0].stop_day", "10"),
    (BASE + REG % ("teleport", 1.0, "mg/kg", 12, 0, 10), "regimens[0].route", "teleport"),
    (BASE + REG % ("minipump", 1.0, "mg/kg", "null", 0, 10), "regimens[0].dose_unit", "mg/kg"),
    (BASE.replace("mouse", "dragon"), "species", "dragon"),
    (BASE.replace("eae_mog35_55", "flu"), "disease", "flu"),
    (BASE + "knockouts: [everything_igf1r]\n", "knockouts[0]", "everything_igf1r"),
    (BASE + "hypothesis: vibes\n", "hypothesis", "vibes"),
    (BASE.replace("duration_days: 30", "duration_days: -5"), "duration_days", "-5"),
    (BASE + "colour: blue\n", "colour", "blue"),
    (BASE + "regimens:\n  - {drug: igf1, route: sc, dosee: 1, dose: 1, dose_unit: ug/kg}\n", "regimens[0].dosee", "1"),
    (BASE + "regimens:\n  - {drug: unobtainium, route: sc, dose: 1, dose_unit: ug/kg}\n", "regimens[0].drug", "unobtainium"),
    (BASE + "regimens:\n  - {drug: il2, route: sc, dose: 1, dose_unit: ug/kg}\n", "regimens[0].drug", "il2"),
    (BASE.replace("kind: simulation", "kind: trial"), "kind", "trial"),
    (BASE + "subjects: 3\n", "subjects", "3"),
])
def test_bad_fields_are_named(tmp_path, text, field, value_fragment):
    f = _write(tmp_path, text)
    with pytest.raises(ProtocolError) as e:
        load_protocol(f)
    msg = str(e.value)
    assert str(f) in msg and f"'{field}'" in msg and value_fragment in msg
    assert "allowed" in msg or "required" in msg
    assert "\n" not in msg


def test_missing_required_field(tmp_path):
    with pytest.raises(ProtocolError, match="'species'.*required"):
        load_protocol(_write(tmp_path, "kind: simulation\ndisease: rrms\nduration_days: 3\n"))


@pytest.mark.parametrize("text", ["kind: [unclosed\n  : : :", "kind: !!python/object/apply:os.system ['echo hi']\n",
                                  "- just\n- a list\n"])
def test_malformed_yaml_and_tags_are_refused(tmp_path, text):
    with pytest.raises(ProtocolError) as e:
        load_protocol(_write(tmp_path, text))
    assert "yaml" in str(e.value).lower() or "mapping" in str(e.value).lower()


def test_yaml_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    f = _write(tmp_path, f"kind: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ProtocolError):
        load_protocol(f)
    assert not marker.exists()


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ProtocolError, match="no such file"):
        load_protocol(tmp_path / "nope.yaml")
    with pytest.raises(ProtocolError, match="built-in"):
        load_protocol("no-such-protocol")


def test_output_grid_default_follows_the_contract():
    from tests.conftest import mouse_protocol

    assert mouse_protocol(output_every_hours=None, duration_days=5).output_step_days == pytest.approx(1 / 24)
    assert mouse_protocol(output_every_hours=None, duration_days=30).output_step_days == pytest.approx(1.0)
