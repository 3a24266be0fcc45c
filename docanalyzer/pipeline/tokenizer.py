"""Token boundaries for notes exported from EHRs.

spaCy's English tokenizer keeps "PROC|Myelogram", "MYELO^Myelogram" and "L3-L4;Needle" as one token
each, so a field of a pipe-delimited export (HL7 segments, "EXAM|...|...") never matches a rule that
names its words. Pipes (and HL7's ^ and ~), and semicolons between words, separate tokens here, as
spaces would; the text and character offsets are unchanged.

The marks are part of the language's defaults (``ExportAwareEnglish``), so spaCy compiles its
tokenizer once, as for ``spacy.blank("en")``: setting a built tokenizer's ``prefix_search`` and the
rest afterwards recompiles spaCy's large patterns and reloads its special cases for each (about a
quarter of a second at every start-up).
"""

from __future__ import annotations

from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer

from docanalyzer.pipeline.affix_search import InfixFinditer, PrefixSearch, SuffixSearch

_FIELD_MARKS = r"[|^~]"  # HL7: fields, components, repetitions
_WORD_SEMICOLON = r"(?<=[A-Za-z0-9]);(?=[A-Za-z0-9])"


class _ExportAwareDefaults(English.Defaults):
    prefixes = (*English.Defaults.prefixes, _FIELD_MARKS)
    suffixes = (*English.Defaults.suffixes, _FIELD_MARKS)
    infixes = (*English.Defaults.infixes, _FIELD_MARKS, _WORD_SEMICOLON)


class ExportAwareEnglish(English):
    """English (spaCy's tokenizer exceptions and rules) that also splits at EHR field marks."""

    Defaults = _ExportAwareDefaults


def _tokenizer(nlp: Language) -> Tokenizer:
    """spaCy's own tokenizer for the language (``spacy.Tokenizer.v1``), its affix searches tried only
    with the rules that can match (``affix_search.py``: the same matches)."""
    defaults = nlp.Defaults
    return Tokenizer(nlp.vocab, rules=defaults.tokenizer_exceptions,
                     prefix_search=PrefixSearch(defaults.prefixes).search,
                     suffix_search=SuffixSearch(defaults.suffixes).search,
                     infix_finditer=InfixFinditer(defaults.infixes).finditer,
                     token_match=defaults.token_match, url_match=defaults.url_match)


def blank_export_aware() -> Language:
    """A blank pipeline like ``spacy.blank("en")`` whose tokenizer splits at field marks."""
    return ExportAwareEnglish(create_tokenizer=_tokenizer)


def split_export_fields(nlp: Language) -> Language:
    """Make an existing pipeline's tokenizer split at field marks (a host pipeline's own ``nlp``;
    slower to set up than ``blank_export_aware``); returns ``nlp``."""
    defaults = nlp.Defaults
    tokenizer = nlp.tokenizer
    tokenizer.prefix_search = PrefixSearch([*defaults.prefixes, _FIELD_MARKS]).search
    tokenizer.suffix_search = SuffixSearch([*defaults.suffixes, _FIELD_MARKS]).search
    tokenizer.infix_finditer = InfixFinditer([*defaults.infixes, _FIELD_MARKS, _WORD_SEMICOLON]).finditer
    return nlp
