"""A per-note summary a person can scan at a terminal, and a batch summary after the last note.

Colour (``colour=True``) only when stdout is a terminal; the words carry the meaning on their own
(``[x]``/``[~]``/``[ ]``, ``[-]`` for what a discontinued procedure does not need; the status and
the verdict), so piped output loses nothing.
"""

from __future__ import annotations

import textwrap
from collections import Counter

from docanalyzer.output.diagnoses import dx_text_lines
from docanalyzer.output.terminal import printable
from docanalyzer.report import Report

_MARK = {"documented": "[x]", "incomplete": "[~]", "missing": "[ ]"}
_COLOUR = {"documented": "green", "incomplete": "yellow", "missing": "red"}
VERDICT_COLOUR = {
    "complete": "green", "needs_query": "yellow", "deficient": "red", "needs_review": "blue", "not_applicable": None,
    "error": "red",
}
_SEVERITY_COLOUR = {"info": None, "warning": "yellow", "error": "red"}
VERDICT_ORDER = ("complete", "needs_query", "deficient", "needs_review", "not_applicable", "error")
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
    lines = [_style(printable(report.document_id), None, colour, bold=True)]
    if report.errors:
        for error in report.errors:
            lines.append(_style(f"  ERROR {error.code}: {printable(error.message)}", "red", colour))
        return "\n".join(lines)
    lines += _headline(report, colour)
    lines += _checklist_lines(report, colour)
    if report.findings:
        lines.append("  Findings: " + ", ".join(f"{f.concept} ({f.assertion})" for f in report.findings))
    if report.medical_necessity is not None:
        state = "met" if report.medical_necessity.met else "not met"
        lines.append(f"  Medical necessity: {state}. {report.medical_necessity.explanation}")
    lines += _code_review_lines(report, colour, width)
    lines += dx_text_lines(report.diagnosis_review, width)
    lines += _query_lines(report, colour, width)
    return "\n".join(lines)


def _headline(report: Report, colour: bool) -> list[str]:
    regions = ", ".join(report.regions) or "none"
    verdict = _style(report.verdict, VERDICT_COLOUR.get(report.verdict), colour, bold=True)
    lines = [f"  Procedure: {report.procedure_status} (regions: {regions})   "
             f"Score: {report.score:g}/100   Verdict: {verdict}"]
    for warning in report.warnings:
        lines.append(_style(f"  WARNING {warning.code}: {printable(warning.message)}", "yellow", colour))
    decision = report.procedure_decision
    if decision is not None and report.procedure_status in {"uncertain", "not_documented"} and decision.signals:
        lines.append(f"  Why: {decision.reasons[0]}")
    review = report.code_review
    codes = ", ".join(c.code for c in review.suggested_codes) or "none supported"
    mods = ", ".join(m.code for m in review.modifiers)
    lines.append(f"  Suggested codes: {codes}" + (f"  modifiers: {mods}" if mods else ""))
    return lines


def _checklist_lines(report: Report, colour: bool) -> list[str]:
    """A line per element (mark, id, status, first quote, values) and what was discounted, if it matters."""
    lines: list[str] = []
    width_id = max((len(e.id) for e in report.elements), default=0)
    for element in report.elements:
        waived = element.waived
        mark = "[-]" if waived else _style(_MARK[element.status], _COLOUR[element.status], colour)
        status = _style(f"{element.status:<10}", _COLOUR[element.status] if element.status != "documented" else None,
                        colour)
        quote = f'"{_one_line(element.evidence[0].text)[:60]}"' if element.evidence else element.reason
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in element.values.items())
        line = f"  {mark} {element.id:<{width_id}}  {status}  {quote}"
        lines.append(line + (f"  ({values})" if values else ""))
        if element.discounted and element.status != "documented" and not waived:
            shown = ", ".join(f"\"{_one_line(d.text)[:40]}\" ({d.discount_reason or d.assertion})"
                              for d in element.discounted[:_MAX_DISCOUNTED])
            extra = len(element.discounted) - _MAX_DISCOUNTED
            more = f" +{extra} more" if extra > 0 else ""
            lines.append(_style(f"      {'':<{width_id}}  discounted: {shown}{more}", None, colour, dim=True))
    return lines


def _code_review_lines(report: Report, colour: bool, width: int) -> list[str]:
    review = report.code_review
    if not (review.billed_code or review.findings):
        return []
    lines = [f"  Billed code: {review.billed_code or 'not given'}" + ("" if review.findings else "  (no findings)")]
    for finding in review.findings:
        tag = _style(finding.severity.upper(), _SEVERITY_COLOUR.get(finding.severity), colour)
        lines.extend(_wrap(f"{tag} {finding.rule_id}: {finding.message}", "    ", width))
    return lines


def _query_lines(report: Report, colour: bool, width: int) -> list[str]:
    if not report.queries:
        return []
    lines = [_style(f"  Physician query drafts ({len(report.queries)}):", None, colour, bold=True)]
    for query in report.queries:
        lines.append(f"    {query.element_id} ({query.status}):")
        if query.indicators:
            said = "; ".join(f'"{_one_line(ev.text)[:80]}"' for ev in query.indicators)
            lines.extend(_wrap(f"The note says: {said}", "      ", width))
        lines.extend(_wrap(query.question, "      ", width))
    return lines


class TextSummary:
    """Counts kept while notes stream past; ``format()`` gives the closing batch summary."""

    def __init__(self) -> None:
        self.notes = 0
        self.verdicts: Counter[str] = Counter()
        self.not_documented: Counter[str] = Counter()
        self.queries = 0
        self.scored = 0

    def add(self, report: Report) -> None:
        self.notes += 1
        self.verdicts[report.verdict] += 1
        self.queries += len(report.queries)
        if report.verdict in ("complete", "needs_query", "deficient"):
            self.scored += 1
            self.not_documented.update(e.id for e in report.elements if e.required and e.status != "documented")

    def format(self, *, colour: bool = False) -> str:
        counts = "  ".join(
            f"{_style(v, VERDICT_COLOUR.get(v), colour)} {self.verdicts[v]}" for v in VERDICT_ORDER if self.verdicts[v]
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


def _fmt(value: object) -> str:
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
