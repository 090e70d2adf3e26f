"""A trial's virtual patients as engine subjects: one untreated build per candidate, then each arm's doses.

:func:`tregsim.model.subject.build_subjects` runs every subject's one-year untreated burn-in (tens of ms each,
solved together), which is the same for a candidate in every arm and in screening.  So a candidate is built
once, untreated, for the trial's whole run (:func:`base_subjects`); screening reads the same subject cut at
enrolment (:func:`truncated`), and each arm adds its regimens to a copy (:func:`with_regimens`), exactly as
``build_subject`` lays them out (tested to give the same subject as building the arm's protocol directly).
"""

from __future__ import annotations

from dataclasses import replace

from tregsim.model.subject import Subject, build_subjects
from tregsim.protocol import SimulationProtocol
from tregsim.schedule import Schedule, add_regimen


def untreated(arm: SimulationProtocol) -> SimulationProtocol:
    """``arm`` without its regimens (the same run, patients untreated)."""
    return arm.model_copy(update={"regimens": []})


def base_subjects(protocol: SimulationProtocol, candidates: list[int], seed: int,
                  overrides: list[dict[str, float]]) -> list[Subject]:
    """Candidates ``candidates`` (with their parameter ``overrides``) untreated over the whole run
    (``protocol`` without regimens), their run-ins solved together."""
    return build_subjects(untreated(protocol), candidates, seed, [ov or None for ov in overrides])


def truncated(subject: Subject, t_end: float) -> Subject:
    """The same subject simulated only up to ``t_end`` (days): the screening run."""
    return replace(subject, t_end=float(t_end))


def with_regimens(subject: Subject, protocol: SimulationProtocol) -> Subject:
    """A copy of an untreated ``subject`` given ``protocol``'s regimens (as ``build_subjects`` adds them)."""
    schedule = Schedule(boluses=list(subject.schedule.boluses), infusions=list(subject.schedule.infusions),
                        igf1_dosed=subject.schedule.igf1_dosed,
                        igf1_presystemic_loss=subject.schedule.igf1_presystemic_loss,
                        dosed=dict(subject.schedule.dosed), presystemic_loss=dict(subject.schedule.presystemic_loss))
    v = subject.values
    bio = {"sc": v["F_sc"], "minipump": v["F_sc"], "ip": v["F_ip"]}
    for reg in protocol.regimens:
        add_regimen(schedule, reg, subject.t_end, protocol.weight_kg, bio, v)
    schedule.boluses.sort(key=lambda b: b.time)
    return replace(subject, schedule=schedule)
