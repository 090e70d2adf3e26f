"""Issue 12, property-based: protocols generated from the schema and mutated (types, ranges, missing and extra
fields, YAML tags, aliases, duplicate keys, deep nesting, binary) always end in a valid protocol or a clean
input error, quickly; through the command line, in exit 0 or 2, never 1, never a traceback, never a file
outside --out.  Its size and time are printed at the end of the test run (tests/conftest.py).

The in-process cases go through :func:`tregsim.protocol.load_protocol`, the function ``tregsim simulate``
loads and validates with; a smaller number of tiny protocols run the real ``simulate`` command.
Derandomized (the same cases every run) and without a database: CI is reproducible and writes nothing.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FUZZ_STATS
from tregsim import limits as L
from tregsim.protocol import KNOCKOUTS, SPECIES_DISEASES, ProtocolError, load_protocol, to_yaml

IN_PROCESS = dict(database=None, derandomize=True, deadline=timedelta(seconds=10),
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Cases per in-process test (five tests) and through the command line.
N_SCHEMA, N_FIELDS, N_TEXT, N_BYTES, N_ROUNDTRIP, N_CLI = 250, 300, 300, 100, 100, 30
MESSAGE_CHARS = 700


@pytest.fixture(autouse=True)
def _timed():
    t0 = time.perf_counter()
    yield
    FUZZ_STATS["seconds"] += time.perf_counter() - t0


# --------------------------------------------------------------------------- strategies: valid protocols

ROUTE_UNITS = {"sc": ["ug/kg", "mg/kg", "ug", "mg"], "ip": ["ug/kg", "mg/kg"],
               "iv": ["ug/kg", "ug/kg/h", "mg/kg/day"], "minipump": ["mg/kg/day", "ug/kg/day", "ug/kg/h"]}
UNIT_MAX = {"ug/kg": 10_000, "mg/kg": 10, "ug": 250, "mg": 0.25, "ug/kg/h": 416, "mg/kg/day": 10, "ug/kg/day": 10_000}


@st.composite
def regimens(draw, duration: float) -> dict[str, Any]:
    route = draw(st.sampled_from(sorted(ROUTE_UNITS)))
    unit = draw(st.sampled_from(ROUTE_UNITS[route]))
    rate = unit in ("ug/kg/h", "mg/kg/day", "ug/kg/day")
    start = draw(st.floats(0, duration * 0.9))
    reg = {"drug": draw(st.sampled_from(["igf1", "igf1", "placebo"])), "route": route,
           "dose": draw(st.floats(1e-3, UNIT_MAX[unit])), "dose_unit": unit,
           "every_hours": None if rate else draw(st.one_of(st.none(), st.floats(L.MIN_INTERVAL_HOURS, 48))),
           "start_day": start}
    if draw(st.booleans()):
        reg["stop_day"] = start + draw(st.floats(0, duration))
    return reg


@st.composite
def protocols(draw, max_days: float = 60.0, max_subjects: int = 4) -> dict[str, Any]:
    species = draw(st.sampled_from(sorted(SPECIES_DISEASES)))
    duration = draw(st.floats(L.MIN_DURATION_DAYS * 2, max_days))
    p: dict[str, Any] = {"kind": "simulation", "species": species,
                         "disease": draw(st.sampled_from(SPECIES_DISEASES[species])),
                         "hypothesis": draw(st.sampled_from(["treg_only", "treg_and_th17"])),
                         "knockouts": draw(st.lists(st.sampled_from(KNOCKOUTS), max_size=2, unique=True)),
                         "duration_days": duration,
                         "output_every_hours": draw(st.one_of(st.none(), st.floats(0.25, 48))),
                         "animals" if species == "mouse" else "subjects": draw(st.integers(1, max_subjects)),
                         "seed": draw(st.integers(0, L.MAX_SEED)),
                         "regimens": draw(st.lists(regimens(duration), max_size=3))}
    if draw(st.booleans()):
        p["name"] = draw(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20))
    return p


# --------------------------------------------------------------------------- strategies: mutations

ODD_VALUES = st.one_of(
    st.booleans(), st.none(), st.integers(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, -1, 0.0, -0.0, 1e-300, 1e300, 2**63, 5e-324]),
    st.text(max_size=12), st.sampled_from(["50", "1e3", ".inf", "yes", "NaN", "\ud800", "a\x00b", ""]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    st.binary(max_size=8),
)
TOP_FIELDS = ["kind", "species", "disease", "hypothesis", "knockouts", "duration_days", "output_every_hours",
              "animals", "subjects", "body_weight_kg", "age_years", "seed", "regimens", "name", "description"]
REG_FIELDS = ["drug", "route", "dose", "dose_unit", "every_hours", "start_day", "stop_day"]


@st.composite
def mutated(draw) -> dict[str, Any]:
    """A valid protocol with 1-3 field-level mutations: odd values, missing and extra fields."""
    p = draw(protocols(max_days=40_000, max_subjects=200_000))
    for _ in range(draw(st.integers(1, 3))):
        regs = p.get("regimens")
        regs = [r for r in regs if isinstance(r, dict)] if isinstance(regs, list) else []
        where = draw(st.sampled_from(regs)) if regs and draw(st.booleans()) else p
        fields = REG_FIELDS if where is not p else TOP_FIELDS
        op = draw(st.sampled_from(["set", "set", "delete", "extra"]))
        name = draw(st.sampled_from(fields))
        if op == "set":
            where[name] = draw(ODD_VALUES)
        elif op == "delete":
            where.pop(name, None)
        else:
            where[draw(st.text(min_size=1, max_size=10))] = draw(ODD_VALUES)
    return p


def _dump(p: Any) -> str:
    return yaml.safe_dump(p, sort_keys=False, allow_unicode=False)


BOMB = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 9))
TAGS = ["!!python/object/apply:os.system ['touch PWNED']", "!!python/name:os.system", "!foo bar",
        "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2001-12-14", "!!int abc", "!!float 1e400", "!!omap [a: 1]"]


@st.composite
def mutated_text(draw) -> str:
    """A valid protocol's YAML with a text-level mutation: tags, aliases, duplicate keys, nesting, junk."""
    text = _dump(draw(protocols()))
    lines = text.splitlines()
    op = draw(st.sampled_from(["tag", "bomb", "duplicate", "nest", "alias", "junk", "truncate", "recursive",
                               "indent", "multi"]))
    i = draw(st.integers(0, len(lines) - 1))
    key = lines[i].split(":")[0] if ":" in lines[i] else "kind"
    if op == "tag":
        lines[i] = f"{key}: {draw(st.sampled_from(TAGS))}" if not lines[i].startswith(" ") else lines[i]
    elif op == "bomb":
        lines = BOMB.splitlines() + lines + [f"{draw(st.sampled_from(TOP_FIELDS))}: [*a{draw(st.integers(3, 8))}]"]
    elif op == "duplicate":
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
    elif op == "nest":
        depth = draw(st.integers(15, 600))
        lines.append(f"{draw(st.sampled_from(TOP_FIELDS))}: " + "[" * depth + "]" * depth)
    elif op == "alias":
        lines = ["x: &anchor " + draw(st.sampled_from(["1", "[1, 2]", "{a: 1}", "true"]))] + lines + [
            f"{key}: *anchor" if not lines[i].startswith(" ") else "y: *anchor"]
    elif op == "junk":
        pos = draw(st.integers(0, len(text)))
        junk = draw(st.text(min_size=1, max_size=6))
        return text[:pos] + junk + text[pos:]
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "recursive":
        lines.append("knockouts: &r [*r]")
    elif op == "indent":
        lines[i] = "   " + lines[i]
    else:
        lines.append("---")
        lines.append("kind: simulation")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the property


def _check_loads(content: str | bytes) -> bool:
    """Load ``content`` the way `tregsim simulate` does: a valid protocol, or a clean one-line ProtocolError."""
    FUZZ_STATS["cases"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "fuzz.yaml"
        f.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        t0 = time.perf_counter()
        try:
            proto = load_protocol(f)
        except ProtocolError as e:
            msg = str(e)
            assert "\n" not in msg and msg.startswith(str(f)) and len(msg) <= MESSAGE_CHARS, msg
            assert not os.path.exists(Path(tmp) / "PWNED")
            assert time.perf_counter() - t0 < 5
            return False
        assert not os.path.exists(Path(tmp) / "PWNED")
    assert proto.duration_days <= L.MAX_DURATION_DAYS and proto.n_subjects <= L.MAX_SUBJECTS
    assert math.isfinite(proto.duration_days) and all(math.isfinite(r.dose) for r in proto.regimens)
    return True


@settings(max_examples=N_SCHEMA, **IN_PROCESS)
@given(protocols(max_days=40_000, max_subjects=200_000))
def test_schema_generated_protocols(p):
    _check_loads(_dump(p))


@settings(max_examples=N_FIELDS, **IN_PROCESS)
@given(mutated())
def test_field_mutations(p):
    _check_loads(_dump(p))


@settings(max_examples=N_TEXT, **IN_PROCESS)
@given(mutated_text())
def test_yaml_text_mutations(text):
    _check_loads(text)


@settings(max_examples=N_BYTES, **IN_PROCESS)
@given(st.binary(max_size=200), st.integers(0, 400))
def test_binary_and_bytes_in_yaml(junk, pos):
    text = _dump({"kind": "simulation", "species": "mouse", "disease": "eae_mog35_55", "duration_days": 5}).encode()
    _check_loads(text[:pos] + junk + text[pos:])


@settings(max_examples=N_ROUNDTRIP, **IN_PROCESS)
@given(protocols(max_days=400, max_subjects=50))
def test_valid_protocols_round_trip(p):
    FUZZ_STATS["cases"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "p.yaml"
        f.write_text(_dump(p), encoding="utf-8")
        try:
            proto = load_protocol(f)
        except ProtocolError:
            return
        f.write_text(to_yaml(proto), encoding="utf-8")
        assert load_protocol(f) == proto


# --------------------------------------------------------------------------- through the command line


@st.composite
def cli_cases(draw) -> str:
    """Tiny protocols (at most a day, two subjects), half of them mutated."""
    p = draw(protocols(max_days=1.0, max_subjects=2))
    choice = draw(st.sampled_from(["valid", "field", "text"]))
    if choice == "field":
        where = draw(st.sampled_from(p["regimens"])) if p["regimens"] else p
        where[draw(st.sampled_from(REG_FIELDS if where is not p else TOP_FIELDS))] = draw(ODD_VALUES)
    text = _dump(p)
    if choice == "text":
        text = draw(st.sampled_from([BOMB + text + "knockouts: [*a8]\n", text + "duration_days: 1\n",
                                     text.replace("kind: simulation", f"kind: {TAGS[0]}"),
                                     text + "knockouts: " + "[" * 500 + "]" * 500 + "\n"]))
    return text


@settings(max_examples=N_CLI, database=None, derandomize=True, deadline=timedelta(seconds=120),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cli_cases())
def test_simulate_command_exits_0_or_2(text):
    from typer.testing import CliRunner

    from tregsim.cli import app

    FUZZ_STATS["cases"] += 1
    FUZZ_STATS["cli"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        f = root / "p.yaml"
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            r = CliRunner().invoke(app, ["simulate", str(f), "--out", str(root / "out")])
        finally:
            os.chdir(cwd)
        assert r.exit_code in (0, 2), r.output
        assert "Traceback" not in r.output and "internal error" not in r.output
        outside = [p for p in root.rglob("*") if p != f and root / "out" not in (p, *p.parents)]
        assert not outside, outside
        if r.exit_code == 2:
            errors = [ln for ln in r.output.splitlines() if ln.strip()]
            assert len(errors) == 1 and errors[0].startswith("tregsim: error: ")
            assert not (root / "out").exists()
        else:
            assert (root / "out" / "summary.json").is_file()


# --------------------------------------------------------------------------- regressions found by the fuzz


@pytest.mark.parametrize("text", [
    # two regimens whose doses coincide up to rounding used to stop the engine ("step size underflow")
    "kind: simulation\nspecies: human\ndisease: healthy\nduration_days: 1\nsubjects: 1\nregimens:\n"
    "  - {drug: igf1, route: sc, dose: 40, dose_unit: ug/kg, every_hours: 12, start_day: 0.5}\n"
    "  - {drug: igf1, route: sc, dose: 40, dose_unit: ug/kg, every_hours: 12, start_day: 0.50000000000001}\n",
    # a control character in the file: PyYAML's reader raised before the loader existed
    "kind: simulation\nspecies: mouse\x07\n",
])
def test_regressions(text, tmp_path):
    from typer.testing import CliRunner

    from tregsim.cli import app

    f = tmp_path / "p.yaml"
    f.write_text(text)
    r = CliRunner().invoke(app, ["simulate", str(f), "--out", str(tmp_path / "o")])
    assert r.exit_code in (0, 2) and "Traceback" not in r.output, r.output
