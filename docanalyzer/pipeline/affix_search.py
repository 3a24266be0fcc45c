"""spaCy's prefix, suffix and infix searches, tried only with the rules that can match: the same matches, faster.

spaCy's tokenizer splits each chunk it has not cached with three regular expressions, each the
alternation of all the language's rules (83 suffixes in English, ``…$|,$|...|(?<=[0-9])(?:km|...)$``;
120 prefixes; 10 infixes). ``re`` tries every alternative at every position it searches: about 3 µs
a suffix search. On the myelography notes, the chunks never seen before (the ones spaCy splits: see
``tokenizer_cache``) cost 35,000 suffix searches, a quarter of the tokenizer's time on those notes.

A match consumes at least one character (a rule that may match nothing, or whose ends cannot be read,
is always tried), so:

- a suffix ends where the string ends: its last character is the string's. ``SuffixSearch`` searches
  a string with only the rules that can end with its last character, in their order;
- a prefix starts at the string's start: ``PrefixSearch`` likewise with its first character;
- an infix starts with a character some infix rule can start with: ``InfixFinditer`` skips a string
  that holds none of them.

Which ASCII characters a rule's match can begin or end with is read from its parse tree
(``regex_starts.edge_characters``). At any position the rules left out cannot match there, so the
first rule that matches is the same one, at the same leftmost position: the same match. A string whose
deciding character is outside ASCII, or that ends in a line break (``$`` also matches before a final
one), or is empty, goes to the whole expression as before. Each object keeps the whole expression's
``pattern``: spaCy saves a tokenizer's searches as ``search.__self__.pattern``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from docanalyzer.pipeline.regex_starts import edge_characters

Search = Callable[[str], "re.Match[str] | None"]


def _nothing(_string: str) -> None:
    return None


class _ByEdge:
    """The rules of an anchored alternation (``anchor`` around each rule), searched by the character at
    one end of the string: only the rules that can match with it there."""

    def __init__(self, rules: tuple[str, ...], anchor: str, whole: re.Pattern[str], *, last: bool) -> None:
        self.rules = rules
        self.regex = whole
        self.pattern = whole.pattern
        self._anchor = anchor
        self._edges = tuple(edge_characters(anchor.format(rule), last=last) for rule in rules)
        self._by_char: dict[str, Search] = {"": whole.search, "\n": whole.search}
        self._by_rules: dict[tuple[int, ...], Search] = {}  # (characters with the same rules share it)

    def _search_for(self, char: str) -> Search:
        if not char.isascii():
            return self.regex.search  # (not kept: a stream may bring any number of such characters)
        rules = tuple(i for i, edges in enumerate(self._edges) if edges is None or char in edges)
        found = self._by_rules.get(rules)
        if found is None:
            found = re.compile("|".join(self._anchor.format(self.rules[i]) for i in rules)).search if rules \
                else _nothing
            self._by_rules[rules] = found
        self._by_char[char] = found
        return found


class SuffixSearch(_ByEdge):
    """``search`` is a drop-in ``Tokenizer.suffix_search`` for ``entries`` (the language's suffix rules)."""

    def __init__(self, entries: Iterable[str]) -> None:
        rules = tuple(piece for piece in entries if piece.strip())  # (as compile_suffix_regex keeps them)
        super().__init__(rules, "{}$", compile_suffix_regex(rules), last=True)

    def search(self, string: str) -> re.Match[str] | None:
        """The match ``self.regex.search(string)`` gives."""
        found = self._by_char.get(string[-1:])
        if found is None:
            found = self._search_for(string[-1:])
        return found(string)


class PrefixSearch(_ByEdge):
    """``search`` is a drop-in ``Tokenizer.prefix_search`` for ``entries`` (the language's prefix rules)."""

    def __init__(self, entries: Iterable[str]) -> None:
        rules = tuple(piece for piece in entries if piece.strip())  # (as compile_prefix_regex keeps them)
        super().__init__(rules, "^{}", compile_prefix_regex(rules), last=False)

    def search(self, string: str) -> re.Match[str] | None:
        """The match ``self.regex.search(string)`` gives."""
        found = self._by_char.get(string[:1])
        if found is None:
            found = self._search_for(string[:1])
        return found(string)


class InfixFinditer:
    """``finditer`` is a drop-in ``Tokenizer.infix_finditer`` for ``entries`` (the language's infix rules)."""

    def __init__(self, entries: Iterable[str]) -> None:
        rules = tuple(piece for piece in entries if piece.strip())  # (as compile_infix_regex keeps them)
        self.regex = compile_infix_regex(rules)
        self.pattern = self.regex.pattern
        starts = [edge_characters(rule) for rule in rules]
        chars = set().union(*starts) if all(s is not None for s in starts) else None
        # (an ASCII string with none of these characters holds no match; None: always search)
        self._starts = re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]") if chars else None

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        """The matches ``self.regex.finditer(string)`` gives."""
        if self._starts is not None and string.isascii() and self._starts.search(string) is None:
            return iter(())
        return self.regex.finditer(string)
