"""Strict schemas and loaders of the diagnosis mapping (patterns/diagnoses.yaml) and coverage lists.

Both are data that coders and payers edit, so they are validated like every rule file: a typo fails
before any note is read, with a ``RuleFileError`` naming the file, the field and its line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from docanalyzer.resources import pattern_file
from docanalyzer.rule_files import parse_data, validate

DxRegion = Literal["cervical", "thoracic", "lumbar", "lumbosacral"]
Laterality = Literal["right", "left", "bilateral", "unstated"]
Cause = Literal["disc", "spondylosis", "puncture", "spontaneous", "surgery", "none"]
LEVEL_RE = r"^[CTL]\d{1,2}-[CTLS]\d{1,2}$"
CODE_RE = r"^[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4}$|^[A-Z][0-9][0-9A-Z]$"
QUALIFIERS = ("region", "level", "laterality", "claudication", "radiculopathy", "cause", "site", "sciatica")
DEFAULT_COVERAGE = ("coverage", "myelography.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return patterns


class ConceptSpec(_Strict):
    """A diagnosis or symptom concept and the words that name it."""

    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str = Field(min_length=1)
    kind: Literal["diagnosis", "symptom", "explanation"] = Field(
        description="diagnosis: coded; symptom: coded only when no diagnosis is; explanation: a confirmed "
        "diagnosis outside the code table that explains the symptoms (not coded, and no symptom is coded "
        "beside it: symptoms integral to a diagnosis are not coded)")
    terms: list[str] = Field(min_length=1)

    _terms = field_validator("terms")(_compiles)


class QualifierCues(_Strict):
    neurogenic_claudication: list[str] = Field(min_length=1)
    disc: list[str] = Field(min_length=1)
    spondylosis: list[str] = Field(min_length=1)
    leak_after_puncture: list[str] = Field(min_length=1)
    leak_spontaneous: list[str] = Field(min_length=1)
    leak_after_surgery: list[str] = Field(min_length=1)
    leak_cranial: list[str] = Field(default_factory=list)
    leak_context: list[str] = Field(default_factory=list)

    @field_validator("*")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _compiles(value)


class AssertionCues(_Strict):
    uncertain_before: list[str]
    uncertain_after: list[str]
    stated_as_present: list[str] = Field(default_factory=list)
    billing_line: list[str] = Field(default_factory=list)
    uncertain_line: list[str] = Field(default_factory=list)
    negated_before: list[str]
    negated_after: list[str]
    treated_before: list[str] = Field(default_factory=list)
    resolved_after: list[str] = Field(
        default_factory=list, description="Later in the mention's clause: the condition was repaired or has "
        "resolved ('CSF leak ... s/p surgical repair, resolved'): historical, not coded.")
    excluded_sections: list[str] = Field(default_factory=list)
    symptom_excluded_sections: list[str] = Field(
        default_factory=list, description="Sections where a symptom is the procedure's (pain at the needle), "
        "not the reason for the study: not coded there.")

    @field_validator("uncertain_before", "uncertain_after", "stated_as_present", "billing_line", "uncertain_line",
                     "negated_before", "negated_after", "treated_before", "resolved_after")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return _compiles(value)


class CodeRule(_Strict):
    """concept + qualifiers -> code: the code applies when every qualifier it names holds."""

    code: str = Field(pattern=CODE_RE)
    concept: str
    region: DxRegion | None = None
    level: list[str] | None = Field(default=None, min_length=1)
    laterality: Laterality | None = None
    claudication: bool | None = None
    radiculopathy: bool | None = None
    cause: Cause | None = None
    site: Literal["spinal", "cranial"] | None = None
    sciatica: bool | None = None

    @field_validator("level")
    @classmethod
    def _levels(cls, levels: list[str] | None) -> list[str] | None:
        bad = [level for level in levels or [] if not re.match(LEVEL_RE, level)]
        if bad:
            raise ValueError(f"levels are written like C5-C6 or L5-S1: {bad}")
        return levels

    def qualifiers(self) -> dict[str, object]:
        """The qualifiers this rule names (its specificity is their number)."""
        return {name: getattr(self, name) for name in QUALIFIERS if getattr(self, name) is not None}


class QueryTexts(_Strict):
    region: str
    cause: str
    laterality: str

    @field_validator("*")
    @classmethod
    def _non_leading(cls, text: str) -> str:
        if re.search(r"\b[A-Z]\d{2}\.\d|\b(?:code|codes|payment|reimburse\w*|billing|bill|paid|pay)\b", text, re.I):
            raise ValueError("a query names no code and no payment (AHIMA/ACDIS compliant query practice)")
        if "Other (please specify)" not in text or "Clinically undetermined" not in text:
            raise ValueError("a query offers 'Other (please specify)' and 'Clinically undetermined'")
        return text


class DiagnosisMapping(_Strict):
    version: str
    description: str = Field(min_length=1)
    concepts: list[ConceptSpec] = Field(min_length=1)
    qualifiers: QualifierCues
    assertion_cues: AssertionCues
    region_words: dict[DxRegion, list[str]]
    limb_words: dict[DxRegion, list[str]] = Field(default_factory=dict)
    codes: list[CodeRule] = Field(min_length=1)
    queries: QueryTexts

    @field_validator("region_words", "limb_words")
    @classmethod
    def _region_regexes(cls, words: dict[str, list[str]]) -> dict[str, list[str]]:
        for patterns in words.values():
            _compiles(patterns)
        return words

    @model_validator(mode="after")
    def _consistent(self) -> DiagnosisMapping:
        ids = [c.id for c in self.concepts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"concept ids must be unique; repeated: {repeated}")
        unknown = sorted({rule.concept for rule in self.codes} - set(ids))
        if unknown:
            raise ValueError(f"codes name unknown concepts: {unknown}")
        seen: dict[tuple, str] = {}
        for rule in self.codes:
            key = (rule.concept, tuple(sorted((k, str(v)) for k, v in rule.qualifiers().items())))
            if key in seen:
                raise ValueError(f"{rule.code} and {seen[key]} have the same concept and qualifiers (ambiguous)")
            seen[key] = rule.code
        return self

    def concept(self, concept_id: str) -> ConceptSpec:
        return next(c for c in self.concepts if c.id == concept_id)


class CoverageList(_Strict):
    """A payer's covered diagnoses for some checklists: codes or category prefixes."""

    id: str = Field(min_length=1)
    version: str
    illustrative: bool = Field(description="True for example data that is no payer's policy.")
    description: str = Field(min_length=1)
    applies_to: list[str] = Field(min_length=1, description="Checklist ids the list is for.")
    covered: list[str] = Field(min_length=1)

    @field_validator("covered")
    @classmethod
    def _prefixes(cls, covered: list[str]) -> list[str]:
        bad = [c for c in covered if not re.match(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?$", c)]
        if bad:
            raise ValueError(f"entries are ICD-10-CM codes or category prefixes (e.g. M48.0): {bad}")
        return covered

    @model_validator(mode="after")
    def _says_illustrative(self) -> CoverageList:
        if self.illustrative and "illustrative" not in self.description.lower():
            raise ValueError("an illustrative list says so in its description")
        return self

    def covers(self, code: str) -> bool:
        bare = code.replace(".", "")
        return any(bare.startswith(entry.replace(".", "")) for entry in self.covered)


def load_mapping(path: str | Path | None = None) -> DiagnosisMapping:
    """The mapping file (the shipped one by default), validated."""
    source = Path(path) if path is not None else pattern_file("diagnoses.yaml")
    return validate(DiagnosisMapping, parse_data(source), str(source))


@lru_cache(maxsize=1)
def shipped_mapping() -> DiagnosisMapping:
    return load_mapping()


def load_coverage(path: str | Path | None = None) -> CoverageList:
    """A coverage list file (the shipped illustrative myelography list by default), validated."""
    source = Path(path) if path is not None else pattern_file(*DEFAULT_COVERAGE)
    return validate(CoverageList, parse_data(source), str(source))
