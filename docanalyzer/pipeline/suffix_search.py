"""spaCy's suffix search, tried only with the suffixes that can end the string: the same matches, faster.

spaCy's tokenizer finds a chunk's suffix with one regular expression, the alternation of all the
language's suffixes, each anchored at the end (``…$|,$|:$|...|(?<=[0-9])(?:km|...)$``, 83 of them in
English), searched from the chunk's first character: ``re`` tries every alternative at every position,
about 3 µs a call. On the myelography notes, the chunks never seen before (the ones spaCy splits:
see ``tokenizer_cache``) cost 35,000 calls, a quarter of the tokenizer's time on those notes.

A suffix ends where the string ends, so the last character it consumes is the string's.
``SuffixSearch`` reads from each suffix rule's parse tree which ASCII characters a match can end
with (``regex_starts.last_characters``) and searches a string with only the rules that can end with
its last character, in their order. At any position the rules left out cannot match there, so the
first rule that matches is the same one, at the same leftmost position: the same match. A string
that ends in a line break (``$`` also matches before a final one), in a character outside ASCII, or
is empty, and a rule that may match nothing or whose end cannot be read, go to the whole expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from spacy.util import compile_suffix_regex

from docanalyzer.pipeline.regex_starts import last_characters

Search = Callable[[str], "re.Match[str] | None"]


def _nothing(_string: str) -> None:
    return None


class SuffixSearch:
    """``search`` is a drop-in ``Tokenizer.suffix_search`` for ``entries`` (the language's suffix rules)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.rules = tuple(piece for piece in entries if piece.strip())  # (as compile_suffix_regex keeps them)
        self.regex = compile_suffix_regex(self.rules)
        self.pattern = self.regex.pattern  # (spaCy saves a tokenizer's suffix_search as its __self__.pattern)
        self._ends = tuple(last_characters(f"{rule}$") for rule in self.rules)
        self._by_last: dict[str, Search] = {}  # an ASCII last character: the search of its rules
        self._by_rules: dict[tuple[int, ...], Search] = {}  # (characters with the same rules share it)

    def search(self, string: str) -> re.Match[str] | None:
        """The match ``self.regex.search(string)`` gives."""
        found = self._by_last.get(string[-1:])
        if found is None:
            found = self._search_for(string[-1:])
        return found(string)

    def _search_for(self, last: str) -> Search:
        if not last.isascii() or last in ("", "\n"):
            return self.regex.search
        rules = tuple(i for i, ends in enumerate(self._ends) if ends is None or last in ends)
        found = self._by_rules.get(rules)
        if found is None:
            found = re.compile("|".join(f"{self.rules[i]}$" for i in rules)).search if rules else _nothing
            self._by_rules[rules] = found
        self._by_last[last] = found
        return found
