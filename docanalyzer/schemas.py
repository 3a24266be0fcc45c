"""Strict schemas for the rule and checklist files in ``patterns/``.

Rule files are data that payers and coders edit, so a typo must fail loudly, before any note is
processed, with a message naming the file and the field (see ``rules.load_rule_file``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

LABEL_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
Direction = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]
ContextCategory = Literal[
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HYPOTHETICAL",
    "HISTORICAL",
    "FAMILY",
    "TEMPLATE_BLANK",
    "TERMINATE",
    "PSEUDO",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


TokenPattern = list[dict[str, Any]]


def _check_pattern(pattern: TokenPattern | str | None) -> TokenPattern | str | None:
    if isinstance(pattern, str):
        try:
            # (with the flag medspaCy's regex matcher compiles with: re's cache then serves that compile)
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
    elif isinstance(pattern, list) and not pattern:
        raise ValueError("token pattern must not be empty")
    return pattern


class TargetRuleSpec(_Strict):
    """One target rule: a literal phrase, or a spaCy token pattern / regex, and its label."""

    literal: str = Field(min_length=1)
    category: str
    pattern: TokenPattern | str | None = None
    metadata: dict[str, str | bool | int | float] | None = None

    @field_validator("category")
    @classmethod
    def _label(cls, value: str) -> str:
        if not LABEL_RE.match(value):
            raise ValueError("labels are UPPER_SNAKE_CASE")
        return value

    _pattern = field_validator("pattern")(_check_pattern)


class TargetRuleFile(_Strict):
    version: str
    description: str
    rules: list[TargetRuleSpec] = Field(min_length=1)


class ContextRuleSpec(_Strict):
    """A ConText modifier (medspaCy ``ConTextRule`` fields)."""

    literal: str = Field(min_length=1)
    category: ContextCategory
    direction: Direction
    pattern: TokenPattern | str | None = None
    max_scope: int | None = Field(default=None, gt=0)

    _pattern = field_validator("pattern")(_check_pattern)


class ContextRuleFile(_Strict):
    version: str
    description: str
    rules: list[ContextRuleSpec] = Field(min_length=1)


class SectionRuleSpec(_Strict):
    """A section header: a regex anchored at a line start, mapped to a normalized category."""

    category: str = Field(pattern=r"^[a-z][a-z_]*$")
    literal: str = Field(min_length=1)
    pattern: str
    max_scope: int | None = Field(default=None, gt=0, description="Body length limit in tokens.")
    ends: Literal["sentence", "paragraph", "block"] | None = Field(
        default=None, description="Close the section after its first sentence, at the end of its paragraph "
        "(a blank line or a new field), or at a blank line only (block)."
    )
    inline_ends: Literal["sentence", "paragraph", "narrative"] = Field(
        default="sentence", description="How a paragraph-type header found in running text ends ('narrative': "
        "sentence by sentence until one matches the file's narrative_stop, within its paragraph)."
    )

    _pattern = field_validator("pattern")(_check_pattern)


class SectionRuleFile(_Strict):
    version: str
    description: str
    sections: list[SectionRuleSpec] = Field(min_length=1)
    narrative_stop: str | None = Field(
        default=None, description="Regex (case-insensitive): a sentence that starts the procedure's own account "
        "(the needle, the contrast, the patient positioned) and so ends a 'narrative' section in running text.")

    narrative_level: str | None = Field(
        default=None, description="Regex (case-insensitive): a spinal level; a sentence naming one ends a "
        "'narrative' section unless it tells history (narrative_goes_on).")
    narrative_goes_on: str | None = Field(
        default=None, description="Regex (case-insensitive): a sentence that tells history (symptoms, imaging, "
        "devices, treatment, surgery).")
    narrative_action: str | None = Field(
        default=None, description="Regex (case-insensitive): the procedure being done (the needle, the patient "
        "prepared or positioned, the contrast injected, the consent): a sentence naming it ends a 'narrative' "
        "section even when it tells history too; a sentence with only other narrative_stop cues (the thecal sac, "
        "CSF, fluoroscopy) that tells history goes on with it.")

    _narrative = field_validator("narrative_stop", "narrative_level", "narrative_goes_on", "narrative_action")(
        lambda value: value if value is None else _check_pattern(value))


class ScreeningFile(_Strict):
    """Cue regexes: a note matching none of them cannot document a myelogram (see the file)."""

    version: str
    description: str
    cues: list[str] = Field(min_length=1)

    @field_validator("cues")
    @classmethod
    def _regexes(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            if cue.startswith("re:"):
                _check_pattern(cue[3:])
            elif not cue.strip() or cue != cue.lower():
                raise ValueError(f"plain cues are non-empty lower-case substrings: {cue!r}")
        return cues


# --- checklists ----------------------------------------------------------------------------

Scope = Literal["note", "intrathecal_access", "myelogram", "imaged", "interpreted"]
"""When an element can count at all: anywhere in the note; only when the thecal sac was entered in
this encounter; only when a myelogram (performed, attempted or injection-only) is documented;
only when the note names regions imaged; only when images were interpreted in this note."""
Assertion = Literal["historical", "possible", "hypothetical"]


class EvidenceRule(_Strict):
    """One way an element can be evidenced: a target label (optionally next to other labels in
    the same sentence, inside or outside some sections), or the body of some sections."""

    label: str | None = None
    section_body: list[str] | None = None
    near: list[str] | None = None
    window: int = Field(default=0, ge=0, le=3, description="Also look this many sentences before/after for 'near'.")
    not_near: list[str] | None = None
    has_metadata: str | None = Field(default=None, description="Only mentions whose rule sets this metadata key.")
    sections: list[str] | None = None
    exclude_sections: list[str] | None = None
    also_accept: list[Assertion] = Field(default_factory=list)
    requires: list[Assertion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> EvidenceRule:
        if (self.label is None) == (self.section_body is None):
            raise ValueError("give exactly one of 'label' or 'section_body'")
        return self


class ElementSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str
    required: bool
    weight: float = Field(ge=0)
    scope: Scope = "note"
    documented_when: list[EvidenceRule] = Field(min_length=1)
    incomplete_when: list[EvidenceRule] = Field(default_factory=list)
    incomplete_reason: str | None = None
    values: Literal["level", "contrast", "regions", "device", "treatment", "none"] = "none"
    query: str | None = None
    query_by_access: dict[Literal["c1c2"], str] = Field(
        default_factory=dict, description="The query for another access route (options follow what was done).")


class GroupSpec(_Strict):
    """Elements that satisfy one requirement together: the best-documented member counts."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    any_of: list[str] = Field(min_length=2)
    required: bool
    weight: float = Field(ge=0)


class VerdictSpec(_Strict):
    query_threshold: float = Field(ge=0, le=100)
    meanings: dict[Literal["complete", "needs_query", "deficient", "not_applicable", "needs_review"], str]


class ChecklistSpec(_Strict):
    id: str = Field(min_length=1)
    version: str
    title: str
    procedure: str
    codes: list[str] = Field(min_length=1)
    source: str
    elements: list[ElementSpec] = Field(min_length=1)
    groups: list[GroupSpec] = Field(default_factory=list)
    medical_necessity: list[str] = Field(min_length=1)
    verdicts: VerdictSpec
    discontinued: DiscontinuedSpec | None = Field(
        default=None, description="A discontinued procedure (modifier 53/73/74): what is not asked for.")

    @model_validator(mode="after")
    def _waivers_name_elements(self) -> ChecklistSpec:
        known = {e.id for e in self.elements}
        unknown = sorted({w.element for w in self.discontinued.waive} - known) if self.discontinued else []
        if unknown:
            raise ValueError(f"discontinued.waive names unknown elements: {', '.join(unknown)}")
        return self

    @field_validator("elements")
    @classmethod
    def _unique_ids(cls, elements: list[ElementSpec]) -> list[ElementSpec]:
        ids = [e.id for e in elements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"element ids must be unique; repeated: {duplicates}")
        return elements

    @field_validator("groups")
    @classmethod
    def _group_members(cls, groups: list[GroupSpec], info: ValidationInfo) -> list[GroupSpec]:
        known = {e.id for e in info.data.get("elements", [])}
        for group in groups:
            unknown = sorted(set(group.any_of) - known)
            if unknown:
                raise ValueError(f"group '{group.id}' names unknown elements {unknown}")
        return groups

    @field_validator("medical_necessity")
    @classmethod
    def _necessity_refs(cls, refs: list[str], info: ValidationInfo) -> list[str]:
        known = {e.id for e in info.data.get("elements", [])} | {g.id for g in info.data.get("groups", [])}
        unknown = sorted(set(refs) - known)
        if unknown:
            raise ValueError(f"names unknown requirements {unknown}")
        return refs


class ElementOverride(_Strict):
    required: bool | None = None
    weight: float | None = Field(default=None, ge=0)
    scope: Scope | None = None


class GroupOverride(_Strict):
    required: bool | None = None
    weight: float | None = Field(default=None, ge=0)


class ChecklistOverlay(_Strict):
    """A checklist that reuses another one's elements and rules, changing only what differs
    (a code of the same family: another region, injection only, supervision and interpretation only)."""

    extends: str = Field(min_length=1)
    id: str = Field(min_length=1)
    version: str
    title: str
    codes: list[str] = Field(min_length=1)
    source: str
    overrides: dict[str, ElementOverride] = Field(default_factory=dict)
    group_overrides: dict[str, GroupOverride] = Field(default_factory=dict)
    medical_necessity: list[str] | None = None


# --- procedure decision (patterns/procedure_decision.yaml) ---------------------------------

MentionAssertionName = Literal["affirmed", "negated", "possible", "hypothetical", "historical", "family",
                               "template_blank"]


class MentionRule(_Strict):
    """Mentions with these labels, optionally next to others (or not), in some sections, with these assertions."""

    labels: list[str] = Field(min_length=1)
    near: list[str] | None = None
    not_near: list[str] | None = None
    window: int = Field(default=0, ge=0, le=3, description="Sentences before/after that count as 'near'.")
    near_assertions: list[MentionAssertionName] | None = Field(
        default=None, description="Only 'near' mentions with these assertions count (default: any that can stand).")
    not_near_window: int = Field(default=0, ge=0, le=3, description="The same for 'not_near'.")
    not_near_assertions: list[MentionAssertionName] | None = Field(
        default=None, description="Only 'not_near' mentions with these assertions count (default: any that can stand).")
    sections: list[str] | None = None
    exclude_sections: list[str] | None = None
    assertions: list[MentionAssertionName] = Field(default_factory=lambda: ["affirmed"])
    exclude_metadata: dict[str, str] | None = Field(
        default=None, description="Skip mentions whose rule metadata has these values (e.g. agent: gadolinium).")
    heading_chars: int | None = Field(
        default=None, gt=0,
        description="Only mentions that start within this many characters of the note: its heading, where "
        "a document says what kind of document it is.")


class VetoRule(MentionRule):
    """A sentence-veto rule: the mention's sentence, and the next ``following`` sentences of its section,
    hold another encounter's study (a quoted report goes on after the sentence that says it is quoted)."""

    following: int = Field(default=0, ge=0, le=6, description="Sentences after the mention, in its section.")


class SignalSpec(_Strict):
    """One way a signal shows in a note: mentions matching ``when``, or a built-in signal."""

    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    description: str
    weight: float = Field(description="Added to the score once per signal id (negative: evidence against).")
    when: MentionRule | None = None
    builtin: Literal["interpretation"] | None = None
    core: bool = Field(default=False, description="Can make a note a myelogram on its own (with enough score).")
    unless: list[str] = Field(
        default_factory=list, description="Signal ids: this signal does not count when one of them is found.")

    @model_validator(mode="after")
    def _one_kind(self) -> SignalSpec:
        if (self.when is None) == (self.builtin is None):
            raise ValueError("give exactly one of 'when' or 'builtin'")
        return self


class DecisionThresholds(_Strict):
    done: float
    uncertain: float

    @model_validator(mode="after")
    def _ordered(self) -> DecisionThresholds:
        if self.uncertain > self.done:
            raise ValueError("'uncertain' must not be above 'done'")
        return self


class OutcomeSpec(_Strict):
    """Once a myelogram was done: cues that it was stopped, or that its images are read elsewhere."""

    abort: list[MentionRule] = Field(min_length=1, description="Any of these rules finds a stop.")
    handoff: MentionRule
    no_films: MentionRule


class ProcedureDecisionSpec(_Strict):
    version: str
    description: str
    section_weights: dict[str, float] = Field(
        description="Multiplier of a positive signal by section; 'default' for the rest.")
    thresholds: DecisionThresholds
    signals: list[SignalSpec] = Field(min_length=1)
    done_needs_one_of: list[list[str]] = Field(
        default_factory=list, description="Signal-id sets: a note is a myelogram done here only when all the "
        "signals of one set are found (the puncture, the contrast, or images read), whatever its score.")
    uncertain_needs_one_of: list[str] = Field(
        default_factory=list, description="Signal ids: a note is uncertain (rather than not_documented) only "
        "when one of them is found: a study only named, with its plan, is not one a person must check.")
    sentence_veto: list[VetoRule] = Field(
        default_factory=list, description="A positive signal does not count in a sentence holding a mention "
        "found by one of these rules (a past, planned or outside study's details are not this encounter's).")
    outcome: OutcomeSpec

    @model_validator(mode="after")
    def _known_signal_ids(self) -> ProcedureDecisionSpec:
        known = {s.id for s in self.signals}
        named = [i for s in self.signals for i in s.unless] + [i for group in self.done_needs_one_of for i in group]
        named += self.uncertain_needs_one_of
        unknown = sorted(set(named) - known)
        if unknown:
            raise ValueError(f"unknown signal ids: {unknown}")
        return self

    @field_validator("section_weights")
    @classmethod
    def _has_default(cls, weights: dict[str, float]) -> dict[str, float]:
        if "default" not in weights:
            raise ValueError("needs a 'default' weight")
        if any(not 0.0 <= w <= 1.0 for w in weights.values()):
            raise ValueError("section weights lie between 0 and 1")
        return weights


class WaiverSpec(_Strict):
    """An element a discontinued procedure does not need, when the note says that part was never done."""

    element: str
    when: list[MentionRule] = Field(min_length=1, description="Any of these mentions says the part was not done.")
    reason: str


class DiscontinuedSpec(_Strict):
    description: str
    waive: list[WaiverSpec] = Field(default_factory=list)


ChecklistSpec.model_rebuild()
