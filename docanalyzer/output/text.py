"""A per-note summary a person can scan at a terminal, and a batch summary after the last note.

Colour (``colour=True``) only when stdout is a terminal; the words carry the meaning on their own
(``[x]``/``[~]``/``[ ]``, ``[-]`` for what a discontinued procedure does not need; the status and
the verdict), so piped output loses nothing.
"""

from __future__ import annotations

import textwrap

from docanalyzer.output.diagnoses import dx_text_lines
from docanalyzer.output.terminal import printable
from docanalyzer.output.view_model import VERDICTS, BatchTally, Billing, ElementRow, NoteView, QueryView, note_view
from docanalyzer.report import Report

_MARK = {"documented": "[x]", "incomplete": "[~]", "missing": "[ ]"}
_COLOUR = {"documented": "green", "incomplete": "yellow", "missing": "red"}
VERDICT_COLOUR = {
    "complete": "green", "needs_query": "yellow", "deficient": "red", "needs_review": "blue", "not_applicable": None,
    "error": "red",
}
_SEVERITY_COLOUR = {"info": None, "warning": "yellow", "error": "red"}
_MAX_DISCOUNTED = 3


def _style(text: str, colour: str | None, enabled: bool, *, bold: bool = False, dim: bool = False) -> str:
    if not enabled or (colour is None and not bold and not dim):
        return text
    import click

    return click.style(text, fg=colour, bold=bold or None, dim=dim or None)


def _wrap(text: str, indent: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        extra = "  " if paragraph.startswith("- ") else ""
        lines.extend(textwrap.wrap(paragraph, width=max(width, 40), initial_indent=indent,
                                   subsequent_indent=indent + extra, break_on_hyphens=False) or [indent])
    return lines


def format_text(report: Report, *, colour: bool = False, width: int = 100) -> str:
    """One note for a person: status line, warnings, codes, the checklist, necessity, code review, queries."""
    note = note_view(report)
    lines = [_style(printable(note.document_id), None, colour, bold=True)]
    if note.errors:
        for error in note.errors:
            lines.append(_style(f"  ERROR {error.code}: {printable(error.message)}", "red", colour))
        return "\n".join(lines)
    lines += _headline(note, colour)
    lines += _checklist_lines(note, colour)
    if note.findings:
        lines.append("  Findings: " + ", ".join(f"{f.concept} ({f.assertion})" for f in note.findings))
    if note.necessity is not None:
        lines.append(f"  Medical necessity: {note.necessity.state}. {note.necessity.explanation}")
    lines += _billing_lines(note.billing, colour, width)
    lines += dx_text_lines(note.diagnoses, width)
    lines += _query_lines(note.queries, colour, width)
    return "\n".join(lines)


def _headline(note: NoteView, colour: bool) -> list[str]:
    verdict = _style(note.verdict, VERDICT_COLOUR.get(note.verdict), colour, bold=True)
    lines = [f"  Procedure: {note.procedure_status} (regions: {note.regions_text})   "
             f"Score: {note.score_text}/100   Verdict: {verdict}"]
    for warning in note.warnings:
        lines.append(_style(f"  WARNING {warning.code}: {printable(warning.message)}", "yellow", colour))
    if note.why is not None:
        lines.append(f"  Why: {note.why}")
    mods = note.modifiers_text
    lines.append(f"  Suggested codes: {note.codes_text}" + (f"  modifiers: {mods}" if mods else ""))
    return lines


def _checklist_lines(note: NoteView, colour: bool) -> list[str]:
    """A line per element (mark, id, status, first quote, values) and what was discounted, if it matters."""
    lines: list[str] = []
    width_id = max((len(row.id) for row in note.rows), default=0)
    for row in note.rows:
        mark = "[-]" if row.waived else _style(_MARK[row.status], _COLOUR[row.status], colour)
        status = _style(f"{row.status:<10}", _COLOUR[row.status] if row.status != "documented" else None, colour)
        quote = f'"{_one_line(row.evidence[0].text)[:60]}"' if row.evidence else row.reason
        values = ", ".join(f"{v.key}={'/'.join(v.items)}" for v in row.values)
        line = f"  {mark} {row.id:<{width_id}}  {status}  {quote}"
        lines.append(line + (f"  ({values})" if values else ""))
        if row.discounted_matters:
            lines.append(_style(f"      {'':<{width_id}}  discounted: {_discounted(row)}", None, colour, dim=True))
    return lines


def _discounted(row: ElementRow) -> str:
    shown = ", ".join(f"\"{_one_line(d.text)[:40]}\" ({d.why_not_counted})" for d in row.discounted[:_MAX_DISCOUNTED])
    extra = len(row.discounted) - _MAX_DISCOUNTED
    return shown + (f" +{extra} more" if extra > 0 else "")


def _billing_lines(billing: Billing | None, colour: bool, width: int) -> list[str]:
    if billing is None:
        return []
    lines = [f"  Billed code: {billing.billed_text}" + ("" if billing.findings else "  (no findings)")]
    for finding in billing.findings:
        tag = _style(finding.severity.upper(), _SEVERITY_COLOUR.get(finding.severity), colour)
        lines.extend(_wrap(f"{tag} {finding.rule_id}: {finding.message}", "    ", width))
    return lines


def _query_lines(queries: tuple[QueryView, ...], colour: bool, width: int) -> list[str]:
    if not queries:
        return []
    lines = [_style(f"  Physician query drafts ({len(queries)}):", None, colour, bold=True)]
    for query in queries:
        lines.append(f"    {query.element_id} ({query.status}):")
        if query.indicators:
            said = "; ".join(f'"{_one_line(ev.text)[:80]}"' for ev in query.indicators)
            lines.extend(_wrap(f"The note says: {said}", "      ", width))
        lines.extend(_wrap(query.question, "      ", width))
    return lines


class TextSummary(BatchTally):
    """Counts kept while notes stream past; ``format()`` gives the closing batch summary."""

    def format(self, *, colour: bool = False) -> str:
        counts = "  ".join(
            f"{_style(v, VERDICT_COLOUR.get(v), colour)} {self.verdicts[v]}" for v in VERDICTS if self.verdicts[v]
        )
        lines = [_style(f"Summary: {self.notes} note{'s' if self.notes != 1 else ''}", None, colour, bold=True)
                 + f"   {counts}"]
        if self.not_documented:
            top = ", ".join(f"{element_id} {count}/{self.scored}"
                            for element_id, count in self.not_documented.most_common(5))
            lines.append(f"  Required elements most often not documented: {top}")
        if self.queries:
            lines.append(f"  Physician query drafts: {self.queries}")
        return "\n".join(lines)


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))

