"""Issue 12: every bad input the issue lists is refused before any work, in one line naming the field, the
value and the limit or what is allowed; no valid protocol (built-in, docs, tests) is refused by the limits."""

from __future__ import annotations

import time

import pytest

from tregsim import limits as L
from tregsim.protocol import ProtocolError, builtin_names, load_protocol, parse_protocol

HEAD = "kind: simulation\nspecies: mouse\ndisease: eae_mog35_55\nanimals: 1\n"


def reg(dose="50", every="12", start="0", stop="5", route="sc", unit="ug/kg") -> str:
    return (f"regimens:\n  - {{drug: igf1, route: {route}, dose: {dose}, dose_unit: {unit}, every_hours: {every}, "
            f"start_day: {start}, stop_day: {stop}}}\n")


def _refused(tmp_path, text: str | bytes) -> str:
    f = tmp_path / "p.yaml"
    f.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    t0 = time.perf_counter()
    with pytest.raises(ProtocolError) as e:
        load_protocol(f)
    assert time.perf_counter() - t0 < 5, "validation must be quick"
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(f)) and len(msg) < 700, msg
    return msg


# (name, protocol text, field, value as quoted, a word of what is allowed)
WHY = [
    ("tiny output grid", HEAD + "duration_days: 10\noutput_every_hours: 1.0e-9\n" + reg(), "output_every_hours", "1e-09", ">="),
    ("tinier output grid", HEAD + "duration_days: 10\noutput_every_hours: 1.0e-300\n" + reg(), "output_every_hours", "1e-300", ">="),
    ("tiny interval", HEAD + "duration_days: 10\n" + reg(every="1.0e-300"), "regimens[0].every_hours", "1e-300", ">= 1"),
    ("tiny duration", HEAD + "duration_days: 1.0e-300\n" + reg(), "duration_days", "1e-300", ">="),
    ("huge dose", HEAD + "duration_days: 10\n" + reg(dose="1.0e30"), "regimens[0].dose", "1e+30", "at most 10000 ug/kg"),
    ("infinite dose", HEAD + "duration_days: 10\n" + reg(dose=".inf"), "regimens[0].dose", ".inf", "finite"),
    ("infinite pump", HEAD + "duration_days: 10\n" + reg(dose=".inf", every="null", route="minipump", unit="mg/kg/day"),
     "regimens[0].dose", ".inf", "finite"),
    ("NaN dose", HEAD + "duration_days: 10\n" + reg(dose=".nan"), "regimens[0].dose", ".nan", "NaN is not a number"),
    ("NaN duration", HEAD + "duration_days: .nan\n", "duration_days", ".nan", "NaN is not a number"),
    ("bool dose", HEAD + "duration_days: 10\n" + reg(dose="true"), "regimens[0].dose", "true", "not a number"),
    ("text dose", HEAD + "duration_days: 10\n" + reg(dose='"50"'), "regimens[0].dose", "'50'", "not a number"),
    ("bool duration", HEAD + "duration_days: true\n" + reg(), "duration_days", "true", "not a number"),
    ("bool animals", HEAD.replace("animals: 1", "animals: true") + "duration_days: 10\n", "animals", "true", "not a number"),
    ("duplicate key", HEAD + "duration_days: 10\nduration_days: 20\n", "duration_days", "20", "duplicate key"),
    ("duplicate kind", "kind: simulation\n" + HEAD + "duration_days: 10\n", "kind", "'simulation'", "duplicate key"),
    ("regimen after the run", HEAD + "duration_days: 10\n" + reg(start="50", stop="60"), "regimens[0].start_day", "50",
     "start_day < duration_days"),
    ("start .inf blamed on start_day", HEAD + "duration_days: 10\n" + reg(start=".inf"), "regimens[0].start_day", ".inf",
     "finite"),
    ("stop 1e308", HEAD + "duration_days: 10\n" + reg(stop="1.0e308"), "regimens[0].stop_day", "1e+308", "<= 36500"),
    ("empty infusion", HEAD + "duration_days: 10\n" + reg(every="null", route="minipump", unit="mg/kg/day", start="3", stop="3"),
     "regimens[0].stop_day", "3", "stop_day > start_day"),
    ("lone surrogate", HEAD + 'duration_days: 10\nname: "\\ud800"\n', "name", "'\\ud800'", "Unicode"),
    ("NUL escape in text", HEAD + 'duration_days: 10\nname: "a\\0b"\n', "name", "'a\\x00b'", "control characters"),
    ("too many subjects", "kind: simulation\nspecies: human\ndisease: rrms\nsubjects: 100000\nduration_days: 365\n",
     "subjects", "100000", "MAX_SUBJECT_POINTS"),
    ("too many doses", "kind: simulation\nspecies: human\ndisease: rrms\nduration_days: 36500\n" + reg(every="1", stop="null"),
     "regimens[0].every_hours", "1", "MAX_DOSE_EVENTS"),
    ("mouse weighs 70 kg", HEAD + "duration_days: 10\nbody_weight_kg: 70\n", "body_weight_kg", "70", "0.005 to 0.1"),
    ("absolute dose above the maximum", HEAD + "duration_days: 10\nregimens:\n  - {drug: igf1, route: sc, dose: 1, dose_unit: mg}\n",
     "regimens[0].dose", "1", "at most 0.25 mg at body weight 0.025 kg"),
    ("seed beyond 2^63", HEAD + "duration_days: 10\nseed: 9223372036854775808\n", "seed", "9223372036854775808",
     "9223372036854775807"),
    ("fractional animals", HEAD.replace("animals: 1", "animals: 2.5") + "duration_days: 10\n", "animals", "2.5", "whole number"),
]


@pytest.mark.parametrize("name, text, field, value, allowed", WHY, ids=[w[0] for w in WHY])
def test_bad_input_named_in_one_line(tmp_path, name, text, field, value, allowed):
    msg = _refused(tmp_path, text)
    assert f"field '{field}'" in msg, msg
    assert f"value {value}" in msg, msg
    assert allowed in msg, msg


def test_a_thousand_times_the_label_maximum_is_refused_naming_the_maximum(tmp_path):
    label_max_ug_kg = 120.0  # Increlex: 0.12 mg/kg SC twice daily
    msg = _refused(tmp_path, HEAD + "duration_days: 10\n" + reg(dose=str(1000 * label_max_ug_kg)))
    assert "at most 10000 ug/kg" in msg and "label maximum" in msg
    msg = _refused(tmp_path, HEAD + "duration_days: 10\n" + reg(dose="120", unit="mg/kg"))
    assert "at most 10 mg/kg" in msg


def test_rate_limits_in_the_users_unit(tmp_path):
    msg = _refused(tmp_path, HEAD + "duration_days: 10\n" + reg(dose="500", every="null", route="iv", unit="ug/kg/h"))
    assert "at most 416.7 ug/kg/h" in msg and "10 mg/kg/day" in msg


def test_deep_nesting_is_refused_without_recursion(tmp_path):
    msg = _refused(tmp_path, HEAD + "duration_days: 10\nknockouts: " + "[" * 500 + "]" * 500 + "\n")
    assert "knockouts[0]" in msg and f"at most {L.MAX_DEPTH} levels" in msg


@pytest.mark.parametrize("levels", [7, 8, 9])
def test_alias_bombs_are_never_expanded(tmp_path, levels):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    msg = _refused(tmp_path, HEAD + "duration_days: 10\n" + "\n".join(lines) + f"\nregimens: [*a{levels - 1}]\n")
    assert "MAX_VALUES" in msg and "field 'regimens'" in msg


@pytest.mark.parametrize("text, words", [
    (b"kind: simulation\x00\n", "NUL byte"),
    (bytes(range(256)), "binary file"),
    ("name: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    (b"kind: simulation\nspecies: mouse\x07\n", "unacceptable character #x0007"),
])
def test_binary_and_control_characters(tmp_path, text, words):
    assert words in _refused(tmp_path, text)


def test_yaml_errors_name_the_line_not_pyyaml_internals(tmp_path):
    msg = _refused(tmp_path, "kind: [unclosed\n  : : :")
    assert "line 2, column 3" in msg and "<unicode string>" not in msg and "^" not in msg
    msg = _refused(tmp_path, HEAD + "duration_days: 10\n? [a, b]\n: 3\n")
    assert "unhashable key" in msg and "python/object" not in msg


def test_file_size_is_bounded(tmp_path):
    msg = _refused(tmp_path, HEAD + "duration_days: 10\ndescription: " + "x" * (L.MAX_FILE_BYTES + 10) + "\n")
    assert "MAX_FILE_BYTES" in msg


# --------------------------------------------------------------------------- valid protocols stay valid


def test_every_builtin_protocol_is_valid():
    from tregsim.protocol import builtin_text, read_yaml

    for name in builtin_names():
        data = read_yaml(builtin_text(name), name)  # the structure limits hold for every built-in
        if data.get("kind", "simulation") == "simulation":  # trial protocols are `tregsim trial`'s to validate
            load_protocol(name)


def test_the_mouse_minipump_and_the_label_range_are_inside_the_limits():
    base = dict(kind="simulation", species="mouse", disease="eae_mog35_55", duration_days=40, animals=20)
    parse_protocol(dict(base, regimens=[dict(drug="igf1", route="minipump", dose=1.0, dose_unit="mg/kg/day",
                                             start_day=0, stop_day=28)]))
    human = dict(kind="simulation", species="human", disease="rrms", duration_days=336, subjects=20)
    for mg_kg in (0.04, 0.08, 0.12):
        parse_protocol(dict(human, regimens=[dict(drug="igf1", route="sc", dose=mg_kg, dose_unit="mg/kg",
                                                  every_hours=12, start_day=0, stop_day=168)]))


def test_protocols_of_the_tests_and_experiments_are_valid():
    """The shapes the code and tests build: a pump past the run's end, the post-onset pump, the bench."""
    from tregsim.bench import bench_protocol
    from tregsim.experiments import bilbao2014 as b14

    for exp in b14.EAE_EXPERIMENTS:
        exp.protocol("treg_only", 2000, 1)
    bench_protocol("treated", 32, 2.0)
    parse_protocol(dict(kind="simulation", species="mouse", disease="eae_mog35_55", duration_days=20, animals=2,
                        regimens=[dict(drug="igf1", route="minipump", dose=1.0, dose_unit="mg/kg/day", start_day=0,
                                       stop_day=28)]))


def test_exponent_without_a_decimal_point_is_a_number(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(HEAD + "duration_days: 1e1\n")
    assert load_protocol(f).duration_days == 10.0


def test_trial_hook_refuses_oversized_trials():
    from tregsim.errors import FieldProblem

    L.check_trial_size(patients_per_arm=200, arms=2, replicates=100, years=2)
    with pytest.raises(FieldProblem, match="MAX_TRIAL_PATIENTS") as e:
        L.check_trial_size(patients_per_arm=10**6, arms=2, replicates=1, years=2)
    assert e.value.field == "patients"
    with pytest.raises(FieldProblem, match="MAX_TRIAL_PATIENT_YEARS"):
        L.check_trial_size(patients_per_arm=10_000, arms=2, replicates=1000, years=2)
    with pytest.raises(FieldProblem, match="patient per arm"):
        L.check_trial_size(patients_per_arm=0, arms=2, replicates=1, years=2)
