"""``tregsim reproduce bilbao2014``: every experiment under every hypothesis, targets, report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tregsim.experiments import bilbao2014 as b14
from tregsim.io import write_json
from tregsim.protocol import DEFAULT_HYPOTHESIS, HYPOTHESES

STUDIES = ("bilbao2014",)


@dataclass
class ReproduceResult:
    """Experiments (metrics), targets and checks per hypothesis, and the default hypothesis' cohorts."""

    animals: int
    seed: int
    default_hypothesis: str
    experiments: dict[str, dict[str, dict[str, Any]]]  # hypothesis -> experiment id -> metrics
    cohorts: dict[str, dict[str, b14.Cohort]]  # hypothesis -> experiment id -> cohort

    def targets(self, hypothesis: str | None = None) -> list[dict[str, Any]]:
        return b14.target_results(self.experiments[hypothesis or self.default_hypothesis])

    def checks(self, hypothesis: str | None = None) -> list[dict[str, Any]]:
        return b14.acceptance_checks(self.experiments[hypothesis or self.default_hypothesis])

    def hypothesis_table(self) -> list[dict[str, Any]]:
        """One row per target or check, one column per hypothesis: met or not (and the value)."""
        rows: dict[str, dict[str, Any]] = {}
        for h in self.experiments:
            for t in self.targets(h):
                rows.setdefault(t["id"], {"target": t["id"]})[h] = t["pass"]
                rows[t["id"]][f"{h} value"] = t["simulated"]
            for c in self.checks(h):
                rows.setdefault(c["check"], {"target": c["check"]})[h] = c["pass"]
                rows[c["check"]][f"{h} value"] = c["simulated"]
        return list(rows.values())

    def summary(self) -> dict[str, Any]:
        from tregsim import __version__

        per_h = {}
        for h in self.experiments:
            tg, ck = self.targets(h), self.checks(h)
            per_h[h] = {"targets_met": sum(t["pass"] for t in tg), "targets_total": len(tg),
                        "checks_met": sum(c["pass"] for c in ck), "checks_total": len(ck),
                        "all_met": all(t["pass"] for t in tg) and all(c["pass"] for c in ck),
                        "missed": [t["id"] for t in tg if not t["pass"]] + [c["check"] for c in ck if not c["pass"]]}
        return {
            "tregsim_version": __version__, "command": "reproduce", "study": "bilbao2014",
            "animals_per_experiment": self.animals, "seed": self.seed,
            "default_hypothesis": self.default_hypothesis,
            "design": {"pump_dose_mg_kg_day": b14.PUMP_DOSE_MG_KG_DAY, "pump_days": b14.PUMP_DAYS,
                       "post_onset_start_day": b14.POST_ONSET_START_DAY, "duration_days": b14.DURATION_DAYS,
                       "culture_days": b14.CULTURE_DAYS, "in_vitro_reference_ng_ml": b14.IN_VITRO_REFERENCE_NG_ML,
                       "assumed": ["pump_dose_mg_kg_day", "post_onset_start_day", "culture_days",
                                   "in_vitro_reference_ng_ml"]},
            "experiments": self.experiments[self.default_hypothesis],
            "targets": self.targets(),
            "checks": self.checks(),
            "hypotheses": per_h,
            "experiments_by_hypothesis": self.experiments,
        }

    def write(self, out: str | Path) -> Path:
        from tregsim.report.bilbao2014 import reproduce_report

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "summary.json", self.summary())
        reproduce_report(self, out / "report.html")
        return out


def reproduce_bilbao2014(animals: int = 40, seed: int = 1, hypotheses: tuple[str, ...] = HYPOTHESES,
                         progress: Callable[[int], None] | None = None) -> ReproduceResult:
    """Run every Bilbao 2014 experiment under every hypothesis with ``animals`` seeded mice per arm."""
    experiments, cohorts = {}, {}
    for h in hypotheses:
        experiments[h], cohorts[h] = b14.run_hypothesis(h, animals, seed, progress=progress)
    default = DEFAULT_HYPOTHESIS if DEFAULT_HYPOTHESIS in hypotheses else hypotheses[0]
    return ReproduceResult(animals, seed, default, experiments, cohorts)
