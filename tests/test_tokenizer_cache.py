"""The warmed tokenizer (pipeline/tokenizer_cache.py): plain chunks are warmed together in one
document, the chunks that may meet a special case one by one, and the tokens stay spaCy's even when
a special case sits among chunks that look plain."""

from __future__ import annotations

import spacy

from docanalyzer.pipeline.tokenizer import blank_export_aware, split_export_fields
from docanalyzer.pipeline.tokenizer_cache import WarmTokenizer


class _Recording:
    """A tokenizer stand-in that records what it was asked to tokenize."""

    def __init__(self, rules: dict) -> None:
        self.rules = rules
        self.calls: list[str] = []

    def __call__(self, text: str) -> str:
        self.calls.append(text)
        return text


def test_plain_chunks_share_one_document_and_possible_special_cases_go_alone() -> None:
    recording = _Recording({"Dr.": [], "Dont": [], "vs": []})
    warm = WarmTokenizer(recording)  # type: ignore[arg-type]
    warm("Lumbar puncture at L4-5, 10 mL. Dr. Smith Dont vs. cannot")
    shared, *alone, note = recording.calls
    assert sorted(shared.split(" ")) == sorted(["Lumbar", "puncture", "at", "10", "mL.", "Smith", "cannot"])
    assert sorted(alone) == sorted(["L4-5,", "Dr.", "Dont", "vs."])  # (a mark, a special case, its word)
    assert note.startswith("Lumbar")
    recording.calls.clear()
    warm("Lumbar puncture at L4-5.")  # only the chunk not seen before is warmed
    assert recording.calls == ["L4-5.", "Lumbar puncture at L4-5."]


def test_tokens_stay_spacys_with_special_cases_among_plain_chunks() -> None:
    """Words that are special cases of the English tokenizer ("cannot", "gonna", "Dont", "10am") among
    plain words, first seen and again from the cache, also when every new chunk is put in the shared
    document, special cases and all: the tokens of a fresh stock tokenizer."""
    stock = split_export_fields(spacy.blank("en")).tokenizer
    texts = ["Pt cannot lie flat, gonna retry at 10am; Dont inject. Dr. X vs. Dr. Y at 9 a.m.\nL4-5 ok",
             "MYELOGRAM\nNeedle 22G at L3-4: clear CSF cannot be aspirated, 10 mL Omnipaque 180."]
    for cut_off in (False, True):
        tokenizer = blank_export_aware().tokenizer
        warm = WarmTokenizer(tokenizer)
        if cut_off:
            warm._warm = lambda chunks, t=tokenizer: t(" ".join(sorted(chunks)))  # type: ignore[method-assign]
        for text in texts + texts:
            expected, got = stock(text), warm(text)
            assert [(t.text, t.whitespace_, t.norm_, t.lower_, t.shape_) for t in got] == \
                [(t.text, t.whitespace_, t.norm_, t.lower_, t.shape_) for t in expected]
