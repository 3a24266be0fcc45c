"""One writer per output format, so the batch loop is the same for all of them.

Each writer is told once whether the output is new or continues a resumed ``.partial`` (then
nothing that opens the file is written again: no ``[``, no CSV header), gets each report in input
order, and closes the output when the batch ends (``]``, the text summary, the HTML page).
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import TextIO

from docanalyzer.report import Report


class FormatWriter:
    """Base: JSON lines (one compact object per note), nothing before or after."""

    def __init__(self, handle: TextIO, *, resumed: bool) -> None:
        self.handle = handle
        self.first = not resumed
        if not resumed:
            self.start()

    def start(self) -> None:
        """What opens a new output (nothing for JSON lines)."""

    def add(self, report: Report) -> None:
        from docanalyzer.output.tabular import to_jsonl

        self.handle.write(to_jsonl(report))

    def finish(self) -> None:
        """What closes the output (nothing for JSON lines)."""


class JsonWriter(FormatWriter):
    """A JSON array, each report indented; a resumed file goes on after its last object."""

    def start(self) -> None:
        self.handle.write("[\n")

    def add(self, report: Report) -> None:
        self.handle.write(("" if self.first else ",\n") + report.model_dump_json(indent=2))
        self.first = False

    def finish(self) -> None:
        self.handle.write("\n]\n")


class CsvWriter(FormatWriter):
    """The worklist: a header (with a byte order mark for Excel when asked), a row per note."""

    def __init__(self, handle: TextIO, *, resumed: bool, bom: bool = False) -> None:
        self.bom = bom
        super().__init__(handle, resumed=resumed)

    def start(self) -> None:
        from docanalyzer.output.tabular import csv_header

        self.handle.write(csv_header(bom=self.bom))

    def add(self, report: Report) -> None:
        from docanalyzer.output.tabular import to_csv_row

        self.handle.write(to_csv_row(report))


class TextWriter(FormatWriter):
    """The reports for a person, separated by blank lines, and the batch summary after two or more."""

    def __init__(self, handle: TextIO, *, resumed: bool, colour: bool = False) -> None:
        from docanalyzer.output.text import TextSummary

        self.colour = colour
        self.summary = TextSummary()
        super().__init__(handle, resumed=resumed)

    def add(self, report: Report) -> None:
        from docanalyzer.output.text import format_text

        self.summary.add(report)
        self.handle.write(("" if self.first else "\n") + format_text(report, colour=self.colour) + "\n")
        self.first = False

    def finish(self) -> None:
        if self.summary.notes > 1:
            self.handle.write("\n" + self.summary.format(colour=self.colour) + "\n")


class HtmlWriter(FormatWriter):
    """The review page: each report with the text it points into (``texts``, in input order)."""

    def __init__(self, handle: TextIO, *, resumed: bool, texts: deque[str | None], query_threshold: float | None,
                 output: Path | None) -> None:
        from docanalyzer.output.html import HtmlReport
        from docanalyzer.output.html_pages import pages_dir_for

        self.texts = texts
        self.page = HtmlReport(handle, query_threshold=query_threshold,
                               spool_dir=str(output.parent) if output is not None else None,
                               pages_dir=pages_dir_for(output) if output is not None else None)
        super().__init__(handle, resumed=resumed)

    def add(self, report: Report) -> None:
        self.page.add(report, self.texts.popleft() if self.texts else None)

    def finish(self) -> None:
        self.page.close()
