"""Each diagnosis code on the claim checked: in the code set, billable, and supported by the note.

Statuses (``BilledDxCheck.status``): invalid, not_billable (a category), more_specific_available
(a category or an unspecified code where the note supports a more specific one), supported,
conflicting (the note documents the condition with another region, side or qualifier), unsupported
(saying what the note lacks), not_reviewed (outside the families of patterns/diagnoses.yaml).
"""

from __future__ import annotations

from docanalyzer.diagnosis.codeset import CodeInfo, is_ancestor, lookup
from docanalyzer.diagnosis.extract import DxMention
from docanalyzer.diagnosis.mapping import CodeRule, DiagnosisMapping
from docanalyzer.report import BilledDxCheck, DxCode

_QUALIFIER_WORDS = {"region": "region", "level": "level", "laterality": "side",
                    "claudication": "neurogenic claudication", "radiculopathy": "radiculopathy attributed to the disc",
                    "cause": "cause", "site": "site", "sciatica": "sciatica"}


def check_billed(codes: list[str], suggested: list[DxCode], mentions: list[DxMention],
                 mapping: DiagnosisMapping) -> list[BilledDxCheck]:
    """One check per billed code, in claim order."""
    return [_check(code, suggested, mentions, mapping) for code in codes]


def _check(raw: str, suggested: list[DxCode], mentions: list[DxMention], mapping: DiagnosisMapping) -> BilledDxCheck:
    info = lookup(raw)
    if not info.exists:
        return BilledDxCheck(code=raw, status="invalid", message=f"{raw!r} is not an ICD-10-CM code.")
    by_code = {s.code: s for s in suggested}
    if not info.billable:
        return _category(raw, info, suggested)
    if info.code in by_code:
        found = by_code[info.code]
        return BilledDxCheck(code=raw, status="supported", description=info.description,
                             message=f"Supported: {found.reason}", evidence=found.evidence)
    rules = [rule for rule in mapping.codes if rule.code == info.code]
    if not rules:
        return BilledDxCheck(code=raw, status="not_reviewed", description=info.description,
                             message="Outside the diagnosis families reviewed (patterns/diagnoses.yaml): check it "
                             "against the note by hand.")
    concept = rules[0].concept
    same = [s for s in suggested if s.concept == concept]
    if same:
        return _against_same_concept(raw, info, rules[0], same, mapping)
    return _unsupported(raw, info, concept, suggested, mentions, mapping)


def _category(raw: str, info: CodeInfo, suggested: list[DxCode]) -> BilledDxCheck:
    more = [s for s in suggested if is_ancestor(info.code, s.code)]
    message = f"{info.code} ({info.description}) is a category, not a billable code"
    if more:
        return BilledDxCheck(code=raw, status="more_specific_available", description=info.description,
                             message=f"{message}; the note supports {', '.join(s.code for s in more)} "
                             f"({more[0].description}).", alternatives=[s.code for s in more],
                             evidence=more[0].evidence)
    return BilledDxCheck(code=raw, status="not_billable", description=info.description,
                         message=f"{message}: a claim needs a code of its last level, and the note does not "
                         "support one of them.")


def _against_same_concept(raw: str, info: CodeInfo, billed_rule: CodeRule, same: list[DxCode],
                          mapping: DiagnosisMapping) -> BilledDxCheck:
    """The note codes the same condition otherwise: more specific (billed unspecified) or conflicting."""
    alternatives = [s.code for s in same]
    if "unspecified" in (info.description or "").lower() and any(s.code[:3] == info.code[:3] for s in same):
        return BilledDxCheck(code=raw, status="more_specific_available", description=info.description,
                             message=f"{info.code} ({info.description}) is unspecified; the note supports "
                             f"{', '.join(alternatives)} ({same[0].description}).", alternatives=alternatives,
                             evidence=same[0].evidence)
    nearest = max(same, key=lambda s: _shared(billed_rule, _rule(mapping, s)))
    differences = _differences(billed_rule, _rule(mapping, nearest))
    return BilledDxCheck(code=raw, status="conflicting", description=info.description,
                         message=f"The note documents {nearest.description.lower()} ({nearest.code}), not "
                         f"{(info.description or '').lower()}: {differences}.", alternatives=alternatives,
                         evidence=nearest.evidence)


def _unsupported(raw: str, info: CodeInfo, concept: str, suggested: list[DxCode], mentions: list[DxMention],
                 mapping: DiagnosisMapping) -> BilledDxCheck:
    """What the note lacks: the condition altogether, a statement of it as present, or (a symptom or a
    radiculopathy coded with its diagnosis) a code of its own."""
    spec = mapping.concept(concept)
    said = [m for m in mentions if m.concept == concept]
    stated = [m for m in said if m.discounted is None]
    if stated:
        why = ("a symptom is not coded when the note documents a confirmed diagnosis" if spec.kind == "symptom"
               else "the note documents it, but its code is another one")
        lacks = f"{why} ({', '.join(s.code for s in suggested) or 'its region is not stated'})"
        evidence = [m.evidence for m in stated[:2]]
    elif said:
        reasons = sorted({m.discounted or "" for m in said})
        lacks = f"the note states {spec.name} only as {', '.join(reasons)} (not coded in the outpatient setting)"
        evidence = [m.evidence for m in said[:2]]
    else:
        lacks = f"the note does not document {spec.name}"
        evidence = []
    return BilledDxCheck(code=raw, status="unsupported", description=info.description,
                         message=f"Not supported: {lacks}.", alternatives=[s.code for s in suggested],
                         evidence=evidence)


def _rule(mapping: DiagnosisMapping, code: DxCode) -> CodeRule:
    return next(rule for rule in mapping.codes if rule.code == code.code)


def _shared(a: CodeRule, b: CodeRule) -> int:
    qa, qb = a.qualifiers(), b.qualifiers()
    return sum(1 for key in qa if qb.get(key) == qa[key])


def _differences(billed: CodeRule, documented: CodeRule) -> str:
    qb, qd = billed.qualifiers(), documented.qualifiers()
    both = set(qb) & set(qd)
    parts = []
    for key in sorted(both or set(qb) | set(qd), key=list(_QUALIFIER_WORDS).index):
        if qb.get(key) != qd.get(key):
            parts.append(f"{_QUALIFIER_WORDS[key]}: billed {_word(qb.get(key))}, documented {_word(qd.get(key))}")
    return "; ".join(parts) or "another code of the same condition"


def _word(value: object) -> str:
    if value is None:
        return "not stated"
    if isinstance(value, bool):
        return "with" if value else "without"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)
