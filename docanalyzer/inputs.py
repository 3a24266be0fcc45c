"""Reading notes from files, folders, stdin and JSONL, with a documented decoding fallback.

Every input item becomes exactly one ``NoteInput``: either text to analyze or a per-note error
(code + message without note text), so a batch never loses a document.

Decoding order: a BOM (UTF-8, UTF-16 LE/BE) decides; else strict UTF-8; else cp1252; else
latin-1 (which always succeeds). The encoding used is recorded in the report.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docanalyzer.errors import ErrorCode

MAX_CHARS = 3_000_000
"""Notes longer than this (characters) get ``E004_TOO_LARGE`` instead of being analyzed."""
MAX_FILE_BYTES = 4 * MAX_CHARS
NOTE_SUFFIXES = (".txt",)


@dataclass(frozen=True)
class NoteInput:
    document_id: str
    text: str | None
    source: str | None = None
    encoding: str | None = None
    billed_code: str | None = None
    error_code: ErrorCode | None = None
    error_message: str | None = None


def _error(document_id: str, source: str | None, code: ErrorCode, message: str) -> NoteInput:
    return NoteInput(document_id, None, source=source, error_code=code, error_message=message)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode note bytes; returns (text, encoding used). Raises ValueError for binary data."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    if _looks_binary(data):
        raise ValueError("binary")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample and sample.count(b"\x00") > len(sample) // 100:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 10


def read_note_file(path: Path, document_id: str | None = None) -> NoteInput:
    doc_id = document_id or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _error(doc_id, str(path), ErrorCode.TOO_LARGE,
                          f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _error(doc_id, str(path), ErrorCode.UNREADABLE, f"cannot read file ({reason})")
    return note_from_bytes(data, doc_id, str(path))


def note_from_bytes(data: bytes, document_id: str, source: str | None) -> NoteInput:
    if data.lstrip()[:5] == b"{\\rtf":
        return _error(document_id, source, ErrorCode.UNSUPPORTED_FORMAT,
                      "RTF export: save the note as plain text first")
    try:
        text, encoding = decode_bytes(data)
    except ValueError:
        return _error(document_id, source, ErrorCode.BINARY_INPUT, f"binary data ({len(data)} bytes), not a text note")
    return NoteInput(document_id, text, source=source, encoding=encoding)


def _jsonl_records(path: Path) -> Iterator[NoteInput]:
    """One note per line: {"document_id": ..., "text": ..., "billed_code": ...}."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield _error(str(path), str(path), ErrorCode.UNREADABLE, f"cannot read file ({exc.strerror})")
        return
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            fallback_id = f"{path}:{line_no}"
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                yield _error(fallback_id, str(path), ErrorCode.NOT_TEXT, f"line {line_no} is not valid JSON")
                continue
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                yield _error(fallback_id, str(path), ErrorCode.NOT_TEXT,
                             f"line {line_no} has no string field 'text'")
                continue
            doc_id = str(record.get("document_id") or record.get("id") or fallback_id)
            billed = record.get("billed_code")
            yield NoteInput(doc_id, record["text"], source=str(path), encoding="utf-8",
                            billed_code=str(billed) if billed else None)


def iter_inputs(paths: list[str]) -> Iterator[NoteInput]:
    """Expand CLI paths (files, folders searched recursively for *.txt, '-' for stdin, *.jsonl)
    into notes, in a stable order. A path that yields nothing still yields one error item."""
    for raw in paths:
        if raw == "-":
            data = sys.stdin.buffer.read()
            yield note_from_bytes(data, "stdin", "-")
            continue
        path = Path(raw)
        if path.is_symlink() and not path.exists():
            yield _error(raw, raw, ErrorCode.UNREADABLE, "broken symbolic link")
        elif path.is_dir():
            found = False
            for child in _walk(path):
                found = True
                yield read_note_file(child)
            if not found:
                yield _error(raw, raw, ErrorCode.UNREADABLE, "folder contains no *.txt notes")
        elif path.suffix == ".jsonl":
            yield from _jsonl_records(path)
        elif path.exists():
            yield read_note_file(path)
        else:
            yield _error(raw, raw, ErrorCode.UNREADABLE, "no such file or folder")


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder, onerror=None):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(NOTE_SUFFIXES):
                yield Path(root) / name
