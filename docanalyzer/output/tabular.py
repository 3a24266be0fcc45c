"""JSON Lines and CSV writers (one row/object per note, in input order)."""

from __future__ import annotations

import csv
import io

from docanalyzer.report import Report

CSV_FIELDS = [
    "document_id", "procedure_status", "regions", "score", "verdict", "missing_elements",
    "incomplete_elements", "suggested_codes", "modifiers", "medical_necessity_met", "errors",
]


def to_jsonl(report: Report) -> str:
    return report.model_dump_json() + "\n"


def csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_FIELDS)
    return buffer.getvalue()


def to_csv_row(report: Report) -> str:
    row = {
        "document_id": report.document_id,
        "procedure_status": report.procedure_status,
        "regions": ";".join(report.regions),
        "score": f"{report.score:g}",
        "verdict": report.verdict,
        "missing_elements": ";".join(e.id for e in report.elements if e.status == "missing"),
        "incomplete_elements": ";".join(e.id for e in report.elements if e.status == "incomplete"),
        "suggested_codes": ";".join(c.code for c in report.code_review.suggested_codes),
        "modifiers": ";".join(m.code for m in report.code_review.modifiers),
        "medical_necessity_met": "" if report.medical_necessity is None else str(report.medical_necessity.met).lower(),
        "errors": ";".join(e.code for e in report.errors),
    }
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=CSV_FIELDS).writerow(row)
    return buffer.getvalue()
