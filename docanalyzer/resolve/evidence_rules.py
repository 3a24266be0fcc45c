"""Evaluates the checklist's evidence rules (``documented_when`` / ``incomplete_when``) on a note.

A rule names a target label (optionally: next to other labels in the same sentence, inside or
outside sections, with which ConText assertions) or the body of sections. This is what lets a
new procedure be a new checklist file rather than new Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docanalyzer.report import Evidence
from docanalyzer.resolve.mentions import NEAR_REJECTED, Mention, NoteView, SectionSpan
from docanalyzer.schemas import EvidenceRule

# Words that fill a template field without saying anything about the images.
_FILLER = re.compile(
    r"\b(?:n/?a|none given|pending|tbd|to be (?:determined|dictated|read|interpreted)|"
    r"not (?:yet )?(?:documented|dictated|read|interpreted)|see (?:separate|attached)(?: ct)? report|"
    r"will be dictated|dictated separately|blank|study not completed|none)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]{2,}")
# an option of a template left unticked ("[ ] normal   [ ] stenosis"): the form's words, not a reading
_UNTICKED_OPTION = re.compile(r"[\[(][ \t]*[\])][ \t]*[A-Za-z][A-Za-z/ -]{0,30}?(?=[ \t]*[\[(]|[ \t]{2,}|\n|$)")
# a signature after the body: the reader's name, not the reading
_SIGNATURE = re.compile(
    r"\b(?:electronically signed|e-signed|signed(?: by)?:|dictated by|transcribed by|/es/|reviewed and signed)",
    re.IGNORECASE)


ASSERTION_REASON = {
    "negated": "negated",
    "hypothetical": "planned or hypothetical",
    "historical": "historical",
    "family": "about a family member",
    "template_blank": "an unfilled template field",
    "possible": "uncertain",
    "affirmed": "outside the expected context",
}


@dataclass
class RuleMatch:
    supporting: list[Mention] = field(default_factory=list)
    discounted: list[tuple[Mention, str]] = field(default_factory=list)
    section_evidence: list[Evidence] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.supporting or self.section_evidence)


def _section_reason(mention: Mention) -> str:
    if mention.assertion != "affirmed":
        return ASSERTION_REASON[mention.assertion]
    where = mention.section.replace("_", " ") if mention.section else "unlabelled"
    return f"in the {where} section, which this element does not count"


def _section_ok(rule: EvidenceRule, section: str | None) -> bool:
    if rule.sections is not None and section not in rule.sections:
        return False
    return not (rule.exclude_sections and section in rule.exclude_sections)


def _accepted(rule: EvidenceRule) -> set[str]:
    if rule.requires:
        return set(rule.requires)
    return {"affirmed", *rule.also_accept}


def has_near(view: NoteView, mention: Mention, labels: list[str], window: int = 0) -> bool:
    """Another mention with one of ``labels`` that can stand, within ``window`` sentences."""
    own = mention.label if mention.assertion not in NEAR_REJECTED else None
    for sentence in range(mention.sentence - window, mention.sentence + window + 1):
        counts = view.standing_labels(sentence)
        if counts and any(counts.get(label, 0) > (label == own and sentence == mention.sentence) for label in labels):
            return True
    return False


def _hands_off(view: NoteView, start: int, end: int) -> bool:
    """The body only says the images are read elsewhere ("see separate report"), naming no finding."""
    inside = [m for m in view.mentions_between(start, end) if m.assertion != "negated"]
    return any(m.label == "HANDOFF" for m in inside) and not any(m.label == "FINDING" for m in inside)


def _first_paragraph(body: str) -> str:
    """The body up to its first blank line: a blank template field followed by other fields says nothing."""
    stripped = body.lstrip()
    return re.split(r"\n[ \t\r]*\n", stripped, maxsplit=1)[0]


def _says_something(view: NoteView, section: SectionSpan, body: str) -> bool:
    """Two words that are no filler ("pending", "see separate report", a template's unticked options,
    a signature), or a finding stated ("L4-5 stenosis")."""
    said = _first_paragraph(body)
    signature = _SIGNATURE.search(said)
    said = said[: signature.start()] if signature else said
    if len(_WORD.findall(_FILLER.sub(" ", _UNTICKED_OPTION.sub(" ", said)))) >= 2:
        return True
    return any(m.label == "FINDING" and m.assertion in {"affirmed", "negated", "possible"}
               for m in view.mentions_between(section.body_start, section.end))


def section_body_evidence(view: NoteView, categories: list[str]) -> list[Evidence]:
    """Non-blank bodies of the named sections, as evidence spans (first line of each body)."""
    out: list[Evidence] = []
    for section in view.sections:
        if section.category not in categories:
            continue
        body = view.text[section.body_start : section.end]
        if not _says_something(view, section, body) or _hands_off(view, section.body_start, section.end):
            continue
        offset = section.body_start + (len(body) - len(body.lstrip()))
        first_line = view.text[offset : section.end].split("\n", 1)[0].rstrip()
        if len(_WORD.findall(first_line)) < 2:
            first_line = view.text[offset : section.end].rstrip()
        out.append(
            Evidence(
                text=first_line,
                start=offset,
                end=offset + len(first_line),
                section=section.category,
                label=f"SECTION_{section.category.upper()}",
            )
        )
    return out


def evaluate(rule: EvidenceRule, view: NoteView) -> RuleMatch:
    result = RuleMatch()
    if rule.section_body is not None:
        result.section_evidence = section_body_evidence(view, rule.section_body)
        return result
    accepted = _accepted(rule)
    for mention in view.by_label.get(rule.label or "", ()):
        if not _section_ok(rule, mention.section):
            result.discounted.append((mention, _section_reason(mention)))
            continue
        if rule.has_metadata and rule.has_metadata not in mention.metadata:
            continue
        if rule.near and not has_near(view, mention, rule.near, rule.window):
            continue
        if rule.not_near and has_near(view, mention, rule.not_near):
            continue
        if mention.assertion in accepted:
            result.supporting.append(mention)
        else:
            result.discounted.append((mention, ASSERTION_REASON[mention.assertion]))
    return result
