"""medspaCy ConText, applied sentence by sentence.

ConText scopes never leave their sentence (no global ``max_scope`` is set), so modifiers in a
sentence can only modify targets in that sentence. Stock medspaCy 1.3.1 builds one graph for the
whole note: it computes every modifier's scope with ``Token.sent`` (a pass over the whole doc each
time), compares all modifiers pairwise and all modifiers with all targets. That made a 100 kB note
take seconds and a 1 MB note minutes. This subclass builds a small graph per sentence that holds a
target, computing scopes from one sentence-boundary array; the edges are the same.
"""

import numpy
from medspacy.context import ConText
from medspacy.context.context_graph import ConTextGraph
from medspacy.context.context_modifier import ConTextModifier
from spacy.attrs import SENT_START
from spacy.tokens import Doc


def refuse_unsupported(component: str, options: dict[str, bool]) -> None:
    """Raise for an option the fast component does not implement (use medspaCy's own component then)."""
    asked = [name for name, used in options.items() if used]
    if asked:
        raise NotImplementedError(f"{component} does not implement {', '.join(asked)}; use medspaCy's own "
                                  "component for that")


def _scope(direction: str, start: int, end: int, sent_start: int, sent_end: int, limit: int | None) -> tuple[int, int]:
    """The scope medspaCy's ConTextModifier computes from the sentence and the rule's max_scope, except
    a terminator's, which is its own words (see ``FocusedConText``)."""
    direction = direction.lower()
    if direction == "terminate":
        return start, end
    if direction == "forward":
        return end, sent_end if limit is None or sent_end - end <= limit else end + limit
    if direction == "backward":
        return sent_start if limit is None or start - sent_start <= limit else start - limit, start
    scope_start = sent_start if limit is None or start - sent_start <= limit else start - limit
    scope_end = sent_end if limit is None or sent_end - end <= limit else end + limit
    return scope_start, scope_end


class FocusedConText(ConText):
    """ConText with one small graph per sentence that holds a target (same edges, linear time).

    A drop-in only for what this project uses: targets from a span group, no span attributes, no
    global ``max_scope`` (a scope never leaves its sentence). Anything else is refused when built,
    rather than silently ignored; ``tests/test_medspacy_speedups.py`` compares it with stock ConText.

    One deliberate difference: a TERMINATE modifier ("but", ";", a field's pipe) ends the scope of
    the modifiers before it whatever the sentence's length. In medspaCy 1.3.1 a terminator's scope is
    the whole sentence, and ``limit_scope`` only applies it when the two scopes overlap by its test
    (one scope's edge inside the other), which a sentence-wide scope that encloses the other fails:
    "ORDER; CT myelogram; Dr X" made the myelogram planned. Here a terminator's scope is its own
    words, which that test always sees."""

    def __init__(self, nlp, name: str = "medspacy_context", *, input_span_type: str = "group",
                 span_attrs: object = None, max_scope: int | None = None, **options) -> None:
        refuse_unsupported("FocusedConText", {
            "input_span_type='ents'": input_span_type != "group", "span_attrs": span_attrs is not None,
            "a global max_scope": max_scope is not None,
        })
        super().__init__(nlp, name=name, input_span_type=input_span_type, span_attrs=span_attrs,
                         max_scope=max_scope, **options)

    def __call__(self, doc: Doc, targets: str | None = None) -> Doc:
        spans = list(doc.spans[self.span_group_name]) if self.span_group_name in doc.spans else []
        whole = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
        whole.targets, whole.modifiers, whole.edges = spans, [], []
        if spans:
            starts_flag = doc.to_array([SENT_START]).reshape(-1).astype(numpy.int64) == 1
            starts_flag[0] = True
            sentence_of = numpy.cumsum(starts_flag) - 1
            sent_starts = numpy.flatnonzero(starts_flag)
            sent_ends = numpy.append(sent_starts[1:], len(doc))
            by_sentence: dict[int, tuple[list, list]] = {}
            for span in spans:
                by_sentence.setdefault(int(sentence_of[span.start]), ([], []))[0].append(span)
            matcher = self._ConText__matcher
            for match_id, start, end in matcher(doc):
                sentence = int(sentence_of[start])
                if sentence not in by_sentence:
                    continue
                rule = matcher.rule_map[self.nlp.vocab[match_id].text]
                scope = _scope(rule.direction, start, end, int(sent_starts[sentence]), int(sent_ends[sentence]),
                               rule.max_scope)
                by_sentence[sentence][1].append(
                    ConTextModifier(rule, start, end, doc, scope_start=scope[0], scope_end=scope[1]))
            for sentence_targets, modifiers in by_sentence.values():
                if not modifiers:
                    continue
                graph = ConTextGraph(prune_on_modifier_overlap=self.prune_on_target_overlap)
                graph.targets, graph.modifiers = sentence_targets, modifiers
                graph.update_scopes()
                graph.apply_modifiers()
                whole.modifiers.extend(graph.modifiers)
                whole.edges.extend(graph.edges)
            for target, modifier in whole.edges:
                target._.modifiers += (modifier,)
        doc._.context_graph = whole
        return doc
