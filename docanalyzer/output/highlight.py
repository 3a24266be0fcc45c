"""The note text with its evidence marked: the one piece of the HTML page built in Python.

Why not in a template: highlights nest and cross (two elements can cite overlapping words), so the
markup is produced by a walk over the span boundaries with a stack of open ``<mark>`` elements, which
closes and reopens marks to stay well-formed. Written as template logic that walk would be harder to
read and to test (``tests/test_html.py`` checks it on random spans). It is kept safe the same way the
templates are: every piece of note text and every attribute value goes through ``markupsafe.escape``,
and the result is a ``Markup`` the templates insert as it is.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from docanalyzer.output.view_model import Span


def highlight(text: str, spans: list[Span] | tuple[Span, ...]) -> Markup:
    """``text`` escaped, with each span wrapped in ``<mark>``. Nested spans nest; spans that cross
    are split so the markup stays well-formed: the first piece carries the id and label, later
    pieces carry ``data-span`` only (every piece has ``data-span`` = the span's anchor)."""
    if not spans:
        return escape(text)
    starts: dict[int, list[Span]] = {}
    for span in spans:
        starts.setdefault(span.start, []).append(span)
    bounds = sorted({s.start for s in spans} | {s.end for s in spans})
    out: list[str] = []
    stack: list[Span] = []
    pos = 0
    for bound in bounds:
        if bound > pos:
            out.append(escape(text[pos:bound]))
            pos = bound
        _close_ending(bound, stack, out)
        for span in sorted(starts.get(bound, []), key=lambda s: -s.end):
            out.append(_open(span, first=True))
            stack.append(span)
    out.append(escape(text[pos:]))
    return Markup("".join(out))


def _close_ending(bound: int, stack: list[Span], out: list[str]) -> None:
    """Close the marks that end at ``bound``, and those opened inside them (reopened after)."""
    ending = [i for i, s in enumerate(stack) if s.end == bound]
    if not ending:
        return
    lowest = ending[0]
    reopen = [s for s in stack[lowest:] if s.end != bound]
    out.append("</mark>" * (len(stack) - lowest))
    del stack[lowest:]
    for span in reopen:
        out.append(_open(span, first=False))
        stack.append(span)


def _open(span: Span, *, first: bool) -> str:
    anchor = escape(span.anchor)
    if first:
        return (f'<mark id="{anchor}" class="{escape(span.css)}" data-span="{anchor}" '
                f'data-label="{escape(span.label)}" data-start="{span.start}" data-end="{span.end}">')
    return f'<mark class="{escape(span.css)} cont" data-span="{anchor}">'
