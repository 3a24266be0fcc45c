"""The ICD-10-CM codes a note's own documentation supports (eval/ANNOTATION.md, outpatient rules).

Each coded mention becomes a set of qualifier facts (region, level, laterality, neurogenic
claudication, radiculopathy attributed to a disc, cause); the mapping's rule of that concept naming
the most qualifiers that all hold gives the code. A disc herniation with the radiculopathy the note
attributes to it is one code (the region's radiculopathy code is not added); symptoms are coded only
when no diagnosis is; a diagnosis whose code needs what the note does not say (its region, a leak's
cause) is left out and becomes a specificity gap, which a physician query can ask about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from docanalyzer.diagnosis.codeset import lookup
from docanalyzer.diagnosis.extract import DxMention, compiled
from docanalyzer.diagnosis.mapping import CodeRule, DiagnosisMapping
from docanalyzer.report import DxCode, Evidence
from docanalyzer.resolve.mentions import NoteView

REGIONAL = ("spinal_stenosis", "radiculopathy", "disc_herniation", "myelopathy", "spondylolisthesis")
_LEVEL_ORDER = {"C": 0, "T": 1, "L": 2, "S": 3}


@dataclass(frozen=True)
class Gap:
    """A documented diagnosis its code needs more about: ``need`` is region, cause or laterality."""

    concept: str
    need: str
    evidence: Evidence


@dataclass
class Suggestion:
    codes: list[DxCode] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class _Candidate:
    code: str
    concept: str
    facts: dict[str, object]
    evidence: list[Evidence]
    mention: DxMention


def suggest_diagnoses(view: NoteView, mapping: DiagnosisMapping, mentions: list[DxMention]) -> Suggestion:
    """Codes the note supports (sorted, each once, with evidence) and the gaps that kept one out."""
    kinds = {concept.id: concept.kind for concept in mapping.concepts}
    coded = [m for m in mentions if m.discounted is None]
    by_concept: dict[str, list[DxMention]] = {}
    for mention in coded:
        by_concept.setdefault(mention.concept, []).append(mention)
    context = _NoteFacts(view, mapping, by_concept, [m.clause for m in mentions if m.concept == "csf_leak"])
    candidates: list[_Candidate] = []
    gaps: list[Gap] = []
    for concept, found in by_concept.items():
        if kinds[concept] == "explanation":
            continue  # (not coded: it only keeps symptom codes out, below)
        for mention in found:
            for facts in context.facts(concept, mention):
                rule = best_rule(mapping, concept, facts)
                if rule is None:
                    gaps.append(Gap(concept, "region", mention.evidence))
                    continue
                candidates.append(_Candidate(rule.code, concept, facts, [mention.evidence], mention))
                unspecified = _unspecified(concept, facts)
                if unspecified:
                    gaps.append(Gap(concept, unspecified, mention.evidence))
    explained = any(kinds[concept] == "explanation" for concept in by_concept)
    candidates = _outpatient_rules(kinds, candidates, context, explained=explained)
    return Suggestion(codes=_merged(mapping, candidates), gaps=_unique_gaps(gaps, candidates))


class _NoteFacts:
    """What a code needs beyond the mention itself: facts stated elsewhere in its sentence or note."""

    def __init__(self, view: NoteView, mapping: DiagnosisMapping, by_concept: dict[str, list[DxMention]],
                 leak_clauses: list[str]) -> None:
        self.rx = compiled(mapping)
        self.view = view
        self.by_concept = by_concept
        self.claudication = self._affirmed(self.rx.claudication)
        # every sentence about a leak, stated as present or not, or about its consequence
        context = self.rx.leak_context
        self.leak_clauses = leak_clauses + ([view.text[a:b] for a, b in view.sentence_bounds
                                             if context.search(view.text, a, b)] if context and leak_clauses else [])
        self.attributed: set[int] = set()  # ids of radiculopathy mentions coded with their disc

    def _affirmed(self, pattern) -> bool:
        """Whether the note states the cue as present (not under a negated/uncertain target mention)."""
        for match in pattern.finditer(self.view.text):
            start, end = match.span()
            around = [m for m in self.view.mentions_between(max(0, start - 60), end) if m.start < end and start < m.end]
            if not any(m.assertion in {"negated", "possible", "hypothetical", "family", "template_blank"}
                       for m in around):
                return True
        return False

    def facts(self, concept: str, mention: DxMention) -> Iterable[dict[str, object]]:
        """One fact set per region of the mention (none stated: one set without a region)."""
        regions: Iterable[str | None] = mention.regions or (None,) if concept in REGIONAL else (None,)
        for region in regions:
            facts: dict[str, object] = {"region": region} if region else {}
            facts.update(self._qualifiers(concept, mention, region))
            yield facts

    def _qualifiers(self, concept: str, mention: DxMention, region: str | None) -> dict[str, object]:
        if concept == "spinal_stenosis":
            return {"claudication": self.claudication}
        if concept == "disc_herniation":
            return {"radiculopathy": self.attributed_radiculopathy(mention, region),
                    **_level_fact(mention, region, disc=True)}
        if concept == "myelopathy":
            return {"cause": self.myelopathy_cause(mention, region), **_level_fact(mention, region, disc=True)}
        if concept == "csf_leak":
            return self.leak_facts(mention)
        if concept == "low_back_pain":
            sciatica = self.by_concept.get("sciatica", [])
            side = next((m.laterality for m in sciatica if m.laterality != "unstated"), "unstated")
            return {"sciatica": bool(sciatica), "laterality": side}
        if concept in ("sciatica", "leg_pain"):
            return {"laterality": mention.laterality}
        return {}

    def leak_facts(self, mention: DxMention) -> dict[str, object]:
        """A leak's cause and site: said in its own sentence, else in another sentence about the leak."""
        cause, cranial = None, False
        for clause in [mention.clause, *self.leak_clauses]:
            cause = cause or next((name for name, rx in self.rx.leak.items() if rx.search(clause)), None)
            cranial = cranial or bool(self.rx.leak_cranial and self.rx.leak_cranial.search(clause))
        return {"cause": cause or "none", "site": "cranial" if cranial else "spinal"}

    def myelopathy_cause(self, mention: DxMention, region: str | None) -> str:
        """A disc or spondylosis/stenosis named in its sentence; else stenosis stated in its region."""
        if self.rx.disc.search(mention.clause):
            return "disc"
        if self.rx.spondylosis.search(mention.clause):
            return "spondylosis"
        stenosis = self.by_concept.get("spinal_stenosis", [])
        return "spondylosis" if region and any(region in m.regions for m in stenosis) else "none"

    def attributed_radiculopathy(self, herniation: DxMention, region: str | None) -> bool:
        """A named radiculopathy (or a sciatica) the note ties to this disc: in its sentence, or in the same
        region (a root's or a level's; none stated counts as the disc's), as eval/ANNOTATION.md settles it.
        The radiculopathies so attributed are remembered: they get no code of their own."""
        found = False
        for radic in self.by_concept.get("radiculopathy", []) + self.by_concept.get("sciatica", []):
            if radic.concept == "sciatica" and region not in ("lumbar", "lumbosacral"):
                continue
            if radic.sentence == herniation.sentence or not radic.region_stated or region in radic.regions:
                self.attributed.add(id(radic))
                found = True
        return found


def _level_fact(mention: DxMention, region: str | None, *, disc: bool) -> dict[str, object]:
    """The most superior interspace of a cervical disc (ICD-10-CM codes the highest level); a C7-T1
    disc is a cervical disc."""
    if region != "cervical" and not (disc and region == "thoracic" and "C7-T1" in mention.levels):
        return {}
    cervical = [lv for lv in mention.levels if lv.startswith("C") and "-" in lv]
    if not cervical:
        return {}
    return {"level": min(cervical, key=lambda lv: (_LEVEL_ORDER[lv[0]], int(lv[1:].split("-")[0])))}


def best_rule(mapping: DiagnosisMapping, concept: str, facts: dict[str, object]) -> CodeRule | None:
    """The rule of ``concept`` whose qualifiers all hold, naming the most of them."""
    fitting = [rule for rule in mapping.codes if rule.concept == concept and _holds(rule, facts)]
    return max(fitting, key=lambda rule: len(rule.qualifiers()), default=None)


def _holds(rule: CodeRule, facts: dict[str, object]) -> bool:
    for name, wanted in rule.qualifiers().items():
        got = facts.get(name)
        if name == "level":
            if got not in wanted:  # type: ignore[operator]
                return False
        elif name == "claudication":
            if bool(got) != wanted:
                return False
        elif got != wanted:
            return False
    return True


def _unspecified(concept: str, facts: dict[str, object]) -> str | None:
    """What a coded mention leaves unspecified that a physician could state: a leak's cause, a side."""
    if concept == "csf_leak" and facts.get("cause") == "none":
        return "cause"
    if facts.get("laterality") == "unstated" and (concept in ("sciatica", "leg_pain") or facts.get("sciatica")):
        return "laterality"
    return None


def _outpatient_rules(kinds: dict[str, str], candidates: list[_Candidate], context: _NoteFacts, *,
                     explained: bool = False) -> list[_Candidate]:
    """A region's radiculopathy is not added to its disc code with radiculopathy; sciatica coded with low
    back pain is not coded again; a side stated once wins over a mention without one; symptoms only when
    no diagnosis is coded, nor beside a confirmed diagnosis outside the table that explains them
    (``kinds``: each concept's kind in the mapping)."""
    kept = _without_attributed_radiculopathy(candidates, context)
    kept = _without_superseded_myelopathy_parts(kept)
    if any(c.concept == "low_back_pain" for c in kept):
        kept = [c for c in kept if c.concept != "sciatica"]
    if any(c.concept == "sciatica" or c.facts.get("sciatica") for c in kept):
        kept = [c for c in kept if c.concept != "leg_pain"]  # pain down the leg is the sciatica
    sided = {c.concept for c in kept if c.facts.get("laterality") not in (None, "unstated")}
    kept = [c for c in kept if not (c.facts.get("laterality") == "unstated" and c.concept in sided)]
    if explained or any(kinds[c.concept] == "diagnosis" for c in kept):
        kept = [c for c in kept if kinds[c.concept] == "diagnosis"]
    return kept


def _without_attributed_radiculopathy(candidates: list[_Candidate], context: _NoteFacts) -> list[_Candidate]:
    """Radiculopathy coded with its disc (the combination code) gets no code of its own."""
    disc_radic = {c.facts.get("region") for c in candidates
                  if c.concept == "disc_herniation" and c.facts.get("radiculopathy")}

    def attributed(candidate: _Candidate) -> bool:
        return candidate.facts.get("region") in disc_radic or id(candidate.mention) in context.attributed

    return [c for c in candidates if not (c.concept == "radiculopathy" and attributed(c))]


def _without_superseded_myelopathy_parts(candidates: list[_Candidate]) -> list[_Candidate]:
    """A myelopathy coded with its cause (a cervical disc, spondylosis) is one code: the disc at that
    level gets no displacement code of its own, as a disc with its radiculopathy gets none, and the
    unattributed myelopathy code is not added beside it."""
    # a thoracic disc with myelopathy is the disc's displacement code (the mapping has no thoracic disc
    # myelopathy code): the myelopathy code of that region is not added
    disc_regions = {c.facts.get("region") for c in candidates if c.concept == "disc_herniation"}
    candidates = [c for c in candidates if not (c.concept == "myelopathy" and c.facts.get("region") == "thoracic"
                                                and "thoracic" in disc_regions)]
    caused = [c for c in candidates if c.concept == "myelopathy" and c.facts.get("cause") not in (None, "none")]
    if not caused:
        return candidates
    disc_levels = {(c.facts.get("region"), c.facts.get("level")) for c in caused if c.facts.get("cause") == "disc"}

    def superseded(candidate: _Candidate) -> bool:
        if candidate.concept == "myelopathy":
            return candidate.facts.get("cause") in (None, "none")
        return (candidate.concept == "disc_herniation" and not candidate.facts.get("radiculopathy")
                and (candidate.facts.get("region"), candidate.facts.get("level")) in disc_levels)

    return [c for c in candidates if not superseded(c)]


def _merged(mapping: DiagnosisMapping, candidates: list[_Candidate]) -> list[DxCode]:
    """One entry per code, sorted, with the evidence of every mention behind it (at most four)."""
    by_code: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_code.setdefault(candidate.code, []).append(candidate)
    out = []
    for code in sorted(by_code):
        group = by_code[code]
        evidence = list({(e.start, e.end): e for c in group for e in c.evidence}.values())[:4]
        concept = mapping.concept(group[0].concept)
        info = lookup(code)
        out.append(DxCode(code=code, description=info.description or "", concept=concept.id,
                          reason=_reason(concept.name, group[0].facts), evidence=evidence))
    return out


def _reason(name: str, facts: dict[str, object]) -> str:
    parts = [name]
    if facts.get("region"):
        parts.append(f"{facts['region']} region")
    if facts.get("level"):
        parts.append(f"at {facts['level']}")
    if facts.get("claudication") is True and facts.get("region") == "lumbar":
        parts.append("with neurogenic claudication")
    if facts.get("radiculopathy") is True:
        parts.append("with radiculopathy attributed to it")
    if facts.get("cause") not in (None, "none"):
        parts.append(f"cause: {facts['cause']}")
    if facts.get("laterality") not in (None, "unstated"):
        parts.append(str(facts["laterality"]))
    return "Documented as present: " + ", ".join(parts) + "."


def _unique_gaps(gaps: list[Gap], candidates: list[_Candidate]) -> list[Gap]:
    """One gap per concept and need; none for a region when another mention of the concept gave one, nor
    for what another mention of a coded concept specified (a leak's cause, a side)."""
    coded = {c.concept for c in candidates}
    specified = {c.concept for c in candidates if _unspecified(c.concept, c.facts) is None}
    seen: dict[tuple[str, str], Gap] = {}
    for gap in gaps:
        if gap.concept in (coded if gap.need == "region" else specified) or \
                (gap.need != "region" and gap.concept not in coded):
            continue
        seen.setdefault((gap.concept, gap.need), gap)
    return list(seen.values())
