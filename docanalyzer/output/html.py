"""The review report as one self-contained HTML file, for an auditor who would rather look than read.

The file holds note text (PHI), so it is built to be inert and local:

- no scripts at all, no external fonts, images, styles or links: a strict Content-Security-Policy
  (``default-src 'none'``; the one inline stylesheet is allowed by its SHA-256 hash) makes sure;
- the page comes from Jinja2 templates (``output/templates/``) with autoescaping on: every piece of
  note-derived text is escaped where it is inserted; the one piece of markup built in Python is the
  highlighted note text (``highlight.py`` says why), escaped piece by piece; charts are inline SVG
  drawn from numbers only (``charts.py``);
- readable on paper (print stylesheet: one note per page, colours kept for highlights), usable from
  the keyboard (skip links, focusable evidence links, visible focus ring).

Layout: a batch summary (counts, verdicts, score distribution, the elements most often not
documented, a worklist index), then one section per note: verdict and score, the checklist with a
link from each row to its evidence, codes and modifiers, physician query drafts, and the note text
with every evidence span highlighted and labelled by element (discounted mentions, e.g. negated or
hypothetical, are drawn differently from the evidence that counts).

What each part shows is decided in ``view_model.py`` (shared with the text report); the templates
lay it out.

Memory stays bounded: rendered note sections and worklist rows (as data) are streamed into spooled
temporary files (kept in memory while small, on disk, already unlinked, once large) and only counters
are held, so the summary can be written at the top when the batch ends, and the page is streamed out
of its template.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape
from jinja2.ext import Extension
from markupsafe import Markup

from docanalyzer.output import charts
from docanalyzer.output.highlight import highlight
from docanalyzer.output.html_pages import NOTES_PER_PAGE, page_name, write_pages
from docanalyzer.output.view_model import BatchTally, WorklistRow, note_view, worklist_row
from docanalyzer.report import Report
from docanalyzer.version import __version__

_CHIP_CHARS = 56
_SPOOL_CHUNK = 1 << 16

# The one stylesheet, inlined into every page; <style> holds it starting on a line of its own. The
# Content-Security-Policy allows exactly this text, by its hash (templates/page.html.j2).
CSS = "\n" + resources.files("docanalyzer.output").joinpath("templates/report.css").read_text(encoding="utf-8")
CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")


# --- the templates ------------------------------------------------------------------------------------

class JoinLines(Extension):
    """Drops every line break of a template source, with the indentation after it.

    So a template is laid out for reading while the page keeps its compact form (the same bytes as
    before templates). A line break the page needs is written ``{{ "\\n" }}``; a tag or an expression
    stays on one line, and so does running text (its words would run together).
    """

    _BREAK = re.compile(r"\r?\n[ \t]*")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return self._BREAK.sub("", source)


def _short(text: str, limit: int = _CHIP_CHARS) -> str:
    """Text on one line, cut to ``limit`` characters with an ellipsis (the chips)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@cache
def environment() -> Environment:
    """The report's Jinja2 environment, built once: autoescaping everywhere, undefined names are errors."""
    env = Environment(loader=PackageLoader("docanalyzer.output", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, extensions=[JoinLines], auto_reload=False)
    env.filters.update(short=_short, highlight=highlight, g=lambda value: format(value, "g"),
                       thousands=lambda value: format(value, ","))
    # The stylesheet is our own file, inserted as it is: escaping would break its quotes.
    env.globals.update(css=Markup(CSS), css_hash=CSS_HASH, version=__version__, notes_per_page=NOTES_PER_PAGE)
    return env


def _template(name: str) -> Template:
    return environment().get_template(name)


def render_note(report: Report, text: str | None, index: int) -> str:
    """The ``<article>`` of one note (``index`` is its 1-based position in the batch)."""
    return _template("note.html.j2").render(note=note_view(report, text, index))


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
        self.tally = BatchTally()
        self._closed = False
        self.pages_dir = pages_dir
        self.page_threshold = page_threshold
        self._lengths: list[int] = []  # characters of each spooled note, to cut the spool into pages

    @property
    def count(self) -> int:
        return self.tally.notes

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
        note = note_view(report, text, self.count + 1)
        self.tally.add(report)
        article = _template("note.html.j2").render(note=note)
        self._lengths.append(len(article))
        self._notes.write(article)
        self._index.write(json.dumps(dataclasses.asdict(worklist_row(note))) + "\n")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._index.seek(0)
        self._notes.seek(0)
        folder = None
        if self.paged:
            assert self.pages_dir is not None
            folder = self.pages_dir.name
            write_pages(self.pages_dir, (self._notes.read(n) for n in self._lengths), self._page)
        tally = self.tally
        _template("report.html.j2").stream(
            batch=self._batch(), tiles=tally.tiles(), verdict_chart=charts.verdict_chart(tally),
            score_chart=charts.score_chart(tally.bins, self.query_threshold),
            missing_chart=charts.missing_chart(tally), query_threshold=self.query_threshold,
            rows=self._rows(folder), notes=self._spooled_notes(), pages_folder=folder,
        ).dump(self.handle)
        self._discard()

    def _batch(self) -> dict[str, object]:
        """What the frame of every page says about the batch."""
        return {"title": self.title, "notes": self.count, "checklists": self.tally.checklist_text,
                "generated": self.generated}

    def _rows(self, folder: str | None) -> Iterator[WorklistRow]:
        """The worklist rows back from the spool; with pages, their links point into the note's page."""
        for line in self._index:
            fields = json.loads(line)
            fields["gaps"] = tuple(tuple(gap) for gap in fields["gaps"])
            if folder is not None:
                fields["page"] = f"{folder}/{page_name(fields['index'])}"
            yield WorklistRow(**fields)

    def _spooled_notes(self) -> Iterator[Markup]:
        """The rendered articles, in chunks (already HTML: inserted as they are)."""
        for chunk in iter(lambda: self._notes.read(_SPOOL_CHUNK), ""):
            yield Markup(chunk)

    def _page(self, first: int, last: int, articles: list[str]) -> str:
        """One page of notes, as self-contained (and as locked down) as the main report."""
        return _template("notes_page.html.j2").render(batch=self._batch(), first=first, last=last,
                                                      articles=[Markup(article) for article in articles])

    def _discard(self) -> None:
        self._closed = True
        self._notes.close()
        self._index.close()


def write_html(handle: TextIO, pairs: Iterable[tuple[Report, str | None]], **options) -> None:
    """Write the review of ``(report, text)`` pairs to ``handle`` (options as for ``HtmlReport``)."""
    with HtmlReport(handle, **options) as out:
        for report, text in pairs:
            out.add(report, text)


def render_html(pairs: Iterable[tuple[Report, str | None]], **options) -> str:
    """The review of ``(report, text)`` pairs as one HTML string (for small batches and tests)."""
    buffer = io.StringIO()
    write_html(buffer, pairs, **options)
    return buffer.getvalue()
