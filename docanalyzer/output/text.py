"""A per-note summary a person can scan at a terminal."""

from __future__ import annotations

from docanalyzer.report import Report

_MARK = {"documented": "[x]", "incomplete": "[~]", "missing": "[ ]"}
_COLOUR = {"documented": "green", "incomplete": "yellow", "missing": "red"}


def _style(text: str, colour: str | None, enabled: bool) -> str:
    if not enabled or colour is None:
        return text
    import click

    return click.style(text, fg=colour)


def format_text(report: Report, *, colour: bool = False) -> str:
    lines = [_style(report.document_id, None, colour)]
    if report.errors:
        for error in report.errors:
            lines.append(_style(f"  ERROR {error.code}: {error.message}", "red", colour))
        return "\n".join(lines)
    regions = ", ".join(report.regions) or "none"
    lines.append(
        f"  Procedure: {report.procedure_status} (regions: {regions})   "
        f"Score: {report.score:g}/100   Verdict: {report.verdict}"
    )
    codes = ", ".join(c.code for c in report.code_review.suggested_codes) or "none supported"
    mods = ", ".join(m.code for m in report.code_review.modifiers)
    lines.append(f"  Suggested codes: {codes}" + (f"  modifiers: {mods}" if mods else ""))
    width = max(len(e.id) for e in report.elements)
    for element in report.elements:
        mark = _style(_MARK[element.status], _COLOUR[element.status], colour)
        quote = f'"{element.evidence[0].text[:60]}"' if element.evidence else element.reason
        values = ", ".join(f"{k}={_fmt(v)}" for k, v in element.values.items())
        line = f"  {mark} {element.id:<{width}}  {element.status:<10}  {quote}"
        lines.append(line + (f"  ({values})" if values else ""))
    if report.findings:
        lines.append("  Findings: " + ", ".join(f"{f.concept} ({f.assertion})" for f in report.findings))
    if report.medical_necessity is not None:
        state = "met" if report.medical_necessity.met else "not met"
        lines.append(f"  Medical necessity: {state}. {report.medical_necessity.explanation}")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
