"""The medspaCy speed-ups are honest (issue 14): FocusedConText gives the same reports as stock
medspaCy ConText with the same rules on the corpus and the sample notes (apart from its one
documented difference, terminators that end scopes in long sentences too, which the stock graph
is given here), and both fast components refuse the options they do not implement instead of
ignoring them; the warmed tokenizer gives spaCy's tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from medspacy.context import ConText, ConTextRule
from medspacy.context.context_graph import ConTextGraph
from medspacy.section_detection import SectionRule

from docanalyzer import Analyzer
from docanalyzer.pipeline.build import SPAN_GROUP
from docanalyzer.pipeline.context import FocusedConText
from docanalyzer.pipeline.fast_matching import speed_up
from docanalyzer.pipeline.sections import LeanSectionizer
from docanalyzer.pipeline.tokenizer import split_export_fields
from docanalyzer.pipeline.tokenizer_cache import WarmTokenizer

REPO = Path(__file__).resolve().parents[1]
NOTES = sorted((REPO / "sample_notes").glob("*.txt")) + sorted((REPO / "eval" / "corpus").glob("*.txt"))


class _TerminatorsEndScopes(ConTextGraph):
    """Stock graph with FocusedConText's one deliberate difference: a terminator's scope is its own words."""

    def update_scopes(self) -> None:
        for modifier in self.modifiers:
            if modifier.direction.upper() == "TERMINATE":
                modifier._scope_start, modifier._scope_end = modifier.modifier_span
        super().update_scopes()


def _stock_context(analyzer: Analyzer) -> ConText:
    """Stock ConText's graph, with the project's (order-independent) modifier matching: the graph is what
    FocusedConText changes; the matching is tested on its own in test_match_pruning.py."""
    context = ConText(analyzer.nlp, name="stock_context", rules=None, span_attrs=None, input_span_type="group",
                      span_group_name=SPAN_GROUP, prune_on_modifier_overlap=True, prune_on_target_overlap=True)
    assert speed_up(context, same_span="all")
    context.add([ConTextRule(literal=spec.literal, category=spec.category, direction=spec.direction,
                             pattern=spec.pattern, max_scope=spec.max_scope)
                 for spec in analyzer.component.rules.context.rules])
    return context


def test_focused_context_gives_the_reports_of_stock_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medspacy.context.context.ConTextGraph", _TerminatorsEndScopes)
    fast = Analyzer()
    stock = Analyzer()
    stock.component.context = _stock_context(stock)
    assert isinstance(fast.component.context, FocusedConText) and type(stock.component.context) is ConText
    differing = [path.name for path in NOTES
                 if fast.analyze(text := path.read_text(encoding="utf-8")).model_dump()
                 != stock.analyze(text).model_dump()]
    assert not differing, f"FocusedConText and stock ConText disagree on {differing}"


@pytest.mark.parametrize("options", [{"input_span_type": "ents"}, {"span_attrs": "default"}, {"max_scope": 5}])
def test_focused_context_refuses_what_it_does_not_implement(analyzer: Analyzer, options: dict) -> None:
    with pytest.raises(NotImplementedError, match="FocusedConText does not implement"):
        FocusedConText(analyzer.nlp, name="probe", rules=None, **options)


@pytest.mark.parametrize("options", [{"span_attrs": "default"}, {"require_start_line": True},
                                     {"apply_sentence_boundary": True}])
def test_lean_sectionizer_refuses_what_it_does_not_implement(analyzer: Analyzer, options: dict) -> None:
    with pytest.raises(NotImplementedError, match="LeanSectionizer does not implement"):
        LeanSectionizer(analyzer.nlp, name="probe", rules=None, **options)


def test_lean_sectionizer_refuses_parent_sections(analyzer: Analyzer) -> None:
    sectionizer = LeanSectionizer(analyzer.nlp, name="probe", rules=None, input_span_type="group",
                                  span_group_name=SPAN_GROUP)
    with pytest.raises(NotImplementedError, match="parent sections"):
        sectionizer.add([SectionRule(literal="Findings:", category="findings", parents=["impression"])])


def test_warm_tokenizer_gives_spacys_tokens() -> None:
    """The analyzer's tokenizer (spaCy's, its cache warmed chunk by chunk) gives the tokens, spaces
    and lexemes of a fresh stock tokenizer with the same field marks (pipes, HL7's ^ and ~), on notes
    with special cases ("Dr.", "a.m.") early on and on the same notes again (all from its cache)."""
    stock = split_export_fields(spacy.blank("en")).tokenizer
    warm = Analyzer().nlp.tokenizer
    assert isinstance(warm, WarmTokenizer)
    texts = [path.read_text(encoding="utf-8") for path in NOTES]
    texts += ["Dr. Smith at 9 a.m.: L4-5 (Omnipaque-180), 10mL; pt's CSF clear :) e.g. \"no leak\".\n\n" + t
              for t in texts[:3]]
    texts += ["OBR|1|A1||MYELO^Myelogram lumbar~CT|R\nPROC|Site=L3-L4;Needle=22G|Dr. X\n" + t for t in texts[:2]]
    for text in texts + texts:
        expected, got = stock(text), warm(text)
        assert [(t.text, t.whitespace_, t.norm_) for t in got] == [(t.text, t.whitespace_, t.norm_) for t in expected]
