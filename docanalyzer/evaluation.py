"""Accuracy against annotated notes (``NAME.txt`` + ``NAME.gold.json``; eval/ANNOTATION.md).

Element figures treat ``documented`` as the positive class (``incomplete`` and ``missing`` are
negatives): a wrong "documented" lets a deficient claim out, a wrong "missing" costs a query.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from docanalyzer.analyzer import Analyzer
from docanalyzer.inputs import read_note_file
from docanalyzer.report import Report

ELEMENT_IDS = (
    "injection_site", "contrast_agent", "fluoroscopic_guidance", "region_imaged", "interpretation",
    "mri_contraindication", "prior_imaging_inadequate", "symptoms", "conservative_treatment_failed",
    "prior_spine_surgery",
)


# The finding concepts eval/ANNOTATION.md asks annotators for; the analyzer may report more
# (a disc bulge, say), which the gold neither confirms nor denies.
ANNOTATED_CONCEPTS = frozenset({"spinal_stenosis", "nerve_root_compression", "csf_leak", "disc_herniation"})


def load_gold(gold_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    pairs = []
    for gold_path in sorted(Path(gold_dir).glob("*.gold.json")):
        note = gold_path.with_name(gold_path.name.replace(".gold.json", ".txt"))
        if not note.exists():
            raise FileNotFoundError(f"{gold_path}: no note {note.name} beside it")
        pairs.append((note, json.loads(gold_path.read_text(encoding="utf-8"))))
    if not pairs:
        raise FileNotFoundError(f"{gold_dir}: no *.gold.json files")
    return pairs


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)


def _evidence(report: Report, element_id: str) -> list[str]:
    try:
        element = report.element(element_id)
    except KeyError:
        return []
    spans = element.evidence or element.discounted
    return [f"{e.text!r}@{e.start} [{e.assertion}]" for e in spans[:3]]


def evaluate_corpus(gold_dir: Path, analyzer: Analyzer | None = None, *, anonymous: bool = False) -> dict[str, Any]:
    """``anonymous``: the analyzer sees each note as "note-N", so nothing it logs names a held-out note."""
    pairs = load_gold(gold_dir)
    analyzer = analyzer or Analyzer(diagnoses=any("expected_dx" in gold for _, gold in pairs))
    tally = _Tally()
    for index, (note, gold) in enumerate(pairs, 1):
        item = read_note_file(note, f"note-{index}" if anonymous else note.stem)
        if gold.get("claim_type") in ("professional", "facility"):
            item = dataclasses.replace(item, claim_type=gold["claim_type"])
        report = analyzer.analyze_input(item, billed_code=gold.get("billed_code"))
        tally.elements(note.stem, gold, report)
        tally.procedure_and_codes(note.stem, gold, report)
        tally.findings(note.stem, gold, report)
        tally.diagnoses(note.stem, gold, report)
    return tally.figures(len(pairs))


class _Tally:
    """What the evaluation counts while it goes through the notes."""

    def __init__(self) -> None:
        self.confusion = {e: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for e in ELEMENT_IDS}
        self.status_exact = {e: 0 for e in ELEMENT_IDS}
        self.disagreements: list[dict[str, Any]] = []
        self.totals = {"procedure": 0, "regions": 0, "primary_code": 0, "codes": 0, "modifiers": 0,
                       "finding_total": 0, "finding_correct": 0, "finding_spurious": 0}
        self.dx = {"notes": 0, "tp": 0, "fp": 0, "fn": 0, "exact": 0}

    def elements(self, name: str, gold: dict[str, Any], report: Report) -> None:
        for element_id in ELEMENT_IDS:
            expected = gold["elements"][element_id]
            got = report.element(element_id).status if report.elements else "missing"
            self.status_exact[element_id] += expected == got
            e_pos, g_pos = expected == "documented", got == "documented"
            key = "tp" if e_pos and g_pos else "fp" if g_pos else "fn" if e_pos else "tn"
            self.confusion[element_id][key] += 1
            if expected != got:
                self.disagreements.append({"note": name, "field": element_id, "expected": expected, "got": got,
                                           "evidence": _evidence(report, element_id)})

    def procedure_and_codes(self, name: str, gold: dict[str, Any], report: Report) -> None:
        totals, disagreements = self.totals, self.disagreements
        _compare(totals, "procedure", name, "procedure_status", gold["procedure_status"],
                 report.procedure_status, disagreements, [e.text for e in report.procedure_evidence[:3]])
        _compare(totals, "regions", name, "regions", sorted(gold["regions"]), sorted(report.regions), disagreements)
        codes = [c.code for c in report.code_review.suggested_codes]
        expected_codes = gold.get("expected_codes", [])
        _compare(totals, "primary_code", name, "primary_code", expected_codes[:1], codes[:1], disagreements)
        totals["codes"] += codes == expected_codes
        modifiers = sorted(m.code for m in report.code_review.modifiers)
        _compare(totals, "modifiers", name, "modifiers", sorted(gold.get("expected_modifiers", [])), modifiers,
                 disagreements)

    def findings(self, name: str, gold: dict[str, Any], report: Report) -> None:
        got_findings = {f.concept: f.assertion for f in report.findings}
        gold_findings = {f["concept"]: f["assertion"] for f in gold.get("findings", [])}
        for concept, assertion in gold_findings.items():
            self.totals["finding_total"] += 1
            if got_findings.get(concept) == assertion:
                self.totals["finding_correct"] += 1
            else:
                self.disagreements.append({"note": name, "field": f"finding:{concept}", "expected": assertion,
                                           "got": got_findings.get(concept, "absent"), "evidence": []})
        spurious = (set(got_findings) & ANNOTATED_CONCEPTS) - set(gold_findings)
        self.totals["finding_spurious"] += len(spurious)
        for concept in sorted(spurious):
            self.disagreements.append({"note": name, "field": f"finding:{concept}", "expected": "absent",
                                       "got": got_findings[concept], "evidence": []})

    def diagnoses(self, name: str, gold: dict[str, Any], report: Report) -> None:
        """Suggested ICD-10-CM codes against ``expected_dx`` (micro counts over codes), for the notes
        whose gold has it."""
        if "expected_dx" not in gold:
            return
        review = report.diagnosis_review
        got = {c.code for c in review.suggested} if review is not None else set()
        expected = set(gold["expected_dx"])
        self.dx["notes"] += 1
        self.dx["exact"] += got == expected
        self.dx["tp"] += len(got & expected)
        self.dx["fp"] += len(got - expected)
        self.dx["fn"] += len(expected - got)
        for code in sorted(got - expected):
            self.disagreements.append({"note": name, "field": f"dx:{code}", "expected": "absent", "got": "suggested",
                                       "evidence": _dx_evidence(report, code)})
        for code in sorted(expected - got):
            self.disagreements.append({"note": name, "field": f"dx:{code}", "expected": "suggested", "got": "absent",
                                       "evidence": []})

    def dx_figures(self) -> dict[str, Any]:
        dx = self.dx
        precision, recall, f1 = _prf(dx["tp"], dx["fp"], dx["fn"])
        return {"notes": dx["notes"], "tp": dx["tp"], "fp": dx["fp"], "fn": dx["fn"], "precision": precision,
                "recall": recall, "f1": f1, "exact_match": round(dx["exact"] / dx["notes"], 4) if dx["notes"] else None}

    def figures(self, n: int) -> dict[str, Any]:
        elements = {}
        for element_id in ELEMENT_IDS:
            c = self.confusion[element_id]
            precision, recall, f1 = _prf(c["tp"], c["fp"], c["fn"])
            elements[element_id] = {**c, "precision": precision, "recall": recall, "f1": f1,
                                    "status_accuracy": round(self.status_exact[element_id] / n, 4)}
        totals = self.totals
        return {
            "notes": n,
            "elements": elements,
            "macro_f1": round(sum(e["f1"] for e in elements.values()) / len(elements), 4),
            "min_element_f1": min(e["f1"] for e in elements.values()),
            "procedure_status_accuracy": round(totals["procedure"] / n, 4),
            "region_exact_match": round(totals["regions"] / n, 4),
            "primary_code_exact_match": round(totals["primary_code"] / n, 4),
            "code_list_exact_match": round(totals["codes"] / n, 4),
            "modifier_exact_match": round(totals["modifiers"] / n, 4),
            "finding_assertion_accuracy": round(totals["finding_correct"] / totals["finding_total"], 4)
            if totals["finding_total"] else 1.0,
            "spurious_findings": totals["finding_spurious"],
            "diagnoses": self.dx_figures(),
            "disagreements": self.disagreements,
        }


def _dx_lines(dx: dict[str, Any] | None) -> list[str]:
    """The suggested-diagnosis figures (only when some gold has ``expected_dx``: older tables stay as they were)."""
    if not dx or not dx["notes"]:
        return []
    return [f"suggested dx (ICD-10-CM):     P {dx['precision']:.3f}  R {dx['recall']:.3f}  F1 {dx['f1']:.3f}"
            f"   (micro over codes; {dx['notes']} notes, TP {dx['tp']} FP {dx['fp']} FN {dx['fn']};"
            f" exact list {dx['exact_match']:.3f})"]


def _dx_evidence(report: Report, code: str) -> list[str]:
    review = report.diagnosis_review
    found = next((c for c in review.suggested if c.code == code), None) if review is not None else None
    return [f"{e.text!r}@{e.start}" for e in found.evidence[:3]] if found is not None else []


def _compare(totals: dict[str, int], key: str, note: str, field: str, expected: Any, got: Any,
             disagreements: list[dict[str, Any]], evidence: Iterable[str] = ()) -> None:
    if expected == got:
        totals[key] += 1
    else:
        disagreements.append({"note": note, "field": field, "expected": expected, "got": got,
                              "evidence": list(evidence)})


def error_categories(result: dict[str, Any]) -> list[tuple[str, int]]:
    """Disagreements counted by (field, expected -> got), with no note names: what may be looked at
    for the held-out split, whose notes the rule authors never read."""
    counts: dict[str, int] = {}
    for d in result["disagreements"]:
        key = f"{d['field']}: expected {d['expected']} -> got {d['got']}"
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def aggregate_only(result: dict[str, Any]) -> dict[str, Any]:
    """The result without per-note disagreements (note names, evidence), with error categories."""
    out = {k: v for k, v in result.items() if k != "disagreements"}
    out["error_categories"] = dict(error_categories(result))
    return out


def render_table(result: dict[str, Any], *, aggregate: bool = False) -> str:
    lines = [f"Notes: {result['notes']}", "",
             f"{'element':<32}{'P':>7}{'R':>7}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}{'3-way':>8}"]
    for element_id, e in result["elements"].items():
        lines.append(f"{element_id:<32}{e['precision']:>7.3f}{e['recall']:>7.3f}{e['f1']:>7.3f}"
                     f"{e['tp']:>5}{e['fp']:>5}{e['fn']:>5}{e['tn']:>5}{e['status_accuracy']:>8.3f}")
    lines += [
        "",
        f"macro F1 (10 elements):       {result['macro_f1']:.3f}   (lowest element {result['min_element_f1']:.3f})",
        f"procedure status accuracy:    {result['procedure_status_accuracy']:.3f}",
        f"region exact match:           {result['region_exact_match']:.3f}",
        f"primary code exact match:     {result['primary_code_exact_match']:.3f}",
        f"code list exact match:        {result['code_list_exact_match']:.3f}",
        f"modifier exact match:         {result['modifier_exact_match']:.3f}",
        f"finding assertion accuracy:   {result['finding_assertion_accuracy']:.3f}"
        f"   (spurious findings: {result['spurious_findings']})",
        *_dx_lines(result.get("diagnoses")),
        "",
        f"Disagreements ({len(result['disagreements'])}):",
    ]
    if aggregate:
        return "\n".join(lines + [f"  {count:>4}  {category}" for category, count in error_categories(result)])
    for d in result["disagreements"]:
        evidence = "; ".join(d["evidence"]) if d["evidence"] else "(no evidence)"
        lines.append(
            f"  {d['note']:<42} {d['field']:<30} expected {d['expected']!s:<16} got {d['got']!s:<16} {evidence}"
        )
    return "\n".join(lines)


def performed_scan(corpus: Path, expected_ids: set[str], analyzer: Analyzer | None = None) -> dict[str, Any]:
    """Run over a JSONL corpus (``sample_id`` + ``transcription``) and list the notes reported
    as a myelogram performed; everything outside ``expected_ids`` is a false positive."""
    analyzer = analyzer or Analyzer()
    performed: list[str] = []
    other_status: dict[str, str] = {}
    notes = 0
    with Path(corpus).open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            notes += 1
            doc_id = str(record.get("sample_id") or record.get("document_id") or notes)
            text = record.get("transcription") or record.get("text") or ""
            report = analyzer.analyze(text, document_id=doc_id)
            if report.procedure_status == "performed":
                performed.append(doc_id)
            elif report.procedure_status != "not_documented":
                other_status[doc_id] = report.procedure_status
    return {
        "notes": notes,
        "reported_performed": performed,
        "expected_found": sorted(expected_ids & set(performed)),
        "false_positives": sorted(set(performed) - expected_ids),
        "other_non_not_documented": other_status,
    }
