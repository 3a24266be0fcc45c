"""Batch output files that survive a killed run, and ``--resume``.

While ``docanalyzer analyze ... -o FILE`` runs, results go to ``FILE.partial`` beside FILE: created
owner-only (0600), locked against a second run writing it, and flushed after every note. When the
batch ends, the partial file is fsynced and renamed to FILE in one step, so FILE is always a complete
output (or the previous run's): a killed run leaves only ``FILE.partial``, never a FILE that looks
complete. A run that fails with an exception keeps ``FILE.partial`` too (so it can be resumed).

``--resume`` reads the complete results of ``FILE.partial`` (a truncated last result is dropped),
checks that result *i* is for input *i* (same position, same ``document_id``), skips those inputs,
appends the results of the others and renames. Matching by position and id means a resumed output
has no duplicate and no gap and keeps input order; a partial file that does not match the inputs
(other inputs, another ``--format``, a damaged middle) is refused, and nothing is written.

Each kept result must be a valid report (the report schema for ``jsonl``/``json``, the worklist
columns' values for ``csv``): a line edited or replaced by hand is refused, never copied into the
final output. The options and inputs of the run that wrote ``FILE.partial`` are in
``FILE.partial.manifest``; ``--resume`` with other options (checklist, billed code, claim type,
screening, format, rules or version) or other inputs is refused, so no output mixes results made
two ways.

Formats that can be resumed: ``jsonl`` (one object per line), ``csv`` (a header, then one record per
note; quoted cells may span lines) and ``json`` (an array: ``[``, objects separated by ``,``, ``]``,
each top-level brace on a line of its own). ``text`` and ``html`` are written the same way but
cannot be resumed.

Everything here reads results, never note text, and its messages name files, positions and
document ids only.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from docanalyzer.output.atomic import fsync_folder

PARTIAL_SUFFIX = ".partial"
MANIFEST_SUFFIX = ".manifest"
MANIFEST_VERSION = 1
RESUMABLE_FORMATS = ("jsonl", "csv", "json")


class BatchError(Exception):
    """The output cannot be written or resumed (a usage error: exit 2, nothing analyzed)."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class DoneResult:
    """What a kept result says: whose it is, whether it failed, its score."""

    document_id: str
    failed: bool
    score: float


@dataclass(frozen=True)
class Partial:
    """The complete results at the start of a partial file."""

    results: tuple[DoneResult, ...]
    keep_bytes: int
    """Bytes of the file holding them (and the header); the rest is a torn tail, rewritten."""
    dropped_bytes: int = 0


def partial_path(output: Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + PARTIAL_SUFFIX)


def manifest_path(output: Path) -> Path:
    """``FILE.partial.manifest``: what produced ``FILE.partial`` (options, inputs, rules, version)."""
    partial = partial_path(output)
    return partial.with_name(partial.name + MANIFEST_SUFFIX)


# --- reading a partial file (pure functions over its lines) ---------------------------------------

def parse_partial(lines: Iterable[bytes], output_format: str, *, source: str = "partial file") -> Partial:
    """Parse the byte lines of a partial file (each ending in ``\\n`` except maybe the last)."""
    if output_format == "jsonl":
        return _parse_jsonl(lines, source)
    if output_format == "csv":
        return _parse_csv(lines, source)
    if output_format == "json":
        return _parse_json(lines, source)
    raise BatchError(f"--resume works with --format {', '.join(RESUMABLE_FORMATS)}, not {output_format}")


def _result(obj: Any, source: str, where: str) -> DoneResult:
    """A kept JSON result, validated against the report schema (a stub or an edited line is refused).
    The message names the invalid fields, never their values (they may quote note text)."""
    from pydantic import ValidationError

    from docanalyzer.report import Report

    if not isinstance(obj, dict) or not isinstance(obj.get("document_id"), str):
        raise BatchError(f"cannot resume: {where} of {source} is not a docanalyzer result")
    try:
        report = Report.model_validate(obj)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) or "(the result)" for error in exc.errors()})
        shown = ", ".join(fields[:5]) + (f" and {len(fields) - 5} more" if len(fields) > 5 else "")
        raise BatchError(f"cannot resume: {where} of {source} is not a valid docanalyzer result (invalid or "
                         f"missing: {shown}); it was edited or damaged: delete {source} to start over") from None
    return DoneResult(report.document_id, bool(report.errors), float(report.score))


def _corrupt(source: str, where: str, output_format: str) -> BatchError:
    return BatchError(
        f"cannot resume: {where} of {source} is not a complete {output_format} result (written with another "
        "--format, or damaged); delete it or run without --resume to start over"
    )


def _parse_jsonl(lines: Iterable[bytes], source: str) -> Partial:
    results: list[DoneResult] = []
    keep = dropped = 0
    for number, line in enumerate(lines, start=1):
        if not line.endswith(b"\n"):  # the last line, cut by the kill
            dropped = len(line)
            break
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise _corrupt(source, f"line {number}", "jsonl") from None
        results.append(_result(obj, source, f"line {number}"))
        keep += len(line)
    return Partial(tuple(results), keep, dropped)


def _parse_json(lines: Iterable[bytes], source: str) -> Partial:
    """``[`` / ``{`` ... ``},`` / ``{`` ... ``}`` / ``]``: top-level braces start their line. The kept
    part ends just after a result's closing brace: the writer adds ``,`` + newline before the next
    result and newline + ``]`` at the end."""
    results: list[DoneResult] = []
    keep = offset = 0
    buffer: list[bytes] = []
    for number, line in enumerate(lines, start=1):
        closing = line.rstrip(b"\r\n") in (b"}", b"},")
        if not line.endswith(b"\n") and not (buffer and closing):  # a cut line; only a final "}" is whole
            break
        line_start, offset = offset, offset + len(line)
        if number == 1:
            if line.strip() != b"[":
                raise _corrupt(source, "line 1", "json")
            continue
        if not buffer:
            if line.strip() == b"]":
                break
            if not line.startswith(b"{"):
                raise _corrupt(source, f"line {number}", "json")
        buffer.append(line)
        if closing:
            body = b"".join(buffer).rstrip().removesuffix(b",")
            try:
                obj = json.loads(body)
            except (ValueError, RecursionError):
                raise _corrupt(source, f"the result ending on line {number}", "json") from None
            results.append(_result(obj, source, f"the result ending on line {number}"))
            keep = line_start + 1
            buffer = []
    return Partial(tuple(results), keep if results else 0)


def _parse_csv(lines: Iterable[bytes], source: str) -> Partial:
    from docanalyzer.output.tabular import CSV_FIELDS

    consumed = [0, 0]  # lines, bytes handed to the csv reader so far

    def text_lines() -> Iterator[str]:
        for line in lines:
            if not line.endswith(b"\n"):
                return
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                raise _corrupt(source, f"line {consumed[0] + 1}", "csv") from None
            if consumed[0] == 0:
                text = text.removeprefix("\ufeff")
            consumed[0] += 1
            consumed[1] += len(line)
            yield text

    reader = csv.reader(text_lines(), strict=True)
    try:
        header = next(reader, None)
    except csv.Error:
        raise _corrupt(source, "the header", "csv") from None
    if header is None:
        return Partial((), 0)
    if header != CSV_FIELDS:
        raise _corrupt(source, "the header", "csv")
    index = {name: i for i, name in enumerate(header)}
    results: list[DoneResult] = []
    keep = consumed[1]
    while True:
        lines_before = consumed[0]
        try:
            row = next(reader, None)
        except csv.Error:  # a record cut inside a quoted cell: the torn tail
            break
        if row is None:
            break
        where = f"the record on line {lines_before + 1}"
        if len(row) != len(header):
            raise _corrupt(source, where, "csv")
        results.append(_csv_result(row, index, source, where))
        keep = consumed[1]
    return Partial(tuple(results), keep if results else 0)


def _csv_result(row: list[str], index: dict[str, int], source: str, where: str) -> DoneResult:
    """A kept CSV record whose cells hold what the writer writes (a status, a verdict, a score)."""
    from typing import get_args

    from docanalyzer.report import ProcedureStatus, Verdict

    try:
        score = float(row[index["score"]])
    except ValueError:
        score = -1.0
    if (not 0 <= score <= 100 or row[index["procedure_status"]] not in get_args(ProcedureStatus)
            or row[index["verdict"]] not in get_args(Verdict)):
        raise BatchError(f"cannot resume: {where} of {source} is not a valid docanalyzer result (its score, "
                         f"procedure_status or verdict is not one the writer writes); delete {source} to start over")
    return DoneResult(row[index["document_id"]], bool(row[index["errors"]]), score)


def tally(results: Iterable[DoneResult], fail_under: float | None = None) -> dict[str, int]:
    """Counts for the run's summary: analyzed, failed, below (--fail-under), as the CLI counts them."""
    counts = {"analyzed": 0, "failed": 0, "below": 0}
    for result in results:
        count_result(counts, failed=result.failed, score=result.score, fail_under=fail_under)
    return counts


def count_result(counts: dict[str, int], *, failed: bool, score: float, fail_under: float | None) -> None:
    """Add one result to the summary counts (shared by the CLI's live run and a resumed file)."""
    if failed:
        counts["failed"] += 1
        return
    counts["analyzed"] += 1
    if fail_under is not None and score < fail_under:
        counts["below"] += 1


def stored_id(document_id: str, output_format: str) -> str:
    """The document id as the output format stores it (CSV protects cells against formulas)."""
    if output_format == "csv":
        from docanalyzer.output.tabular import safe_cell

        return safe_cell(document_id)
    return document_id


def _short(value: str, limit: int = 80) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def skip_done(items: Iterable[Any], done: Iterable[DoneResult], output_format: str,
              *, source: str = "partial file") -> Iterator[Any]:
    """Consume (now, before anything is analyzed) the inputs that already have a result and
    return the rest. Raises ``BatchError`` when result i is not for input i."""
    iterator = iter(items)
    for position, result in enumerate(done, start=1):
        item = next(iterator, None)
        if item is None:
            raise BatchError(
                f"cannot resume: {source} holds more results than there are inputs ({position - 1}); "
                "these are not the inputs of that run"
            )
        if stored_id(item.document_id, output_format) != result.document_id:
            raise BatchError(
                f"cannot resume: result {position} in {source} is for {_short(result.document_id)} but input "
                f"{position} is {_short(item.document_id)}; these are not the inputs of that run (run without "
                "--resume to start over)"
            )
    return iterator


# --- writing --------------------------------------------------------------------------------------

def _lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory lock
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _lines(handle: Any) -> Iterator[bytes]:
    """The byte lines of a file, one at a time (memory holds one result, not the file)."""
    while True:
        line = handle.readline()
        if not line:
            return
        yield line


class BatchOutput:
    """``-o FILE``: write results to ``FILE.partial`` (owner-only, locked, flushed per note by the
    caller), rename to FILE when the batch ends; with ``resume=True`` keep its complete results.

    >>> out = BatchOutput(Path("out.jsonl"), "jsonl", resume=True)   # doctest: +SKIP
    >>> rest = out.skip_done(inputs)       # the inputs that still need a result
    >>> with out as handle:                # positioned after the kept results
    ...     for report in analyze(rest): handle.write(to_jsonl(report)); handle.flush()
    """

    def __init__(self, output: Path, output_format: str, *, resume: bool = False,
                 settings: Mapping[str, Any] | None = None) -> None:
        self.output = Path(output)
        self.partial = partial_path(self.output)
        self.manifest = manifest_path(self.output)
        self.settings = {"format": output_format, **settings} if settings is not None else None
        self.format = output_format
        self.kept: tuple[DoneResult, ...] = ()
        self._keep_bytes = 0
        self._handle: TextIO | None = None
        if resume and output_format not in RESUMABLE_FORMATS:
            raise BatchError(f"--resume works with --format {', '.join(RESUMABLE_FORMATS)}, not {output_format}")
        if self.output.is_dir():
            raise BatchError(f"cannot write {self.output}: it is a folder")
        # never through a link planted at FILE.partial: results quote note text (PHI)
        try:
            self._fd: int | None = _open_own(self.partial, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise BatchError(f"cannot write {self.partial} ({exc.strerror or type(exc).__name__})") from None
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(self._fd, 0o600)  # an older partial file may have wider permissions
            if not _lock(self._fd):
                raise BatchError(f"{self.partial} is being written by another docanalyzer run")
            if resume:
                with os.fdopen(os.dup(self._fd), "rb") as reader:
                    found = parse_partial(_lines(reader), output_format, source=str(self.partial))
                self.kept, self._keep_bytes = found.results, found.keep_bytes
                if self.kept and self.settings is not None:
                    check_manifest(self.manifest, self.settings, self.partial)
        except OSError as exc:
            self.close()
            raise BatchError(f"cannot use {self.partial} ({exc.strerror or type(exc).__name__})") from None
        except BaseException:
            self.close()
            raise

    def skip_done(self, items: Iterable[Any]) -> Iterator[Any]:
        """The inputs without a kept result (see ``skip_done``); closes the file on a mismatch."""
        try:
            return skip_done(items, self.kept, self.format, source=str(self.partial))
        except BaseException:
            self.close()
            raise

    def tally(self, fail_under: float | None = None) -> dict[str, int]:
        return tally(self.kept, fail_under)

    def __enter__(self) -> TextIO:
        if self._fd is None:
            raise BatchError(f"{self.partial} is closed")
        if self.settings is not None:
            write_manifest(self.manifest, self.settings)
        os.ftruncate(self._fd, self._keep_bytes)  # drops a torn tail (or everything, without --resume)
        os.lseek(self._fd, self._keep_bytes, os.SEEK_SET)
        self._handle = os.fdopen(self._fd, "w", encoding="utf-8", newline="")
        self._fd = None  # owned by the handle now
        return self._handle

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if exc_type is not None:
            empty = handle.tell() == 0 if not handle.closed else False
            handle.close()
            if empty:
                with contextlib.suppress(OSError):
                    os.unlink(self.partial)
            return  # keep the partial file: --resume continues it
        try:
            handle.flush()
            os.fsync(handle.fileno())
            if os.name == "nt":  # pragma: no cover - Windows cannot rename an open file
                handle.close()
            os.replace(self.partial, self.output)  # still locked while renamed (POSIX)
        finally:
            handle.close()
        if self.settings is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.manifest)
        fsync_folder(self.output.parent)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class StdoutOutput:
    """No ``-o``: results go to stdout as they come; nothing to resume."""

    kept: tuple[DoneResult, ...] = ()

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def skip_done(self, items: Iterable[Any]) -> Iterator[Any]:
        return iter(items)

    def tally(self, fail_under: float | None = None) -> dict[str, int]:
        return tally((), fail_under)

    def __enter__(self) -> TextIO:
        return self.stream

    def __exit__(self, *exc_info: object) -> None:
        return None


def _open_own(path: Path, flags: int) -> int:
    """Open (or create, owner-only) a file of ours, never through a symbolic link planted at ``path``,
    and refuse one that is not ours (``_refuse_foreign``). Other failures stay ``OSError``."""
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BatchError(f"refusing to write {path}: it is a symbolic link") from None
        raise
    try:
        _refuse_foreign(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refuse_foreign(fd: int, path: Path) -> None:
    """A partial file must be a plain file of ours with one name: not a device, not another user's
    file, not a hard link to a file elsewhere (writing would truncate and fill it)."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise BatchError(f"refusing to write {path}: it is not a regular file")
    if info.st_nlink > 1:
        raise BatchError(f"refusing to write {path}: it has other names (a hard link)")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise BatchError(f"refusing to write {path}: it belongs to another user")


def open_output(output: Path | None, output_format: str, *, resume: bool = False,
                stdout: TextIO | None = None, settings: Mapping[str, Any] | None = None) -> BatchOutput | StdoutOutput:
    """The CLI's output: ``BatchOutput`` for ``-o FILE``, stdout otherwise (``--resume`` needs a file)."""
    if output is None:
        if resume:
            raise BatchError("--resume needs --output FILE (the results so far are in FILE.partial)")
        return StdoutOutput(stdout)
    return BatchOutput(output, output_format, resume=resume, settings=settings)


# --- the manifest: what produced a partial file ---------------------------------------------------

SETTING_NAMES = {
    "format": "--format", "checklist": "--checklist", "billed_code": "--billed-code", "claim_type": "--claim-type",
    "screen": "--screen/--no-screen", "rules": "the rule files", "version": "the docanalyzer version",
    "inputs": "the inputs", "billed_dx": "--billed-dx", "diagnoses": "--diagnoses", "coverage": "--coverage",
}


def run_settings(*, checklist: str, billed_code: str | None, claim_type: str, screen: bool,
                 inputs: Iterable[str], billed_dx: list[str] | None = None, diagnoses: bool = False,
                 coverage: str | Path | None = None) -> dict[str, Any]:
    """What decides a run's results, as the manifest records it: the options, the rules (a hash of
    the shipped files, and of a checklist file given by path), the version, the inputs as absolute paths.
    The diagnosis options are recorded only when given (a run without them has the manifest it had)."""
    import hashlib

    from docanalyzer.resources import rules_fingerprint
    from docanalyzer.version import __version__

    checklist_ref = checklist
    with contextlib.suppress(OSError):
        if Path(checklist).is_file():
            content = Path(checklist).read_bytes()
            checklist_ref = f"{Path(checklist).resolve()}#sha256:{hashlib.sha256(content).hexdigest()[:16]}"
    settings = {
        "checklist": checklist_ref, "billed_code": billed_code, "claim_type": claim_type, "screen": screen,
        "rules": rules_fingerprint(), "version": __version__,
        "inputs": [item if item == "-" else os.path.abspath(item) for item in inputs],
    }
    if billed_dx:
        settings["billed_dx"] = list(billed_dx)
    if diagnoses:
        settings["diagnoses"] = True
    if coverage is not None:
        content = Path(coverage).read_bytes()
        settings["coverage"] = f"{Path(coverage).resolve()}#sha256:{hashlib.sha256(content).hexdigest()[:16]}"
    return settings


def write_manifest(path: Path, settings: Mapping[str, Any]) -> None:
    """Written beside the partial file (owner-only, never through a planted link) before any result."""
    fd = _open_own(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        data = json.dumps({"docanalyzer_manifest": MANIFEST_VERSION, "settings": dict(settings)}, indent=1)
        os.write(fd, data.encode("utf-8") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def check_manifest(path: Path, settings: Mapping[str, Any], partial: Path) -> None:
    """Refuse to resume a partial file written under other options or inputs than this run's."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as handle:
            recorded = json.loads(handle.read(1_000_000))["settings"]
    except FileNotFoundError:
        raise BatchError(f"cannot resume: {path} is missing; it records the options and inputs of the run that "
                         f"wrote {partial} (a run that wrote none cannot be continued safely); run without "
                         "--resume to start over") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise BatchError(f"cannot resume: {path} cannot be read as a manifest; run without --resume to start "
                         "over") from None
    differing = [key for key in SETTING_NAMES if recorded.get(key) != settings.get(key)] if isinstance(
        recorded, dict) else list(SETTING_NAMES)
    if differing:
        def shown(key: str) -> str:
            if key in ("inputs", "rules", "version"):
                return SETTING_NAMES[key]
            return f"{SETTING_NAMES[key]} (was {recorded.get(key)!r}, now {settings.get(key)!r})"

        raise BatchError(f"cannot resume: {partial} was written with other settings: "
                         f"{', '.join(shown(key) for key in differing)}; the output would mix results made two "
                         "ways. Run with the same options and inputs, or without --resume to start over")
