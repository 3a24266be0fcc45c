"""Loads and validates the rule files in ``patterns/`` and turns them into medspaCy rule objects.

Validation happens here, once, when an analyzer is built: a malformed file raises
``RuleFileError`` naming the file and the field before any note is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from spacy.matcher import Matcher
from spacy.vocab import Vocab

from docanalyzer.errors import ErrorCode, RuleFileError
from docanalyzer.pipeline.regex_gates import Requirement, gate_of, passes
from docanalyzer.pipeline.regex_starts import spans, starter_of
from docanalyzer.resources import pattern_file
from docanalyzer.schemas import (
    ContextRuleFile,
    ScreeningFile,
    SectionRuleFile,
    TargetRuleFile,
    TargetRuleSpec,
)

TARGET_FILES = ("procedure", "anatomy", "contrast", "necessity", "findings", "coding")
ModelT = TypeVar("ModelT", bound=BaseModel)


def _read_text(source: Traversable | Path) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(source), "<file>", f"cannot be read ({type(exc).__name__})") from None


# libyaml's parser when PyYAML was built with it: about ten times faster than the pure-Python one
# (the checklists, codes and diagnosis files were a tenth of a second of every start-up).
_FAST_YAML = getattr(yaml, "CSafeLoader", None)


def _load_yaml(text: str) -> object:
    """The same data as ``yaml.safe_load``; a file libyaml refuses is read again by the pure-Python
    parser, so a broken file's message (and line) is the one it always was."""
    if _FAST_YAML is not None:
        try:
            return yaml.load(text, Loader=_FAST_YAML)  # (CSafeLoader: the safe loader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def parse_data(source: Traversable | Path) -> object:
    """JSON or YAML by file suffix; empty or unparsable files are errors naming the file."""
    text = _read_text(source)
    name = str(source)
    if not text.strip():
        raise RuleFileError(name, "<file>", "is empty")
    try:
        if name.endswith((".yaml", ".yml")):
            return _load_yaml(text)
        return json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RuleFileError(name, "<file>", f"is not valid {_kind(name)}: {exc}") from None


def _kind(name: str) -> str:
    return "YAML" if name.endswith((".yaml", ".yml")) else "JSON"


def validate(model: type[ModelT], data: object, source: str, code: ErrorCode | None = None) -> ModelT:
    """Validate ``data`` against ``model``; every problem is reported at once, each with its field path
    and, where the file can be read again, its line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = _line_finder(source)
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = lines(loc)
            problems.append((".".join(str(part) for part in loc) or "<root>",
                             error["msg"] + (f" (line {line})" if line else "")))
        (field, problem), *more = problems
        raise RuleFileError(source, field, problem, code, more=more) from None


def _line_finder(source: str):
    """A function from a field path to its line in the file ``source`` (None where it cannot tell:
    a file not on disk, an overlay merged with its base, a path the file does not have)."""
    try:
        root = yaml.compose(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        return lambda loc: None

    def line(loc: tuple) -> int | None:
        node = root
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                node = next((value for key, value in node.value if key.value == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                node = None
            if node is None:
                return None
        return node.start_mark.line + 1 if node is not None else None

    return line


def _check_token_patterns(specs: list[TargetRuleSpec], source: str, vocab: Vocab) -> None:
    matcher = Matcher(vocab)
    for index, spec in enumerate(specs):
        if isinstance(spec.pattern, list):
            try:
                matcher.add(f"check_{index}", [spec.pattern])
            except Exception as exc:  # spaCy raises ValueError/MatchPatternError variants
                raise RuleFileError(source, f"rules.{index}.pattern", f"invalid token pattern: {exc}") from None


class Screening:
    """Does a note hold any procedure cue? Substring cues first (fast), then regex cues ('re:').

    A regex cue is run only on a note that holds one of the words read from its own pattern
    (``regex_gates``: "dural", "csf", "spinal", "c1"...), and then only where its match can start
    (``regex_starts``: its possible first characters, skipped to in C): the cues that begin with a word
    boundary ("\\bcsf\\b", "\\bl\\.?p\\b") were otherwise tried at every position of the note. On the
    screened-out notes of MTSamples, the regex cues took 21 + 77 µs a note as one alternation of the
    cues that can match (one compiled per set of them), and take about half that so."""

    def __init__(self, cues: list[str]) -> None:
        self.substrings = tuple(c.lower() for c in cues if not c.startswith("re:"))
        self.regexes = tuple(re.compile(c[3:]) for c in cues if c.startswith("re:"))
        self._cues = tuple((r, _exact_gate(r), starter_of(r)) for r in self.regexes)

    def search(self, text: str) -> bool:
        lowered = text.lower()
        if any(cue in lowered for cue in self.substrings):
            return True
        return any(passes(gate, lowered) and next(spans(regex, starter, lowered), None) is not None
                   for regex, gate, starter in self._cues)


def _exact_gate(regex: re.Pattern[str]) -> Requirement | None:
    """A cue's words, when a match must contain one of them exactly: the cue is case-sensitive (it runs
    on the lower-cased note) and its words are ASCII (case-folding leaves them as they are). Two
    letters are enough here ("c1"): notes without a procedure cue rarely hold them."""
    if regex.flags & re.IGNORECASE or "(?i" in regex.pattern:
        return None
    gate = gate_of(regex, shortest=2)
    return gate if gate is not None and all(word.isascii() for word in gate) else None


@dataclass(frozen=True)
class RuleSet:
    """All validated rules a pipeline needs."""

    targets: tuple[TargetRuleSpec, ...]
    context: ContextRuleFile
    sections: SectionRuleFile
    screening: Screening

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(rule.category for rule in self.targets)


PIPELINE_RULE_FILES = (*(f"targets/{name}.json" for name in TARGET_FILES), "context.json", "sections.json",
                       "screening.json")
"""The rule files the spaCy component is built from (saved with a pipeline by ``to_disk``)."""


def load_rules(vocab: Vocab | None = None, base: Path | None = None) -> RuleSet:
    """Load the target, ConText and section rules, validated: the shipped ones, or those of a folder
    laid out as ``patterns/`` (``base``: a pipeline saved with ``nlp.to_disk``)."""
    vocab = vocab or Vocab()

    def source_of(relative: str) -> Traversable | Path:
        return base / relative if base is not None else pattern_file(*relative.split("/"))

    targets: list[TargetRuleSpec] = []
    for name in TARGET_FILES:
        source = source_of(f"targets/{name}.json")
        parsed = validate(TargetRuleFile, parse_data(source), str(source))
        _check_token_patterns(list(parsed.rules), str(source), vocab)
        targets.extend(parsed.rules)
    context_src = source_of("context.json")
    context = validate(ContextRuleFile, parse_data(context_src), str(context_src))
    sections_src = source_of("sections.json")
    sections = validate(SectionRuleFile, parse_data(sections_src), str(sections_src))
    screening_src = source_of("screening.json")
    screening = validate(ScreeningFile, parse_data(screening_src), str(screening_src))
    return RuleSet(targets=tuple(targets), context=context, sections=sections, screening=Screening(screening.cues))
