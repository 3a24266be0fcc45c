"""The geometry of the batch summary's three charts, from the counts alone.

Numbers only (positions, widths, colours, counts): ``templates/charts.html.j2`` draws them as inline
SVG. Every fractional value is computed here in its final form (rounded or formatted); the template
only adds whole-number offsets (a label 18 px below its row's top).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from docanalyzer.output.view_model import SCORE_BINS, VERDICT_LABEL, VERDICTS, BatchTally, label

VERDICT_FILL = {
    "complete": "#2f7d4f",
    "needs_query": "#b7791f",
    "deficient": "#b42318",
    "needs_review": "#1f5fa8",
    "not_applicable": "#7b8794",
    "error": "#6b3fa0",
}


@dataclass(frozen=True)
class Bar:
    """A labelled horizontal bar: ``y`` its row's top, ``width`` the filled part."""

    label: str
    y: int
    width: float
    fill: str
    count: int
    share: str


@dataclass(frozen=True)
class VerdictChart:
    width: int
    height: int
    label_w: int
    bar_w: int
    desc: str
    bars: tuple[Bar, ...]


def verdict_chart(tally: BatchTally) -> VerdictChart:
    """One bar per verdict that occurs (complete alone when the batch is empty)."""
    rows = [v for v in VERDICTS if tally.verdicts[v]] or ["complete"]
    width, label_w, row_h = 420, 120, 28
    top = max(tally.verdicts.values(), default=0) or 1
    bar_w = width - label_w - 70
    bars = []
    for i, verdict in enumerate(rows):
        count = tally.verdicts[verdict]
        share = f"{100 * count / tally.notes:.0f}%" if tally.notes else "0%"
        bars.append(Bar(VERDICT_LABEL[verdict], 4 + i * row_h, round(bar_w * count / top, 1), VERDICT_FILL[verdict],
                        count, share))
    desc = ", ".join(f"{VERDICT_LABEL[v]} {tally.verdicts[v]}" for v in rows)
    return VerdictChart(width, row_h * len(rows) + 8, label_w, bar_w, desc, tuple(bars))


@dataclass(frozen=True)
class Column:
    """One score range of the histogram (coordinates formatted for the SVG)."""

    label: str
    count: int
    x: str
    y: str
    width: str
    height: str
    fill: str
    middle: str
    count_y: str


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    left: int
    top_pad: int
    base_y: int
    right: int
    label_y: int
    desc: str
    columns: tuple[Column, ...]
    threshold_x: str | None
    """Where the dashed query-threshold line goes (None: no threshold)."""
    axis_x: str


def score_chart(bins: list[int], query_threshold: float | None) -> ScoreChart:
    """Notes per score range, coloured by what the range means (complete, query, deficient)."""
    width, height, left, bottom, top_pad = 420, 190, 30, 34, 14
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    peak = max(bins) or 1
    slot = plot_w / len(bins)
    threshold = query_threshold if query_threshold is not None else 70
    columns = []
    for i, (name, n) in enumerate(zip(SCORE_BINS, bins, strict=True)):
        low = 100 if i == 10 else i * 10
        fill = "#2f7d4f" if low == 100 else "#b7791f" if low >= threshold else "#b42318"
        h = round(plot_h * n / peak, 1)
        x = left + i * slot
        columns.append(Column(name, n, f"{x + 3:.1f}", f"{top_pad + plot_h - h}", f"{slot - 6:.1f}", f"{h}", fill,
                              f"{x + slot / 2:.1f}", f"{top_pad + plot_h - h - 4}"))
    threshold_x = f"{left + (query_threshold / 10) * slot:.1f}" if query_threshold is not None else None
    desc = ", ".join(f"{name}: {n}" for name, n in zip(SCORE_BINS, bins, strict=True))
    return ScoreChart(width, height, left, top_pad, top_pad + plot_h, width - 8, top_pad + plot_h + 14, desc,
                      tuple(columns), threshold_x, f"{left + plot_w / 2:.1f}")


@dataclass(frozen=True)
class MissingBar:
    """An element's share of scored notes where it is missing (solid) or incomplete (light)."""

    label: str
    y: int
    missing_w: float
    incomplete_x: float
    incomplete_w: float
    solid: str
    light: str
    total: int
    share: str


@dataclass(frozen=True)
class MissingChart:
    width: int
    height: int
    label_w: int
    bar_w: int
    desc: str
    bars: tuple[MissingBar, ...]


def missing_chart(tally: BatchTally) -> MissingChart | None:
    """The (up to 8) elements most often not documented, required ones first; None when there are none."""
    scored = tally.scored
    keys = set(tally.missing) | set(tally.incomplete)
    totals = Counter({k: tally.missing[k] + tally.incomplete[k] for k in keys})
    ranked = sorted(totals, key=lambda k: (not tally.required.get(k, True), -totals[k], k))
    rows = [k for k in ranked if totals[k]][:8]
    if not rows:
        return None
    width, label_w, row_h = 440, 205, 24
    bar_w = width - label_w - 60
    bars = []
    for i, key in enumerate(rows):
        optional = not tally.required.get(key, True)
        miss_w = round(bar_w * tally.missing[key] / scored, 1)
        solid, light = ("#7b8794", "#c3cad2") if optional else ("#b42318", "#eaa59c")
        bars.append(MissingBar(label(key) + (" (opt.)" if optional else ""), 3 + i * row_h, miss_w, label_w + miss_w,
                               round(bar_w * tally.incomplete[key] / scored, 1), solid, light, totals[key],
                               f"{100 * totals[key] / scored:.0f}%"))
    desc = ", ".join(f"{k}: {tally.missing[k]} missing, {tally.incomplete[k]} incomplete" for k in rows)
    return MissingChart(width, row_h * len(rows) + 6, label_w, bar_w, f"{desc} (of {scored} scored notes)",
                        tuple(bars))
