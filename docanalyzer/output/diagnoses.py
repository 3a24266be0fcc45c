"""How the text and CSV outputs show the diagnosis review (the HTML page: templates/diagnoses.html.j2).

Kept apart from the writers so that a report without a review (the default) renders exactly as before;
what the review shows is decided in ``view_model.diagnosis_view``.
"""

from __future__ import annotations

import textwrap

from docanalyzer.output.terminal import printable
from docanalyzer.output.view_model import DiagnosisView
from docanalyzer.report import Report

CSV_DX_FIELDS = ["billed_dx", "dx_checks", "suggested_dx", "dx_covered"]


def dx_cells(report: Report) -> dict[str, str]:
    """The CSV cells of the review (empty strings when the note has none)."""
    review = report.diagnosis_review
    if review is None:
        return dict.fromkeys(CSV_DX_FIELDS, "")
    return {
        "billed_dx": ";".join(c.code for c in review.billed),
        "dx_checks": ";".join(f"{c.code}:{c.status}" for c in review.billed),
        "suggested_dx": ";".join(c.code for c in review.suggested),
        "dx_covered": "" if review.covered is None else str(review.covered).lower(),
    }


def dx_text_lines(review: DiagnosisView | None, width: int) -> list[str]:
    """The review for a terminal: suggested codes with their first quote, billed checks, query drafts."""
    if review is None:
        return []
    lines = [f"  Diagnoses ({review.code_set}):"]
    for code in review.suggested:
        quote = f'  "{_one_line(code.evidence[0].text)[:50]}"' if code.evidence else ""
        lines.append(f"    suggested {code.code}  {code.description}{quote}")
    if not review.suggested:
        lines.append("    suggested: none supported by the documentation")
    for check in review.billed:  # (the messages are the code-review findings above)
        instead = f" (the note supports {', '.join(check.alternatives)})" if check.alternatives else ""
        lines.extend(_wrap(f"billed {printable(check.code)}: {check.status}{instead}", width))
    if review.coverage_state is not None:
        lines.append(f"    coverage ({review.coverage}): {review.coverage_state}")
    for query in review.queries:
        lines.append(f"    query draft ({query.concept}):")
        lines.extend(textwrap.indent(query.question, "      ").splitlines())
    return lines


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=max(width, 40), initial_indent="    ", subsequent_indent="      ",
                         break_on_hyphens=False)


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))


