"""Protocols: the YAML schema of the public contract as typed pydantic models.

``load_protocol(path_or_name)`` reads a YAML file (``yaml.safe_load``: tags such
as ``!!python/object`` are refused, never executed) or a built-in protocol by
name, and validates it.  Any problem raises :class:`ProtocolError`, whose one-line
message names the file, the field path (``regimens[0].dose``), the value given
and what is allowed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tregsim.units import DOSE_UNITS_SHOWN, DoseUnit, parse_dose_unit

SPECIES_DISEASES: dict[str, tuple[str, ...]] = {
    "mouse": ("eae_mog35_55", "eae_severe", "healthy", "ghd"),
    "human": ("rrms", "healthy", "igfd", "ghd"),
}
HYPOTHESES: tuple[str, ...] = ("treg_only", "treg_and_th17")
DEFAULT_HYPOTHESIS = "treg_and_th17"
KNOCKOUTS: tuple[str, ...] = ("treg_igf1r", "pan_t_igf1r")
DRUGS_MODELLED: tuple[str, ...] = ("igf1", "placebo")
DRUGS_KNOWN: tuple[str, ...] = ("igf1", "il2", "placebo")
ROUTES: tuple[str, ...] = ("sc", "iv", "ip", "minipump")
DEFAULT_BODY_WEIGHT_KG = {"mouse": 0.025, "human": 70.0}


class ProtocolError(ValueError):
    """A protocol is wrong.  ``str(err)`` is the one-line message for the user."""

    def __init__(self, source: str, field: str, value: Any, allowed: str):
        self.source, self.field, self.value, self.allowed = source, field, value, allowed
        where = f"{source}: " if source else ""
        at = f"field '{field}'" if field else "document"
        super().__init__(f"{where}{at}: value {value!r} is not allowed; {allowed}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regimen(_Strict):
    """One drug regimen.  ``dose`` is per administration, or a rate for mini-pumps and infusions."""

    drug: Literal["igf1", "il2", "placebo"]
    route: Literal["sc", "iv", "ip", "minipump"]
    dose: float = Field(gt=0, description="amount per administration, or rate (see dose_unit)")
    dose_unit: str
    every_hours: float | None = Field(default=None, gt=0, description="repeat interval (h); null: one dose")
    start_day: float = Field(default=0.0, ge=0)
    stop_day: float | None = Field(default=None, ge=0, description="last dose (bolus) or end of infusion (rate)")

    @field_validator("drug")
    @classmethod
    def _modelled(cls, v: str) -> str:
        if v not in DRUGS_MODELLED:
            raise ValueError(f"drug '{v}' is recognised but its pharmacology is not modelled in this version; "
                             f"allowed: {', '.join(DRUGS_MODELLED)}")
        return v

    @field_validator("dose_unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        parse_dose_unit(v)
        return v

    @field_validator("stop_day")
    @classmethod
    def _stop_after_start(cls, v: float | None, info: Any) -> float | None:
        start = info.data.get("start_day")
        if v is not None and start is not None and v < start:
            raise ValueError(f"stop_day must be >= start_day ({start})")
        return v

    @model_validator(mode="after")
    def _unit_fits_route(self) -> Regimen:
        kind = self.unit.kind
        if self.route == "minipump" and kind != "rate":
            raise _FieldError("dose_unit", self.dose_unit, "a mini-pump needs a rate unit such as mg/kg/day")
        if self.route in ("sc", "ip") and kind != "amount":
            raise _FieldError("dose_unit", self.dose_unit, f"route {self.route} needs an amount unit such as ug/kg")
        if kind == "rate" and self.every_hours is not None:
            raise _FieldError("every_hours", self.every_hours,
                              "a rate (infusion) runs continuously from start_day to stop_day; use null")
        return self

    @property
    def unit(self) -> DoseUnit:
        return parse_dose_unit(self.dose_unit)

    @property
    def is_infusion(self) -> bool:
        """True for zero-order delivery (mini-pump or IV at a rate)."""
        return self.unit.kind == "rate"


class _FieldError(ValueError):
    """Raised inside validators to point at a specific sub-field."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(allowed)


class SimulationProtocol(_Strict):
    """A `kind: simulation` protocol (one or more seeded subjects of one species)."""

    kind: Literal["simulation"] = "simulation"
    name: str | None = None
    description: str | None = None
    species: Literal["mouse", "human"]
    disease: str
    hypothesis: Literal["treg_only", "treg_and_th17"] = DEFAULT_HYPOTHESIS
    knockouts: list[Literal["treg_igf1r", "pan_t_igf1r"]] = Field(default_factory=list)
    duration_days: float = Field(gt=0, le=36500)
    output_every_hours: float | None = Field(default=None, gt=0)
    animals: int | None = Field(default=None, ge=1, le=100000, description="mouse: number of animals")
    subjects: int | None = Field(default=None, ge=1, le=100000, description="human: number of subjects")
    body_weight_kg: float | None = Field(default=None, gt=0, le=500, description="converts absolute doses (ug, mg)")
    age_years: float | None = Field(default=None, ge=18, le=90,
                                    description="human: scales endogenous IGF-1 production (Mayo adult ranges)")
    seed: int | None = Field(default=None, ge=0)
    regimens: list[Regimen] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SimulationProtocol:
        allowed = SPECIES_DISEASES[self.species]
        if self.disease not in allowed:
            raise _FieldError("disease", self.disease, f"for species {self.species}, allowed: {', '.join(allowed)}")
        if self.species == "human" and self.animals is not None:
            raise _FieldError("animals", self.animals, "animals is for mouse protocols; use subjects for humans")
        if self.species == "mouse" and self.subjects is not None:
            raise _FieldError("subjects", self.subjects, "subjects is for human protocols; use animals for mice")
        if self.species == "mouse" and self.age_years is not None:
            raise _FieldError("age_years", self.age_years, "age_years is a human covariate")
        return self

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


# --------------------------------------------------------------------------- loading


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _lookup(data: Any, loc: tuple) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


_ALLOWED_FIELDS = {
    "": sorted(SimulationProtocol.model_fields),
    "regimen": sorted(Regimen.model_fields),
}


def _translate(err: ValidationError, data: Any, source: str) -> ProtocolError:
    """Turn the first pydantic error into one ProtocolError naming field, value and what is allowed."""
    e = err.errors()[0]
    loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith(("function-", "literal["))))
    ctx_err = (e.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldError):
        return ProtocolError(source, _path(loc + (ctx_err.field,)), ctx_err.value, ctx_err.allowed)
    value = e.get("input", _lookup(data, loc))
    if e["type"] == "extra_forbidden":
        parent = "regimen" if "regimens" in loc else ""
        return ProtocolError(source, _path(loc), value,
                             f"unknown field; allowed fields: {', '.join(_ALLOWED_FIELDS[parent])}")
    if e["type"] == "missing":
        return ProtocolError(source, _path(loc), None, "this field is required")
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if loc and loc[-1] == "dose_unit" and "unit" not in msg:
        msg = f"allowed: {', '.join(DOSE_UNITS_SHOWN)}"
    return ProtocolError(source, _path(loc), value, msg[0].lower() + msg[1:] if msg else "invalid")


def parse_protocol(data: Any, source: str = "<protocol>") -> SimulationProtocol:
    """Validate a protocol already read into Python objects."""
    if not isinstance(data, dict):
        raise ProtocolError(source, "", data, "a protocol is a YAML mapping with fields such as kind, species")
    kind = data.get("kind", "simulation")
    if kind == "trial":
        raise ProtocolError(source, "kind", kind,
                            "trial protocols are run by `tregsim trial`, which this version does not have yet; "
                            "allowed here: simulation")
    try:
        return SimulationProtocol.model_validate(data)
    except ValidationError as err:
        raise _translate(err, data, source) from None


def builtin_names() -> list[str]:
    """Names of the built-in protocols."""
    folder = resources.files("tregsim.data").joinpath("protocols")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_text(name: str) -> str:
    """The YAML text of a built-in protocol."""
    if name not in builtin_names():
        raise ProtocolError("", "PROTOCOL", name, f"no such file or built-in protocol; built-ins: {', '.join(builtin_names())}")
    return resources.files("tregsim.data").joinpath("protocols", f"{name}.yaml").read_text(encoding="utf-8")


def read_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load`` with errors turned into ProtocolError (never executes tags)."""
    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as err:
        raise ProtocolError(source, "", str(err.problem_mark).strip() if err.problem_mark else None,
                            f"not valid protocol YAML: {err.problem}; YAML tags such as !!python/object are refused"
                            ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ProtocolError(source, "", where, f"not valid YAML: {getattr(err, 'problem', err)}") from None


def load_protocol(ref: str | Path) -> SimulationProtocol:
    """Load a protocol from a YAML file path or a built-in protocol name.

    Raises:
        ProtocolError: the file is missing, is not YAML, or does not follow the schema.
    """
    path = Path(ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists() or "/" in str(ref):
        source = str(path)
        if not path.is_file():
            raise ProtocolError(source, "PROTOCOL", str(ref), "no such file; give a YAML file or a built-in "
                                f"protocol name ({', '.join(builtin_names())})")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ProtocolError(source, "PROTOCOL", str(ref), f"cannot be read as UTF-8 text ({err})") from None
    else:
        source = f"built-in:{ref}"
        text = builtin_text(str(ref))
    return parse_protocol(read_yaml(text, source), source)


def to_yaml(protocol: SimulationProtocol) -> str:
    """The protocol as editable YAML (round-trips through load_protocol)."""
    return yaml.safe_dump(protocol.model_dump(mode="json", exclude_none=True), sort_keys=False)
