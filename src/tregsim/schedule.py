"""Dose and trigger schedules as data: boluses (instant additions) and zero-order inputs.

A :class:`Schedule` is what every solver integrates between: it lists the
instants where a state jumps (doses, immune triggers, immunisation) and the
intervals where an input rate is on (mini-pumps, infusions).  Integration is
split at all of these times, never located by root finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collections.abc import Mapping

from tregsim.model.definition import INPUT_NAMES
from tregsim.model.drugs import DRUGS
from tregsim.protocol import Regimen
from tregsim.units import to_model_amount, to_model_rate


@dataclass(frozen=True)
class Bolus:
    """Add ``amount`` (state units) to ``state`` at ``time`` (day)."""

    time: float
    state: str
    amount: float


@dataclass(frozen=True)
class Infusion:
    """Input ``name`` runs at ``rate`` (ug/kg/day) during [start, stop) (day)."""

    start: float
    stop: float
    name: str
    rate: float


@dataclass
class Schedule:
    """All discontinuities of one subject's simulation."""

    boluses: list[Bolus] = field(default_factory=list)
    infusions: list[Infusion] = field(default_factory=list)
    #: IGF-1 administered (ug/kg), including any part lost before absorption.
    igf1_dosed: float = 0.0
    #: IGF-1 lost before reaching the body (1 - bioavailability), ug/kg.
    igf1_presystemic_loss: float = 0.0
    #: Every drug administered (ug/kg) by drug name, including any part lost before absorption.
    dosed: dict[str, float] = field(default_factory=dict)
    #: Every drug lost before reaching the body (1 - bioavailability), ug/kg, by drug name.
    presystemic_loss: dict[str, float] = field(default_factory=dict)

    def _count(self, drug: str, given: float, lost: float) -> None:
        self.dosed[drug] = self.dosed.get(drug, 0.0) + given
        self.presystemic_loss[drug] = self.presystemic_loss.get(drug, 0.0) + lost
        if drug == "igf1":
            self.igf1_dosed += given
            self.igf1_presystemic_loss += lost

    def breakpoints(self, t0: float, t1: float) -> np.ndarray:
        """Sorted unique times in [t0, t1] where the system changes."""
        times = [t0, t1]
        times += [b.time for b in self.boluses if t0 <= b.time <= t1]
        for inf in self.infusions:
            times += [t for t in (inf.start, inf.stop) if t0 <= t <= t1]
        return np.unique(np.asarray(times, dtype=float))

    def inputs_at(self, t: float) -> dict[str, float]:
        """Input rates active on [t, next breakpoint)."""
        rates = dict.fromkeys(INPUT_NAMES, 0.0)
        for inf in self.infusions:
            if inf.start <= t < inf.stop:
                rates[inf.name] += inf.rate
        return rates


def add_regimen(schedule: Schedule, regimen: Regimen, duration_days: float, body_weight_kg: float,
                bioavailability: Mapping[str, float], values: Mapping[str, float] | None = None) -> None:
    """Expand one protocol regimen into boluses and infusions on ``schedule``.

    The drug's descriptor (:mod:`tregsim.model.drugs`) says which state a bolus of each route goes to, which
    input a rate sets, which parameter is the route's bioavailability and how activity units (MIU) convert.

    Arguments:
        schedule: the schedule to extend.
        regimen: the validated regimen.
        duration_days: simulation length; nothing is scheduled after it.
        body_weight_kg: for absolute doses (ug, mg, MIU).
        bioavailability: IGF-1's ``{"sc": F_sc, "ip": F_ip, "minipump": F_sc}`` (kept for callers that dose
            only IGF-1); IV is 1.
        values: the subject's parameter values; when given, every drug's bioavailability is read from them.
    """
    if regimen.drug == "placebo":
        return
    if regimen.drug not in DRUGS:  # guarded by protocol validation; a new drug registers in model/drugs
        raise NotImplementedError(regimen.drug)
    drug = DRUGS[regimen.drug]
    start = regimen.start_day
    stop = duration_days if regimen.stop_day is None else min(regimen.stop_day, duration_days)
    if values is not None:
        f = drug.fraction_absorbed(regimen.route, values)
    else:
        if drug.name != "igf1":
            raise ValueError(f"dosing {drug.name} needs the subject's parameter values (its bioavailability)")
        f = 1.0 if regimen.route == "iv" else bioavailability[regimen.route]
    if regimen.is_infusion:
        rate = to_model_rate(regimen.dose, regimen.unit, body_weight_kg, drug.ug_per_miu)
        target = drug.infusion_input[regimen.route]
        if stop > start:
            schedule.infusions.append(Infusion(start, stop, target, rate * f))
            schedule._count(drug.name, rate * (stop - start), rate * (1 - f) * (stop - start))
        return
    amount = to_model_amount(regimen.dose, regimen.unit, body_weight_kg, drug.ug_per_miu)
    state = drug.bolus_state[regimen.route]
    if regimen.every_hours is None:
        times = [start] if start <= duration_days else []
    else:
        step = regimen.every_hours / 24.0
        n = int(np.floor((stop - start) / step + 1e-9)) + 1
        times = [start + k * step for k in range(n) if start + k * step <= duration_days]
    for t in times:
        schedule.boluses.append(Bolus(float(t), state, amount * f))
        schedule._count(drug.name, amount, amount * (1 - f))


def poisson_times(rng: np.random.Generator, rate_per_day: float, t0: float, t1: float) -> np.ndarray:
    """Event times of a homogeneous Poisson process on (t0, t1] (days), prefix-stable.

    Drawn as successive exponential gaps until the time passes ``t1``, so the events in (t0, T] are the
    same for every ``t1 >= T`` when ``rng`` is a stream of its own (one per subject and event kind): a
    longer run of the same subject shares the shorter run's history.  Drawn in blocks for speed; the
    draws past ``t1`` are discarded, which does not change the times before it.  The running sum is
    carried left to right across blocks (t, t + g1, (t + g1) + g2, ...), so the times are bit-identical
    to drawing one gap at a time, whatever the block size (which depends on ``t1``).
    """
    if rate_per_day <= 0 or t1 <= t0:
        return np.empty(0)
    mean_gap = 1.0 / rate_per_day
    block = max(16, int(rate_per_day * (t1 - t0) * 1.2) + 16)
    times: list[np.ndarray] = []
    t = t0
    while True:
        gaps = rng.exponential(mean_gap, size=block)
        cum = np.cumsum(np.concatenate(([t], gaps)))[1:]  # not t + cumsum(gaps): rounding would differ
        inside = cum[cum <= t1]
        times.append(inside)
        if inside.size < block:
            return np.concatenate(times)
        t = float(cum[-1])


@dataclass(frozen=True)
class Segment:
    """One stretch between consecutive breakpoints, as every solver walks it.

    At ``t0`` record the state at the output times ``at_t0`` (before the events: pre-dose), apply ``boluses`` and
    set ``inputs``,
    then (unless ``t1`` is None: the last breakpoint) integrate to ``t1`` evaluating at ``t_eval``,
    whose first ``n_inside`` points are the output times ``inside`` (t0, t1] and whose last is t1.
    """

    t0: float
    t1: float | None
    boluses: list[Bolus]
    inputs: dict[str, float]
    at_t0: np.ndarray
    inside: np.ndarray
    t_eval: np.ndarray

    @property
    def n_inside(self) -> int:
        return int(self.inside.sum())


#: Events closer than this (relative to max(1, |t|) days) are one instant: 1e-10 is 8.6 us near day 0 and
#: 0.3 s after 100 years, a thousand times the engine's smallest step (1e-13 relative), so two regimens whose
#: dose times differ only by rounding (a dose every 5 h and one every 1.1 h) never leave a stretch too short
#: to integrate ("step size underflow").
SAME_INSTANT = 1e-10


def _instants(times: np.ndarray, anchors: tuple[float, ...]) -> dict[float, float]:
    """Map each time to the instant it belongs to: an anchor (start, end, first and last output) within
    :data:`SAME_INSTANT`, else the earliest of a run of times each within SAME_INSTANT of the run's first."""
    snap: dict[float, float] = {}
    rep: float | None = None
    for t in np.unique(np.asarray(times, dtype=float)).tolist():
        near = [a for a in anchors if abs(t - a) <= SAME_INSTANT * max(1.0, abs(a))]
        if near:
            snap[t] = near[0]
            continue
        if rep is None or t - rep > SAME_INSTANT * max(1.0, abs(rep)):
            rep = t
        snap[t] = rep
    return snap


def segments(schedule: Schedule, t_end: float, t_out: np.ndarray):
    """Yield the :class:`Segment` s of ``schedule`` over [0, t_end] for output times ``t_out``.

    Event times closer than :data:`SAME_INSTANT` are merged into one breakpoint (their boluses applied and
    their infusions switched together), so no stretch is shorter than the integrators can step.
    """
    t_out = np.asarray(t_out, dtype=float)
    raw = np.concatenate([schedule.breakpoints(0.0, t_end), t_out[:1], t_out[-1:]])
    anchors = tuple(float(a) for a in (0.0, t_end, *t_out[:1], *t_out[-1:]))
    snap = _instants(raw, anchors)
    bps = np.unique(np.fromiter(snap.values(), dtype=float, count=len(snap)))
    by_time: dict[float, list[Bolus]] = {}
    for b in schedule.boluses:
        by_time.setdefault(snap.get(b.time, b.time), []).append(b)
    spans = [(snap.get(inf.start, inf.start), snap.get(inf.stop, inf.stop), inf) for inf in schedule.infusions]
    for i, t0 in enumerate(bps):
        t1 = float(bps[i + 1]) if i + 1 < len(bps) else None
        inside = (t_out > t0) & (t_out <= t1) if t1 is not None else np.zeros(len(t_out), bool)
        t_eval = np.append(t_out[inside & (t_out < t1)], t1) if t1 is not None else np.empty(0)
        inputs = dict.fromkeys(INPUT_NAMES, 0.0)
        for start, stop, inf in spans:
            if start <= t0 < stop:
                inputs[inf.name] += inf.rate
        yield Segment(float(t0), t1, by_time.get(float(t0), []), inputs, t_out == t0, inside, t_eval)
