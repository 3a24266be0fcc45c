"""JSON Lines and CSV writers (one row/object per note, in input order).

The CSV is a QA worklist: it opens cleanly in a spreadsheet. Every cell is quoted as needed by
the csv module, lists are joined with ``;`` (messages with `` | ``), and a cell that a spreadsheet
would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
prefixed with ``'`` (OWASP "CSV injection"). ``csv_header(bom=True)`` starts the file with a UTF-8
byte order mark so Excel reads it as UTF-8.
"""

from __future__ import annotations

import csv
import io

from docanalyzer.output.diagnoses import CSV_DX_FIELDS, dx_cells
from docanalyzer.report import Report

CSV_FIELDS = [
    "document_id", "procedure_status", "regions", "score", "verdict", "missing_elements",
    "incomplete_elements", "suggested_codes", "modifiers", "medical_necessity_met", "errors",
    "billed_code", "code_findings", "code_finding_messages", "query_elements", "warnings",
    *CSV_DX_FIELDS,  # the diagnosis review, appended (empty without one)
]

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_jsonl(report: Report) -> str:
    return report.model_dump_json() + "\n"


def safe_cell(value: str) -> str:
    """Neutralize spreadsheet formula injection: ``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_header(*, bom: bool = False) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_FIELDS)
    return (BOM if bom else "") + buffer.getvalue()


def csv_row(report: Report) -> dict[str, str]:
    """The worklist row of one note, as plain strings (before formula protection)."""
    review = report.code_review
    necessity = report.medical_necessity
    return {
        "document_id": report.document_id,
        "procedure_status": report.procedure_status,
        "regions": ";".join(report.regions),
        "score": f"{report.score:g}",
        "verdict": report.verdict,
        "missing_elements": ";".join(e.id for e in report.elements if e.status == "missing"),
        "incomplete_elements": ";".join(e.id for e in report.elements if e.status == "incomplete"),
        "suggested_codes": ";".join(c.code for c in review.suggested_codes),
        "modifiers": ";".join(m.code for m in review.modifiers),
        "medical_necessity_met": "" if necessity is None else str(necessity.met).lower(),
        "errors": ";".join(e.code for e in report.errors),
        "billed_code": review.billed_code or "",
        "code_findings": ";".join(f"{f.severity}:{f.rule_id}" for f in review.findings),
        "code_finding_messages": " | ".join(f.message for f in review.findings),
        "query_elements": ";".join(q.element_id for q in report.queries),
        "warnings": ";".join(w.code for w in report.warnings),
        **dx_cells(report),
    }


def to_csv_row(report: Report) -> str:
    row = {key: safe_cell(value) for key, value in csv_row(report).items()}
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_FIELDS).writerow(row)
    return buffer.getvalue()
