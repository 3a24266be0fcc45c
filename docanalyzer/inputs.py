"""Reading notes from files, folders, stdin and JSONL, with a documented decoding fallback.

Every input item becomes exactly one ``NoteInput``: either text to analyze or a per-note error
(code + message without note text), so a batch never loses a document.

Decoding order: a BOM (UTF-32, UTF-8, UTF-16 LE/BE) decides (bytes invalid in that encoding become
U+FFFD); else UTF-16 without a BOM when the NUL bytes say so (every other byte NUL, strictly
decodable); else strict UTF-8; else cp1252; else latin-1 (which always succeeds). The encoding used
is recorded in the report (``input.encoding``). The BOM is not part of the text, so evidence
offsets count from the first character after it.

What is rejected, and how (see the README's "Robustness" section):

- known binary formats (PDF, Word/Office, ZIP, images, gzip, DICOM) and data with many NUL or
  control bytes: ``E002_BINARY_INPUT``;
- RTF exports, detected after decoding (so also behind a BOM or in UTF-16): ``E006_UNSUPPORTED_FORMAT``.
  RTF is not stripped to text: evidence offsets must point into what the user gave, and a
  stripped RTF has different offsets from the file;
- files over ``MAX_FILE_BYTES`` (and JSONL lines and stdin over it) are not read at all:
  ``E004_TOO_LARGE``; reads are bounded, so a device, FIFO or endless stream cannot exhaust memory;
- unreadable files (permission denied, broken symbolic links, vanished files), unreadable folders,
  folders without ``*.txt`` notes, JSONL files without records: ``E005_UNREADABLE``;
- JSONL lines that are not a JSON object with a string ``text``: ``E007_NOT_TEXT``; lines that are
  neither UTF-8 nor cp1252 JSON: ``E003_DECODE_FAILED``.

Lone surrogates (``"\\ud800"`` escapes in JSON) become U+FFFD one for one, so offsets are unchanged
and the report can always be written as UTF-8.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from docanalyzer.errors import ErrorCode

MAX_CHARS = 3_000_000
"""Notes longer than this (characters) get ``E004_TOO_LARGE`` instead of being analyzed."""
MAX_FILE_BYTES = 4 * MAX_CHARS
"""Files, stdin and JSONL lines larger than this (bytes) get ``E004_TOO_LARGE`` without being read."""
NOTE_SUFFIXES = (".txt",)

_BOMS = (  # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (  # signatures of binary formats that get sent instead of a text note
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (DOCX/XLSX/ODT?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office document (DOC/XLS)"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x1f\x8b", "gzip data"),
)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_SAMPLE = 8192


@dataclass(frozen=True)
class NoteInput:
    document_id: str
    text: str | None
    source: str | None = None
    encoding: str | None = None
    billed_code: str | None = None
    claim_type: Literal["professional", "facility"] | None = None  # None: the analyzer's default
    billed_dx: tuple[str, ...] | None = None  # the claim's ICD-10-CM codes; None: not given
    error_code: ErrorCode | None = None
    error_message: str | None = None
    provider: str | None = None  # where the note comes from (review queue filters and trends); not analyzed
    site: str | None = None
    service_date: str | None = None  # ISO date as given



def _error(document_id: str, source: str | None, code: ErrorCode, message: str) -> NoteInput:
    return NoteInput(document_id, None, source=source, error_code=code, error_message=message)


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (same length: offsets are unchanged)."""
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that can always be written as UTF-8: bytes of a file name that are not UTF-8
    (surrogate-escaped by the OS layer) appear as ``\\xNN``. Used for document ids and sources."""
    text = os.fspath(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return without_surrogates(text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode note bytes; returns (text, encoding used). Raises ValueError for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data if encoding == "utf-8-sig" else data[len(bom):]
            return body.decode(encoding, errors="replace"), encoding
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if _looks_binary(data):
        raise ValueError("binary")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _samples(data: bytes) -> list[bytes]:
    """The start, middle and end of ``data``: binary junk after a text header is still found."""
    if len(data) <= 3 * _SAMPLE:
        return [data]
    middle = len(data) // 2
    return [data[:_SAMPLE], data[middle : middle + _SAMPLE], data[-_SAMPLE:]]


def _looks_binary(data: bytes) -> bool:
    for sample in _samples(data):
        if not sample:
            continue
        if b"\x00" in sample and sample.count(b"\x00") > len(sample) // 100:
            return True
        controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
        if controls > len(sample) // 10:
            return True
    return False


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """Mostly-ASCII UTF-16 text without a BOM has a NUL in every other byte; decode it if so."""
    sample = data[:_SAMPLE]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) <= 0.01 * len(other):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            controls = sum(1 for ch in text[:_SAMPLE] if ord(ch) < 9 or 13 < ord(ch) < 32)
            return (text, encoding) if controls <= len(text[:_SAMPLE]) // 10 else None
    return None


def binary_kind(data: bytes) -> str | None:
    """A name for a known binary format (PDF, DOCX, images, ...), or None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[128:132] == b"DICM":
        return "DICOM image"
    return None


def is_rtf(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n")[:5] == "{\\rtf"


def _rtf_error(document_id: str, source: str | None, size: int) -> NoteInput:
    return _error(document_id, source, ErrorCode.UNSUPPORTED_FORMAT,
                  f"RTF export ({size} bytes): save or export the note as plain text (.txt) first")


def _read_bounded(handle: BinaryIO) -> bytes | None:
    """At most MAX_FILE_BYTES bytes; None when there is more (the rest is not read)."""
    data = handle.read(MAX_FILE_BYTES + 1)
    return None if len(data) > MAX_FILE_BYTES else data


def _too_large(document_id: str, source: str | None, size: int | None = None, what: str = "input") -> NoteInput:
    amount = f"{size} bytes" if size is not None else f"more than {MAX_FILE_BYTES} bytes"
    return _error(document_id, source, ErrorCode.TOO_LARGE, f"{what} is {amount}; the limit is {MAX_FILE_BYTES} bytes")


def read_note_file(path: Path, document_id: str | None = None) -> NoteInput:
    shown = display_path(path)
    doc_id = document_id or shown
    if path.is_symlink() and not path.exists():
        return _error(doc_id, shown, ErrorCode.UNREADABLE, "broken symbolic link")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # opening a FIFO with no writer blocks forever; a device or socket is no note. Only stdin
            # ('-') is read as a stream, because the user asked for it.
            return _error(doc_id, shown, ErrorCode.UNREADABLE,
                          f"not a regular file ({_file_kind(info.st_mode)}); pipe it to stdin with '-' instead")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            return _too_large(doc_id, shown, size, what="file")
        with path.open("rb") as handle:  # bounded: a file growing while read cannot blow up
            data = _read_bounded(handle)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _error(doc_id, shown, ErrorCode.UNREADABLE, f"cannot read file ({reason})")
    if data is None:
        return _too_large(doc_id, shown, what="file")
    return note_from_bytes(data, doc_id, shown)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a file"


def note_from_bytes(data: bytes, document_id: str, source: str | None) -> NoteInput:
    kind = binary_kind(data)
    if kind is not None:
        return _error(document_id, source, ErrorCode.BINARY_INPUT, f"{kind} ({len(data)} bytes), not a text note")
    if data.lstrip()[:5] == b"{\\rtf":
        return _rtf_error(document_id, source, len(data))
    try:
        text, encoding = decode_bytes(data)
    except ValueError:
        return _error(document_id, source, ErrorCode.BINARY_INPUT, f"binary data ({len(data)} bytes), not a text note")
    if is_rtf(text):
        return _rtf_error(document_id, source, len(data))
    return NoteInput(document_id, text, source=source, encoding=encoding)


def _jsonl_lines(handle: BinaryIO) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, decoded line or None, encoding or an error code value) for every line.

    A UTF-16/32 BOM at the start decodes the whole file; otherwise each line is UTF-8, else cp1252.
    Lines longer than MAX_FILE_BYTES are skipped without being held in memory."""
    start = handle.peek(4)[:4] if hasattr(handle, "peek") else b""
    wide = next(((bom, enc) for bom, enc in _BOMS if enc != "utf-8-sig" and start.startswith(bom)), None)
    if wide is not None:
        handle.read(len(wide[0]))
        yield from _wide_lines(io.TextIOWrapper(handle, encoding=wide[1], errors="replace", newline="\n"), wide[1])
    else:
        yield from _byte_lines(handle)


def _wide_lines(text_handle: io.TextIOWrapper, encoding: str) -> Iterator[tuple[int, str | None, str | None]]:
    """The lines of a file decoded as a whole (UTF-16/32, from its BOM)."""
    line_no = 0
    while line := text_handle.readline(MAX_FILE_BYTES + 1):
        line_no += 1
        if len(line) > MAX_FILE_BYTES and not line.endswith("\n"):
            while line and not line.endswith("\n"):
                line = text_handle.readline(1 << 20)
            yield line_no, None, ErrorCode.TOO_LARGE.value
            continue
        yield line_no, line, encoding


def _byte_lines(handle: BinaryIO) -> Iterator[tuple[int, str | None, str | None]]:
    """The lines of a file decoded one by one: UTF-8 (a BOM on the first is dropped), else cp1252."""
    line_no = 0
    while raw := handle.readline(MAX_FILE_BYTES + 1):
        line_no += 1
        if len(raw) > MAX_FILE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 20)
            yield line_no, None, ErrorCode.TOO_LARGE.value
            continue
        if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        yield line_no, *_decode_line(raw)


def _decode_line(raw: bytes) -> tuple[str | None, str]:
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None, ErrorCode.DECODE_FAILED.value


def _jsonl_records(path: Path) -> Iterator[NoteInput]:
    """One note per line: {"document_id": ..., "text": ..., "billed_code": ...}."""
    shown = display_path(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            yield _error(shown, shown, ErrorCode.UNREADABLE,
                         f"not a regular file ({_file_kind(mode)}); pipe it to stdin with '-' instead")
            return
        handle = path.open("rb")
    except OSError as exc:
        yield _error(shown, shown, ErrorCode.UNREADABLE, f"cannot read file ({exc.strerror})")
        return
    records = 0
    with handle:
        try:
            for line_no, line, encoding in _jsonl_lines(handle):
                fallback_id = f"{shown}:{line_no}"
                if line is None:
                    records += 1
                    if encoding == ErrorCode.TOO_LARGE.value:
                        yield _too_large(fallback_id, shown, what=f"line {line_no}")
                    else:
                        yield _error(fallback_id, shown, ErrorCode.DECODE_FAILED,
                                     f"line {line_no} is neither UTF-8 nor cp1252 text")
                    continue
                if not line.strip():
                    continue
                records += 1
                yield _jsonl_record(line, line_no, fallback_id, shown, encoding)
        except OSError as exc:
            records += 1
            yield _error(f"{shown}:read", shown, ErrorCode.UNREADABLE,
                         f"cannot read file ({exc.strerror or type(exc).__name__})")
    if not records:
        yield _error(shown, shown, ErrorCode.UNREADABLE, "JSONL file contains no records")


def _jsonl_record(line: str, line_no: int, fallback_id: str, source: str, encoding: str | None) -> NoteInput:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # JSONDecodeError, and a number too long to read as an int
        return _error(fallback_id, source, ErrorCode.NOT_TEXT, f"line {line_no} is not valid JSON")
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return _error(fallback_id, source, ErrorCode.NOT_TEXT, f"line {line_no} has no string field 'text'")
    raw_id = record.get("document_id") or record.get("id")
    doc_id = without_surrogates(str(raw_id)) if raw_id not in (None, "") else fallback_id
    text = without_surrogates(record["text"])
    if is_rtf(text):
        return _rtf_error(doc_id, source, len(text))
    billed = record.get("billed_code")
    claim = record.get("claim_type")
    if claim not in (None, "professional", "facility"):
        return _error(doc_id, source, ErrorCode.NOT_TEXT,
                      f"line {line_no}: claim_type must be 'professional' or 'facility'")
    billed_dx = parse_billed_dx(record.get("billed_dx"))
    if isinstance(billed_dx, str):
        return _error(doc_id, source, ErrorCode.NOT_TEXT, f"line {line_no}: {billed_dx}")
    return NoteInput(doc_id, text, source=source, encoding=encoding,
                     billed_code=without_surrogates(str(billed)) if billed else None, claim_type=claim,
                     billed_dx=billed_dx,
                     provider=_optional_text(record.get("provider")), site=_optional_text(record.get("site")),
                     service_date=_optional_text(record.get("service_date")))


MAX_BILLED_DX = 50
_DX_CODE = re.compile(r"^[A-Za-z0-9.]{1,10}$")


def parse_billed_dx(value: object) -> tuple[str, ...] | str | None:
    """A ``billed_dx`` field: a list of codes, or one string "M48.062,M54.16" -> a tuple of codes
    (None when absent); a problem -> its message (a str), which names no note text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [part for part in re.split(r"[,;\s]+", value) if part]
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return "billed_dx must be a list of ICD-10-CM code strings"
    codes = tuple(code.strip() for code in value if code.strip())
    if len(codes) > MAX_BILLED_DX or not all(_DX_CODE.match(code) for code in codes):
        return f"billed_dx holds at most {MAX_BILLED_DX} codes of letters, digits and dots"
    return codes


def _optional_text(value: object) -> str | None:
    """A JSONL record's optional label (provider, site, date), as short text, or None."""
    if value in (None, "") or isinstance(value, dict | list):
        return None
    return without_surrogates(str(value))[:256]


def _read_stdin() -> NoteInput:
    if sys.stdin is None:  # started with stdin closed ("<&-")
        return _error("stdin", "-", ErrorCode.UNREADABLE, "cannot read stdin (it is closed)")
    try:
        data = _read_bounded(sys.stdin.buffer)
    except OSError as exc:
        return _error("stdin", "-", ErrorCode.UNREADABLE, f"cannot read stdin ({exc.strerror or type(exc).__name__})")
    if data is None:
        return _too_large("stdin", "-")
    return note_from_bytes(data, "stdin", "-")


def iter_inputs(paths: list[str]) -> Iterator[NoteInput]:
    """Expand CLI paths (files, folders searched recursively for *.txt, '-' for stdin, *.jsonl)
    into notes, in a stable order. A path that yields nothing still yields one error item."""
    for raw in paths:
        if raw == "-":
            yield _read_stdin()
            continue
        path = Path(raw)
        shown = display_path(raw)
        if path.is_symlink() and not path.exists():
            yield _error(shown, shown, ErrorCode.UNREADABLE, "broken symbolic link")
        elif path.is_dir():
            found = False
            for child in _walk(path):
                found = True
                if isinstance(child, OSError):
                    folder = display_path(child.filename or raw)
                    reason = child.strerror or type(child).__name__
                    yield _error(folder, folder, ErrorCode.UNREADABLE, f"cannot read folder ({reason})")
                else:
                    yield read_note_file(child)
            if not found:
                yield _error(shown, shown, ErrorCode.UNREADABLE, "folder contains no *.txt notes")
        elif path.suffix == ".jsonl":
            yield from _jsonl_records(path)
        elif path.exists():
            yield read_note_file(path)
        else:
            yield _error(shown, shown, ErrorCode.UNREADABLE, "no such file or folder")


def _walk(folder: Path) -> Iterator[Path | OSError]:
    """Note files under ``folder`` in a stable order; a folder that cannot be listed yields its error
    where its notes would have been (nothing disappears silently)."""
    errors: list[OSError] = []
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        yield from errors
        errors.clear()
        dirs.sort()
        for name in sorted(files):
            if name.endswith(NOTE_SUFFIXES):
                yield Path(root) / name
    yield from errors


def count_inputs(paths: Iterable[str]) -> int | None:
    """How many notes ``iter_inputs(paths)`` will yield, cheaply (None when it cannot tell).

    Folders are walked for *.txt as ``iter_inputs`` does; *.jsonl files are counted by their
    non-blank lines (bytes only: nothing is parsed or decoded); stdin counts as one note.
    """
    total = 0
    for raw in paths:
        if raw == "-":
            total += 1
            continue
        path = Path(raw)
        try:
            if path.is_dir():
                found = sum(
                    1 for _root, _dirs, files in os.walk(path) for name in files if name.endswith(NOTE_SUFFIXES)
                )
                total += max(found, 1)
            elif path.suffix == ".jsonl" and path.is_file():
                with path.open("rb") as handle:
                    total += max(sum(1 for line in handle if line.strip()), 1)
            else:
                total += 1
        except OSError:
            total += 1
    return total
