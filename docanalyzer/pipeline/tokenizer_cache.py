"""spaCy's tokenizer with its cache kept warm: the same tokens, a third less time on clinical notes.

spaCy's ``Tokenizer`` caches how it split each whitespace-delimited chunk ("L4-5,", "(Omnipaque"),
but stops adding to the cache for the rest of a document once the document has hit one special
case ("Dr.", "a.m.", a line break: spaCy issue #1250 guards the special cases' own tokens, and the flag is
never reset within the document). Nearly every note has one early, so most of its chunks are split
again, with the prefix, suffix and infix regular expressions, in every note they occur in: on the
myelography notes, tokenizing them a second time took 1.07 ms per note against 0.19 ms with every
chunk cached.

``WarmTokenizer`` tokenizes the chunks it has not seen before first, then the note. A chunk is split
from its own characters only (never its neighbours'), so the cache only stores what the tokenizer
computed for the same chunk, and the tokens are the ones spaCy's tokenizer gives:
``tests/test_medspacy_speedups.py`` compares. The new chunks that cannot meet a special case (a word
or a number, with at most one trailing ".,;:", that is not a special case itself, nor is the word
before that mark) are tokenized together, as one document of single spaces (a single space is no
chunk, so no special case either): one ``Doc`` instead of one per chunk, which was a fifth of the
cost of a note's new chunks. The others are tokenized one per document as before. Were a special
case to slip into the shared document anyway, the chunks after it would merely stay uncached (spaCy
splits them again, as it does in every note): the tokens cannot change.
"""

from __future__ import annotations

import re

from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

_PLAIN = re.compile(r"(?:[A-Za-z]+|[0-9]+)[.,;:]?")
"""A chunk the English prefix, suffix and infix rules split at most into its word and one final mark:
it meets a special case only if it, or its word, is one (checked against the tokenizer's own rules)."""


class WarmTokenizer:
    """Calls ``tokenizer`` with every new chunk of a note cached first."""

    MAX_SEEN = 1_000_000
    """Chunks remembered as cached (a set of strings): past this the set starts again, so memory stays
    bounded on an endless stream; forgetting only costs a cache hit per chunk."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._seen: set[str] = set()

    def __call__(self, text: str) -> Doc:
        new = set(text.split()).difference(self._seen)
        if new:
            if len(self._seen) + len(new) > self.MAX_SEEN:
                self._seen.clear()
            self._warm(new)
            self._seen.update(new)
        return self.tokenizer(text)

    def _warm(self, chunks: set[str]) -> None:
        """Tokenize ``chunks`` so that spaCy caches each one that it can cache at all."""
        tokenize = self.tokenizer
        special = tokenize.rules
        plain = [chunk for chunk in chunks if _PLAIN.fullmatch(chunk) and chunk not in special
                 and chunk[:-1] not in special]
        if plain:
            tokenize(" ".join(plain))
        if len(plain) < len(chunks):
            for chunk in chunks.difference(plain):
                tokenize(chunk)

    def __getattr__(self, name: str) -> object:
        """Everything else (``vocab``, ``rules``, ``explain``...) is the wrapped tokenizer's."""
        if name == "tokenizer":  # (not set yet: an instance being unpickled)
            raise AttributeError(name)
        return getattr(self.tokenizer, name)
