"""Metamorphic testing: rewrite a note without changing its meaning, check the answer holds.

Real notes arrive lower-cased, hard-wrapped, flattened to one line by HL7 exports, with headers
in other styles, abbreviations, EHR preambles and signatures. Gold annotation cannot cover all of
these, but it does not need to: whatever the analyzer says about a note, it must say the same
about a meaning-preserving rewrite of it. ``measure`` counts how often it does.

Header rule (used by several rewrites, kept simple on purpose): a line that starts, after
optional spaces and one optional bullet (``-``, ``*``, ``•``), with 1-5 words of letters (and
``' / & ( ) . -``) followed by a colon and then a space or the end of the line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.report import Report

HEADER_RE = re.compile(
    r"^(?P<indent>[ \t]*(?:[-*•][ \t]+)?)"
    r"(?P<name>[A-Za-z][A-Za-z'/&().-]*(?:[ \t]+[A-Za-z][A-Za-z'/&().-]*){0,4})"
    r"[ \t]*:(?=\s|$)[ \t]*(?P<rest>.*)$"
)
BULLET_RE = re.compile(r"^[ \t]*[-*•][ \t]")
IMPRESSION_RE = re.compile(r"\b(?:impressions?|conclusions?)\b", re.IGNORECASE)
# Title-casing a header keeps short capitalized words (CT, MRI, HPI, PSH, DX) as abbreviations,
# except these small English words: "CT MYELOGRAM" -> "CT Myelogram", "HISTORY OF" -> "History Of".
SMALL_WORDS = frozenset({"A", "AN", "AND", "AS", "AT", "BY", "FOR", "IN", "OF", "ON", "OR", "THE", "TO"})
SYNONYMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), short)
    for pattern, short in (
        (r"cerebrospinal\s+fluid", "CSF"),
        (r"lumbar\s+puncture", "LP"),
        (r"intrathecally|intrathecal", "IT"),
        (r"fluoroscopic\s+guidance|fluoroscopy", "fluoro"),
    )
)
PREAMBLE = "Patient: [redacted]  MRN: 000000  DOB: 01/01/1960\nEncounter date: 03/04/2025\n\n"
SIGNATURE = "\n\nElectronically signed by: J. Smith, MD 03/04/2025 14:22\n"
WRAP = 60


def _title(name: str) -> str:
    """Title-case a header name word by word, keeping abbreviations (see SMALL_WORDS) in capitals."""
    def word(w: str) -> str:
        keep = w.isupper() and len(w) <= 3 and w not in SMALL_WORDS
        return w if keep else w[:1].upper() + w[1:].lower()

    return " ".join(word(w) for w in name.split())


def _map_headers(text: str, fn: Callable[[re.Match[str]], str]) -> str:
    """Apply ``fn`` to every header line; other lines are kept as they are."""
    lines = text.split("\n")
    return "\n".join(fn(m) if (m := HEADER_RE.match(line)) else line for line in lines)


def _wrap_line(line: str) -> list[str]:
    """Greedy wrap at spaces; a word longer than WRAP stays whole on its own line."""
    out: list[str] = []
    line = line.rstrip(" ") if len(line) > WRAP else line
    while len(line) > WRAP:
        indent = len(line) - len(line.lstrip(" "))
        cut = line.rfind(" ", indent + 1, WRAP + 1)
        if cut < 0:
            cut = line.find(" ", max(WRAP + 1, indent + 1))
            if cut < 0:
                break
        out.append(line[:cut].rstrip())
        line = line[cut + 1 :].lstrip(" ")
    return [*out, line]


def wrap60(text: str) -> str:
    """Hard-wrap every line at 60 columns, as narrow dictation templates do."""
    return "\n".join(part for line in text.split("\n") for part in _wrap_line(line))


def one_paragraph(text: str) -> str:
    """Whole note on one line, as some HL7 exports deliver it."""
    return re.sub(r"\s*[\r\n]\s*", " ", text).strip()


def crlf(text: str) -> str:
    """Windows line endings."""
    return re.sub(r"\r\n|\r|\n", "\r\n", text)


def header_dash(text: str) -> str:
    """``FINDINGS: x`` -> ``Findings - x``."""
    return _map_headers(text, lambda m: f"{m['indent']}{_title(m['name'])} - {m['rest']}".rstrip())


def header_own_line(text: str) -> str:
    """``IMPRESSION: Mild stenosis`` -> the header alone on its line, the text on the next."""
    def split(m: re.Match[str]) -> str:
        head = f"{m['indent']}{m['name']}:"
        return f"{head}\n{m['rest']}" if m["rest"].strip() else head

    return _map_headers(text, split)


def bullets(text: str) -> str:
    """Every body line becomes a ``- `` bullet, as list-style templates write them.

    Headers, blank lines, lines already bulleted and rules with no letter or digit (``---``) stay.
    """
    def bullet(line: str) -> str:
        if HEADER_RE.match(line) or BULLET_RE.match(line) or not re.search(r"[^\W_]", line):
            return line
        return f"{line[: len(line) - len(line.lstrip())]}- {line.lstrip()}"

    return "\n".join(bullet(line) for line in text.split("\n"))


def impression_first(text: str) -> str:
    """Move the first impression/conclusion section (header to next header) to the top."""
    lines = text.split("\n")
    headers = [i for i, line in enumerate(lines) if HEADER_RE.match(line)]
    start = next((i for i in headers if IMPRESSION_RE.search(HEADER_RE.match(lines[i])["name"])), None)
    if start is None or start == 0:
        return text
    end = next((i for i in headers if i > start), len(lines))
    moved = lines[start:end]
    while moved and not moved[-1].strip():
        moved.pop()
    return "\n".join([*moved, "", *lines[:start], *lines[end:]])


def synonyms(text: str) -> str:
    """Clinician abbreviations: lumbar puncture -> LP, intrathecal -> IT, fluoroscopy -> fluoro..."""
    for pattern, short in SYNONYMS:
        text = pattern.sub(short, text)
    return text


def hx_prepended(text: str) -> str:
    """A one-line history stub before the note, as some templates add."""
    return "Hx: see chart.\n" + text


def preamble_signature(text: str) -> str:
    """EHR demographics above the note and an e-signature below it."""
    return PREAMBLE + text.rstrip() + SIGNATURE


def title_case_headers(text: str) -> str:
    """``CLINICAL HISTORY:`` -> ``Clinical History:`` (only headers written in capitals)."""
    def fix(m: re.Match[str]) -> str:
        if not m["name"].isupper():
            return m.group(0)
        rest = f" {m['rest']}" if m["rest"] else ""
        return f"{m['indent']}{_title(m['name'])}:{rest}"

    return _map_headers(text, fix)


REWRITES: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "wrap60": wrap60,
    "one_paragraph": one_paragraph,
    "crlf": crlf,
    "header_dash": header_dash,
    "header_own_line": header_own_line,
    "bullets": bullets,
    "impression_first": impression_first,
    "hx_prepended": hx_prepended,
    "synonyms": synonyms,
    "preamble_signature": preamble_signature,
    "title_case_headers": title_case_headers,
}


def signature(report: Report) -> dict[str, Any]:
    """The answer a rewrite must not change."""
    codes = report.code_review.suggested_codes
    return {
        "procedure_status": report.procedure_status,
        "regions": sorted(report.regions),
        "elements": {element.id: element.status for element in report.elements},
        "primary_code": codes[0].code if codes else None,
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every signature field that changed; elements one by one."""
    fields = ("procedure_status", "regions", "primary_code")
    changed = [(f, before[f], after[f]) for f in fields if before[f] != after[f]]
    b, a = before["elements"], after["elements"]
    changed += [(f"element:{k}", b.get(k), a.get(k)) for k in sorted(b.keys() | a.keys()) if b.get(k) != a.get(k)]
    return changed


def measure(analyzer: Analyzer, notes: Iterable[tuple[str, str]],
            rewrites: dict[str, Callable[[str], str]] = REWRITES, *, anonymous: bool = False) -> dict[str, Any]:
    """Analyze each note and each of its rewrites; count the rewrites whose signature held.
    ``anonymous``: the analyzer sees "note-N", so nothing it logs names a held-out note."""
    per = {name: {"notes": 0, "kept": 0, "rate": 0.0, "changed_fields": Counter(), "changes": []}
           for name in rewrites}
    for index, (note, text) in enumerate(notes, 1):
        document_id = f"note-{index}" if anonymous else note
        base = signature(analyzer.analyze(text, document_id=document_id))
        for name, rewrite in rewrites.items():
            changes = diff(base, signature(analyzer.analyze(rewrite(text), document_id=document_id)))
            stats = per[name]
            stats["notes"] += 1
            stats["kept"] += not changes
            for field, before, after in changes:
                stats["changed_fields"][field] += 1
                stats["changes"].append({"note": note, "rewrite": name, "field": field,
                                         "before": before, "after": after})
    for stats in per.values():
        stats["rate"] = round(stats["kept"] / stats["notes"], 4) if stats["notes"] else 0.0
        stats["changed_fields"] = dict(stats["changed_fields"].most_common())
    total, kept = sum(s["notes"] for s in per.values()), sum(s["kept"] for s in per.values())
    return {"rewrites": per, "checks": total, "kept": kept, "overall": round(kept / total, 4) if total else 0.0}


def read_folder(folder: Path) -> list[tuple[str, str]]:
    """(file stem, text) of every ``*.txt`` in ``folder``, sorted by name."""
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.txt"))]


def measure_folder(analyzer: Analyzer, folder: Path,
                   rewrites: dict[str, Callable[[str], str]] = REWRITES, *, anonymous: bool = False) -> dict[str, Any]:
    """``measure`` over the ``*.txt`` notes of a folder."""
    return measure(analyzer, read_folder(folder), rewrites, anonymous=anonymous)


def without_notes(result: dict[str, Any]) -> dict[str, Any]:
    """The result with every note name removed (per-change lists dropped): safe for held-out data."""
    rewrites = {name: {k: v for k, v in stats.items() if k != "changes"} for name, stats in result["rewrites"].items()}
    return {**result, "rewrites": rewrites}


def render_table(result: dict[str, Any], aggregate: bool) -> str:
    """Per-rewrite rates; with ``aggregate`` only rates and field categories, never note names."""
    rows = [f"{'rewrite':<20} {'notes':>5} {'kept':>5} {'rate':>7}  most changed fields"]
    for name, s in result["rewrites"].items():
        top = ", ".join(f"{field} x{n}" for field, n in list(s["changed_fields"].items())[:3]) or "-"
        rows.append(f"{name:<20} {s['notes']:>5} {s['kept']:>5} {s['rate']:>7.2%}  {top}")
    rows.append(f"{'overall':<20} {result['checks']:>5} {result['kept']:>5} {result['overall']:>7.2%}")
    changes = [c for s in result["rewrites"].values() for c in s["changes"]]
    if aggregate:  # categories of change (rewrite, field, before -> after), counted; no note names
        counts = Counter(f"{c['rewrite']}  {c['field']}: {c['before']} -> {c['after']}" for c in changes)
        rows += ["", "change categories:" if counts else "change categories: none"]
        rows += [f"  {n:>3}  {category}" for category, n in counts.most_common()]
    else:
        rows += ["", "changes:" if changes else "changes: none"]
        rows += [f"  {c['note']}  {c['rewrite']}  {c['field']}: {c['before']} -> {c['after']}" for c in changes]
    return "\n".join(rows)
