"""The ``tregsim`` command line (see the public contract, INTERFACE.md).

Exit codes: 0 done; 2 the input is wrong (one line naming the file or option, the field, the value and
what is allowed; no traceback, no framed usage box); 1 an internal error, or a solver failure (after the
results of the subjects that solved are written).  Every option and the results folder are checked before
any work; results are staged and moved into place only when complete (:func:`tregsim.io.staged`).
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from typer.core import TyperGroup

from tregsim.errors import InputError
from tregsim.io import prepare_out_dir, staged
from tregsim.limits import MAX_SEED
from tregsim.protocol import ProtocolError, builtin_names, builtin_text, load_protocol

try:  # typer >= 0.2x vendors click as typer._click
    from typer import Abort as _Abort
    from typer._click.exceptions import BadParameter, NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - typer on top of click
    from click.exceptions import Abort as _Abort, BadParameter, NoArgsIsHelpError, UsageError

__all__ = ["InputError", "app", "main"]


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _usage_line(e: UsageError) -> str:
    """Click's usage error as one line: the option, what is wrong, and where help is."""
    command = e.ctx.command_path if e.ctx is not None else "tregsim"
    if isinstance(e, BadParameter) and e.param is not None and type(e) is BadParameter:
        opts = getattr(e.param, "opts", None) or [e.param.name or "?"]
        text = f"{opts[0] if opts[0].startswith('-') else opts[0].upper()}: {e.message}"
    else:
        text = e.format_message()
    return _one_line(f"{text} (see `{command} --help`)")


class _OneLineGroup(TyperGroup):
    """The top-level group: usage errors as one line on stderr and exit 2, never a framed box."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                              **extra)
        except NoArgsIsHelpError as e:  # `tregsim` alone: the help, as ever (exit 2)
            if e.format_message().strip():
                typer.echo(e.format_message())
            rv = 2
        except UsageError as e:
            sys.stderr.write(f"tregsim: error: {_usage_line(e)}\n")
            rv = 2
        except _Abort:
            sys.stderr.write("tregsim: error: interrupted\n")
            rv = 130
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="tregsim", add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, cls=_OneLineGroup,
    help="tregsim: the in-silico laboratory for IGF-1 -> IGF1R -> Treg -> Teff -> myelin -> disability "
         "(mouse EAE and human RRMS).",
)
err = Console(stderr=True)


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"tregsim: error: {_one_line(message)}\n")  # one line, never wrapped
    raise typer.Exit(code)


@contextmanager
def _errors():
    """Map input problems to exit 2 with one line, solver failures and anything unexpected to exit 1."""
    try:
        yield
    except InputError as e:
        _fail(str(e), 2)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as e:  # noqa: BLE001 - the CLI's last line of defence
        from tregsim.solve.reference import SolveError

        if isinstance(e, SolveError):
            _fail(f"solver failure: {e}; no results were written", 1)
        _fail(f"internal error: {type(e).__name__}: {e} (please report it)", 1)


# --------------------------------------------------------------------------- option checks (before any work)


def _int_range(lo: int, hi: int, hi_shown: str | None = None) -> Callable[[Optional[int]], Optional[int]]:
    """A callback refusing integers outside [lo, hi] with the value and the range named."""

    def check(value: Optional[int]) -> Optional[int]:
        if value is not None and not lo <= value <= hi:
            raise BadParameter(f"value {value} is not allowed; allowed: an integer from {lo} to {hi_shown or hi}")
        return value

    return check


def _float_range(lo: float, hi: float) -> Callable[[Optional[float]], Optional[float]]:
    """A callback refusing NaN, infinities and numbers outside [lo, hi]."""

    def check(value: Optional[float]) -> Optional[float]:
        if value is not None and not (math.isfinite(value) and lo <= value <= hi):
            what = "NaN is not a number; " if math.isnan(value) else ""
            raise BadParameter(f"value {value} is not allowed; {what}allowed: a number from {lo:g} to {hi:g}")
        return value

    return check


_seed_ok = _int_range(0, MAX_SEED, "2^63-1")


def _out_dir(out: Optional[str], command: str, overwrite: bool, outputs: tuple[str, ...]) -> tuple[Path, bool]:
    """The results folder: ``--out``, or a new folder under ./tregsim-out/; checked, created and writable.

    Never silently overwrites: a folder holding any of ``outputs`` needs ``--overwrite``.
    """
    if out is None:
        base = Path("tregsim-out")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = base / f"{command}-{stamp}"
        k = 1
        while path.exists():
            k += 1
            path = base / f"{command}-{stamp}-{k}"
        out = str(path)
    return prepare_out_dir(out, outputs, overwrite)


@contextmanager
def _progress(total: int, label: str):
    """A progress bar on a terminal; silent otherwise.  Yields a callable advancing it by n."""
    if not sys.stderr.isatty():
        yield lambda n=1: None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


OutOpt = Annotated[Optional[str], typer.Option("--out", help="results folder (default: a new folder under ./tregsim-out/)", show_default=False)]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="allow replacing the results a folder already holds")]
SIMULATE_OUTPUTS = ("timecourse.csv", "subjects.parquet", "summary.json", "protocol.yaml", "report.html")
REPRODUCE_OUTPUTS = ("summary.json", "report.html")
CALIBRATE_OUTPUTS = ("parameters_human.csv", "parameters_mouse.csv", "population_rrms.parquet", "population_rrms.json",
                     "population_rrms_treg_only.parquet", "population_rrms_treg_only.json",
                     "summary.json", "report.html")


def _seed_option(help_text: str) -> Any:
    return typer.Option("--seed", callback=_seed_ok, help=f"{help_text}; 0 to 2^63-1")


@app.command()
def simulate(
    protocol: Annotated[str, typer.Argument(help="a protocol YAML file or a built-in protocol name (see `tregsim protocols`)")],
    out: OutOpt = None,
    seed: Annotated[Optional[int], _seed_option("seed of the subjects' random draws (default: the protocol's, else 0)")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Simulate a protocol: timecourse.csv, subjects.parquet, summary.json and report.html."""
    from tregsim.report.html import simulation_report
    from tregsim.simulate import simulate as run_sim

    with _errors():
        proto = load_protocol(protocol)
        folder, created = _out_dir(out, "simulate", overwrite, SIMULATE_OUTPUTS)
        with staged(folder, created) as stage:
            with _progress(proto.n_subjects, f"simulating {proto.n_subjects} subject(s)") as advance:
                result = run_sim(proto, seed=seed, progress=advance)
            result.write(stage)
            simulation_report(result, stage / "report.html")
        _print_metrics(result.metrics, folder)
        if result.failures:
            first = result.failures[0]
            _fail(f"solver failure: {len(result.failures)} of {proto.n_subjects} subject(s) failed to solve "
                  f"(subjects {', '.join(str(f.subject) for f in result.failures[:10])}"
                  f"{', ...' if len(result.failures) > 10 else ''}; first: {first.message}); the other subjects' "
                  f"results are in {folder} (summary.json 'failures' lists every failed subject with its seed)", 1)


def _print_metrics(metrics: dict, folder: Path) -> None:
    con = Console()
    for k, v in metrics.items():
        con.print(f"  {k:24s} {v:.4g}" if isinstance(v, float) else f"  {k:24s} {v}", highlight=False)
    con.print(f"results in {folder}", highlight=False)


@app.command()
def reproduce(
    study: Annotated[str, typer.Argument(help="the study to reproduce: bilbao2014")],
    out: OutOpt = None,
    animals: Annotated[int, typer.Option("--animals", callback=_int_range(2, 2000), help="seeded animals per experiment, 2 to 2000 (>= 20 recommended; 40 keeps binomial noise on fractions near 0.06)")] = 40,
    seed: Annotated[int, _seed_option("seed of the animals' random draws")] = 1,
    overwrite: OverwriteOpt = False,
) -> None:
    """Reproduce a published study in silico under every named hypothesis: summary.json and report.html."""
    from tregsim.experiments import bilbao2014 as b14
    from tregsim.experiments.reproduce import STUDIES, reproduce_bilbao2014
    from tregsim.protocol import HYPOTHESES

    with _errors():
        if study not in STUDIES:
            raise InputError(f"reproduce: study '{study}' is not allowed; allowed: {', '.join(STUDIES)}")
        b14.EAE_EXPERIMENTS[0].protocol(HYPOTHESES[0], animals, seed)  # the limits, before any work
        folder, created = _out_dir(out, "reproduce", overwrite, REPRODUCE_OUTPUTS)
        with staged(folder, created) as stage:
            total = len(HYPOTHESES) * len(b14.EAE_EXPERIMENTS)
            with _progress(total, f"{study}: {len(HYPOTHESES)} hypotheses x {len(b14.EAE_EXPERIMENTS)} arms") as advance:
                result = reproduce_bilbao2014(animals=animals, seed=seed, progress=advance)
            result.write(stage)
        con = Console()
        for h, d in result.summary()["hypotheses"].items():
            flag = "all met" if d["all_met"] else "missed: " + ", ".join(d["missed"])
            con.print(f"  {h:16s} targets {d['targets_met']}/{d['targets_total']}, "
                      f"checks {d['checks_met']}/{d['checks_total']}  ({flag})", highlight=False)
        con.print(f"results in {folder}", highlight=False)


@app.command()
def calibrate(
    targets: Annotated[Optional[Path], typer.Option("--targets", help="targets CSV (default: the shipped targets.csv)")] = None,
    out: OutOpt = None,
    only: Annotated[Optional[str], typer.Option("--only", help="human_pk, mouse_eae, population or il2 (default: all, in that order)")] = None,
    max_evals: Annotated[Optional[int], typer.Option("--max-evals", callback=_int_range(1, 1_000_000), help="model evaluations per start and stage (the mouse fit's global search included), 1 to 1000000 (default: each fit's own; fewer gives a quick, unconverged look)")] = None,
    starts: Annotated[Optional[int], typer.Option("--starts", callback=_int_range(1, 50), help="starts per fit, 1 to 50 (default: each fit's own; the first start is always the documented priors)")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Fit the free parameters to the targets (takes minutes); the shipped tables are not changed.

    Writes the refitted parameter tables, summary.json and report.html to the output folder.
    """
    from tregsim.calibration.run import FITS, calibrate as run_calibration
    from tregsim.targets import use_targets

    with _errors():
        if only is not None and only not in FITS:
            raise InputError(f"--only: value '{only}' is not allowed; allowed: {', '.join(FITS)}")
        if targets is not None:
            if not targets.is_file():
                raise InputError(f"--targets: value '{targets}' is not a file; give a CSV with the columns of targets.csv")
            try:
                use_targets(str(targets))
            except (KeyError, ValueError, UnicodeDecodeError) as e:
                raise InputError(f"{targets}: not a targets CSV ({e}); needed columns: id, system, quantity, value, "
                                 "low, high, unit, use, source, mark") from None
        folder, created = _out_dir(out, "calibrate", overwrite, CALIBRATE_OUTPUTS)
        sys.stderr.write("calibrating from the documented priors (human PK and glucose: minutes; mouse EAE: longer; "
                         "virtual RRMS populations, one per hypothesis: a few minutes; IL-2 PD: under a minute)\n")
        with staged(folder, created) as stage:
            summary = run_calibration(stage, (only,) if only else FITS, max_nfev=max_evals, n_starts=starts)
        for name, fit in summary["fits"].items():
            if "ess" in fit:  # a virtual population: its rows and effective sample size, loudly when wrong
                rows = fit["targets"]
                Console().print(f"  {name}: effective sample size {fit['ess']:.0f}; rows met in the fit "
                                f"{sum(r['pass'] is True for r in rows)}/{len(rows)}, on fresh patients "
                                f"{sum(r['fresh_pass'] is True for r in rows)}/{len(rows)}", highlight=False, soft_wrap=True)
                for problem in fit.get("problems", []):
                    Console(stderr=True).print(f"  WARNING {name}: {problem}", highlight=False, style="bold red",
                                               soft_wrap=True)
                continue
            costs = {k: v["cost"] for k, v in fit.items() if isinstance(v, dict) and "cost" in v}
            if "cost" in fit:
                costs = {"": fit["cost"]}
            for label, c in costs.items():
                c = c if isinstance(c, dict) else {"": c}
                Console().print(f"  {name} {label}: cost " + ", ".join(f"{k} {v:.4g}".strip() for k, v in c.items()),
                                highlight=False)
        Console().print(f"results in {folder}", highlight=False)


TRIAL_OUTPUTS = ("summary.json", "report.html", "trial.json", "comparisons.csv", "power_curve.csv", "protocol.yaml")


@app.command()
def trial(
    protocol: Annotated[str, typer.Argument(help="a kind: trial protocol YAML file or a built-in name (e.g. rrms-igf1-trial)")],
    out: OutOpt = None,
    patients: Annotated[Optional[int], typer.Option("--patients", callback=_int_range(1, 1_000_000), help="patients per arm (default: the protocol's population.size)")] = None,
    replicates: Annotated[Optional[int], typer.Option("--replicates", callback=_int_range(1, 100_000), help="repeat the whole trial R times; > 1 gives power (default: the protocol's)")] = None,
    seed: Annotated[Optional[int], _seed_option("trial seed (default: the protocol's)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue a trial in --out (finished chunks are kept)")] = False,
    overwrite: OverwriteOpt = False,
    assurance: Annotated[Optional[int], typer.Option("--assurance", callback=_int_range(0, 100_000), help="draws of the assurance, each one whole trial under a hypothesis weighted by the mouse data and human PD parameters drawn from their uncertainty (default: as many as replicates when replicates > 1; 0: none)")] = None,
) -> None:
    """Run an in-silico trial: virtual RRMS patients, arms, endpoints with estimate, CI and p; power and assurance.

    Patients come from the shipped virtual RRMS population (`tregsim calibrate --only population` rebuilds
    it). Results are written in chunks as they are made; a run stopped part-way continues with --resume.
    """
    from tregsim.trial.design import load_trial
    from tregsim.trial.population import POPULATION_HYPOTHESES, default_population
    from tregsim.trial.progress import rich_progress
    from tregsim.trial.run import run_trial

    with _errors():
        design = load_trial(protocol)
        folder, _ = _out_dir(out, "trial", overwrite or resume, TRIAL_OUTPUTS)
        reps = replicates if replicates is not None else design.replicates
        draws = assurance if assurance is not None else (reps if reps > 1 else 0)
        pop = default_population(design.hypothesis if design.hypothesis in POPULATION_HYPOTHESES else
                                 POPULATION_HYPOTHESES[0])  # another hypothesis: run_trial says why it refuses
        with rich_progress() as progress:  # written in place, chunk by chunk: a rerun resumes
            result = run_trial(design, out=folder, patients=patients, replicates=replicates, seed=seed,
                               population=pop, progress=progress, assurance=draws)
        con = Console()
        s = result.summary
        for arm, d in s["arms"].items():
            con.print(f"  {arm:22s} n {d.get('n')}  ARR {d.get('annualized_relapse_rate', float('nan')):.3f}  "
                      f"Gd+/scan {d.get('gd_lesions_per_scan', float('nan')):.2f}  CDP {d.get('cdp_12w', float('nan')):.3f}",
                      highlight=False)
        for c in s["comparisons"]:
            con.print(f"  {c['arm']} vs {c['vs']} {c['endpoint']}: {c['estimate']:.3g} "
                      f"({c['ci_low']:.3g}-{c['ci_high']:.3g}), p {c['p_value']:.3g}", highlight=False)
        for key in ("power", "assurance"):
            if isinstance(s.get(key), dict):
                se = s.get(key + "_se") or {}
                con.print(f"  {key} ({s['primary_arm']} vs {s['control']}): " + ", ".join(
                    f"{e} {v:.2f}" + (f" +/- {se[e]:.2f}" if se.get(e) is not None else "")
                    for e, v in s[key].items() if v is not None), highlight=False)
        con.print(f"results in {folder}", highlight=False)
        if s.get("failures"):
            _fail(f"solver failure: {len(s['failures'])} patient(s) failed to solve (summary.json 'failures' "
                  f"lists each with its seed); the other patients' results are in {folder}", 1)


@app.command()
def protocols(
    action: Annotated[str, typer.Argument(help="list | show")] = "list",
    name: Annotated[Optional[str], typer.Argument(help="protocol name for `show`")] = None,
) -> None:
    """List the built-in protocols, or print one as editable YAML."""
    with _errors():
        if action == "list":
            from tregsim.protocol import read_yaml

            for n in builtin_names():
                desc = (read_yaml(builtin_text(n), n) or {}).get("description", "")
                typer.echo(f"{n:28s} {desc}")
        elif action == "show":
            if not name:
                raise InputError("protocols show: a NAME is required; built-ins: " + ", ".join(builtin_names()))
            typer.echo(builtin_text(name), nl=False)
        else:
            raise InputError(f"protocols: action '{action}' is not allowed; allowed: list, show")


@app.command()
def run(
    out: OutOpt = None,
    quick: Annotated[bool, typer.Option("--quick", help="fewer animals and subjects, for a fast look")] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """The main job on built-in defaults: seed study, dose translation, the default trial, the answer.

    The seed study in silico under every hypothesis, the mouse-to-patient dose translation with glucose,
    the default in-silico trial (rrms-igf1-trial: placebo, IGF-1 at two label doses, low-dose IL-2 and IGF-1 +
    IL-2) and the answer in plain words, with one report.html.
    """
    from tregsim.main_job import TRIAL, run_main_job

    with _errors():
        folder, created = _out_dir(out, "run", overwrite, ("summary.json", "report.html", "bilbao2014", TRIAL))
        with staged(folder, created) as stage:
            summary = run_main_job(stage, quick=quick, progress_factory=_progress)
        con = Console()
        for h, d in summary["bilbao2014"]["hypotheses"].items():
            con.print(f"  bilbao2014 {h:14s} targets {d['targets_met']}/{d['targets_total']}"
                      + (f"  missed: {', '.join(d['missed'])}" if d["missed"] else "  all met"), highlight=False)
        t = summary["dose_translation"]
        con.print(f"  dose translation: {t['matching_bid_mg_kg']:.3g} mg/kg SC twice daily matches the protective "
                  f"mouse free IGF-1 (glucose nadir {t['matching_bid_glucose_nadir_mmol_l']:.2f} mmol/L; "
                  f"P(glucose < 3.0) {t['matching_bid_p_glucose_below_3_mmol_l']:.2f})", highlight=False)
        for line in summary["answer"]:
            con.print(f"  - {line}", highlight=False)
        con.print(f"report: {folder / 'report.html'}", highlight=False)


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object (INTERFACE keys) instead of a table")] = False,
    patients: Annotated[int, typer.Option("--patients", callback=_int_range(1, 100000), help="virtual RRMS patients per case, 1 to 100000")] = 32,
    years: Annotated[float, typer.Option("--years", callback=_float_range(0.1, 10), help="years simulated per patient, 0.1 to 10")] = 2.0,
    scipy_patients: Annotated[int, typer.Option("--scipy-patients", callback=_int_range(1, 100000), help="patients through the slow scipy "
                              "loop (its throughput is measured on these)")] = 2,
    reference_patients: Annotated[int, typer.Option("--reference-patients", callback=_int_range(1, 100000), help="patients checked against "
                                  "a tight-tolerance reference (max_rel_error)")] = 2,
) -> None:
    """Engine vs libRoadRunner vs the scipy loop on the same RRMS patients, untreated and on IGF-1 SC q12h."""
    import json

    from tregsim.bench import CASES, bench_protocol, run_bench

    with _errors():
        if scipy_patients > patients or reference_patients > patients:
            raise InputError(f"--scipy-patients/--reference-patients: values {scipy_patients}/{reference_patients} "
                             f"are not allowed; at most --patients ({patients})")
        for case in CASES:  # the protocol limits (output points, subject-years), before any work
            try:
                bench_protocol(case, patients, years)
            except ProtocolError as e:
                raise InputError(f"--patients/--years: {patients} patients x {years:g} years is more than the "
                                 f"limits allow: {e.allowed}") from None
        say = (lambda msg: err.print(f"[dim]{msg}[/dim]")) if sys.stderr.isatty() else None
        result = run_bench(patients, years, scipy_patients, reference_patients, progress=say)
        if as_json:
            from tregsim.io import jsonable

            typer.echo(json.dumps(jsonable(result), indent=2))
            return
        con = Console()
        for case, r in result["cases"].items():
            con.print(f"{case}: {r['patients']} patients x {r['days']:g} days", highlight=False)
            rows = [("tregsim engine", r["tregsim"])] + [(k, v) for k, v in r["peers"].items()]
            for name, v in rows:
                con.print(f"  {name:15s} {v['patient_years_per_s']:10.3g} patient-years/s   max_rel_error "
                          f"{v['max_rel_error']:.1e}", highlight=False)
            con.print(f"  ratio vs libRoadRunner {r['ratio_vs_libroadrunner']:.3g}, vs scipy {r['ratio_vs_scipy']:.3g}",
                      highlight=False)


export_app = typer.Typer(no_args_is_help=True, help="Write the model for other tools: SBML, a COMBINE archive (SED-ML).")
app.add_typer(export_app, name="export")


def _new_file(file: str, overwrite: bool) -> Path:
    """A file to write: never silently overwrites, never into a missing or unwritable folder."""
    import os
    import tempfile

    if not file.strip():
        raise InputError("FILE: value '' is empty; give a file name such as model.xml")
    path = Path(file)
    if path.is_dir():
        raise InputError(f"FILE: value '{path}' is a folder; give a file name such as model.xml")
    if path.exists() and not overwrite:
        raise InputError(f"FILE: value '{path}' already exists; give a new file name or pass --overwrite")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"FILE: value '{path}': folder '{parent}' does not exist")
    try:  # a probe, not os.access: root passes os.access where writing still fails (/proc)
        fd, probe = tempfile.mkstemp(prefix=".tregsim-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"FILE: value '{path}': folder '{parent}' is not writable ({e.strerror or e})") from None
    return path


@export_app.command("sbml")
def export_sbml(
    file: Annotated[str, typer.Argument(help="the SBML file to write (e.g. model.xml)")],
    protocol: Annotated[Optional[str], typer.Option("--protocol", help="a protocol YAML file or built-in name: its "
                        "doses, infusions, knockouts and that seed's immune triggers become SBML events")] = None,
    seed: Annotated[Optional[int], _seed_option("seed of the random draws (default: the protocol's, else 0), as in "
                                                "`tregsim simulate`")] = None,
    subject: Annotated[int, typer.Option("--subject", callback=_int_range(0, 99_999), help="which animal or patient of the protocol (0-based)")] = 0,
    species: Annotated[str, typer.Option("--species", help="without --protocol: mouse (EAE, 60 days) or human "
                       "(RRMS, 365 days), no doses")] = "mouse",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace FILE if it exists")] = False,
) -> None:
    """SBML Level 3 Version 2 of one subject, generated from the model definition (libRoadRunner, COPASI, AMICI)."""
    from tregsim.exchange.sbml import consistency, sbml_document, write_document

    with _errors():
        if species not in ("mouse", "human"):
            raise InputError(f"--species: value '{species}' is not allowed; allowed: mouse, human")
        proto = load_protocol(protocol) if protocol is not None else None
        if proto is not None and subject >= proto.n_subjects:
            raise InputError(f"--subject: value {subject} is not allowed; the protocol has {proto.n_subjects} "
                             f"subject(s): 0-{proto.n_subjects - 1}")
        path = _new_file(file, overwrite)
        doc = sbml_document(proto, seed, subject, species)
        report = consistency(doc)
        if report.errors:
            raise RuntimeError("the exported SBML fails libSBML's consistency check: " + "; ".join(report.errors[:3]))
        write_document(path, doc)
        Console().print(f"wrote {path} (libSBML consistency: 0 errors, {len(report.warnings)} warnings)", highlight=False)


@export_app.command("omex")
def export_omex(
    out: Annotated[str, typer.Argument(help="folder for bilbao2014.omex")],
    seed: Annotated[Optional[int], _seed_option("seed of the two animals (default: the protocols' own, 1)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing bilbao2014.omex")] = False,
) -> None:
    """A COMBINE archive (SBML + SED-ML) of the seed study: vehicle vs IGF-1 EAE, one animal each."""
    from tregsim.exchange.omex import write_omex

    with _errors():
        folder, created = prepare_out_dir(out, ("bilbao2014.omex",), overwrite, option="DIR")
        with staged(folder, created) as stage:
            write_omex(stage, seed)
        Console().print(f"wrote {folder / 'bilbao2014.omex'}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
