"""Token boundaries for notes exported from EHRs.

spaCy's English tokenizer keeps "PROC|Myelogram", "MYELO^Myelogram" and "L3-L4;Needle" as one token each, so a field
of a pipe-delimited export (HL7 segments, "EXAM|...|...") never matches a rule that names its
words. Pipes (and HL7's ^ and ~), and semicolons between words, separate tokens here, as spaces would; the text and
character offsets are unchanged.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

_FIELD_MARKS = r"[|^~]"  # HL7: fields, components, repetitions
_WORD_SEMICOLON = r"(?<=[A-Za-z0-9]);(?=[A-Za-z0-9])"


def split_export_fields(nlp: Language) -> Language:
    """Make ``nlp``'s tokenizer split at pipes and at semicolons between words; returns ``nlp``."""
    defaults = nlp.Defaults
    tokenizer = nlp.tokenizer
    tokenizer.prefix_search = compile_prefix_regex([*defaults.prefixes, _FIELD_MARKS]).search
    tokenizer.suffix_search = compile_suffix_regex([*defaults.suffixes, _FIELD_MARKS]).search
    tokenizer.infix_finditer = compile_infix_regex([*defaults.infixes, _FIELD_MARKS, _WORD_SEMICOLON]).finditer
    return nlp
