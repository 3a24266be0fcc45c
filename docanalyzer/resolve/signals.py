"""The procedure signals of one note (patterns/procedure_decision.yaml), each with its evidence.

A signal is counted once, at its strongest mention: the signal's weight times the weight of the
section the mention sits in (positive signals), or its full weight (negative signals, which are
evidence against a myelogram done here wherever they are). Assertions are a hard filter: a
signal counts only mentions asserted as its rule says (by default: affirmed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from docanalyzer.report import Evidence
from docanalyzer.resolve.evidence_rules import has_near
from docanalyzer.resolve.mentions import Mention, NoteView
from docanalyzer.resources import pattern_file
from docanalyzer.rule_files import parse_data, validate
from docanalyzer.schemas import MentionRule, ProcedureDecisionSpec

DECISION_FILE = "procedure_decision.yaml"


@lru_cache(maxsize=1)
def decision_spec() -> ProcedureDecisionSpec:
    """The shipped decision file, validated (read once per process)."""
    source = pattern_file(DECISION_FILE)
    return validate(ProcedureDecisionSpec, parse_data(source), str(source))


@dataclass
class FoundSignal:
    id: str
    description: str
    weight: float
    evidence: list[Evidence] = field(default_factory=list)
    core: bool = False  # can make a note a myelogram on its own (the rule says so)
    full: bool = True  # counted at its rule's full weight (not down-weighted by its section)
    unless: tuple[str, ...] = ()  # does not count when one of these signals is found


def section_weight(spec: ProcedureDecisionSpec, section: str | None) -> float:
    weights = spec.section_weights
    return weights.get(section or "default", weights["default"])


def matching(rule: MentionRule, view: NoteView) -> list[Mention]:
    """Mentions that satisfy a rule of the decision file."""
    out: list[Mention] = []
    for mention in view.labelled(*rule.labels):
        if mention.assertion not in rule.assertions:
            continue
        if rule.heading_chars is not None and mention.start >= rule.heading_chars:
            continue
        if rule.sections is not None and mention.section not in rule.sections:
            continue
        if rule.exclude_sections and mention.section in rule.exclude_sections:
            continue
        if rule.exclude_metadata and any(mention.metadata.get(k) == v for k, v in rule.exclude_metadata.items()):
            continue
        if rule.near and not has_near(view, mention, rule.near, rule.window):
            continue
        if rule.near_assertions and not _near_with(view, mention, rule.near or [], rule.window, rule.near_assertions):
            continue
        if rule.not_near and _is_near(view, mention, rule.not_near, rule.not_near_window, rule.not_near_assertions):
            continue
        out.append(mention)
    return out


def _is_near(view: NoteView, mention: Mention, labels: list[str], window: int, assertions: list[str] | None) -> bool:
    if assertions:
        return _near_with(view, mention, labels, window, assertions)
    return has_near(view, mention, labels, window)


def _near_with(view: NoteView, mention: Mention, labels: list[str], window: int, assertions: list[str]) -> bool:
    """A mention with one of ``labels`` and one of ``assertions`` within ``window`` sentences."""
    return any(
        other is not mention and other.label in labels and other.assertion in assertions
        for sentence in range(mention.sentence - window, mention.sentence + window + 1)
        for other in view.by_sentence.get(sentence, ())
    )


def vetoed_sentences(view: NoteView, spec: ProcedureDecisionSpec) -> frozenset[int]:
    """Sentences whose positive evidence belongs to another encounter's study: a veto mention's own
    sentence and up to ``following`` later sentences that stay in its section."""
    vetoed: set[int] = set()
    for rule in spec.sentence_veto:
        for mention in matching(rule, view):
            vetoed.update(_cue_sentences(view, mention, rule))
            for later in range(mention.sentence + 1, mention.sentence + rule.following + 1):
                if any(other.section != mention.section for other in view.by_sentence.get(later, ())):
                    break
                vetoed.add(later)
    return frozenset(vetoed)


def _cue_sentences(view: NoteView, mention: Mention, rule: MentionRule) -> set[int]:
    """The veto mention's sentence and those of the cues it stands next to (a line wrapped or split
    between "contrast was given" and "at the outside facility" still speaks of one study)."""
    sentences = {mention.sentence}
    for sentence in range(mention.sentence - rule.window, mention.sentence + rule.window + 1):
        if any(other.label in (rule.near or ()) for other in view.by_sentence.get(sentence, ())):
            sentences.add(sentence)
    return sentences


def find_signals(
    view: NoteView, interpretation: list[Evidence] | None, spec: ProcedureDecisionSpec | None = None,
    vetoed: frozenset[int] | None = None,
) -> list[FoundSignal]:
    """Every signal present in the note, strongest first. ``interpretation`` holds the evidence
    that makes the checklist's interpretation element documented (None: not documented);
    ``vetoed``: the note's ``vetoed_sentences`` when the caller has them already."""
    spec = spec or decision_spec()
    vetoed = vetoed_sentences(view, spec) if vetoed is None else vetoed
    found: dict[str, FoundSignal] = {}
    for rule in spec.signals:
        full = True
        if rule.builtin == "interpretation":
            if interpretation is None:
                continue
            evidence, weight = interpretation, rule.weight
        else:
            assert rule.when is not None  # the schema gives a signal either 'when' or 'builtin'
            mentions = matching(rule.when, view)
            if rule.weight > 0:
                mentions = [m for m in mentions if m.sentence not in vetoed]
            if not mentions:
                continue
            if rule.weight > 0:
                mentions = sorted(mentions, key=lambda m: -section_weight(spec, m.section))
                best = section_weight(spec, mentions[0].section)
                weight, full = rule.weight * best, best >= 1.0
            else:
                weight = rule.weight
            evidence = [view.quote(m) for m in mentions[:3]]  # (a signal keeps three)
        if weight == 0:
            continue
        known = found.get(rule.id)
        if known is None or abs(weight) > abs(known.weight):
            found[rule.id] = FoundSignal(rule.id, rule.description, weight, evidence[:3], rule.core, full,
                                         tuple(rule.unless))
    kept = [s for s in found.values() if not any(other in found for other in s.unless)]
    return sorted(kept, key=lambda s: -s.weight)
