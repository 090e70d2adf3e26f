"""The ``tregsim`` command line (see the public contract, INTERFACE.md).

Exit codes: 0 done; 2 the input is wrong (one message naming file, field, value and what is
allowed; no traceback); 1 an internal error.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tregsim.protocol import ProtocolError, builtin_names, builtin_text, load_protocol

app = typer.Typer(
    name="tregsim", add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="tregsim: the in-silico laboratory for IGF-1 -> IGF1R -> Treg -> Teff -> myelin -> disability "
         "(mouse EAE and human RRMS).",
)
err = Console(stderr=True)


class InputError(Exception):
    """A user input problem outside a protocol file (e.g. an --out folder that holds results)."""


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"tregsim: error: {' '.join(message.split())}\n")  # one line, never wrapped
    raise typer.Exit(code)


@contextmanager
def _errors():
    """Map input problems to exit 2 with one line, anything unexpected to exit 1."""
    try:
        yield
    except (ProtocolError, InputError) as e:
        _fail(str(e), 2)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as e:  # noqa: BLE001 - the CLI's last line of defence
        _fail(f"internal error: {type(e).__name__}: {e} (please report it)", 1)


def _out_dir(out: Optional[Path], command: str, overwrite: bool) -> Path:
    """The results folder: ``--out``, or a new folder under ./tregsim-out/.  Never silently overwrites."""
    if out is None:
        base = Path("tregsim-out")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = base / f"{command}-{stamp}"
        k = 1
        while out.exists():
            k += 1
            out = base / f"{command}-{stamp}-{k}"
    elif out.exists() and not out.is_dir():
        raise InputError(f"--out: value '{out}' is a file; give a folder")
    elif (out / "summary.json").exists() and not overwrite:
        raise InputError(f"--out: value '{out}' already holds results (summary.json); "
                         "give a new folder or pass --overwrite")
    return out


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


OutOpt = Annotated[Optional[Path], typer.Option("--out", help="results folder (default: a new folder under ./tregsim-out/)")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="allow writing into a folder that already holds results")]


@app.command()
def simulate(
    protocol: Annotated[str, typer.Argument(help="a protocol YAML file or a built-in protocol name (see `tregsim protocols`)")],
    out: OutOpt = None,
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, help="seed of the subjects' random draws (default: the protocol's, else 0)")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Simulate a protocol: timecourse.csv, subjects.parquet, summary.json and report.html."""
    from tregsim.report.html import simulation_report
    from tregsim.simulate import simulate as run_sim

    with _errors():
        proto = load_protocol(protocol)
        folder = _out_dir(out, "simulate", overwrite)
        with _progress(proto.n_subjects, f"simulating {proto.n_subjects} subject(s)") as advance:
            result = run_sim(proto, seed=seed, progress=advance)
        result.write(folder)
        simulation_report(result, folder / "report.html")
        _print_metrics(result.metrics, folder, result.failures)


def _print_metrics(metrics: dict, folder: Path, failures: list) -> None:
    con = Console()
    for k, v in metrics.items():
        con.print(f"  {k:24s} {v:.4g}" if isinstance(v, float) else f"  {k:24s} {v}", highlight=False)
    if failures:
        err.print(f"[yellow]{len(failures)} subject(s) failed to solve; see summary.json 'failures' (with seeds)[/]")
    con.print(f"results in {folder}", highlight=False)


@app.command()
def reproduce(
    study: Annotated[str, typer.Argument(help="the study to reproduce: bilbao2014")],
    out: OutOpt = None,
    animals: Annotated[int, typer.Option("--animals", min=2, max=2000, help="seeded animals per experiment (>= 20 recommended; 40 keeps binomial noise on fractions near 0.06)")] = 40,
    seed: Annotated[int, typer.Option("--seed", min=0, help="seed of the animals' random draws")] = 1,
    overwrite: OverwriteOpt = False,
) -> None:
    """Reproduce a published study in silico under every named hypothesis: summary.json and report.html."""
    from tregsim.experiments import bilbao2014 as b14
    from tregsim.experiments.reproduce import STUDIES, reproduce_bilbao2014
    from tregsim.protocol import HYPOTHESES

    with _errors():
        if study not in STUDIES:
            raise InputError(f"reproduce: study '{study}' is not allowed; allowed: {', '.join(STUDIES)}")
        folder = _out_dir(out, "reproduce", overwrite)
        total = len(HYPOTHESES) * len(b14.EAE_EXPERIMENTS)
        with _progress(total, f"{study}: {len(HYPOTHESES)} hypotheses x {len(b14.EAE_EXPERIMENTS)} arms") as advance:
            result = reproduce_bilbao2014(animals=animals, seed=seed, progress=advance)
        result.write(folder)
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
    only: Annotated[Optional[str], typer.Option("--only", help="human_pk or mouse_eae (default: both)")] = None,
    max_evals: Annotated[Optional[int], typer.Option("--max-evals", min=1, help="least-squares evaluations per start (default: each fit's own; fewer gives a quick, unconverged look)")] = None,
    starts: Annotated[Optional[int], typer.Option("--starts", min=1, max=50, help="starts per fit (default: each fit's own; the first start is always the documented priors)")] = None,
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
            except (KeyError, ValueError) as e:
                raise InputError(f"{targets}: not a targets CSV ({e}); needed columns: id, system, quantity, value, "
                                 "low, high, unit, use, source, mark") from None
        folder = _out_dir(out, "calibrate", overwrite)
        sys.stderr.write("calibrating from the documented priors (human PK and glucose: minutes; mouse EAE: longer)\n")
        summary = run_calibration(folder, (only,) if only else FITS, max_nfev=max_evals, n_starts=starts)
        for name, fit in summary["fits"].items():
            costs = {k: v["cost"] for k, v in fit.items() if isinstance(v, dict) and "cost" in v}
            if "cost" in fit:
                costs = {"": fit["cost"]}
            for label, c in costs.items():
                c = c if isinstance(c, dict) else {"": c}
                Console().print(f"  {name} {label}: cost " + ", ".join(f"{k} {v:.4g}".strip() for k, v in c.items()),
                                highlight=False)
        Console().print(f"results in {folder}", highlight=False)


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
    """The main job on built-in defaults: seed study, dose translation, RRMS patients.

    Until the virtual-trial command exists this runs the best end-to-end job tregsim has: the seed
    study in silico under every hypothesis, the mouse-to-patient dose translation, and people with
    RRMS on label-range rhIGF-1, with one report.html.
    """
    from tregsim.main_job import run_main_job

    with _errors():
        folder = _out_dir(out, "run", overwrite)
        summary = run_main_job(folder, quick=quick, progress_factory=_progress)
        con = Console()
        for h, d in summary["bilbao2014"]["hypotheses"].items():
            con.print(f"  bilbao2014 {h:14s} targets {d['targets_met']}/{d['targets_total']}"
                      + (f"  missed: {', '.join(d['missed'])}" if d["missed"] else "  all met"), highlight=False)
        t = summary["dose_translation"]
        con.print(f"  dose translation: {t['matching_bid_mg_kg']:.3g} mg/kg SC twice daily matches the protective "
                  f"mouse free IGF-1 (glucose nadir {t['matching_bid_glucose_nadir_mmol_l']:.2f} mmol/L; "
                  f"P(glucose < 3.0) {t['matching_bid_p_glucose_below_3_mmol_l']:.2f})", highlight=False)
        m = summary["rrms"]["metrics"]
        con.print(f"  rrms-igf1-sc: ARR {m['annualized_relapse_rate']:.2f}, EDSS change {m['edss_change']:.2f} "
                  "(human readouts not yet calibrated)", highlight=False)
        con.print(f"report: {folder / 'report.html'}", highlight=False)


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object (INTERFACE keys) instead of a table")] = False,
    patients: Annotated[int, typer.Option("--patients", min=1, max=100000, help="virtual RRMS patients per case")] = 32,
    years: Annotated[float, typer.Option("--years", min=0.1, max=10, help="years simulated per patient")] = 2.0,
    scipy_patients: Annotated[int, typer.Option("--scipy-patients", min=1, help="patients through the slow scipy "
                              "loop (its throughput is measured on these)")] = 2,
    reference_patients: Annotated[int, typer.Option("--reference-patients", min=1, help="patients checked against "
                                  "a tight-tolerance reference (max_rel_error)")] = 2,
) -> None:
    """Engine vs libRoadRunner vs the scipy loop on the same RRMS patients, untreated and on IGF-1 SC q12h."""
    import json

    from tregsim.bench import run_bench

    with _errors():
        if scipy_patients > patients or reference_patients > patients:
            raise InputError(f"--scipy-patients/--reference-patients: values {scipy_patients}/{reference_patients} "
                             f"are not allowed; at most --patients ({patients})")
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


def _new_file(path: Path, overwrite: bool) -> Path:
    """A file to write: never silently overwrites, never into a missing folder."""
    if path.exists() and path.is_dir():
        raise InputError(f"FILE: value '{path}' is a folder; give a file name such as model.xml")
    if path.exists() and not overwrite:
        raise InputError(f"FILE: value '{path}' already exists; give a new file name or pass --overwrite")
    if not path.parent.exists():
        raise InputError(f"FILE: value '{path}': folder '{path.parent}' does not exist")
    return path


@export_app.command("sbml")
def export_sbml(
    file: Annotated[Path, typer.Argument(help="the SBML file to write (e.g. model.xml)")],
    protocol: Annotated[Optional[str], typer.Option("--protocol", help="a protocol YAML file or built-in name: its "
                        "doses, infusions, knockouts and that seed's immune triggers become SBML events")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, help="seed of the random draws (default: the "
                    "protocol's, else 0), as in `tregsim simulate`")] = None,
    subject: Annotated[int, typer.Option("--subject", min=0, help="which animal or patient of the protocol (0-based)")] = 0,
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
    out: Annotated[Path, typer.Argument(help="folder for bilbao2014.omex")],
    seed: Annotated[Optional[int], typer.Option("--seed", min=0, help="seed of the two animals (default: the "
                    "protocols' own, 1)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing bilbao2014.omex")] = False,
) -> None:
    """A COMBINE archive (SBML + SED-ML) of the seed study: vehicle vs IGF-1 EAE, one animal each."""
    from tregsim.exchange.omex import write_omex

    with _errors():
        if out.exists() and not out.is_dir():
            raise InputError(f"DIR: value '{out}' is a file; give a folder")
        if (out / "bilbao2014.omex").exists() and not overwrite:
            raise InputError(f"DIR: value '{out}' already holds bilbao2014.omex; give a new folder or pass --overwrite")
        path = write_omex(out, seed)
        Console().print(f"wrote {path}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
