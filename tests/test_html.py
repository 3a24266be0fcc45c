"""The HTML review (``--format html``): well-formed, every evidence span highlighted at its offsets,
hostile note text inert, nothing loaded from outside, and (where Chromium is installed) it renders."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from conftest import REPO, read_original, sample_note_paths
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError
from markupsafe import escape
from typer.testing import CliRunner

from docanalyzer.cli import app
from docanalyzer.output.highlight import highlight
from docanalyzer.output.html import CSS, HtmlReport, environment, render_html
from docanalyzer.output.view_model import Span
from docanalyzer.report import (
    BilledDxCheck,
    ChecklistRef,
    CodeFinding,
    DiagnosisReview,
    DxCode,
    DxQuery,
    Evidence,
    Finding,
    MedicalNecessity,
    Modifier,
    PhysicianQuery,
    Report,
    ReportError,
    ReportWarning,
    SuggestedCode,
)

SAMPLES = sample_note_paths()
VOID = {"meta", "br", "img", "input", "hr", "link", "rect", "line", "col", "wbr"}
HOSTILE = (
    "<script>alert(1)</script>\n</textarea><textarea><img src=x onerror=alert(2)>\n"
    "<a href=\"javascript:alert(3)\">x</a> & &amp; <!-- c --> <style>@import url(http://evil.test/x.css)</style>\n"
    "]]> \" ' <iframe src=//evil.test></iframe>\n"
)


class Page(HTMLParser):
    """Parses a review: checks nesting, collects ids/links/attributes, the note texts and every mark."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.marks: dict[str, dict] = {}  # data-span -> {"attrs": first piece attrs, "text": joined text}
        self.open_marks: list[str] = []
        self.pre_texts: dict[str, str] = {}  # article id -> note text as displayed
        self.article: str | None = None
        self.in_pre = False
        self.style_text = ""
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            if attributes["id"] in self.ids:
                self.errors.append(f"duplicate id {attributes['id']}")
            self.ids.add(attributes["id"])
        if "href" in attributes:
            self.hrefs.append(attributes["href"] or "")
        if tag == "article":
            self.article = attributes.get("id")
        if tag == "pre":
            self.in_pre = True
            self.pre_texts[self.article or ""] = ""
        if tag == "style":
            self.in_style = True
        if tag == "mark" and attributes.get("data-span"):
            key = f"{self.article}/{attributes['data-span']}"
            entry = self.marks.setdefault(key, {"attrs": None, "text": "", "pieces": 0})
            entry["pieces"] += 1
            if "id" in attributes:
                entry["attrs"] = attributes
            self.open_marks.append(key)
        elif tag == "mark":
            self.open_marks.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}> at {self.getpos()}")
            return
        self.stack.pop()
        if tag == "mark":
            self.open_marks.pop()
        if tag == "pre":
            self.in_pre = False
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_pre:
            self.pre_texts[self.article or ""] += data
        if self.in_style:
            self.style_text += data
        for key in self.open_marks:
            if key:
                self.marks[key]["text"] += data


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.errors == [], parser.errors[:5]
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


@pytest.fixture(scope="module")
def sample_pairs(analyzer) -> list[tuple[Report, str]]:
    pairs = []
    for path in SAMPLES:
        text = read_original(path)
        pairs.append((analyzer.analyze(text, document_id=str(path.relative_to(REPO))), text))
    return pairs


@pytest.fixture(scope="module")
def sample_page(sample_pairs) -> str:
    return render_html(sample_pairs, query_threshold=70, generated="2024-01-01 00:00")


def _evidence_of(report: Report):
    for element in report.elements:
        for ev in element.evidence:
            yield element, ev, False
        for ev in element.discounted:
            yield element, ev, True


# --- structure and content ------------------------------------------------------------------------

def test_page_is_well_formed_html(sample_page: str) -> None:
    page = parse(sample_page)
    assert sample_page.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en"}) in page.tags


def test_every_evidence_span_is_highlighted_at_its_offsets(sample_pairs, sample_page: str) -> None:
    page = parse(sample_page)
    checked = 0
    for index, (report, text) in enumerate(sample_pairs, start=1):
        by_offsets = {(int(m["attrs"]["data-start"]), int(m["attrs"]["data-end"])): m
                      for key, m in page.marks.items() if key.startswith(f"n{index}/")}
        for element, ev, _discounted in _evidence_of(report):
            mark = by_offsets.get((ev.start, ev.end))
            assert mark is not None, f"{report.document_id}: {element.id} {ev.text!r} not highlighted"
            assert mark["text"] == ev.text == text[ev.start:ev.end]
            label = mark["attrs"]["data-label"]
            assert element.id.replace("_", " ") in label, (element.id, label)
            checked += 1
    assert checked > 100


def test_note_text_is_shown_exactly(sample_pairs, sample_page: str) -> None:
    page = parse(sample_page)
    for index, (_, text) in enumerate(sample_pairs, start=1):
        assert page.pre_texts[f"n{index}"] == text.replace("\r\n", "\n")


def test_discounted_mentions_are_drawn_differently(sample_pairs, sample_page: str) -> None:
    page = parse(sample_page)
    report = next(r for r, _ in sample_pairs if "03_negation_traps" in r.document_id)
    index = 1 + [r.document_id for r, _ in sample_pairs].index(report.document_id)
    negated = report.element("mri_contraindication").discounted
    assert negated and all(ev.assertion == "negated" for ev in negated)
    marks = {(int(m["attrs"]["data-start"]), int(m["attrs"]["data-end"])): m["attrs"]
             for key, m in page.marks.items() if key.startswith(f"n{index}/")}
    for ev in negated:
        classes = marks[(ev.start, ev.end)]["class"].split()
        assert "disc" in classes and "neg" in classes and "ev" not in classes
        assert "negated" in marks[(ev.start, ev.end)]["data-label"]
    documented = report.element("contrast_agent").evidence[0]
    assert "ev" in marks[(documented.start, documented.end)]["class"].split()


def test_checklist_rows_link_to_their_evidence(sample_pairs, sample_page: str) -> None:
    page = parse(sample_page)
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert internal and all(h[1:] in page.ids for h in internal), [h for h in internal if h[1:] not in page.ids]
    report, _ = sample_pairs[0]
    for element in report.elements:
        assert f"n1-el-{element.id}" in page.ids
    chips = [attrs["href"] for tag, attrs in page.tags if tag == "a" and "chip" in (attrs.get("class") or "")]
    assert len(chips) >= sum(1 for _ in _evidence_of(report))


def test_batch_summary_counts_and_charts(sample_pairs, sample_page: str) -> None:
    verdicts = [r.verdict for r, _ in sample_pairs]
    summary = sample_page.split('<section id="notes"', 1)[0]
    assert "Batch summary" in summary
    assert re.search(rf'<div class="num">{len(sample_pairs)}</div><div class="lbl">notes in this batch', summary)
    assert re.search(rf'<div class="num">{verdicts.count("complete")}</div><div class="lbl">complete', summary)
    assert summary.count("<svg ") == 3
    assert "Most often not documented" in summary and "Score distribution" in summary
    for report, _ in sample_pairs:  # the worklist index links to every note
        assert report.document_id in summary


def test_queries_codes_and_verdicts_are_shown(sample_pairs, sample_page: str) -> None:
    for report, _ in sample_pairs:
        for query in report.queries:
            first_line = query.question.splitlines()[0]
            assert escape(first_line) in sample_page
        for code in report.code_review.suggested_codes:
            assert f"<b>{code.code}</b>" in sample_page
    assert "Clinically undetermined" in sample_page


def test_accessibility_and_print_affordances(sample_page: str) -> None:
    page = parse(sample_page)
    skips = [attrs["href"] for tag, attrs in page.tags if tag == "a" and attrs.get("class") == "skip"]
    assert skips == ["#summary", "#notes"] and {"summary", "notes"} <= page.ids
    assert ":focus-visible" in CSS and "@media print" in CSS and "break-before:page" in CSS
    for tag, attrs in page.tags:
        if tag == "svg":
            assert attrs.get("role") == "img" and attrs.get("aria-labelledby")


# --- safety -----------------------------------------------------------------------------------------

def test_hostile_note_text_is_escaped_and_inert(analyzer) -> None:
    text = HOSTILE + read_original(SAMPLES[1])
    report = analyzer.analyze(text, document_id='<script>alert("id")</script>')
    out = render_html([(report, text)])
    page = parse(out)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "img", "textarea", "object", "embed", "form", "base", "link"}
    assert [tag for tag, _ in page.tags].count("style") == 1  # ours only
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "").lower()
    assert "<script" not in out.lower().replace("&lt;script", "")
    assert page.pre_texts["n1"] == text  # shown exactly, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;/textarea&gt;" in out


def test_no_external_references(sample_page: str, analyzer) -> None:
    for page_text in (sample_page, render_html([(analyzer.analyze(HOSTILE), HOSTILE)])):
        page = parse(page_text)
        for tag, attrs in page.tags:
            assert "src" not in attrs and "srcset" not in attrs, tag
            assert all((attrs.get(a) or "#").startswith("#") for a in ("href", "xlink:href", "action")), attrs
        assert "@import" not in page.style_text and "url(" not in page.style_text
    # the CSP's base64 hash may contain '//' or 'src=' by chance: look at everything else
    lowered = re.sub(r'http-equiv="Content-Security-Policy" content="[^"]*"', "", sample_page).lower()
    for needle in ("http:", "https:", "//", "@import", "src=", "<script"):
        assert needle not in lowered, needle


def test_content_security_policy_forbids_everything_but_our_stylesheet(sample_page: str) -> None:
    page = parse(sample_page)
    csp = next(attrs["content"] for tag, attrs in page.tags
               if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src 'none'" in csp and "unsafe" not in csp
    digest = base64.b64encode(hashlib.sha256(page.style_text.encode("utf-8")).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert page.style_text == CSS
    assert not any("style" in attrs for _, attrs in page.tags), "inline style attributes would be blocked"


def _policy_and_style(page_text: str) -> tuple[str, str]:
    page = parse(page_text)
    csp = next(attrs["content"] for tag, attrs in page.tags
               if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    return csp or "", page.style_text


def test_every_page_allows_exactly_its_own_stylesheet(sample_pairs, tmp_path: Path) -> None:
    """The hash in the policy is computed from the style text the page carries (the shipped
    report.css): the main page and every page of notes, one style-src hash each."""
    import io

    shipped = resources.files("docanalyzer.output").joinpath("templates/report.css").read_text(encoding="utf-8")
    assert "\n" + shipped == CSS
    handle = io.StringIO()
    with HtmlReport(handle, generated="x", pages_dir=tmp_path / "notes", page_threshold=2) as out:
        for report, text in sample_pairs[:5]:
            out.add(report, text)
    pages = [handle.getvalue()] + [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "notes").iterdir())]
    assert len(pages) == 2
    for page_text in pages:
        csp, style = _policy_and_style(page_text)
        assert style == CSS
        digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
        assert re.findall(r"'sha256-([^']+)'", csp) == [digest]


def test_the_template_environment_is_built_once_escapes_and_is_strict() -> None:
    env = environment()
    assert env is environment()
    assert env.from_string("{{ v }}").render(v='<a href="x">&</a>') == "&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt;"
    template_file = Path(env.get_template("note.html.j2").filename or "")
    assert template_file.parent == Path(resources.files("docanalyzer.output") / "templates")  # the package's own
    with pytest.raises(UndefinedError):
        env.get_template("note.html.j2").render()  # a missing value is an error, not an empty string


# --- escaping everywhere ------------------------------------------------------------------------------

def _decoded(out: str, page: Page) -> tuple[str, list[str]]:
    """The page's text nodes (joined) and attribute values, as a browser would read them."""
    collector = _Text()
    collector.feed(out)
    collector.close()
    return "\x00".join(collector.data), [value or "" for _, attrs in page.tags for value in attrs.values()]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: list[str] = []

    def handle_data(self, data):
        self.data.append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "a", "header", "span", "div", "main", "section",
                "h1", "h2", "h3", "h4", "svg", "desc", "text", "tspan", "rect", "line", "table", "thead", "tbody",
                "tr", "th", "td", "p", "code", "footer", "article", "nav", "dl", "dt", "dd", "small", "b", "i",
                "strong", "ul", "li", "mark", "pre", "br"}


def _assert_inert(out: str) -> Page:
    page = parse(out)
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert "<script" not in out.lower()
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), tag
    return page


def test_note_text_and_evidence_with_markup_characters_come_out_escaped(analyzer) -> None:
    """A real analysis whose evidence itself holds <script>, quotes and &: shown as text in the chips,
    the highlights and the note text, never as markup."""
    text = read_original(SAMPLES[0])
    text = text.replace("Contrast fills the thecal sac from the conus",
                        'Contrast fills the thecal sac <script>alert("x")</script> & from the conus')
    text = text.replace("with compression of the left L5 nerve root.",
                        'with compression of the "left" L5 nerve root <b>&amp;</b>.')
    document_id = '<script>alert("id")</script> & "x"'
    report = analyzer.analyze(text, document_id=document_id)
    hostile = [ev for element in report.elements for ev in element.evidence if set('<&"') & set(ev.text)]
    assert len(hostile) >= 2, "the test needs evidence that holds the characters"
    out = render_html([(report, text)])
    page = _assert_inert(out)
    data, _ = _decoded(out, page)
    assert page.pre_texts["n1"] == text
    marks = {(int(m["attrs"]["data-start"]), int(m["attrs"]["data-end"])): m for m in page.marks.values()}
    for ev in hostile:
        assert marks[(ev.start, ev.end)]["text"] == ev.text  # highlighted, as text
        assert f"“{' '.join(ev.text.split())[:55]}" in data  # its chip (cut to fit)
    assert data.count(document_id) == 2  # the note's heading and its worklist row
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; from" in out
    assert "&#34;left&#34; L5 nerve root &lt;b&gt;&amp;amp;&lt;/b&gt;." in out


class _Hostile:
    """A fresh hostile string each call, numbered so each place it goes can be found on the page."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self) -> str:
        n = len(self.issued) + 1
        self.issued.append(f'<script>alert("{n}")</script> & "{n}" \'{n}\'')
        return self.issued[-1]

    def evidence(self, *, chip: bool = False) -> Evidence:
        """A quote; a chip also shows its section (in its title), quotes in running text do not."""
        return Evidence(text=self(), start=0, end=1, section=self() if chip else None, label="X", assertion="affirmed")


def _hostile_everywhere(report: Report, h: _Hostile) -> Report:
    """``report`` with every piece of free text the page shows replaced by a hostile string."""
    def quotes(items):
        return [ev.model_copy(update={"text": h(), "section": h()}) for ev in items]

    elements = [e.model_copy(update={
        "name": h(), "evidence": quotes(e.evidence), "discounted": quotes(e.discounted), "values": {h(): [h(), h()]},
        "reason": h() if e.status != "documented" or not e.evidence else e.reason}) for e in report.elements]
    review = report.code_review.model_copy(update={
        "billed_code": h(), "suggested_codes": [SuggestedCode(code=h(), description=h(), reason=h())],
        "modifiers": [Modifier(code=h(), description=h(), reason=h())],
        "findings": [CodeFinding(rule_id=h(), severity="warning", message=h(), evidence=[h.evidence(chip=True)])]})
    diagnoses = DiagnosisReview(
        code_set=h(), coverage=h(), covered=False,
        suggested=[DxCode(code=h(), description=h(), concept="x", reason=h(), evidence=[h.evidence(), h.evidence()])],
        billed=[BilledDxCheck(code=h(), status="unsupported", message=h())],
        queries=[DxQuery(concept="x", question=f"{h()}\n{h()}", indicators=[h.evidence()])])
    return report.model_copy(update={
        "document_id": h(), "elements": elements, "code_review": review, "diagnosis_review": diagnoses,
        "checklist": ChecklistRef(id=h(), version=h(), title=h()),
        "findings": [Finding(concept=h(), assertion="present", evidence=[])],
        "medical_necessity": MedicalNecessity(met=False, missing=[], explanation=h()),
        "queries": [PhysicianQuery(element_id=report.elements[0].id, status="missing", question=f"{h()}\n- {h()}",
                                   indicators=[h.evidence()])],
        "warnings": [ReportWarning(code=h(), message=h())]})


def test_every_place_text_is_shown_escapes_it(analyzer) -> None:
    """Every free-text field a page shows (ids, names, reasons, quotes and their sections, values,
    codes and their descriptions, findings, messages, query drafts, the diagnosis review, the
    checklist) given a different hostile string: each is on the page, as text, and nothing runs."""
    h = _Hostile()
    text = HOSTILE + read_original(SAMPLES[3])
    report = analyzer.analyze(text, document_id="d")
    failed = analyzer.analyze("", document_id="e").model_copy(update={
        "document_id": h(), "errors": [ReportError(code=h(), message=h())]})
    out = render_html([(_hostile_everywhere(report, h), text), (failed, None)], title=h())
    page = _assert_inert(out)
    data, attributes = _decoded(out, page)
    missing = [s for s in h.issued if s not in data and not any(s in value for value in attributes)]
    assert missing == [], f"{len(missing)} of {len(h.issued)} hostile strings are not shown as text: {missing[:3]}"
    assert page.pre_texts["n1"] == text


# --- overlapping spans --------------------------------------------------------------------------------

def _spans(pairs: list[tuple[int, int]]) -> list[Span]:
    merged: dict[tuple[int, int], Span] = {}
    for n, (start, end) in enumerate(pairs):
        merged.setdefault((start, end), Span(start, end, "", [(f"e{n}", "ev", "affirmed")]))
    spans = sorted(merged.values(), key=lambda s: (s.start, -s.end))
    for number, span in enumerate(spans, start=1):
        span.anchor = f"n1-s{number}"
    return spans


def _check_highlight(text: str, offsets: list[tuple[int, int]]) -> None:
    spans = _spans(offsets)
    page = parse(f'<article id="n1"><pre>{highlight(text, spans)}</pre></article>')
    assert page.pre_texts["n1"] == text
    for span in spans:
        mark = page.marks[f"n1/{span.anchor}"]
        assert mark["attrs"] is not None and mark["attrs"]["id"] == span.anchor
        assert mark["text"] == text[span.start:span.end]


def test_overlapping_nested_and_identical_spans() -> None:
    text = "needle at L2-L3 with Omnipaque 180 <b>&</b> under fluoroscopy"
    _check_highlight(text, [(0, 15), (10, 15), (10, 15), (7, 30), (21, 34), (21, 30), (35, 45), (40, 61), (0, 61)])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab<&>\n ", min_size=1, max_size=40).flatmap(
    lambda s: st.tuples(st.just(s), st.lists(st.tuples(st.integers(0, len(s)), st.integers(0, len(s)))
                                             .filter(lambda p: p[0] < p[1]), max_size=8))))
def test_any_spans_give_well_formed_markup(case) -> None:
    text, offsets = case
    _check_highlight(text, offsets)


# --- streaming and the CLI ------------------------------------------------------------------------

def test_spooling_to_disk_gives_the_same_page(sample_pairs) -> None:
    import io

    small, large = io.StringIO(), io.StringIO()
    for handle, spool_max in ((small, 1000), (large, 50_000_000)):
        with HtmlReport(handle, generated="x", spool_max=spool_max) as out:
            for report, text in sample_pairs[:4]:
                out.add(report, text)
    assert small.getvalue() == large.getvalue()




def test_a_big_batch_puts_notes_on_pages_beside_the_report(sample_pairs, tmp_path: Path) -> None:
    import io

    from docanalyzer.output import html_pages

    pairs = (sample_pairs * 40)[:250]
    whole, paged = io.StringIO(), io.StringIO()
    for handle, folder in ((whole, None), (paged, tmp_path / "review_notes")):
        with HtmlReport(handle, generated="x", pages_dir=folder, page_threshold=120) as out:
            for report, text in pairs:
                out.add(report, text)
    main = paged.getvalue()
    assert len(main) < len(whole.getvalue()) / 3, "the main page holds the summary and worklist only"
    assert 'href="review_notes/notes-00003.html#n201"' in main and 'id="n1"' not in main
    pages = sorted(p.name for p in (tmp_path / "review_notes").iterdir())
    assert pages == ["notes-00001.html", "notes-00002.html", "notes-00003.html"]
    page3 = (tmp_path / "review_notes" / "notes-00003.html").read_text(encoding="utf-8")
    assert 'id="n201"' in page3 and 'id="n250"' in page3 and 'id="n200"' not in page3
    assert "Content-Security-Policy" in page3
    for page in (tmp_path / "review_notes").iterdir():
        assert page.stat().st_mode & 0o777 == 0o600
    every = "".join((tmp_path / "review_notes" / name).read_text(encoding="utf-8") for name in pages)
    assert all(f'id="n{i}"' in every for i in range(1, 251))
    assert html_pages.page_name(100) == "notes-00001.html" and html_pages.page_name(101) == "notes-00002.html"


def test_a_planted_link_at_the_pages_folder_is_refused(sample_pairs, tmp_path: Path) -> None:
    import io

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "review_notes").symlink_to(elsewhere)
    with pytest.raises(OSError, match="symbolic link"), HtmlReport(
            io.StringIO(), pages_dir=tmp_path / "review_notes", page_threshold=1) as out:
        for report, text in sample_pairs[:3]:
            out.add(report, text)
        out.close()
    assert list(elsewhere.iterdir()) == []


def test_cli_writes_one_html_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "review.html"
    error_note = tmp_path / "empty.txt"
    error_note.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["analyze", *map(str, SAMPLES[:3]), str(error_note), "--format", "html",
                                 "-o", str(target)], catch_exceptions=False)
    assert result.exit_code == 3  # the empty note could not be analyzed; it still has its section
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt", "review.html"]
    page_text = target.read_text(encoding="utf-8")
    page = parse(page_text)
    assert {"n1", "n2", "n3", "n4"} <= page.ids
    for path in SAMPLES[:3]:
        assert str(path) in page_text
    assert page.pre_texts["n2"] == read_original(SAMPLES[1])
    assert "E001_EMPTY_INPUT" in page_text


# --- a real browser ---------------------------------------------------------------------------------

def _chromium() -> str | None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from screenshot_report import find_chromium
    finally:
        sys.path.pop(0)
    return find_chromium()


def _png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    return width, height, len(set(raw[: 4 * width * 400]))


@pytest.mark.skipif(_chromium() is None, reason="Chromium not installed (apt-get install chromium, or set "
                    "DOCANALYZER_CHROMIUM): the browser rendering check needs it")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(REPO / "bench" / "screenshot_report.py"), "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=240, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    png = tmp_path / "review.png"
    assert png.is_file()
    data = png.read_bytes()
    width, height, distinct = _png_size_and_colours(data)
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000, "a blank page compresses to a few kB"
    assert distinct > 50, "the screenshot should show text, charts and highlights, not a blank page"
