"""medspaCy's Sectionizer without its per-token bookkeeping.

The stock component sets ``token._.section`` on every token of the note, a Python-level loop
that cost more than the header matching itself on MTSamples. docanalyzer reads sections from
``doc._.sections`` only, so this subclass builds the same ``Section`` list and skips the loop.
Parent/child section rules are not used by docanalyzer's section file and are not supported here.
"""

from medspacy.section_detection import Sectionizer
from medspacy.section_detection.section import Section
from spacy.tokens import Doc


class LeanSectionizer(Sectionizer):
    """Sets ``doc._.sections`` exactly as medspaCy would (without parents); no per-token attributes."""

    def __call__(self, doc: Doc) -> Doc:
        matcher = self._Sectionizer__matcher
        matches = sorted(matcher(doc), key=lambda m: (m[1], m[2]))
        sections: list[Section] = []
        if not matches:
            sections.append(Section(None, 0, 0, 0, len(doc)))
        elif matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1]))
        for index, (match_id, start, end) in enumerate(matches):
            rule = matcher.rule_map[self.nlp.vocab.strings[match_id]]
            limit = matches[index + 1][1] if index + 1 < len(matches) else len(doc)
            scope = rule.max_scope if rule.max_scope is not None else self.max_section_length
            body_end = min(end + scope, limit) if scope is not None else limit
            sections.append(Section(rule.category, start, end, end, body_end, None, rule))
        doc._.sections = sections
        return doc
