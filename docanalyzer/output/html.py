"""The review report as one self-contained HTML file, for an auditor who would rather look than read.

The file holds note text (PHI), so it is built to be inert and local:

- no scripts at all, no external fonts, images, styles or links: a strict Content-Security-Policy
  (``default-src 'none'``; the one inline stylesheet is allowed by its SHA-256 hash) makes sure;
- every piece of note-derived text goes through ``html.escape``; charts are inline SVG built from
  numbers only;
- readable on paper (print stylesheet: one note per page, colours kept for highlights), usable from
  the keyboard (skip links, focusable evidence links, visible focus ring).

Layout: a batch summary (counts, verdicts, score distribution, the elements most often not
documented, a worklist index), then one section per note: verdict and score, the checklist with a
link from each row to its evidence, codes and modifiers, physician query drafts, and the note text
with every evidence span highlighted and labelled by element (discounted mentions, e.g. negated or
hypothetical, are drawn differently from the evidence that counts).

Memory stays bounded: note sections and index rows are streamed into spooled temporary files (kept
in memory while small, on disk, already unlinked, once large) and only counters are held, so the
summary can be written at the top when the batch ends.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

from docanalyzer.output.diagnoses import dx_html_section
from docanalyzer.output.html_pages import NOTES_PER_PAGE, link_to_pages, write_pages
from docanalyzer.report import ElementResult, Evidence, Report
from docanalyzer.version import __version__

VERDICTS = ("complete", "needs_query", "deficient", "needs_review", "not_applicable", "error")
VERDICT_LABEL = {
    "complete": "Complete",
    "needs_query": "Needs query",
    "deficient": "Deficient",
    "needs_review": "Needs review",
    "not_applicable": "Not applicable",
    "error": "Not analyzed",
}
VERDICT_HELP = {
    "complete": "Every required element is documented.",
    "needs_query": "A required element is missing or incomplete; send a physician query.",
    "deficient": "The note does not support the code as written; hold the claim.",
    "needs_review": "Whether a myelogram was done here is uncertain; a person must look.",
    "not_applicable": "No myelogram in this note; the checklist does not apply.",
    "error": "The note could not be analyzed.",
}
VERDICT_FILL = {
    "complete": "#2f7d4f",
    "needs_query": "#b7791f",
    "deficient": "#b42318",
    "needs_review": "#1f5fa8",
    "not_applicable": "#7b8794",
    "error": "#6b3fa0",
}
ASSERTION_LABEL = {
    "affirmed": "not counted here",
    "negated": "negated",
    "possible": "uncertain",
    "hypothetical": "planned/hypothetical",
    "historical": "historical",
    "family": "family history",
    "template_blank": "blank template field",
}
STATUS_MARK = {"documented": "✓", "incomplete": "◐", "missing": "✗"}
STATUS_LABEL = {"documented": "Documented", "incomplete": "Incomplete", "missing": "Missing"}
SCORED = ("complete", "needs_query", "deficient")
SCORE_BINS = ("0–9", "10–19", "20–29", "30–39", "40–49", "50–59", "60–69", "70–79", "80–89", "90–99", "100")
_CHIP_CHARS = 56

CSS = """
:root{--ink:#1f2933;--muted:#52606d;--faint:#7b8794;--line:#d9dee4;--bg:#f3f5f8;--panel:#fff;
--navy:#1f3a5f;--focus:#1d4ed8;--ok:#2f7d4f;--ok-bg:#dcf1e3;--warn:#9a5b00;--warn-bg:#fdecc8;
--bad:#b42318;--bad-bg:#fde4e1;--na:#52606d;--na-bg:#e8ecf0;--err:#6b3fa0;--err-bg:#efe6fa}
*{box-sizing:border-box}
html{font-size:14px}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.45;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans","DejaVu Sans",Arial,sans-serif}
a{color:var(--navy)}
a:focus-visible,mark:focus-visible,[tabindex]:focus-visible{outline:3px solid var(--focus);outline-offset:2px;
border-radius:2px}
.skip{position:absolute;left:8px;top:-60px;z-index:10;background:var(--navy);color:#fff;padding:8px 14px;
border-radius:4px;font-weight:600}
.skip:focus{top:8px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.topbar{background:var(--navy);color:#fff;padding:10px 28px;display:flex;flex-wrap:wrap;gap:4px 24px;
align-items:baseline}
.topbar .brand{font-weight:700;font-size:1.15rem;letter-spacing:.01em}
.topbar .meta{color:#c9d5e3;font-size:.9rem}
.phi{background:#fff6dc;border-bottom:1px solid #e9d48f;color:#5c4813;padding:6px 28px;font-size:.86rem}
main{max-width:1360px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:1.5rem;margin:.2rem 0 .9rem}
h2{font-size:1.2rem;margin:0}
h3{font-size:.78rem;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);margin:0 0 .5rem}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:14px 16px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:10px;margin-bottom:14px}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.tile .num{font-size:1.7rem;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums}
.tile .lbl{color:var(--muted);font-size:.86rem}
.tile.t-needs_query .num{color:var(--warn)}.tile.t-deficient .num{color:var(--bad)}
.tile.t-complete .num{color:var(--ok)}.tile.t-error .num{color:var(--err)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;margin-bottom:14px}
.charts svg{display:block;width:100%;height:auto}
.chart-note{color:var(--muted);font-size:.8rem;margin:.35rem 0 0}
svg text{font-family:inherit}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
thead th{font-size:.78rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
border-bottom:2px solid var(--line);background:#fafbfc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.index td a.doc{font-weight:600;overflow-wrap:break-word}
.index th.doc{width:36%}
.index .els a{margin-right:4px;display:inline-block}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:.8rem;font-weight:600;white-space:nowrap;
border:1px solid transparent}
.v-complete{background:var(--ok-bg);color:var(--ok);border-color:#a6d9b8}
.v-needs_query{background:var(--warn-bg);color:var(--warn);border-color:#efc97a}
.v-deficient{background:var(--bad-bg);color:var(--bad);border-color:#f3b1a9}
.v-not_applicable{background:var(--na-bg);color:var(--na);border-color:#c7ced6}
.v-needs_review{background:#e6f0fb;color:#1f5fa8;border-color:#a9c8ec}
.v-error{background:var(--err-bg);color:var(--err);border-color:#cdb6ea}
.note{background:var(--panel);border:1px solid var(--line);border-radius:8px;margin:22px 0;overflow:hidden}
.note-head{display:flex;flex-wrap:wrap;align-items:center;gap:8px 18px;padding:14px 18px;
border-bottom:1px solid var(--line);background:#fafbfc}
.note-head h2{flex:1 1 420px;overflow-wrap:break-word;min-width:0}
.note-head .idx{color:var(--faint);font-weight:400;margin-right:6px}
.note.vb-complete{border-top:4px solid var(--ok)}.note.vb-needs_query{border-top:4px solid #d69e2e}
.note.vb-deficient{border-top:4px solid var(--bad)}
.note.vb-needs_review{border-top:4px solid #1f5fa8}.note.vb-not_applicable{border-top:4px solid #9aa5b1}
.note.vb-error{border-top:4px solid var(--err)}
.score{font-size:1.6rem;font-weight:700;font-variant-numeric:tabular-nums;line-height:1}
.score small{font-size:.8rem;color:var(--muted);font-weight:400}
.verdict-big{font-size:.95rem;padding:3px 12px}
.facts{display:flex;flex-wrap:wrap;gap:4px 22px;margin:0;padding:10px 18px;border-bottom:1px solid var(--line);
font-size:.9rem}
.facts div{display:flex;gap:6px}.facts dt{color:var(--muted)}.facts dd{margin:0;font-weight:600}
.note-links{margin-left:auto;font-size:.85rem;display:flex;gap:14px}
.banner{margin:12px 18px 0;padding:8px 12px;border-radius:5px;font-size:.9rem}
.banner.na{background:var(--na-bg);color:#323f4b}.banner.err{background:var(--err-bg);color:#3e2063}
.grid{display:grid;grid-template-columns:minmax(0,1.05fr) minmax(0,1fr);gap:18px;padding:14px 18px 18px}
.col>section{margin-bottom:16px}
.checklist th[scope=row]{font-weight:600}
.checklist .eid{display:block;font-weight:400;color:var(--faint);font-size:.78rem;font-family:ui-monospace,
"DejaVu Sans Mono",monospace}
.checklist td.mk{width:2.1rem;text-align:center;font-size:1.05rem;font-weight:700}
.checklist tr.st-documented td.mk{color:var(--ok)}.checklist tr.st-incomplete td.mk{color:var(--warn)}
.checklist tr.st-missing td.mk{color:var(--bad)}
.checklist tr.st-missing.req{background:#fff7f6}.checklist tr.st-incomplete.req{background:#fffaf0}
.checklist tr.opt th,.checklist tr.opt td{color:var(--muted)}
.vb-not_applicable .checklist tr.req{background:none}.vb-not_applicable .checklist td.mk{color:var(--faint)!important}
.checklist tr:target{outline:2px solid var(--focus);outline-offset:-2px}
.st{font-size:.78rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.st-documented .st{color:var(--ok)}.st-incomplete .st{color:var(--warn)}.st-missing .st{color:var(--bad)}
.chips{display:flex;flex-wrap:wrap;gap:4px;margin-bottom:3px}
.chip{display:inline-block;font-size:.82rem;padding:0 6px;border-radius:4px;border:1px solid #a6d9b8;
background:var(--ok-bg);color:#174d2d;text-decoration:none;max-width:100%;overflow-wrap:anywhere}
.chip:hover{text-decoration:underline}
.chip.inc{background:var(--warn-bg);border-color:#efc97a;color:#5c3a00}
.chip.disc{background:#fff;border:1px dashed #9aa5b1;color:var(--muted)}
.chip .as{font-size:.72rem;font-style:italic;margin-left:5px}
.reason{font-size:.84rem;color:var(--muted)}
.values{font-size:.8rem;color:var(--ink)}.values span{color:var(--muted)}
.codes{display:grid;gap:6px}
.code{display:flex;gap:10px;align-items:baseline}
.code b{white-space:nowrap;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:1.05rem;background:#eef2f7;
padding:1px 7px;border-radius:4px;border:1px solid #cdd6e0}
.code .desc{font-size:.88rem}.code .why{display:block;color:var(--muted);font-size:.8rem}
.cf{margin:6px 0 0;padding:6px 10px;border-left:3px solid #d69e2e;background:#fffaf0;font-size:.88rem}
.cf.sev-error{border-color:var(--bad);background:#fff7f6}.cf.sev-info{border-color:#9aa5b1;background:#f7f9fb}
.cf code{font-size:.8rem}
.mn{font-size:.88rem}.mn b.met{color:var(--ok)}.mn b.unmet{color:var(--bad)}
.query{border:1px solid var(--line);border-left:4px solid var(--navy);border-radius:4px;padding:8px 12px;
margin:0 0 8px;background:#f8fafc}
.query h4{margin:0 0 4px;font-size:.9rem}
.query p{margin:0 0 4px}
.query ul{list-style:none;margin:0;padding:0 0 0 2px;columns:2;column-gap:18px}
.query li{break-inside:avoid;padding-left:1.3em;text-indent:-1.3em;font-size:.9rem}
.query li::before{content:"\\2610";margin-right:.45em;color:var(--muted)}
.none{color:var(--muted);font-size:.9rem;margin:0}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.8rem;color:var(--muted);margin:0 0 8px}
.legend mark{padding:0 4px}
pre.note-text{margin:0;padding:12px 14px;background:#fcfcfd;border:1px solid var(--line);border-radius:5px;
white-space:pre-wrap;overflow-wrap:anywhere;font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;
font-size:.84rem;line-height:1.6;max-height:none;tab-size:4}
mark{color:inherit;border-radius:2px;padding:0 1px;-webkit-print-color-adjust:exact;print-color-adjust:exact;
scroll-margin-top:30vh}
mark.ev{background:#cdeed8;border-bottom:2px solid var(--ok)}
mark.inc{background:#fde3a7;border-bottom:2px dashed #b7791f}
mark.disc{background:#eef1f4;border:1px dashed #8794a3;color:#3e4c59}
mark.disc.neg{text-decoration:line-through;text-decoration-color:#b42318;text-decoration-thickness:1px}
mark mark{padding:0}
mark[data-label]::before{content:attr(data-label);font-family:system-ui,"Liberation Sans","DejaVu Sans",sans-serif;
font-size:.64rem;font-weight:700;letter-spacing:.02em;text-transform:uppercase;vertical-align:.18em;
margin-right:3px;padding:0 4px;border-radius:3px;color:#fff;background:var(--ok);text-decoration:none;
display:inline-block;line-height:1.35}
mark.inc[data-label]::before{background:#9a5b00}
mark.disc[data-label]::before{background:#7b8794}
mark:target{outline:3px solid var(--focus);outline-offset:1px;background:#fff59d}
.err-list{margin:10px 18px 16px}
footer{max-width:1360px;margin:0 auto;padding:0 28px 30px;color:var(--faint);font-size:.8rem}
@media (max-width:980px){.grid{grid-template-columns:1fr}.query ul{columns:1}}
@media print{
@page{margin:12mm}
html{font-size:9.5pt}
body{background:#fff}
.skip,.note-links,.no-print{display:none!important}
.topbar,.phi{-webkit-print-color-adjust:exact;print-color-adjust:exact}
main{padding:0;max-width:none}
.panel,.tile,.note{border-color:#bbb}
.note{break-before:page;border-radius:0;margin:0}
.grid{display:block;padding:10px 0}
.note-head,.facts{padding-left:0;padding-right:0}
tr,.query,.code,.cf,.tile{break-inside:avoid}
a{color:inherit;text-decoration:none}
.chip{border-color:#999}
pre.note-text{border:none;padding:0;background:none;font-size:8.5pt}
.charts{grid-template-columns:1fr 1fr}
mark:target{outline:none}
}
"""

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; font-src 'none'; "
    "script-src 'none'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
)


def esc(value: object) -> str:
    """Escape any text for HTML element content or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", value)


def _label(element_id: str) -> str:
    return element_id.replace("_", " ")


def _short(text: str, limit: int = _CHIP_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- evidence spans ---------------------------------------------------------------------------------

@dataclass
class Span:
    """One highlighted stretch of the note; identical (start, end) evidence is merged into one span."""

    start: int
    end: int
    anchor: str
    roles: list[tuple[str, str, str]] = field(default_factory=list)  # (element_id, kind, assertion)

    @property
    def kind(self) -> str:
        kinds = {kind for _, kind, _ in self.roles}
        return "ev" if "ev" in kinds else "inc" if "inc" in kinds else "disc"

    @property
    def label(self) -> str:
        parts: list[str] = []
        counted = {element_id for element_id, kind, _ in self.roles if kind != "disc"}
        for element_id, kind, assertion in self.roles:
            if kind == "disc" and element_id in counted:
                continue  # the same words also count for this element: say so once
            text = _label(element_id)
            if kind == "disc":
                text += f": {ASSERTION_LABEL.get(assertion, assertion)}"
            elif kind == "inc":
                text += ": incomplete"
            if text not in parts:
                parts.append(text)
        return " · ".join(parts)

    @property
    def css(self) -> str:
        kind = self.kind
        negated = kind == "disc" and any(a == "negated" for _, k, a in self.roles if k == "disc")
        return kind + (" neg" if negated else "")


def collect_spans(report: Report, text: str, prefix: str) -> tuple[list[Span], dict[tuple[int, int], Span]]:
    """The element evidence and discounted mentions that really sit in ``text``, merged by offsets."""
    by_offsets: dict[tuple[int, int], Span] = {}
    for element in report.elements:
        evidence_kind = "inc" if element.status == "incomplete" else "ev"
        for kind, items in ((evidence_kind, element.evidence), ("disc", element.discounted)):
            for ev in items:
                if not (0 <= ev.start < ev.end <= len(text)) or text[ev.start:ev.end] != ev.text:
                    continue
                key = (ev.start, ev.end)
                span = by_offsets.get(key)
                if span is None:
                    span = by_offsets[key] = Span(ev.start, ev.end, "")
                role = (element.id, kind, ev.assertion)
                if role not in span.roles:
                    span.roles.append(role)
    spans = sorted(by_offsets.values(), key=lambda s: (s.start, -s.end))
    for number, span in enumerate(spans, start=1):
        span.anchor = f"{prefix}-s{number}"
    return spans, by_offsets


def highlight(text: str, spans: list[Span]) -> str:
    """``text`` escaped, with each span wrapped in ``<mark>``. Nested spans nest; spans that cross
    are split so the markup stays well-formed: the first piece carries the id and label, later
    pieces carry ``data-span`` only (every piece has ``data-span`` = the span's anchor)."""
    if not spans:
        return esc(text)
    starts: dict[int, list[Span]] = {}
    for span in spans:
        starts.setdefault(span.start, []).append(span)
    bounds = sorted({s.start for s in spans} | {s.end for s in spans})
    out: list[str] = []
    stack: list[Span] = []
    pos = 0
    for bound in bounds:
        if bound > pos:
            out.append(esc(text[pos:bound]))
            pos = bound
        ending = [i for i, s in enumerate(stack) if s.end == bound]
        if ending:
            lowest = ending[0]
            reopen = [s for s in stack[lowest:] if s.end != bound]
            out.append("</mark>" * (len(stack) - lowest))
            del stack[lowest:]
            for span in reopen:
                out.append(_open(span, first=False))
                stack.append(span)
        for span in sorted(starts.get(bound, []), key=lambda s: -s.end):
            out.append(_open(span, first=True))
            stack.append(span)
    out.append(esc(text[pos:]))
    return "".join(out)


def _open(span: Span, *, first: bool) -> str:
    if first:
        return (f'<mark id="{esc(span.anchor)}" class="{span.css}" data-span="{esc(span.anchor)}" '
                f'data-label="{esc(span.label)}" data-start="{span.start}" data-end="{span.end}">')
    return f'<mark class="{span.css} cont" data-span="{esc(span.anchor)}">'


# --- one note --------------------------------------------------------------------------------------

def _chip(ev: Evidence, kind: str, spans: dict[tuple[int, int], Span]) -> str:
    assertion = ""
    if kind == "disc":
        assertion = f'<span class="as">{esc(ASSERTION_LABEL.get(ev.assertion, ev.assertion))}</span>'
    body = f"“{esc(_short(ev.text))}”{assertion}"
    span = spans.get((ev.start, ev.end))
    where = f"characters {ev.start}–{ev.end}" + (f", section {ev.section}" if ev.section else "")
    if span is None:
        return f'<span class="chip {kind}" title="{esc(where)}">{body}</span>'
    return f'<a class="chip {kind}" href="#{esc(span.anchor)}" title="{esc(where)}">{body}</a>'


def _fmt_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _element_row(element: ElementResult, prefix: str, spans: dict[tuple[int, int], Span]) -> str:
    kind = "inc" if element.status == "incomplete" else "ev"
    chips = "".join(_chip(ev, kind, spans) for ev in element.evidence)
    discounted = "".join(_chip(ev, "disc", spans) for ev in element.discounted)
    parts = []
    if chips:
        parts.append(f'<div class="chips">{chips}</div>')
    if element.status != "documented" or not chips:
        parts.append(f'<div class="reason">{esc(element.reason)}</div>')
    if discounted:
        parts.append(f'<div class="chips"><span class="reason">Not counted:</span>{discounted}</div>')
    if element.values:
        values = " · ".join(f"<span>{esc(_label(k))}:</span> {esc(_fmt_value(v))}" for k, v in element.values.items())
        parts.append(f'<div class="values">{values}</div>')
    weight = f" · {element.weight:g} pts" if element.weight else ""
    requirement = "not asked for" if element.waived else ("required" if element.required else "optional")
    classes = f"st-{element.status} {'req' if element.required else 'opt'}"
    mark, label = ("–", "not asked for") if element.waived else (STATUS_MARK[element.status],
                                                                  STATUS_LABEL[element.status])
    return (
        f'<tr id="{prefix}-el-{_slug(element.id)}" class="{classes}">'
        f'<td class="mk"><span aria-hidden="true">{mark}</span></td>'
        f'<th scope="row">{esc(element.name)}<span class="eid">{esc(element.id)} · {requirement}{weight}</span></th>'
        f'<td><span class="st">{label}</span></td>'
        f"<td>{''.join(parts)}</td></tr>"
    )


def _query_html(question: str) -> str:
    paragraphs: list[str] = []
    options: list[str] = []
    for line in question.splitlines():
        line = line.strip()
        if line.startswith("- "):
            options.append(f"<li>{esc(line[2:])}</li>")
        elif line:
            paragraphs.append(f"<p>{esc(line)}</p>")
    return "".join(paragraphs) + (f"<ul>{''.join(options)}</ul>" if options else "")


def render_note(report: Report, text: str | None, index: int) -> str:
    """The ``<article>`` of one note (``index`` is its 1-based position in the batch)."""
    prefix = f"n{index}"
    out: list[str] = [_note_head(report, text, prefix, index), _facts(report)]
    if report.errors:
        out.append('<div class="banner err" role="note"><strong>This note could not be analyzed.</strong></div>')
        out.append('<ul class="err-list">' + "".join(
            f"<li><code>{esc(e.code)}</code> {esc(e.message)}</li>" for e in report.errors) + "</ul></article>")
        return "".join(out)
    out.append(_banners(report))
    spans, by_offsets = collect_spans(report, text, prefix) if text is not None else ([], {})
    out.append('<div class="grid"><div class="col">')
    out.append(_checklist_section(report, prefix, by_offsets))
    out.append(_necessity_section(report, prefix))
    out.append(_codes_section(report, prefix, by_offsets))
    out.append(_findings_section(report, prefix))
    out.append(dx_html_section(report, prefix))
    out.append(_queries_section(report, prefix))
    out.append("</div>")
    out.append(_text_section(text, spans, prefix))
    out.append("</div></article>\n")
    return "".join(out)


def _note_head(report: Report, text: str | None, prefix: str, index: int) -> str:
    verdict = report.verdict
    out = [
        f'<article class="note vb-{verdict}" id="{prefix}" aria-labelledby="{prefix}-h">',
        '<header class="note-head">',
        f'<h2 id="{prefix}-h"><span class="idx">{index}.</span>{esc(report.document_id)}</h2>',
    ]
    if verdict != "error":
        out.append(f'<div class="score" aria-label="Score {report.score:g} out of 100">{report.score:g}'
                   f"<small>/100</small></div>")
    out.append(f'<span class="pill verdict-big v-{verdict}" title="{esc(VERDICT_HELP[verdict])}">'
               f"{VERDICT_LABEL[verdict]}</span>")
    out.append('<nav class="note-links" aria-label="Within this note">')
    if text is not None and not report.errors:
        out.append(f'<a href="#{prefix}-text">Note text</a>')
    out.append('<a href="#summary">Summary</a></nav></header>')
    return "".join(out)


def _facts(report: Report) -> str:
    review = report.code_review
    facts = []
    if report.verdict != "error":
        facts += [("Procedure", report.procedure_status.replace("_", " ")),
                  ("Regions", ", ".join(report.regions) or "none")]
        facts.append(("Suggested codes", ", ".join(c.code for c in review.suggested_codes) or "none supported"))
        if review.modifiers:
            facts.append(("Modifiers", ", ".join(m.code for m in review.modifiers)))
    if review.billed_code:
        facts.append(("Billed", review.billed_code))
    if report.medical_necessity is not None:
        facts.append(("Medical necessity", "met" if report.medical_necessity.met else "not met"))
    facts.append(("Checklist", f"{report.checklist.id} v{report.checklist.version}"))
    if report.input.chars:
        facts.append(("Length", f"{report.input.chars:,} chars"))
    return ('<dl class="facts">' + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
            + "</dl>")


def _banners(report: Report) -> str:
    out = []
    if report.warnings:
        out.append('<div class="banner err" role="note"><strong>Check the original text.</strong><ul>' + "".join(
            f"<li><code>{esc(w.code)}</code> {esc(w.message)}</li>" for w in report.warnings) + "</ul></div>")
    if report.verdict == "not_applicable":
        out.append('<div class="banner na" role="note"><strong>Checklist does not apply.</strong> '
                   f"{esc(VERDICT_HELP['not_applicable'])} The elements below are shown for reference.</div>")
    return "".join(out)


def _checklist_section(report: Report, prefix: str, by_offsets: dict) -> str:
    return (f'<section aria-labelledby="{prefix}-cl"><h3 id="{prefix}-cl">Checklist</h3>'
            '<table class="checklist"><thead><tr><th scope="col"><span class="sr">Status mark</span></th>'
            '<th scope="col">Element</th><th scope="col">Status</th><th scope="col">Evidence</th></tr></thead>'
            "<tbody>" + "".join(_element_row(element, prefix, by_offsets) for element in report.elements)
            + "</tbody></table></section>")


def _necessity_section(report: Report, prefix: str) -> str:
    necessity = report.medical_necessity
    if necessity is None:
        return ""
    state = '<b class="met">met</b>' if necessity.met else '<b class="unmet">not met</b>'
    return (f'<section aria-labelledby="{prefix}-mn"><h3 id="{prefix}-mn">Medical necessity</h3>'
            f'<p class="mn">{state}. {esc(necessity.explanation)}</p></section>')


def _codes_section(report: Report, prefix: str, by_offsets: dict) -> str:
    review = report.code_review
    out = [f'<section aria-labelledby="{prefix}-codes"><h3 id="{prefix}-codes">Codes</h3><div class="codes">']
    if not review.suggested_codes:
        out.append('<p class="none">No code is supported by this documentation.</p>')
    for item, kind in [(c, "Code") for c in review.suggested_codes] + [(m, "Modifier") for m in review.modifiers]:
        prefix_text = "modifier " if kind == "Modifier" else ""
        out.append(f'<div class="code"><b>{esc(prefix_text)}{esc(item.code)}</b><span class="desc">'
                   f'{esc(item.description)}<span class="why">{esc(item.reason)}</span></span></div>')
    if review.billed_code or review.findings:
        billed = esc(review.billed_code) if review.billed_code else "not given"
        out.append(f'<p class="mn">Billed code: <b>{billed}</b>'
                   + ("" if review.findings else " — no billed-code findings.") + "</p>")
    for finding in review.findings:
        chips = "".join(_chip(ev, "ev", by_offsets) for ev in finding.evidence)
        out.append(f'<div class="cf sev-{esc(finding.severity)}"><strong>{esc(finding.severity.upper())}</strong> '
                   f"<code>{esc(finding.rule_id)}</code> {esc(finding.message)}"
                   + (f'<div class="chips">{chips}</div>' if chips else "") + "</div>")
    out.append("</div></section>")
    return "".join(out)


def _findings_section(report: Report, prefix: str) -> str:
    if not report.findings:
        return ""
    items = ", ".join(f"{esc(_label(f.concept))} <i>({esc(f.assertion)})</i>" for f in report.findings)
    return (f'<section aria-labelledby="{prefix}-fd"><h3 id="{prefix}-fd">Findings</h3>'
            f'<p class="mn">{items}</p></section>')


def _queries_section(report: Report, prefix: str) -> str:
    out = [f'<section aria-labelledby="{prefix}-q"><h3 id="{prefix}-q">Physician query drafts '
           f"({len(report.queries)})</h3>"]
    if not report.queries:
        out.append('<p class="none">None needed.</p>')
    names = {e.id: e.name for e in report.elements}
    for query in report.queries:
        name = names.get(query.element_id, _label(query.element_id))
        said = "; ".join(f"\u201c{esc(ev.text[:120])}\u201d" for ev in query.indicators)
        indicators = f'<p class="reason">The note says: {said}</p>' if said else ""
        out.append(f'<div class="query"><h4>{esc(name)} <span class="reason">({esc(query.status)})</span></h4>'
                   f"{indicators}{_query_html(query.question)}</div>")
    out.append("</section>")
    return "".join(out)


def _text_section(text: str | None, spans: list, prefix: str) -> str:
    out = [f'<div class="col"><section id="{prefix}-text" aria-labelledby="{prefix}-th">'
           f'<h3 id="{prefix}-th">Note text</h3>']
    if text is None:
        out.append('<p class="none">Note text not available.</p>')
    else:
        out.append('<p class="legend"><span><mark class="ev">documented evidence</mark></span>'
                   '<span><mark class="inc">evidence, incomplete</mark></span>'
                   '<span><mark class="disc">not counted (negated, hypothetical, history, blank…)</mark></span></p>')
        out.append(f'<pre class="note-text">{highlight(text, spans)}</pre>')
    out.append("</section></div>")
    return "".join(out)


# --- the whole batch --------------------------------------------------------------------------------

class HtmlReport:
    """Streams notes into an HTML review; ``close()`` writes the file to ``handle``.

    >>> with HtmlReport(handle) as report:      # doctest: +SKIP
    ...     for result, text in pairs:
    ...         report.add(result, text)
    """

    def __init__(
        self,
        handle: TextIO,
        *,
        title: str = "Documentation review",
        query_threshold: float | None = None,
        generated: str | None = None,
        spool_dir: str | None = None,
        spool_max: int = 8_000_000,
        pages_dir: Path | None = None,
        page_threshold: int = 500,
    ) -> None:
        """``pages_dir``: where per-note pages go when the batch has more than ``page_threshold`` notes
        (see ``html_pages``); without it, every note stays in the one file."""
        self.handle = handle
        self.title = title
        self.query_threshold = query_threshold
        self.generated = generated or datetime.now().strftime("%Y-%m-%d %H:%M")
        # Closed by close()/__exit__: they live as long as the report object.
        self._notes = tempfile.SpooledTemporaryFile(spool_max, mode="w+", encoding="utf-8", dir=spool_dir)  # noqa: SIM115
        self._index = tempfile.SpooledTemporaryFile(spool_max, mode="w+", encoding="utf-8", dir=spool_dir)  # noqa: SIM115
        self.count = 0
        self.verdicts: Counter[str] = Counter()
        self.bins = [0] * len(SCORE_BINS)
        self.score_sum = 0.0
        self.missing: Counter[str] = Counter()
        self.incomplete: Counter[str] = Counter()
        self.required: dict[str, bool] = {}
        self.names: dict[str, str] = {}
        self.queries = 0
        self.checklists: dict[str, str] = {}
        self._closed = False
        self.pages_dir = pages_dir
        self.page_threshold = page_threshold
        self._lengths: list[int] = []  # characters of each spooled note, to cut the spool into pages

    @property
    def paged(self) -> bool:
        return self.pages_dir is not None and self.count > self.page_threshold

    def __enter__(self) -> HtmlReport:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()

    def add(self, report: Report, text: str | None) -> None:
        """Add one note (its report and the text the report's offsets point into)."""
        self.count += 1
        index = self.count
        self._count(report)
        article = render_note(report, text, index)
        self._lengths.append(len(article))
        self._notes.write(article)
        self._index.write(self._index_row(report, index))

    def _count(self, report: Report) -> None:
        self.verdicts[report.verdict] += 1
        self.queries += len(report.queries)
        ref = report.checklist
        self.checklists.setdefault(f"{ref.id} v{ref.version}", ref.title)
        if report.verdict not in SCORED:
            return
        self.score_sum += report.score
        self.bins[min(int(report.score // 10), 10)] += 1
        for element in report.elements:
            self.required.setdefault(element.id, element.required)
            self.names.setdefault(element.id, element.name)
            if element.status == "missing":
                self.missing[element.id] += 1
            elif element.status == "incomplete":
                self.incomplete[element.id] += 1

    def _index_row(self, report: Report, index: int) -> str:
        prefix = f"n{index}"
        gaps = [e for e in report.elements if e.status != "documented" and e.required]
        if report.verdict in SCORED:
            links = " ".join(f'<a href="#{prefix}-el-{_slug(e.id)}">{esc(e.id)}</a>' for e in gaps) or "—"
            score = f"{report.score:g}"
        elif report.verdict == "error":
            links = esc("; ".join(e.code for e in report.errors))
            score = "—"
        else:
            links = '<span class="reason">checklist does not apply</span>'
            score = f"{report.score:g}"
        return (
            f'<tr><td class="num">{index}</td><td><a class="doc" href="#{prefix}">{esc(report.document_id)}</a></td>'
            f"<td>{esc(report.procedure_status.replace('_', ' '))}</td><td class=\"num\">{score}</td>"
            f'<td><span class="pill v-{report.verdict}">{VERDICT_LABEL[report.verdict]}</span></td>'
            f'<td class="els">{links}</td><td class="num">{len(report.queries) or ""}</td></tr>\n'
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        write = self.handle.write
        write(self._head())
        write(self._summary())
        self._index.seek(0)
        self._notes.seek(0)
        if self.paged:
            assert self.pages_dir is not None
            folder = self.pages_dir.name
            for row in self._index:
                write(link_to_pages(row, folder))
            write("</tbody></table></div></section>\n")
            write(f'<p class="chart-note">{self.count:,} notes: each note is on its page in the folder '
                  f"<code>{esc(folder)}/</code> ({NOTES_PER_PAGE} notes a page); the worklist links to it.</p>")
            write_pages(self.pages_dir, (self._notes.read(n) for n in self._lengths), self._page)
        else:
            shutil.copyfileobj(self._index, self.handle, 1 << 16)
            write("</tbody></table></div></section>\n")
            write('<section id="notes" aria-label="Notes">\n')
            shutil.copyfileobj(self._notes, self.handle, 1 << 16)
            write("</section>")
        write("</main>\n")
        write(f"<footer>Generated by docanalyzer {esc(__version__)} on {esc(self.generated)}. This file is "
              "self-contained: it loads nothing from the network and runs no scripts. It contains note text "
              "(protected health information).</footer>\n</body>\n</html>\n")
        self._discard()

    def _page(self, first: int, last: int, articles: list[str]) -> str:
        """One page of notes, as self-contained (and as locked down) as the main report."""
        return (self._head().replace(f"<title>{esc(self.title)}", f"<title>Notes {first}-{last} · {esc(self.title)}", 1)
                + f'<p class="chart-note">Notes {first} to {last} of {self.count:,}; the summary and worklist are '
                "in the report file beside this folder.</p>"
                + '<section id="notes" aria-label="Notes">\n' + "".join(articles) + "</section></main>\n"
                + "<footer>Contains note text (protected health information).</footer>\n</body>\n</html>\n")

    def _discard(self) -> None:
        self._closed = True
        self._notes.close()
        self._index.close()

    # --- page parts ---

    def _head(self) -> str:
        checklist = "; ".join(f"{ref} — {title}" for ref, title in self.checklists.items()) or "—"
        plural = "s" if self.count != 1 else ""
        return (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
            '<meta name="referrer" content="no-referrer">\n<meta name="robots" content="noindex, nofollow">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(self.title)}: {self.count} note{plural}</title>\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n"
            '<a class="skip" href="#summary">Skip to batch summary</a>\n'
            '<a class="skip" href="#notes">Skip to notes</a>\n'
            '<header class="topbar"><span class="brand">docanalyzer</span>'
            f'<span class="meta">{esc(self.title)}</span><span class="meta">Checklist {esc(checklist)}</span>'
            f'<span class="meta">Generated {esc(self.generated)}</span></header>\n'
            '<div class="phi" role="note">Contains protected health information. Store and share this file '
            "as you would the notes themselves.</div>\n<main>\n"
        )

    def _summary(self) -> str:
        scored = sum(self.verdicts[v] for v in SCORED)
        mean = f"{self.score_sum / scored:.1f}" if scored else "—"
        tiles = [
            ("", str(self.count), "notes in this batch"),
            ("", mean, f"mean score of {scored} scored note{'s' if scored != 1 else ''}"),
            ("t-complete", str(self.verdicts["complete"]), "complete"),
            ("t-needs_query", str(self.verdicts["needs_query"]), "need a physician query"),
            ("t-deficient", str(self.verdicts["deficient"]), "deficient"),
            ("t-needs_review", str(self.verdicts["needs_review"]), "need a person to review"),
            ("", str(self.verdicts["not_applicable"]), "checklist not applicable"),
            ("t-error", str(self.verdicts["error"]), "could not be analyzed"),
            ("", str(self.queries), "query drafts"),
        ]
        out = ['<section id="summary" aria-labelledby="summary-h" tabindex="-1">',
               '<h1 id="summary-h">Batch summary</h1><div class="tiles">']
        out.extend(f'<div class="tile {cls}"><div class="num">{esc(num)}</div><div class="lbl">{esc(label)}</div>'
                   "</div>" for cls, num, label in tiles)
        out.append('</div><div class="charts">')
        out.append(f'<div class="panel"><h3 id="ch-v">Verdicts</h3>{self._verdict_chart()}</div>')
        out.append(f'<div class="panel"><h3 id="ch-s">Score distribution</h3>{self._score_chart()}'
                   f'<p class="chart-note">Scored notes only (checklist applies).'
                   + (f" Dashed line: query threshold {self.query_threshold:g}." if self.query_threshold else "")
                   + "</p></div>")
        out.append(f'<div class="panel"><h3 id="ch-m">Most often not documented</h3>{self._missing_chart()}'
                   '<p class="chart-note">Share of scored notes in which the element is missing (solid) or '
                   "incomplete (light).</p></div>")
        out.append('</div><div class="panel"><h3 id="wl">Worklist</h3>'
                   '<table class="index" aria-labelledby="wl"><thead><tr><th scope="col" class="num">#</th>'
                   '<th scope="col" class="doc">Document</th><th scope="col">Procedure</th>'
                   '<th scope="col" class="num">Score</th>'
                   '<th scope="col">Verdict</th><th scope="col">Required, not documented</th>'
                   '<th scope="col" class="num">Queries</th></tr></thead><tbody>\n')
        return "".join(out)

    def _verdict_chart(self) -> str:
        rows = [v for v in VERDICTS if self.verdicts[v]] or ["complete"]
        width, label_w, row_h = 420, 120, 28
        height = row_h * len(rows) + 8
        top = max(self.verdicts.values(), default=0) or 1
        bar_w = width - label_w - 70
        desc = ", ".join(f"{VERDICT_LABEL[v]} {self.verdicts[v]}" for v in rows)
        parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="ch-v ch-v-d">'
                 f'<desc id="ch-v-d">{esc(desc)}</desc>']
        for i, verdict in enumerate(rows):
            y = 4 + i * row_h
            count = self.verdicts[verdict]
            w = round(bar_w * count / top, 1)
            share = f"{100 * count / self.count:.0f}%" if self.count else "0%"
            parts.append(
                f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="13" fill="#323f4b">'
                f"{VERDICT_LABEL[verdict]}</text>"
                f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" fill="#eef1f4" rx="2"/>'
                f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="18" fill="{VERDICT_FILL[verdict]}" rx="2"/>'
                f'<text x="{label_w + bar_w + 8}" y="{y + 18}" font-size="13" fill="#1f2933" font-weight="600">'
                f"{count} <tspan fill=\"#7b8794\" font-weight=\"400\">({share})</tspan></text>"
            )
        parts.append("</svg>")
        return "".join(parts)

    def _score_chart(self) -> str:
        width, height, left, bottom, top_pad = 420, 190, 30, 34, 14
        plot_w, plot_h = width - left - 8, height - bottom - top_pad
        peak = max(self.bins) or 1
        slot = plot_w / len(self.bins)
        desc = ", ".join(f"{label}: {n}" for label, n in zip(SCORE_BINS, self.bins, strict=True))
        parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="ch-s ch-s-d">'
                 f'<desc id="ch-s-d">Notes per score range: {esc(desc)}</desc>',
                 f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 8}" y2="{top_pad + plot_h}" '
                 'stroke="#9aa5b1" stroke-width="1"/>']
        for i, (label, n) in enumerate(zip(SCORE_BINS, self.bins, strict=True)):
            low = 100 if i == 10 else i * 10
            threshold = self.query_threshold if self.query_threshold is not None else 70
            fill = "#2f7d4f" if low == 100 else "#b7791f" if low >= threshold else "#b42318"
            h = round(plot_h * n / peak, 1)
            x = left + i * slot
            parts.append(f'<rect x="{x + 3:.1f}" y="{top_pad + plot_h - h}" width="{slot - 6:.1f}" height="{h}" '
                         f'fill="{fill}" rx="1.5"/>')
            if n:
                parts.append(f'<text x="{x + slot / 2:.1f}" y="{top_pad + plot_h - h - 4}" text-anchor="middle" '
                             f'font-size="11" fill="#1f2933" font-weight="600">{n}</text>')
            parts.append(f'<text x="{x + slot / 2:.1f}" y="{top_pad + plot_h + 14}" text-anchor="middle" '
                         f'font-size="9.5" fill="#52606d">{label}</text>')
        if self.query_threshold is not None:
            x = left + (self.query_threshold / 10) * slot
            parts.append(f'<line x1="{x:.1f}" y1="{top_pad - 6}" x2="{x:.1f}" y2="{top_pad + plot_h}" '
                         'stroke="#1f3a5f" stroke-width="1.2" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" font-size="11" '
                     'fill="#52606d">score</text></svg>')
        return "".join(parts)

    def _missing_chart(self) -> str:
        scored = sum(self.verdicts[v] for v in SCORED)
        totals = Counter({k: self.missing[k] + self.incomplete[k] for k in set(self.missing) | set(self.incomplete)})
        # required elements first (they drive the verdict), then optional ones; most often first
        ranked = sorted(totals, key=lambda k: (not self.required.get(k, True), -totals[k], k))
        rows = [k for k in ranked if totals[k]][:8]
        if not rows:
            return '<p class="none">Every element is documented in every scored note.</p>'
        width, label_w, row_h = 440, 205, 24
        height = row_h * len(rows) + 6
        bar_w = width - label_w - 60
        desc = ", ".join(f"{k}: {self.missing[k]} missing, {self.incomplete[k]} incomplete" for k in rows)
        parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="ch-m ch-m-d">'
                 f'<desc id="ch-m-d">{esc(desc)} (of {scored} scored notes)</desc>']
        for i, key in enumerate(rows):
            y = 3 + i * row_h
            optional = not self.required.get(key, True)
            miss_w = round(bar_w * self.missing[key] / scored, 1)
            inc_w = round(bar_w * self.incomplete[key] / scored, 1)
            share = f"{100 * totals[key] / scored:.0f}%"
            label = _label(key) + (" (opt.)" if optional else "")
            solid, light = ("#7b8794", "#c3cad2") if optional else ("#b42318", "#eaa59c")
            parts.append(
                f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12" fill="#323f4b">'
                f"{esc(label)}</text>"
                f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="15" fill="#eef1f4" rx="2"/>'
                f'<rect x="{label_w}" y="{y + 4}" width="{miss_w}" height="15" fill="{solid}"/>'
                f'<rect x="{label_w + miss_w}" y="{y + 4}" width="{inc_w}" height="15" fill="{light}"/>'
                f'<text x="{label_w + bar_w + 8}" y="{y + 16}" font-size="12" fill="#1f2933" font-weight="600">'
                f"{totals[key]} <tspan fill=\"#7b8794\" font-weight=\"400\">({share})</tspan></text>"
            )
        parts.append("</svg>")
        return "".join(parts)


def write_html(handle: TextIO, pairs: Iterable[tuple[Report, str | None]], **options) -> None:
    """Write the review of ``(report, text)`` pairs to ``handle`` (options as for ``HtmlReport``)."""
    with HtmlReport(handle, **options) as out:
        for report, text in pairs:
            out.add(report, text)


def render_html(pairs: Iterable[tuple[Report, str | None]], **options) -> str:
    """The review of ``(report, text)`` pairs as one HTML string (for small batches and tests)."""
    import io

    buffer = io.StringIO()
    write_html(buffer, pairs, **options)
    return buffer.getvalue()
