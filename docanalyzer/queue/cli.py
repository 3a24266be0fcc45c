"""``docanalyzer queue list|show|decide|export|stats|demo``: the queue for people and scripts.

Exit codes: 0 done; 2 usage error (bad option, unknown note, database that cannot be opened);
5 conflict (the note changed since the version given with ``--expect-version``).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

EXIT_USAGE, EXIT_CONFLICT = 2, 5
DB_HELP = "Database URL: sqlite:///queue.db or postgresql+psycopg://user@host/db (or DOCANALYZER_QUEUE_DB)."
Db = Annotated[str, typer.Option("--db", envvar="DOCANALYZER_QUEUE_DB", help=DB_HELP)]

queue_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The pre-bill review queue (needs the queue extra). Exit codes: 0 done; 2 usage error "
                        "or database that cannot be opened; 5 conflict (the note changed since --expect-version).")


class Action(str, Enum):
    release = "release"
    hold = "hold"
    query_sent = "query_sent"
    comment = "comment"


class ExportWhat(str, Enum):
    decisions = "decisions"
    notes = "notes"
    trends = "trends"


class ExportFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


def fail(message: str) -> typer.Exit:
    from docanalyzer.output.terminal import printable

    typer.echo(f"docanalyzer: error: {printable(message)}", err=True)
    return typer.Exit(EXIT_USAGE)


def open_store(db: str, *, keep_text: bool = True):
    """The store, or one line on stderr and exit 2 (never the URL: it may hold a password)."""
    try:
        from docanalyzer.queue.store import QueueStore
    except ImportError as exc:
        raise fail(str(exc)) from None
    try:
        return QueueStore.open(db, keep_text=keep_text)
    except Exception as exc:  # a bad URL, an unreachable server, a database we may not write
        raise fail(f"cannot open the queue database ({type(exc).__name__})") from None


@contextmanager
def _store(db: str):
    store = open_store(db)
    try:
        yield store
    finally:
        store.close()


def _pk(store, document: str) -> int:
    """A note by its document id, or by its queue number written ``#12``."""
    if document.startswith("#") and document[1:].isdigit():
        return int(document[1:])
    pk = store.find(document)
    if pk is None:
        raise fail(f"no note {document!r} in the queue")
    return pk


@queue_app.command("list", help="The worklist, sorted by what blocks billing.")
def list_notes(
    db: Db,
    verdict: Annotated[str | None, typer.Option(help="complete, needs_query, deficient, needs_review, ...")] = None,
    missing: Annotated[str | None, typer.Option(help="A required element missing or incomplete.")] = None,
    severity: Annotated[str | None, typer.Option(help="Code-review finding at least: info, warning, error.")] = None,
    state: Annotated[str | None, typer.Option(help="open, held, query_sent, released.")] = None,
    provider: Annotated[str | None, typer.Option()] = None,
    site: Annotated[str | None, typer.Option()] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: Annotated[bool, typer.Option("--jsonl", help="One JSON object per note.")] = False,
) -> None:
    import dataclasses

    from docanalyzer.output.terminal import printable
    from docanalyzer.queue.pages import parse_filters

    filters = parse_filters({"verdict": verdict, "missing": missing, "severity": severity, "state": state,
                             "provider": provider, "site": site, "date_from": date_from, "date_to": date_to})
    with _store(db) as store:
        found = store.page(filters, page=page, per_page=per_page)
    for row in found.rows:
        if as_json:
            typer.echo(json.dumps(dataclasses.asdict(row), ensure_ascii=False))
        else:
            gaps = ", ".join(row.gaps) or "-"
            typer.echo(f"#{row.pk:<6} {row.state:<10} {row.verdict:<14} {row.score:>5g}  {row.severity:<7} "
                       f"v{row.version:<3} {printable(row.document_id)}  [{printable(gaps)}]")
    if not as_json:
        typer.echo(f"{found.total} notes, page {found.page} of {found.pages}", err=True)


@queue_app.command(help="One note: state, version, verdict, gaps, analyses and the audit trail.")
def show(db: Db, document: Annotated[str, typer.Argument(help="Document id, or #N (queue number).")],
         as_json: Annotated[bool, typer.Option("--json", help="Everything as JSON, the report included.")] = False,
         ) -> None:
    import dataclasses

    from docanalyzer.output.terminal import printable

    with _store(db) as store:
        detail = store.note(_pk(store, document))
    if as_json:
        out = {k: v for k, v in dataclasses.asdict(detail).items() if k not in ("report", "text")}
        typer.echo(json.dumps({**out, "report": detail.report.model_dump(mode="json")}, ensure_ascii=False))
        return
    report = detail.report
    typer.echo(f"#{detail.pk} {printable(detail.document_id)}")
    typer.echo(f"  state {detail.state}  version {detail.version}  verdict {report.verdict}  score {report.score:g}")
    typer.echo(f"  provider {printable(detail.provider or '-')}  site {printable(detail.site or '-')}  "
               f"date {detail.note_date}")
    typer.echo(f"  not documented: {', '.join(report.missing_elements) or '-'}")
    for a in detail.analyses:
        typer.echo(f"  analysis v{a.version} {a.created_at} {a.verdict} {a.score:g} ({a.analyzer_version}, "
                   f"{a.checklist}, rules {a.rules_version})")
    for d in detail.decisions:
        comment = f": {printable(d.comment)}" if d.comment else ""
        typer.echo(f"  {d.created_at} {printable(d.user)} {d.action} ({d.previous_state} -> {d.new_state}, "
                   f"on v{d.document_version}){comment}")


@queue_app.command(help="Record a decision: release, hold, query_sent or comment. Exit 5 on a conflict.")
def decide(
    db: Db,
    document: Annotated[str, typer.Argument(help="Document id, or #N (queue number).")],
    action: Annotated[Action, typer.Argument()],
    comment: Annotated[str | None, typer.Option(help="Why (kept in the audit trail).")] = None,
    user: Annotated[str | None, typer.Option(help="Who decides (default: your login name).")] = None,
    expect_version: Annotated[int | None, typer.Option(
        help="The version you reviewed (queue show): refuse if the note changed since.")] = None,
) -> None:
    from docanalyzer.queue.security import local_user
    from docanalyzer.queue.store import Conflict, QueueError

    with _store(db) as store:
        pk = _pk(store, document)
        try:
            record = store.decide(pk, action.value, user=user or local_user(), comment=comment,
                                  expected_version=expect_version)
        except Conflict as exc:
            typer.echo(f"docanalyzer: {exc}", err=True)
            raise typer.Exit(EXIT_CONFLICT) from None
        except QueueError as exc:
            raise fail(str(exc)) from None
    typer.echo(f"#{pk} {record.previous_state} -> {record.new_state} by {record.user} (now version "
               f"{record.document_version + 1})")


def _by(value: str) -> tuple[str, ...]:
    from docanalyzer.queue.trends import GROUPS

    by = tuple(part.strip() for part in value.split(",") if part.strip())
    if not by or any(part not in GROUPS for part in by):
        raise fail(f"--by takes one or more of {', '.join(GROUPS)}, comma-separated")
    return by


@queue_app.command(help="Export the audit trail, the notes or the trends as CSV or JSONL.")
def export(
    db: Db,
    what: Annotated[ExportWhat, typer.Option(help="decisions (the audit trail), notes or trends.")] = (
        ExportWhat.decisions),
    output_format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default: stdout).")] = None,
    by: Annotated[str, typer.Option(help="Trends: group by these, comma-separated.")] = "provider,site,month",
) -> None:
    from docanalyzer.queue.export import rows, write_csv, write_jsonl

    groups = _by(by)
    write = write_csv if output_format is ExportFormat.csv else write_jsonl
    with _store(db) as store:
        if output is None:
            write(sys.stdout, rows(store, what.value, groups))
            return
        from docanalyzer.output.atomic import atomic_writer

        with atomic_writer(output) as handle:
            count = write(handle, rows(store, what.value, groups))
    typer.echo(f"docanalyzer: {count} rows written to {output}", err=True)


@queue_app.command(help="Trends: per provider, site and month, the share of complete notes and the elements most "
                   "often missing.")
def stats(db: Db, by: Annotated[str, typer.Option(help="Group by these, comma-separated.")] = "provider,site,month",
          ) -> None:
    from docanalyzer.output.terminal import printable
    from docanalyzer.queue.trends import trends

    groups = _by(by)
    with _store(db) as store, store.session() as session:
        found = trends(session, groups)
    typer.echo("  ".join(f"{g:<16}" for g in groups) + "  notes  scored  complete  share  most often missing")
    for row in found:
        share = f"{100 * row.share_complete:.0f}%" if row.share_complete is not None else "-"
        keys = "  ".join(f"{printable(str(v or '-')):<16}" for v in row.key)
        missing = "; ".join(f"{e} ({n})" for e, n in row.top_missing) or "-"
        typer.echo(f"{keys}  {row.notes:>5}  {row.scored:>6}  {row.complete:>8}  {share:>5}  {missing}")


@queue_app.command(help="Start the queue on SQLite with the sample notes enqueued, and print its URL.")
def demo(
    db: Annotated[str, typer.Option("--db", help=DB_HELP)] = "sqlite:///queue.db",
    notes: Annotated[list[str] | None, typer.Option("--enqueue", help="Notes to enqueue.")] = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    user: Annotated[str | None, typer.Option(help="Who decides in this local session.")] = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="--no-serve: enqueue, print, exit.")] = True,
) -> None:
    paths = notes or ["sample_notes"]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise fail(f"{missing[0]} not found (run from the docanalyzer checkout, or pass --enqueue NOTES)")
    start_queue(db=db, user=user, keep_text=True, enqueue=paths, host=host, port=port, serve=serve)


def start_queue(*, db: str, user: str | None, keep_text: bool, enqueue: list[str], host: str, port: int,
                serve: bool = True, workers: int = 1, log_level: str = "info") -> None:
    """Migrate, enqueue, print the URL, then run the service with the queue (``serve --db`` too)."""
    try:
        from docanalyzer.queue.launch import prepare, queue_url
    except ImportError as exc:
        raise fail(str(exc)) from None
    open_store(db).close()  # one clear line if the database cannot be opened
    result = prepare(db, user=user, keep_text=keep_text, enqueue=enqueue)
    if enqueue:
        typer.echo(f"docanalyzer: enqueued {result.documents} new notes, {result.versions} new analyses, "
                   f"{result.unchanged} unchanged", err=True)
    typer.echo(f"Review queue: {queue_url(host, port)}")
    if not serve:
        return
    try:
        from docanalyzer.service.run import run_server

        run_server(host=host, port=port, workers=workers, log_level=log_level.lower())
    except (ImportError, ValueError) as exc:
        raise fail(str(exc)) from None
