"""Protocols: the YAML schema of the public contract as typed pydantic models.

``load_protocol(path_or_name)`` reads a YAML file (:func:`tregsim.safe_yaml.read_yaml`: tags such as
``!!python/object`` are refused, never executed; duplicate keys, deep nesting and alias bombs are refused)
or a built-in protocol by name, and validates it: strict types (``true`` and ``"50"`` are not numbers),
finite numbers, the plausibility and work limits of :mod:`tregsim.limits`, and regimens inside the run.
Any problem raises :class:`ProtocolError` before any work is done, with a one-line message naming the
file, the field path (``regimens[0].dose``), the value given and what is allowed.
"""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictInt, StrictStr, ValidationError,
                      field_validator, model_validator)

from tregsim import limits as L
from tregsim.errors import FieldProblem, ProtocolError, excerpt, number
from tregsim.safe_yaml import field_path, read_yaml
from tregsim.model.drugs import DRUGS
from tregsim.units import DOSE_UNITS_SHOWN, DoseUnit, allowed_units, check_unit_for_drug, parse_dose_unit

__all__ = ["ProtocolError", "Regimen", "SimulationProtocol", "builtin_names", "builtin_text", "load_protocol",
           "parse_protocol", "read_yaml", "to_yaml"]

SPECIES_DISEASES: dict[str, tuple[str, ...]] = {
    "mouse": ("eae_mog35_55", "eae_severe", "healthy", "ghd"),
    "human": ("rrms", "healthy", "igfd", "ghd"),
}
HYPOTHESES: tuple[str, ...] = ("treg_only", "treg_and_th17")
DEFAULT_HYPOTHESIS = "treg_and_th17"
KNOCKOUTS: tuple[str, ...] = ("treg_igf1r", "pan_t_igf1r")
DRUGS_MODELLED: tuple[str, ...] = ("igf1", "il2", "placebo")
DRUGS_KNOWN: tuple[str, ...] = ("igf1", "il2", "placebo")
ROUTES: tuple[str, ...] = ("sc", "iv", "ip", "minipump")
DEFAULT_BODY_WEIGHT_KG = {"mouse": 0.025, "human": 70.0}

#: A number: an int or a float, never true/false or text, never NaN or infinite.
Number = Annotated[float, Strict(), AllowInfNan(False)]
#: A whole number, never true/false, text or 2.0.
Whole = StrictInt


def _plain_text(v: str | None, *, newlines: bool) -> str | None:
    """Refuse lone surrogates and control characters (they cannot be written to UTF-8 files and reports)."""
    if v is None:
        return v
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"text must be valid Unicode; character {err.start + 1} is a lone surrogate "
                         f"({excerpt(v[err.start])})") from None
    allowed = "\t\n\r" if newlines else "\t"
    bad = next((c for c in v if (ord(c) < 32 or ord(c) == 127) and c not in allowed), None)
    if bad is not None:
        raise ValueError(f"text must not hold control characters such as {excerpt(bad)}")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regimen(_Strict):
    """One drug regimen.  ``dose`` is per administration, or a rate for mini-pumps and infusions.

    Times are days from the start of the run; ``every_hours`` is hours.
    """

    drug: Literal["igf1", "il2", "placebo"]
    route: Literal["sc", "iv", "ip", "minipump"]
    dose: Number = Field(gt=0, description="amount per administration, or rate (see dose_unit)")
    dose_unit: StrictStr
    every_hours: Number | None = Field(default=None, ge=L.MIN_INTERVAL_HOURS, le=L.MAX_INTERVAL_HOURS,
                                       description="repeat interval (h); null: one dose")
    start_day: Number = Field(default=0.0, ge=0, le=L.MAX_DURATION_DAYS)
    stop_day: Number | None = Field(default=None, ge=0, le=L.MAX_DURATION_DAYS,
                                    description="last dose (bolus) or end of infusion (rate)")

    @field_validator("drug")
    @classmethod
    def _modelled(cls, v: str) -> str:
        if v not in DRUGS_MODELLED:
            raise ValueError(f"drug '{v}' is recognised but its pharmacology is not modelled in this version; "
                             f"allowed: {', '.join(DRUGS_MODELLED)}")
        return v

    @field_validator("route")
    @classmethod
    def _route_for_drug(cls, v: str, info: Any) -> str:
        d = DRUGS.get(info.data.get("drug"))
        if d is not None and v not in d.routes:
            raise ValueError(f"route {v} is not modelled for {d.name} ({d.label}); allowed: {', '.join(d.routes)}")
        return v

    @field_validator("dose_unit")
    @classmethod
    def _unit(cls, v: str, info: Any) -> str:
        drug = info.data.get("drug")
        d = DRUGS.get(drug)
        if drug == "placebo":  # a vehicle mirrors any active arm, so it takes any drug's units
            parse_dose_unit(v, allowed_units(1.0))
            return v
        shown = allowed_units(d.ug_per_miu if d is not None else None)
        unit = parse_dose_unit(v, shown)
        if d is not None:
            check_unit_for_drug(unit, d.name, d.ug_per_miu)
        return v

    @field_validator("stop_day")
    @classmethod
    def _stop_after_start(cls, v: float | None, info: Any) -> float | None:
        start = info.data.get("start_day")
        if v is not None and start is not None and v < start:
            raise ValueError(f"stop_day must be >= start_day ({start:g})")
        return v

    @model_validator(mode="after")
    def _unit_fits_route(self) -> Regimen:
        kind = self.unit.kind
        if self.route == "minipump" and kind != "rate":
            raise FieldProblem("dose_unit", self.dose_unit, "a mini-pump needs a rate unit such as mg/kg/day")
        if self.route in ("sc", "ip") and kind != "amount":
            example = "MIU" if self.drug == "il2" else "ug/kg"
            raise FieldProblem("dose_unit", self.dose_unit, f"route {self.route} is a bolus and needs an amount unit "
                                                            f"such as {example}; allowed amount units: "
                                                            + ", ".join(u for u in allowed_units(
                                                                self._ug_per_miu) if parse_dose_unit(u).kind == "amount"))
        if kind == "rate" and self.every_hours is not None:
            raise FieldProblem("every_hours", self.every_hours,
                               "a rate (infusion) runs continuously from start_day to stop_day; use null")
        if kind == "rate" and self.stop_day is not None and self.stop_day <= self.start_day:
            raise FieldProblem("stop_day", self.stop_day, f"an infusion from start_day {self.start_day:g} to stop_day "
                                                          f"{self.stop_day:g} is empty; give stop_day > start_day")
        return self

    @property
    def unit(self) -> DoseUnit:
        return parse_dose_unit(self.dose_unit)

    @property
    def _ug_per_miu(self) -> float | None:
        """The drug's mass per MIU (placebo: any, so 1), or None for drugs dosed by mass only."""
        if self.drug == "placebo":
            return 1.0
        return DRUGS[self.drug].ug_per_miu

    @property
    def is_infusion(self) -> bool:
        """True for zero-order delivery (mini-pump or IV at a rate)."""
        return self.unit.kind == "rate"

    def dose_events(self, duration_days: float) -> int:
        """Dose events this regimen adds to one subject's run: boluses, or an infusion's start and stop."""
        if self.drug == "placebo":
            return 0
        if self.is_infusion:
            return 2
        return L.bolus_count(self.start_day, self.stop_day, self.every_hours, duration_days)


class SimulationProtocol(_Strict):
    """A `kind: simulation` protocol (one or more seeded subjects of one species).  Times in days."""

    kind: Literal["simulation"] = "simulation"
    name: StrictStr | None = Field(default=None, max_length=L.MAX_NAME_CHARS)
    description: StrictStr | None = Field(default=None, max_length=L.MAX_DESCRIPTION_CHARS)
    species: Literal["mouse", "human"]
    disease: StrictStr
    hypothesis: Literal["treg_only", "treg_and_th17"] = DEFAULT_HYPOTHESIS
    knockouts: list[Literal["treg_igf1r", "pan_t_igf1r"]] = Field(default_factory=list)
    duration_days: Number = Field(ge=L.MIN_DURATION_DAYS, le=L.MAX_DURATION_DAYS)
    output_every_hours: Number | None = Field(default=None, ge=L.MIN_OUTPUT_EVERY_HOURS, le=L.MAX_OUTPUT_EVERY_HOURS)
    animals: Whole | None = Field(default=None, ge=1, le=L.MAX_SUBJECTS, description="mouse: number of animals")
    subjects: Whole | None = Field(default=None, ge=1, le=L.MAX_SUBJECTS, description="human: number of subjects")
    body_weight_kg: Number | None = Field(default=None, gt=0, le=max(hi for _, hi in L.BODY_WEIGHT_KG.values()),
                                          description="converts absolute doses (ug, mg)")
    age_years: Number | None = Field(default=None, ge=L.AGE_YEARS[0], le=L.AGE_YEARS[1],
                                     description="human: scales endogenous IGF-1 production (Mayo adult ranges)")
    seed: Whole | None = Field(default=None, ge=0, le=L.MAX_SEED)
    regimens: list[Regimen] = Field(default_factory=list, max_length=L.MAX_REGIMENS)

    @field_validator("name")
    @classmethod
    def _name_text(cls, v: str | None) -> str | None:
        return _plain_text(v, newlines=False)

    @field_validator("description")
    @classmethod
    def _description_text(cls, v: str | None) -> str | None:
        return _plain_text(v, newlines=True)

    @model_validator(mode="after")
    def _consistent(self) -> SimulationProtocol:
        allowed = SPECIES_DISEASES[self.species]
        if self.disease not in allowed:
            raise FieldProblem("disease", self.disease, f"for species {self.species}, allowed: {', '.join(allowed)}")
        if self.species == "human" and self.animals is not None:
            raise FieldProblem("animals", self.animals, "animals is for mouse protocols; use subjects for humans")
        if self.species == "mouse" and self.subjects is not None:
            raise FieldProblem("subjects", self.subjects, "subjects is for human protocols; use animals for mice")
        if self.species == "mouse" and self.age_years is not None:
            raise FieldProblem("age_years", self.age_years, "age_years is a human covariate")
        lo, hi = L.BODY_WEIGHT_KG[self.species]
        if self.body_weight_kg is not None and not lo <= self.body_weight_kg <= hi:
            raise FieldProblem("body_weight_kg", self.body_weight_kg, f"for species {self.species}, a weight in kg "
                                                                      f"from {lo:g} to {hi:g}")
        self._check_regimens()
        self._check_work()
        return self

    def _check_regimens(self) -> None:
        """Each regimen starts inside the run and doses within the drug's plausible range."""
        for i, r in enumerate(self.regimens):
            at = f"regimens[{i}]"
            if r.start_day >= self.duration_days:
                raise FieldProblem(f"{at}.start_day", r.start_day,
                                   f"the regimen would start when the run has ended (duration_days "
                                   f"{self.duration_days:g}); allowed: 0 <= start_day < duration_days")
            d = DRUGS.get(r.drug)
            if d is not None and self.species not in d.species:
                raise FieldProblem(f"{at}.drug", r.drug, f"{d.label} is parameterised for {', '.join(d.species)} only; "
                                                         f"allowed for species {self.species}: "
                                                         + ", ".join(n for n, x in DRUGS.items() if self.species in x.species)
                                                         + ", placebo")
            L.check_dose(f"{at}.dose", r.drug, r.dose, r.dose_unit, r.unit, self.weight_kg)

    def _check_work(self) -> None:
        """The output grid, subjects, subject-years and dose events against :mod:`tregsim.limits`."""
        grid_field = "output_every_hours" if self.output_every_hours is not None else "duration_days"
        subjects_field = "animals" if self.animals is not None else ("subjects" if self.subjects is not None
                                                                     else grid_field)
        L.check_work(duration_days=self.duration_days, output_step_days=self.output_step_days,
                     output_field=grid_field, subjects=self.n_subjects, subjects_field=subjects_field,
                     drug_given=any(r.drug != "placebo" for r in self.regimens))
        events = [r.dose_events(self.duration_days) for r in self.regimens]
        if sum(events) > L.MAX_DOSE_EVENTS:
            i = max(range(len(events)), key=events.__getitem__)
            L.check_dose_events(f"regimens[{i}].every_hours", self.regimens[i].every_hours, sum(events))

    @property
    def n_subjects(self) -> int:
        return self.animals or self.subjects or 1

    @property
    def weight_kg(self) -> float:
        return self.body_weight_kg or DEFAULT_BODY_WEIGHT_KG[self.species]

    @property
    def output_step_days(self) -> float:
        """The output grid step: the protocol's, else 1 h up to 7 days and 24 h beyond."""
        hours = self.output_every_hours or (1.0 if self.duration_days <= 7 else 24.0)
        return hours / 24.0


# --------------------------------------------------------------------------- translating pydantic's errors

_UNITS = {"duration_days": "days", "start_day": "days", "stop_day": "days", "output_every_hours": "hours",
          "every_hours": "hours", "body_weight_kg": "kg", "age_years": "years"}
_ALLOWED_FIELDS = {
    "": sorted(SimulationProtocol.model_fields),
    "regimen": sorted(Regimen.model_fields),
}


def _lookup(data: Any, loc: tuple) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _model_field(loc: tuple) -> tuple[type[BaseModel], str] | None:
    if len(loc) == 1 and isinstance(loc[0], str):
        return SimulationProtocol, loc[0]
    if len(loc) == 3 and loc[0] == "regimens" and isinstance(loc[2], str):
        return Regimen, loc[2]
    return None


def _range_text(loc: tuple) -> str:
    """What a numeric field allows, from its declared bounds: 'a number of days from 0.000694 to 36500'."""
    found = _model_field(loc)
    if found is None or found[1] not in found[0].model_fields:
        return "a number"
    model, name = found
    info = model.model_fields[name]
    whole = "whole number" if "int" in repr(info.annotation) else "number"
    unit = f" of {_UNITS[name]}" if name in _UNITS else ""
    lo = hi = ""
    for m in info.metadata:  # annotated-types constraints: Ge(ge=...), Gt(gt=...), Le(le=...), Lt(lt=...)
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                text = f"{op} {number(getattr(m, attr))}"
                lo, hi = (text, hi) if attr[0] == "g" else (lo, text)
    if name == "dose":
        hi = ("<= the drug's plausible maximum (" + "; ".join(f"{d}: {lim.summary}" for d, lim in L.DOSE_LIMITS.items()
                                                             if d != "placebo") + "; tregsim.limits)")
    bounds = " and ".join(b for b in (lo, hi) if b)
    null = " (or null)" if not info.is_required() and info.default is None else ""
    return f"a {whole}{unit}" + (f" {bounds}" if bounds else "") + null


def _number_problem(value: Any, loc: tuple) -> str:
    allowed = _range_text(loc)
    if isinstance(value, bool):
        return f"true/false is not a number; allowed: {allowed}"
    if isinstance(value, str):
        return f"text is not a number (write numbers without quotes); allowed: {allowed}"
    if isinstance(value, float) and math.isnan(value):
        return f"NaN is not a number; allowed: {allowed}"
    if isinstance(value, float) and math.isinf(value):
        return f"the value must be finite; allowed: {allowed}"
    if isinstance(value, float) and "whole" in allowed:
        return f"a whole number is required; allowed: {allowed}"
    return f"allowed: {allowed}"


def _translate(err: ValidationError, data: Any, source: str) -> ProtocolError:
    """Turn the first pydantic error into one ProtocolError naming field, value and what is allowed."""
    e = err.errors()[0]
    loc = tuple(e["loc"])
    ctx_err = (e.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldProblem):
        return ProtocolError(source, field_path(loc + (ctx_err.field,)), ctx_err.value, ctx_err.allowed)
    value = e.get("input", _lookup(data, loc))
    kind, where = e["type"], field_path(loc)
    if kind in ("extra_forbidden", "invalid_key"):
        parent = "regimen" if "regimens" in loc else ""
        return ProtocolError(source, where, value,
                             f"unknown field; allowed fields: {', '.join(_ALLOWED_FIELDS[parent])}")
    if kind == "missing":
        return ProtocolError(source, where, None, "this field is required")
    if kind in ("float_type", "int_type", "finite_number", "float_parsing", "int_parsing", "int_from_float") or (
            kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal")):
        return ProtocolError(source, where, value, _number_problem(value, loc))
    if kind == "string_type":
        return ProtocolError(source, where, value, "text is required" + (
            f"; allowed: {', '.join(DOSE_UNITS_SHOWN)}" if loc[-1:] == ("dose_unit",) else ""))
    if kind == "string_unicode":
        return ProtocolError(source, where, value, "text must be valid Unicode (no lone surrogates such as \\ud800)")
    if kind == "string_too_long":
        return ProtocolError(source, where, value, f"at most {e['ctx']['max_length']} characters")
    if kind == "too_long":
        return ProtocolError(source, where, value, f"at most {e['ctx']['max_length']} entries (limit MAX_REGIMENS)")
    if kind == "list_type":
        return ProtocolError(source, where, value, "a list is required (YAML: [a, b] or one '- item' per line)")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ProtocolError(source, where, value, "a mapping with fields "
                             + ", ".join(_ALLOWED_FIELDS["regimen" if "regimens" in loc else ""]))
    if kind == "literal_error":
        expected = (e.get("ctx") or {}).get("expected", "")
        return ProtocolError(source, where, value, f"allowed: {expected.replace(' or ', ', ')}".replace("'", ""))
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if loc and loc[-1] == "dose_unit" and "unit" not in msg:
        msg = f"allowed: {', '.join(DOSE_UNITS_SHOWN)}"
    return ProtocolError(source, where, value, msg[0].lower() + msg[1:] if msg else "invalid")


def parse_protocol(data: Any, source: str = "<protocol>") -> SimulationProtocol:
    """Validate a protocol already read into Python objects (see :func:`load_protocol`)."""
    if not isinstance(data, dict):
        raise ProtocolError(source, "", data, "a protocol is a YAML mapping with fields such as kind, species")
    kind = data.get("kind", "simulation")
    if isinstance(kind, str) and kind == "trial":
        raise ProtocolError(source, "kind", kind,
                            "trial protocols are run by `tregsim trial`; allowed here: simulation")
    try:
        return SimulationProtocol.model_validate(data)
    except ValidationError as err:
        raise _translate(err, data, source) from None


# --------------------------------------------------------------------------- loading


def builtin_names() -> list[str]:
    """Names of the built-in protocols."""
    folder = resources.files("tregsim.data").joinpath("protocols")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    """The YAML text of a built-in protocol."""
    if name not in builtin_names():
        raise ProtocolError("", "PROTOCOL", name, f"no such file or built-in protocol; built-ins: {', '.join(builtin_names())}")
    return resources.files("tregsim.data").joinpath("protocols", f"{name}.yaml").read_text(encoding="utf-8")


def _read_text(path: Path, source: str) -> str:
    """A protocol file's text: at most MAX_FILE_BYTES, UTF-8, not binary."""
    try:
        with path.open("rb") as f:
            raw = f.read(L.MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ProtocolError(source, "PROTOCOL", str(path), f"cannot be read ({err.strerror or err})") from None
    if len(raw) > L.MAX_FILE_BYTES:
        raise ProtocolError(source, "PROTOCOL", str(path), f"the file is larger than {L.MAX_FILE_BYTES:,} bytes "
                                                           "(limit MAX_FILE_BYTES); a protocol is a short YAML text")
    if b"\x00" in raw:
        at = raw.index(b"\x00")
        raise ProtocolError(source, "PROTOCOL", str(path), f"holds a NUL byte at byte {at}: a binary file, not YAML "
                                                           "text; give a protocol YAML file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(source, "PROTOCOL", str(path), f"is not UTF-8 text (byte 0x{raw[err.start]:02x} at "
                                                           f"byte {err.start}); give a protocol YAML file") from None


def load_protocol(ref: str | Path) -> SimulationProtocol:
    """Load a protocol from a YAML file path or a built-in protocol name.

    Raises:
        ProtocolError: the file is missing, is not YAML, does not follow the schema or exceeds the limits.
    """
    text_ref = str(ref)
    if not text_ref or "\x00" in text_ref:
        raise ProtocolError("", "PROTOCOL", text_ref, "give a YAML file or a built-in protocol name "
                            f"({', '.join(builtin_names())})")
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists() or "/" in text_ref:
        source = text_ref
        if not path.is_file():
            raise ProtocolError(source, "PROTOCOL", text_ref, "no such file; give a YAML file or a built-in "
                                f"protocol name ({', '.join(builtin_names())})")
        text = _read_text(path, source)
    else:
        source = f"built-in:{ref}"
        text = builtin_text(text_ref)
    return parse_protocol(read_yaml(text, source), source)


def to_yaml(protocol: SimulationProtocol) -> str:
    """The protocol as editable YAML (round-trips through load_protocol)."""
    return yaml.safe_dump(protocol.model_dump(mode="json", exclude_none=True), sort_keys=False)
