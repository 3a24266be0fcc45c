"""The ``docanalyzer`` command: a thin layer that parses arguments, calls the library, prints.

Exit codes (also in --help and the README):
  0  every note was analyzed (and met --fail-under, when given)
  1  some notes scored below --fail-under
  2  usage or configuration error (bad option, checklist or rule file); nothing was analyzed
  3  some notes could not be analyzed (unreadable, empty, binary, too large...); see their errors
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from docanalyzer.errors import RuleFileError
from docanalyzer.metamorphic_cli import register as register_metamorphic
from docanalyzer.output.terminal import printable
from docanalyzer.queue.cli import queue_app

EXIT_OK, EXIT_BELOW_THRESHOLD, EXIT_USAGE, EXIT_INPUT_ERRORS, EXIT_OUTPUT = 0, 1, 2, 3, 4

EXIT_CODES_HELP = (
    "Exit codes: 0 all notes analyzed (and met --fail-under); 1 some notes below --fail-under; "
    "2 usage or configuration error; 3 some notes could not be analyzed; 4 the output could not be written "
    "(disk full, closed stream; with -o the .partial is kept for --resume)."
)

def _version(show: bool) -> None:
    if show:
        from docanalyzer.version import __version__

        typer.echo(f"docanalyzer {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Check procedure notes for the documentation a coding auditor needs (CPT 62302-62305 family). "
    + EXIT_CODES_HELP,
)
register_metamorphic(app)
app.add_typer(queue_app, name="queue")


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Check procedure notes for the documentation a coding auditor needs."""


class ClaimTypeOption(str, Enum):
    professional = "professional"
    facility = "facility"


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    html = "html"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"docanalyzer: error: {printable(message)}", err=True)
    return typer.Exit(EXIT_USAGE)


@app.command(help="Analyze notes: files, folders (*.txt, recursively), *.jsonl records, or - for stdin. "
             + EXIT_CODES_HELP)
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, *.jsonl, FHIR *.json, or - for stdin.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout: to FILE.partial (owner-only) "
                                  "while running, renamed to FILE when the batch ends.")
    ] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="With -o FILE: keep the results in FILE.partial left by a killed run and analyze only the "
        "remaining inputs (jsonl, csv, json).")] = False,
    checklist: Annotated[str, typer.Option(
        help="auto (the billed code's checklist, else the supported code's), a built-in id, or a file.")] = "auto",
    billed_code: Annotated[str | None, typer.Option(help="Code on the claim, e.g. 62304 or 62304-53.")] = None,
    claim_type: Annotated[ClaimTypeOption, typer.Option(
        "--claim-type", help="professional (the physician's claim) or facility (hospital outpatient, ASC): a "
        "discontinued procedure is 53 on the first, 73/74 on the second. A JSONL record's claim_type wins.")] = (
        ClaimTypeOption.professional),
    fail_under: Annotated[
        float | None, typer.Option(help="Exit 1 if any analyzed note scores below this (0-100).", min=0, max=100)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    bom: Annotated[bool, typer.Option("--bom", help="CSV: start with a UTF-8 byte order mark (for Excel).")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (results stay in input order).", min=1)] = 1,
    screen: Annotated[bool, typer.Option(
        "--screen/--no-screen", help="Skip full analysis of notes with no myelogram/intrathecal/contrast cue.")] = True,
    billed_dx: Annotated[str | None, typer.Option(
        "--billed-dx", help="ICD-10-CM diagnosis codes on the claim, comma-separated (M48.062,M54.16): each is "
        "checked against the code set and the note. A JSONL record's billed_dx wins.")] = None,
    diagnoses: Annotated[bool, typer.Option(
        "--diagnoses", help="Review ICD-10-CM diagnoses on every note (suggested codes with evidence), not only "
        "on notes with billed diagnoses.")] = False,
    coverage: Annotated[Path | None, typer.Option(
        "--coverage", help="Covered-diagnosis list (YAML, patterns/coverage/myelography.yaml format; default: "
        "that illustrative list).", exists=True, dir_okay=False)] = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="Also store every result in the review queue at this database URL (sqlite:///queue.db, "
        "postgresql+psycopg://...; needs the queue extra). Outputs and exit codes stay the same.")] = None,
) -> None:
    from collections import deque

    from docanalyzer.inputs import count_inputs, parse_billed_dx
    from docanalyzer.output.terminal import progress_bar, progress_enabled
    from docanalyzer.partial_output import count_result

    dx_codes = parse_billed_dx(billed_dx)
    if isinstance(dx_codes, str):
        raise _fail(f"--billed-dx: {dx_codes}")
    analyzer = _analyzer(checklist, screen, claim_type.value, diagnoses=diagnoses, coverage=coverage)
    sink = _queue_sink(db)
    if output is None and sys.stdout is None:  # started with stdout closed (">&-")
        _say("docanalyzer: error: cannot write the results: standard output is closed (use -o FILE)")
        raise typer.Exit(EXIT_OUTPUT)
    show_progress = progress_enabled(sys.stderr, quiet=quiet)
    progress = progress_bar(count_inputs(paths) if show_progress else None, enabled=show_progress)
    same_terminal = output is None and sys.stdout.isatty()  # erase the bar before printing results
    texts: deque[str | None] = deque()  # HTML shows each note's text; reports come back in input order
    target, inputs = _open_target(paths, output, output_format, resume, texts,
                                  settings={"checklist": checklist, "billed_code": billed_code,
                                            "claim_type": claim_type.value, "screen": screen,
                                            "billed_dx": list(dx_codes) if dx_codes else None,
                                            "diagnoses": diagnoses, "coverage": coverage})
    inputs = sink.track(inputs)
    counts = {"analyzed": 0, "failed": 0, "below": 0}
    for key, value in target.tally(fail_under).items():
        counts[key] += value
    try:
        with target as handle, progress, sink:
            progress.update(len(target.kept))
            writer = _writer(output_format, handle, resumed=bool(target.kept), output=output, bom=bom,
                             texts=texts, query_threshold=analyzer.checklist.verdicts.query_threshold)
            for report in analyzer.analyze_many(inputs, billed_code=billed_code, n_process=workers,
                                                billed_dx=list(dx_codes) if dx_codes else None):
                count_result(counts, failed=bool(report.errors), score=report.score, fail_under=fail_under)
                if same_terminal:
                    progress.clear()
                writer.add(report)
                sink.add(report)
                handle.flush()
                progress.update()
            progress.close()
            writer.finish()
    except OSError as exc:  # disk full, a closed or full stream: one line, a documented code, nothing lost
        kept = f"; {output}.partial is kept for --resume" if output is not None else ""
        _say(f"docanalyzer: error: cannot write the results ({exc.strerror or type(exc).__name__}){kept}")
        raise typer.Exit(EXIT_OUTPUT) from None
    except KeyboardInterrupt:  # Typer exits 130 (silently): say where the results are
        _say(INTERRUPTED)
        raise
    _end_of_run(counts, quiet=quiet, fail_under=fail_under, kept=len(target.kept), output=output)


def _analyzer(checklist: str, screen: bool, claim_type: str, *, diagnoses: bool = False,
              coverage: Path | None = None):
    from docanalyzer.heap import long_lived

    with long_lived("modules"):  # (spaCy, medspaCy, the rules' models: loaded for the process, see heap.py)
        from docanalyzer.analyzer import Analyzer

    try:
        return Analyzer(checklist, screen=screen, claim_type=claim_type, diagnoses=diagnoses, coverage=coverage)
    except RuleFileError as exc:
        raise _fail(exc.message) from None


def _queue_sink(db: str | None):
    """Where ``--db`` stores results as they are written (a sink that does nothing without it)."""
    from docanalyzer.queue.ingest import NullSink

    if db is None:
        return NullSink()
    from docanalyzer.queue.cli import open_store
    from docanalyzer.queue.ingest import QueueSink

    return QueueSink(open_store(db))


def _open_target(paths: list[str], output: Path | None, output_format: OutputFormat, resume: bool, texts,
                 settings: dict):
    """The output (``-o FILE``: FILE.partial while running, renamed at the end; ``--resume`` keeps its
    complete results) and the inputs still to analyze."""
    from docanalyzer.inputs import iter_inputs
    from docanalyzer.integrations.fhir import expand_fhir_inputs
    from docanalyzer.partial_output import BatchError, open_output, run_settings

    inputs = expand_fhir_inputs(paths, iter_inputs)  # *.fhir.json / FHIR *.json: one note per DocumentReference
    if output_format is OutputFormat.html:
        inputs = _remember_texts(inputs, texts)
    try:
        recorded = run_settings(inputs=paths, **settings) if output is not None else None  # (-o only: the manifest)
        target = open_output(output, output_format.value, resume=resume, stdout=sys.stdout, settings=recorded)
        return target, target.skip_done(inputs)
    except BatchError as exc:
        raise _fail(exc.message) from None


def _writer(output_format: OutputFormat, handle: TextIO, *, resumed: bool, output: Path | None, bom: bool, texts,
            query_threshold: float | None):
    import os

    from docanalyzer.output import writers

    if output_format is OutputFormat.text:
        colour = output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        return writers.TextWriter(handle, resumed=resumed, colour=colour)
    if output_format is OutputFormat.html:
        return writers.HtmlWriter(handle, resumed=resumed, texts=texts, query_threshold=query_threshold, output=output)
    if output_format is OutputFormat.csv:
        return writers.CsvWriter(handle, resumed=resumed, bom=bom)
    if output_format is OutputFormat.json:
        return writers.JsonWriter(handle, resumed=resumed)
    return writers.FormatWriter(handle, resumed=resumed)


def _end_of_run(counts: dict[str, int], *, quiet: bool, fail_under: float | None, kept: int,
                output: Path | None) -> None:
    """The summary line on stderr and the exit code the counts call for."""
    if not quiet:
        below = f", {counts['below']} below {fail_under:g}" if fail_under is not None else ""
        resumed = f" ({kept} kept from {output}.partial)" if kept else ""
        typer.echo(f"docanalyzer: {counts['analyzed']} analyzed, {counts['failed']} failed{below}{resumed}", err=True)
    if counts["failed"]:
        raise typer.Exit(EXIT_INPUT_ERRORS)
    if counts["below"]:
        raise typer.Exit(EXIT_BELOW_THRESHOLD)

def _say(message: str) -> None:
    """A line on stderr that cannot itself fail (stderr may be closed too)."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(printable(message) + "\n")
    except OSError:
        pass


def _remember_texts(items, texts):
    """Pass notes through, keeping each text until its report comes back (--format html)."""
    for item in items:
        texts.append(item.text)
        yield item


@app.command(help="Print the JSON Schema of the report (one object per note).")
def schema() -> None:
    from docanalyzer.report import Report

    typer.echo(json.dumps(Report.model_json_schema(), indent=2))


@app.command(help="List the built-in checklists.")
def checklists() -> None:
    from docanalyzer.checklist import load_checklist
    from docanalyzer.resources import builtin_checklist_ids

    for checklist_id in builtin_checklist_ids():
        spec = load_checklist(checklist_id)
        typer.echo(f"{spec.id}\t{spec.version}\t{spec.title}")


@app.command(help="Show every rule match in a note with its section and ConText assertion (for rule authors); "
                  "--procedure shows the procedure decision: signals, weights, sentences and thresholds.")
def explain(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    procedure: Annotated[bool, typer.Option("--procedure", help="Explain the procedure decision only.")] = False,
) -> None:
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.inputs import read_note_file
    from docanalyzer.normalize import normalize
    from docanalyzer.resolve.mentions import build_view

    item = read_note_file(path)
    if item.text is None:
        raise _fail(f"{item.error_code.value if item.error_code else ''}: {item.error_message}")
    analyzer = Analyzer()
    if procedure:
        typer.echo(explain_procedure(analyzer.analyze_input(item), item.text))
        return
    doc = analyzer.nlp.make_doc(normalize(item.text))
    analyzer.component.annotate(doc)
    view = build_view(doc)
    for section in view.sections:
        typer.echo(f"section {section.category or '-':<24} chars {section.start}-{section.end}")
    for m in view.mentions:
        typer.echo(f"{m.start:>6}-{m.end:<6} {m.label:<22} {m.assertion:<14} {m.section or '-':<14} {m.text!r}")


def explain_procedure(report, text: str) -> str:
    """The procedure decision of one report as a table: signal, weight, line, section, evidence."""
    decision = report.procedure_decision
    lines = [f"procedure_status: {report.procedure_status}   verdict: {report.verdict}"]
    if decision is None:
        return "\n".join([*lines, "no decision: the note has no procedure cue at all (screened out)"])
    lines.append(f"score {decision.score:g}   done at >= {decision.done_threshold:g}   "
                 f"uncertain at >= {decision.uncertain_threshold:g}")
    for signal in decision.signals:
        for index, ev in enumerate(signal.evidence or [None]):
            head = f"{signal.id:<22}{signal.weight:>+7.2f}  " if index == 0 else " " * 31
            line = text.count("\n", 0, ev.start) + 1 if ev else 0
            where = f"line {line:<4} [{ev.section or '-'}] {ev.text[:60]!r}" if ev else ""
            lines.append(head + where)
    lines += [f"- {reason}" for reason in decision.reasons]
    return "\n".join(lines)


@app.command(help="Evaluate against annotated notes (NAME.txt + NAME.gold.json) and print the figures.")
def evaluate(
    gold_dir: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    aggregate: Annotated[bool, typer.Option(
        "--aggregate", help="Figures and error categories only, no note names or text (for eval/heldout).")] = False,
) -> None:
    from docanalyzer.evaluation import aggregate_only, evaluate_corpus, render_table

    result = evaluate_corpus(gold_dir, anonymous=aggregate)
    if output_format == "json":
        text = json.dumps(aggregate_only(result) if aggregate else result, indent=2)
    else:
        text = render_table(result, aggregate=aggregate)
    if output is None:
        typer.echo(text)
    else:
        from docanalyzer.output.atomic import atomic_writer

        with atomic_writer(output) as handle:
            handle.write(text + "\n")


@app.command(help="Count notes of a JSONL corpus (MTSamples format) reported as a myelogram performed.")
def specificity(
    corpus: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    expected: Annotated[list[str], typer.Option(help="Ids that truly document a myelogram.")] = [],  # noqa: B006
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    from docanalyzer.evaluation import performed_scan

    result = performed_scan(corpus, set(expected))
    if output_format == "json":
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(f"notes: {result['notes']}  reported performed: {result['reported_performed']}")
        typer.echo(f"expected found: {result['expected_found']}  false positives: {result['false_positives']}")


@app.command(help="Run the HTTP service (needs the server extra): POST /v1/analyze, /v1/analyze/batch, "
             "/v1/analyze/fhir; OpenAPI at /openapi.json. Bound to loopback by default; set DOCANALYZER_API_TOKEN "
             "to require a bearer token.")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=0, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes, each with its own pipeline.", min=1)] = 1,
    log_level: Annotated[str, typer.Option(help="critical, error, warning, info or debug.")] = "info",
    db: Annotated[str | None, typer.Option(
        "--db", help="Serve the review queue from this database URL: /queue (the auditor's page) and /v1/queue "
        "(needs the queue extra).")] = None,
    user: Annotated[str | None, typer.Option(
        help="With --db and no token: who decides in this local session (default: your login name); with "
        "DOCANALYZER_API_TOKEN: the user that token belongs to.")] = None,
    enqueue: Annotated[list[str] | None, typer.Option(
        "--enqueue", help="With --db: analyze and queue these notes before serving.")] = None,
    keep_text: Annotated[bool, typer.Option(
        "--keep-text/--hash-only", help="With --db: store note text (default) or only its hash and offsets.")] = True,
) -> None:
    if db is not None:
        from docanalyzer.queue.cli import start_queue

        start_queue(db=db, user=user, keep_text=keep_text, enqueue=enqueue or [], host=host, port=port,
                    workers=workers, log_level=log_level)
        return
    try:
        from docanalyzer.service.run import run_server

        run_server(host=host, port=port, workers=workers, log_level=log_level.lower())
    except (ImportError, ValueError) as exc:
        raise _fail(str(exc)) from None


def main() -> None:
    import os

    try:
        os.getcwd()
    except FileNotFoundError:  # spaCy reads the working directory when it loads: say so, no traceback
        _say("docanalyzer: error: the working directory no longer exists; cd to an existing folder and run again")
        raise SystemExit(EXIT_USAGE) from None
    from docanalyzer import interrupts

    interrupts.install()
    try:
        app()
    except KeyboardInterrupt:  # (Ctrl-C outside click's own handling)
        _say(INTERRUPTED)
        raise SystemExit(130) from None
    except interrupts.Terminated:
        _say(INTERRUPTED.replace("interrupted", "terminated"))
        _exit_now(143)


INTERRUPTED = "docanalyzer: interrupted; with -o FILE the results so far are in FILE.partial for --resume"


def _exit_now(code: int) -> None:
    """After SIGTERM: the output file is closed (its ``with`` block has run); workers ended by the same
    signal may have left the pool's reader waiting on a torn message, which a normal exit would join."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
