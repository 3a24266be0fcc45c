"""Builds the medspaCy sub-components (targets, ConText, sections) from the validated rules."""

from __future__ import annotations

import logging
import re

from medspacy.context import ConTextRule
from medspacy.section_detection import SectionRule
from medspacy.target_matcher import TargetMatcher, TargetRule
from spacy.language import Language

from docanalyzer.pipeline.context import FocusedConText
from docanalyzer.pipeline.fast_matching import speed_up
from docanalyzer.pipeline.sections import InlineHeaders, LeanSectionizer
from docanalyzer.resolve.mentions import SPAN_GROUP
from docanalyzer.rule_files import RuleSet


def quiet_third_party_logs() -> None:
    """PyRuSH/medspaCy log through loguru at DEBUG; keep note text out of stderr.

    docanalyzer does not use PyRuSH, but medspaCy may import it; silence loguru's default sink
    for those packages only, leaving the host application's own logging alone.
    """
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        return
    for name in ("PyRuSH", "medspacy", "quickumls"):
        logger.disable(name)
    logging.getLogger("medspacy").setLevel(logging.WARNING)


def build_target_matcher(nlp: Language, rules: RuleSet, name: str) -> TargetMatcher:
    matcher = TargetMatcher(nlp, name=name, result_type="group", span_group_name=SPAN_GROUP, prune=True)
    speed_up(matcher, same_span="per_category")
    matcher.add([
        TargetRule(
            literal=spec.literal,
            category=spec.category,
            pattern=spec.pattern,
            metadata=dict(spec.metadata or {}),
        )
        for spec in rules.targets
    ])
    return matcher


def build_context(nlp: Language, rules: RuleSet, name: str) -> FocusedConText:
    context = FocusedConText(
        nlp,
        name=name,
        rules=None,
        span_attrs=None,
        input_span_type="group",
        span_group_name=SPAN_GROUP,
        prune_on_modifier_overlap=True,
        # A modifier inside a target ("no" in "no relief") belongs to that phrase, not to its neighbours.
        prune_on_target_overlap=True,
    )
    speed_up(context, same_span="all")
    context.add([
        ConTextRule(
            literal=spec.literal,
            category=spec.category,
            direction=spec.direction,
            pattern=spec.pattern,
            max_scope=spec.max_scope,
        )
        for spec in rules.context.rules
    ])
    return context


def build_sectionizer(nlp: Language, rules: RuleSet, name: str) -> LeanSectionizer:
    sectionizer = LeanSectionizer(nlp, name=name, rules=None, span_attrs=None, input_span_type="group",
                              span_group_name=SPAN_GROUP)
    speed_up(sectionizer)
    sectionizer.add([
        SectionRule(literal=spec.literal, category=spec.category, pattern=spec.pattern,
                    max_scope=spec.max_scope)
        for spec in rules.sections.sections
    ])
    sectionizer.inline_headers = InlineHeaders([(spec.category, spec.pattern) for spec in rules.sections.sections])
    sectionizer.ends = {spec.category: spec.ends for spec in rules.sections.sections if spec.ends}
    sectionizer.inline_ends = {spec.category: spec.inline_ends for spec in rules.sections.sections if spec.ends}
    for name in ("narrative_stop", "narrative_level", "narrative_goes_on", "narrative_action"):
        pattern = getattr(rules.sections, name)
        setattr(sectionizer, name, re.compile(pattern, re.IGNORECASE) if pattern else None)
    return sectionizer
