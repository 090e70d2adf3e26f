"""The ``kind: trial`` protocol of the public contract as a typed, strict pydantic model.

A trial protocol names a population of people with RRMS (its size per arm and inclusion criteria), a design
(``parallel``: arms against a control arm; ``baseline_vs_treatment``: each patient's treatment period against
their own baseline period), the periods in weeks, the MRI and EDSS visit schedules, the arms with their
regimens, the endpoints, the replicates and the seed.  :func:`load_trial` reads one from a YAML file or a
built-in name; every problem raises :class:`~tregsim.protocol.ProtocolError` (exit code 2 on the command
line) whose one-line message names the file, the field (``arms[1].regimens[0].dose``), the value given and
what is allowed.

Trial time: day 0 is enrolment (randomisation).  Screening (``screening_weeks``, untreated, used only for
inclusion) lies before it; a ``baseline_vs_treatment`` trial's baseline period runs from day 0 to
``7 * baseline_weeks``; the treatment period follows for ``7 * treatment_weeks`` days.  A regimen's
``start_day`` and ``stop_day`` are trial days and default to the start and end of the treatment period.
Each arm is simulated as a ``kind: simulation`` protocol (:func:`arm_protocol`) whose day 0 is the start of
screening, so simulation day = trial day + 7 * screening_weeks.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictInt, StrictStr, ValidationError, model_validator

from tregsim import limits as L
from tregsim.protocol import (DEFAULT_HYPOTHESIS, ProtocolError, Regimen, SimulationProtocol, _lookup,
                              builtin_names, builtin_text, parse_protocol, read_yaml)

#: The built-in default trial (placebo, IGF-1 at two label doses, low-dose IL-2 and IGF-1 + IL-2).
DEFAULT_TRIAL = "rrms-igf1-trial"

#: The contract's trial endpoints, in report order.
ENDPOINTS: tuple[str, ...] = ("annualized_relapse_rate", "gd_lesions_per_scan", "cdp_12w", "edss_change",
                              "treg_blood_fold")
#: Endpoints a baseline_vs_treatment design can compare (a confirmed-progression hazard against the patient's
#: own short baseline period is not a design trials use; see docs/trial.md).
PAIRED_ENDPOINTS: tuple[str, ...] = tuple(e for e in ENDPOINTS if e != "cdp_12w")

#: Longest screening, baseline or treatment period, weeks (10 years).
MAX_PERIOD_WEEKS = 520.0
#: Most arms in one trial.
MAX_ARMS = 20

Number = Annotated[float, Strict(), AllowInfNan(False)]
Whole = StrictInt
Name = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")]


class _Problem(ValueError):
    """Raised inside validators to blame one field (a path relative to the model being validated)."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(allowed)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Inclusion(_Strict):
    """Inclusion criteria, each judged on the patient's own simulated screening history (all must hold).

    Attributes:
        edss_min, edss_max: EDSS at the enrolment visit (day 0), on the scale's steps (0, 1.0, 1.5, ... 10).
        gd_lesions_per_month_min: mean Gd+ lesion count over the monthly screening scans (day 0 and every
            4 weeks before it within the screening period), each count drawn from the expected number.
        relapses_prior_year_min: relapse onsets in the 52 weeks before day 0 (needs screening_weeks >= 52).
        no_relapse_within_days: no relapse under way in the last this many days before day 0 (FREEDOMS: 30;
            needs a screening period at least that long).
    """

    edss_min: Number | None = Field(default=None, ge=0, le=10)
    edss_max: Number | None = Field(default=None, ge=0, le=10)
    gd_lesions_per_month_min: Number | None = Field(default=None, ge=0, le=100)
    relapses_prior_year_min: Whole | None = Field(default=None, ge=0, le=50)
    no_relapse_within_days: Number | None = Field(default=None, gt=0, le=7 * MAX_PERIOD_WEEKS)

    @model_validator(mode="after")
    def _ordered(self) -> Inclusion:
        if self.edss_min is not None and self.edss_max is not None and self.edss_min > self.edss_max:
            raise _Problem("edss_min", self.edss_min, f"edss_min must be <= edss_max ({self.edss_max:g})")
        return self

    @property
    def active(self) -> bool:
        """Whether any criterion is set."""
        return any(v is not None for v in self.model_dump().values())


class Population(_Strict):
    """Who is enrolled: ``size`` patients per arm who meet ``inclusion``.

    ``max_screened_per_enrolled`` caps the candidates screened (per needed enrolment) before the trial is
    declared infeasible (its screen-failure rate would exceed 1 - 1/cap).
    """

    size: Whole = Field(ge=1, le=L.MAX_TRIAL_PATIENTS)
    inclusion: Inclusion = Field(default_factory=Inclusion)
    max_screened_per_enrolled: Number = Field(default=20.0, ge=1, le=1000)


class Arm(_Strict):
    """One arm: a name and its regimens (none, or only placebo, for a control arm)."""

    name: Name
    regimens: list[Regimen] = Field(default_factory=list, max_length=L.MAX_REGIMENS)

    @property
    def active(self) -> bool:
        """Whether the arm gives a drug (not only placebo)."""
        return any(r.drug != "placebo" for r in self.regimens)


class TrialProtocol(_Strict):
    """A ``kind: trial`` protocol (human RRMS).  Periods in weeks, regimen days in trial days (day 0: enrolment).

    Attributes:
        population: size per arm, inclusion criteria.
        design: ``parallel`` (every active arm against ``control``) or ``baseline_vs_treatment`` (each arm's
            patients against their own baseline period).
        screening_weeks: untreated history before enrolment used for inclusion; default 52 when
            ``relapses_prior_year_min`` is set, else 0.
        baseline_weeks: the baseline period (baseline_vs_treatment only).
        treatment_weeks: the treatment (follow-up) period.
        mri_every_weeks: MRI scans at this interval from enrolment (the scan at day 0 is the reference scan,
            not counted in the endpoint).
        edss_every_weeks: scheduled EDSS visits from the start of treatment (12: every 3 months, as FREEDOMS).
        control: the parallel design's control arm; default the one arm without an active drug.
        primary_arm: the arm whose power is the top-level ``power``; default the first active arm.
        pairing: ``independent`` (each arm has its own patients, as randomisation gives) or ``matched`` (the same
            virtual patients in every arm; a dose-response device, see docs/trial.md).
    """

    kind: Literal["trial"]
    name: Annotated[StrictStr, Field(max_length=L.MAX_NAME_CHARS)] | None = None
    description: Annotated[StrictStr, Field(max_length=L.MAX_DESCRIPTION_CHARS)] | None = None
    species: Literal["human"] = "human"
    disease: Literal["rrms"] = "rrms"
    hypothesis: Literal["treg_only", "treg_and_th17"] = DEFAULT_HYPOTHESIS
    population: Population
    design: Literal["parallel", "baseline_vs_treatment"] = "parallel"
    screening_weeks: Number | None = Field(default=None, ge=0, le=MAX_PERIOD_WEEKS)
    baseline_weeks: Number | None = Field(default=None, gt=0, le=MAX_PERIOD_WEEKS)
    treatment_weeks: Number = Field(gt=0, le=MAX_PERIOD_WEEKS)
    mri_every_weeks: Number = Field(default=4.0, gt=0, le=MAX_PERIOD_WEEKS)
    edss_every_weeks: Number = Field(default=12.0, gt=0, le=MAX_PERIOD_WEEKS)
    arms: list[Arm] = Field(min_length=1, max_length=MAX_ARMS)
    control: Name | None = None
    primary_arm: Name | None = None
    endpoints: list[Literal["annualized_relapse_rate", "gd_lesions_per_scan", "cdp_12w", "edss_change",
                            "treg_blood_fold"]] | None = None
    pairing: Literal["independent", "matched"] = "independent"
    replicates: Whole = Field(default=1, ge=1, le=L.MAX_TRIAL_REPLICATES)
    seed: Whole = Field(default=0, ge=0, le=L.MAX_SEED)
    body_weight_kg: Number | None = Field(default=None, ge=L.BODY_WEIGHT_KG["human"][0],
                                          le=L.BODY_WEIGHT_KG["human"][1])
    age_years: Number | None = Field(default=None, ge=L.AGE_YEARS[0], le=L.AGE_YEARS[1])

    @model_validator(mode="after")
    def _consistent(self) -> TrialProtocol:
        names = [a.name for a in self.arms]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise _Problem(f"arms[{i}].name", n, "arm names must be unique")
        self._check_periods()
        self._check_design(names)
        self._check_endpoints()
        for i in range(len(self.arms)):
            self._check_regimens(i)
            arm_protocol(self, i)  # the simulation each arm runs: doses, limits, work (errors re-pointed)
        check_size(self, self.population.size, self.replicates)
        return self

    def _check_periods(self) -> None:
        inc = self.population.inclusion
        if inc.relapses_prior_year_min is not None and self.screening_days < 52 * 7:
            raise _Problem("screening_weeks", self.screening_weeks,
                           "relapses_prior_year_min counts relapses in the 52 weeks before enrolment; "
                           "allowed: screening_weeks >= 52")
        quiet = inc.no_relapse_within_days
        if quiet is not None and self.screening_days < quiet:
            raise _Problem("screening_weeks", self.screening_weeks,
                           f"no_relapse_within_days looks {quiet:g} days back; allowed: screening_weeks >= {quiet / 7:g}")
        if self.mri_every_weeks > self.treatment_weeks:
            raise _Problem("mri_every_weeks", self.mri_every_weeks,
                           f"at least one scan in the treatment period; allowed: <= treatment_weeks "
                           f"({self.treatment_weeks:g})")

    def _check_design(self, names: list[str]) -> None:
        if self.design == "baseline_vs_treatment":
            if self.baseline_weeks is None:
                raise _Problem("baseline_weeks", None, "a baseline_vs_treatment design needs a baseline period "
                                                       "in weeks (> 0)")
            if self.mri_every_weeks > self.baseline_weeks:
                raise _Problem("mri_every_weeks", self.mri_every_weeks,
                               f"at least one scan in the baseline period; allowed: <= baseline_weeks "
                               f"({self.baseline_weeks:g})")
            if self.control is not None:
                raise _Problem("control", self.control, "baseline_vs_treatment compares each patient with their "
                                                        "own baseline; allowed: no control arm (omit it)")
        else:
            if self.baseline_weeks is not None:
                raise _Problem("baseline_weeks", self.baseline_weeks,
                               "baseline_weeks is for design baseline_vs_treatment; omit it in a parallel trial")
            if len(self.arms) < 2:
                raise _Problem("arms", names, "a parallel trial needs a control arm and at least one treated arm")
            if self.control is not None and self.control not in names:
                raise _Problem("control", self.control, f"allowed: an arm name ({', '.join(names)})")
            if self.control is None:
                controls = [a.name for a in self.arms if not a.active]
                if len(controls) != 1:
                    raise _Problem("control", None, "name the control arm: a parallel trial compares every arm with "
                                                    f"one control; arms without an active drug: {controls or 'none'}")
        treated = self.treated_arms
        if not treated:
            raise _Problem("arms", names, "at least one arm to compare (besides the control)")
        if self.primary_arm is not None and self.primary_arm not in treated:
            raise _Problem("primary_arm", self.primary_arm, f"allowed: a compared arm ({', '.join(treated)})")

    def _check_endpoints(self) -> None:
        eps = self.endpoints
        if eps is None:
            return
        if not eps:
            raise _Problem("endpoints", eps, f"allowed: at least one of {', '.join(ENDPOINTS)}")
        for i, e in enumerate(eps):
            if e in eps[:i]:
                raise _Problem(f"endpoints[{i}]", e, "each endpoint once")
            if e == "cdp_12w" and self.design == "baseline_vs_treatment":
                raise _Problem(f"endpoints[{i}]", e, "12-week confirmed progression is compared between parallel "
                                                     f"arms; allowed here: {', '.join(PAIRED_ENDPOINTS)}")
        if "cdp_12w" in eps and self.treatment_weeks < 12 + self.edss_every_weeks:
            raise _Problem("treatment_weeks", self.treatment_weeks,
                           f"cdp_12w needs a progression visit and a confirming visit 12 weeks later; allowed: "
                           f">= {12 + self.edss_every_weeks:g} weeks with EDSS every {self.edss_every_weeks:g} weeks")

    def _check_regimens(self, i: int) -> None:
        lo, hi = self.baseline_days, self.baseline_days + self.treatment_days
        for j, r in enumerate(self.arms[i].regimens):
            at = f"arms[{i}].regimens[{j}]"
            if "start_day" in r.model_fields_set and not lo <= r.start_day < hi:
                raise _Problem(f"{at}.start_day", r.start_day, f"trial days from enrolment; the treatment period "
                                                               f"is days {lo:g} to {hi:g}: allowed {lo:g} <= start_day < {hi:g}")
            if "stop_day" in r.model_fields_set and r.stop_day is not None:
                start = r.start_day if "start_day" in r.model_fields_set else lo
                if not start <= r.stop_day <= hi:
                    raise _Problem(f"{at}.stop_day", r.stop_day, f"trial days from enrolment; allowed: start_day "
                                                                 f"({start:g}) <= stop_day <= {hi:g} (end of treatment)")

    # ------------------------------------------------------------------ derived quantities (days)

    @property
    def screening_days(self) -> float:
        """Screening length, days.  Default: as long as the inclusion criteria look back (52 weeks for
        relapses_prior_year_min, whole weeks covering no_relapse_within_days), else 0."""
        if self.screening_weeks is not None:
            return 7.0 * self.screening_weeks
        inc = self.population.inclusion
        weeks = 52.0 if inc.relapses_prior_year_min is not None else 0.0
        if inc.no_relapse_within_days is not None:
            weeks = max(weeks, float(math.ceil(inc.no_relapse_within_days / 7.0 - 1e-9)))
        return 7.0 * weeks

    @property
    def baseline_days(self) -> float:
        """Baseline period, days (0 in a parallel trial)."""
        return 7.0 * (self.baseline_weeks or 0.0) if self.design == "baseline_vs_treatment" else 0.0

    @property
    def treatment_days(self) -> float:
        return 7.0 * self.treatment_weeks

    @property
    def duration_days(self) -> float:
        """The simulated run: screening + baseline + treatment, days."""
        return self.screening_days + self.baseline_days + self.treatment_days

    @property
    def endpoint_list(self) -> list[str]:
        """The endpoints compared (default: every endpoint the design supports)."""
        if self.endpoints is not None:
            return list(self.endpoints)
        return list(PAIRED_ENDPOINTS if self.design == "baseline_vs_treatment" else ENDPOINTS)

    @property
    def control_arm(self) -> str | None:
        """The parallel design's control arm (None for baseline_vs_treatment)."""
        if self.design == "baseline_vs_treatment":
            return None
        if self.control is not None:
            return self.control
        return next(a.name for a in self.arms if not a.active)

    @property
    def treated_arms(self) -> list[str]:
        """The arms compared (every arm but the control)."""
        control = self.control_arm
        return [a.name for a in self.arms if a.name != control]

    @property
    def primary(self) -> str:
        """The arm reported as the top-level ``power`` and ``n_for_80_power``."""
        return self.primary_arm or self.treated_arms[0]


# --------------------------------------------------------------------------- the simulation each arm runs


def arm_regimens(trial: TrialProtocol, index: int) -> list[Regimen]:
    """Arm ``index``'s regimens with simulation days (start of screening = day 0) and the trial defaults:
    start_day and stop_day default to the start and end of the treatment period."""
    shift = trial.screening_days
    start0, stop0 = trial.baseline_days, trial.baseline_days + trial.treatment_days
    out = []
    for r in trial.arms[index].regimens:
        given = r.model_fields_set
        start = r.start_day if "start_day" in given else start0
        stop = r.stop_day if ("stop_day" in given and r.stop_day is not None) else stop0
        out.append(r.model_copy(update={"start_day": shift + start, "stop_day": shift + stop}))
    return out


def arm_protocol(trial: TrialProtocol, index: int, hypothesis: str | None = None) -> SimulationProtocol:
    """The ``kind: simulation`` protocol arm ``index`` runs for every patient (human RRMS, day 0 = start of
    screening, daily output).  Its problems are reported on the trial's fields (``arms[1].regimens[0].dose``).
    """
    data: dict[str, Any] = {
        "kind": "simulation", "name": f"{trial.name or 'trial'}:{trial.arms[index].name}", "species": "human",
        "disease": trial.disease, "hypothesis": hypothesis or trial.hypothesis, "duration_days": trial.duration_days,
        "output_every_hours": 24.0, "subjects": 1, "seed": trial.seed,
        "regimens": [r.model_dump(mode="python") for r in arm_regimens(trial, index)],
    }
    for key in ("body_weight_kg", "age_years"):
        if getattr(trial, key) is not None:
            data[key] = getattr(trial, key)
    try:
        return parse_protocol(data, "")
    except ProtocolError as err:
        field = err.field
        if field.startswith("regimens"):
            field = f"arms[{index}].{field}"
        elif field in ("duration_days", "output_every_hours", "subjects"):
            field = "treatment_weeks"
        raise _Problem(field, err.value, err.allowed) from None


def check_size(trial: TrialProtocol, patients_per_arm: int, replicates: int) -> None:
    """The trial's size against :func:`tregsim.limits.check_trial_size` (patients per arm, replicates and
    simulated patient-years, screening included).

    Raises:
        _Problem: blaming ``population.size`` or ``replicates`` (a ProtocolError once translated).
    """
    try:
        L.check_trial_size(patients_per_arm=patients_per_arm, arms=len(trial.arms), replicates=replicates,
                           years=trial.duration_days / 365.25)
    except ValueError as err:
        field = {"patients": "population.size"}.get(getattr(err, "field", ""), getattr(err, "field", "replicates"))
        raise _Problem(field, getattr(err, "value", None), getattr(err, "allowed", str(err))) from None


def protocol_hash(trial: TrialProtocol) -> str:
    """SHA-256 of the validated protocol (canonical JSON): the identity a results folder is resumed under."""
    text = json.dumps(trial.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- reading and writing


_MODELS: dict[tuple, type[BaseModel]] = {(): TrialProtocol, ("population",): Population,
                                         ("population", "inclusion"): Inclusion}


def _model_at(loc: tuple) -> type[BaseModel] | None:
    shape = tuple("#" if isinstance(p, int) else p for p in loc)
    if shape in _MODELS:
        return _MODELS[shape]
    if shape == ("arms", "#"):
        return Arm
    if shape == ("arms", "#", "regimens", "#"):
        return Regimen
    return None


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


_BOUNDS = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", ">="), "less_than": ("lt", "<"),
           "less_than_equal": ("le", "<=")}


def _translate(err: ValidationError, data: Any, source: str) -> ProtocolError:
    """The first pydantic error as one ProtocolError naming the field path, the value and what is allowed."""
    e = err.errors()[0]
    loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and (p.startswith(("function-", "literal[",
                "constrained-")) or p in ("float", "int", "str", "list[...]"))))
    ctx = e.get("ctx") or {}
    problem = ctx.get("error")
    if all(hasattr(problem, a) for a in ("field", "value", "allowed")):  # ours, or protocol.py's field problems
        return ProtocolError(source, _path(loc + tuple(_split(problem.field))), problem.value, problem.allowed)
    value = e.get("input", _lookup(data, loc))
    kind, where = e["type"], _path(loc)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        fields = ", ".join(sorted(model.model_fields)) if model else "see docs/trial.md"
        return ProtocolError(source, where, value, f"unknown field; allowed fields: {fields}")
    if kind == "missing":
        return ProtocolError(source, where, None, "this field is required")
    if kind == "literal_error":
        return ProtocolError(source, where, value, "allowed: " + ctx.get("expected", "").replace("'", ""))
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        return ProtocolError(source, where, value, f"allowed: a number {sign} {ctx.get(key)}")
    if kind in ("float_type", "finite_number", "float_parsing"):
        return ProtocolError(source, where, value, "allowed: a finite number (not text or true/false)")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return ProtocolError(source, where, value, "allowed: a whole number (not text, true/false or 2.0)")
    if kind == "too_short":
        return ProtocolError(source, where, value, f"allowed: at least {ctx.get('min_length')} entries")
    if kind == "too_long":
        return ProtocolError(source, where, value, f"allowed: at most {ctx.get('max_length')} entries")
    if kind == "string_pattern_mismatch":
        return ProtocolError(source, where, value, "allowed: a name of letters, digits and _ . + - (starting with "
                                                   "a letter or digit), at most 64 characters")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        model = _model_at(loc)
        fields = ", ".join(sorted(model.model_fields)) if model else ""
        return ProtocolError(source, where, value, f"allowed: a mapping with fields {fields}")
    msg = e["msg"].removeprefix("Value error, ")
    return ProtocolError(source, where, value, "allowed: " + (msg[0].lower() + msg[1:] if msg else "see docs/trial.md"))


def _split(field: str) -> list[Any]:
    """``arms[1].regimens[0].dose`` -> ['arms', 1, 'regimens', 0, 'dose']."""
    parts: list[Any] = []
    for chunk in field.replace("]", "").split("."):
        head, *idx = chunk.split("[")
        if head:
            parts.append(head)
        parts += [int(i) for i in idx]
    return parts


def parse_trial(data: Any, source: str = "<protocol>") -> TrialProtocol:
    """Validate a trial protocol already read into Python objects.

    Raises:
        ProtocolError: anything wrong, with the field path, the value given and what is allowed.
    """
    if not isinstance(data, dict):
        raise ProtocolError(source, "", data, "a trial protocol is a YAML mapping with fields such as kind: trial, "
                                              "population, arms")
    if data.get("kind") != "trial":
        raise ProtocolError(source, "kind", data.get("kind"), "allowed here: trial (simulation protocols are run by "
                                                              "`tregsim simulate`)")
    try:
        return TrialProtocol.model_validate(data)
    except ValidationError as err:
        raise _translate(err, data, source) from None


def is_trial_document(data: Any) -> bool:
    """Whether YAML data is a trial protocol (``kind: trial``)."""
    return isinstance(data, dict) and data.get("kind") == "trial"


def read_protocol_text(ref: str | Path) -> tuple[str, str]:
    """(YAML text, source label) of a protocol file path or built-in name.

    Raises:
        ProtocolError: no such file or built-in, unreadable, or larger than the limit.
    """
    text_ref = str(ref)
    path = Path(text_ref)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists() or "/" in text_ref:
        if not path.is_file():
            raise ProtocolError(text_ref, "PROTOCOL", text_ref, "no such file; give a YAML file or a built-in "
                                f"protocol name ({', '.join(builtin_names())})")
        if path.stat().st_size > L.MAX_FILE_BYTES:
            raise ProtocolError(text_ref, "PROTOCOL", text_ref, f"a protocol file is at most {L.MAX_FILE_BYTES:,} bytes")
        try:
            return path.read_text(encoding="utf-8"), text_ref
        except (OSError, UnicodeDecodeError) as err:
            raise ProtocolError(text_ref, "PROTOCOL", text_ref, f"cannot be read as UTF-8 text ({err})") from None
    return builtin_text(text_ref), f"built-in:{text_ref}"


def load_trial(ref: str | Path) -> TrialProtocol:
    """Load a trial protocol from a YAML file path or a built-in name (e.g. ``rrms-igf1-trial``).

    Raises:
        ProtocolError: missing, not YAML, not a trial, or not following the schema.
    """
    text, source = read_protocol_text(ref)
    return parse_trial(read_yaml(text, source), source)


def trial_to_yaml(trial: TrialProtocol) -> str:
    """The protocol as editable YAML; fields left to their defaults are omitted, so that a regimen's unset
    start_day/stop_day keep meaning "the treatment period" (round-trips through :func:`load_trial`)."""
    return yaml.safe_dump(trial.model_dump(mode="json", exclude_unset=True), sort_keys=False)
