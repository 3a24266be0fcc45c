"""Check that every ``*.gold.json`` in a folder follows eval/ANNOTATION.md (format only).

Writers of evaluation notes run this on their own files; it never runs the analyzer, so using it
tells a writer nothing about the rules. Exit 0 when every file is well formed, 1 otherwise.
Usage: python eval/validate_gold.py eval/dev [eval/heldout ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ELEMENTS = (
    "injection_site", "contrast_agent", "fluoroscopic_guidance", "region_imaged", "interpretation",
    "mri_contraindication", "prior_imaging_inadequate", "symptoms", "conservative_treatment_failed",
    "prior_spine_surgery",
)
STATUSES = {"performed", "attempted", "injection_only", "not_documented"}
ELEMENT_STATUSES = {"documented", "incomplete", "missing"}
REGIONS = ["cervical", "thoracic", "lumbosacral"]
CONCEPTS = {"spinal_stenosis", "nerve_root_compression", "csf_leak", "disc_herniation"}
ASSERTIONS = {"present", "negated", "possible"}
CODES = {"62302", "62303", "62304", "62305", "62284", "61055", "72240", "72255", "72265", "72270",
         "72126", "72129", "72132"}
REQUIRED = {"id", "style", "variation", "procedure_status", "regions", "elements", "findings",
            "expected_codes", "expected_modifiers", "billed_code"}


OPTIONAL = {"writer", "claim_type", "expected_findings", "no_query_for", "expected_dx"}
CLAIM_TYPES = {"professional", "facility"}
FINDING_CATEGORIES = {"under_coded", "over_coded", "modifier_53_missing", "modifier_not_for_claim_type",
                      "modifier_22_unsupported", "contrast_not_intrathecal", "contrast_formulation_unstated",
                      "discontinued_without_documentation", "contrast_dose_over_limit", "modifier_52_unsupported"}


def dx_problems(codes: object) -> list[str]:
    """Problems of an ``expected_dx`` list; codes are checked against the ICD-10-CM set when installed."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return ["expected_dx must be a list of code strings"]
    found = [] if codes == sorted(set(codes)) else ["expected_dx must be sorted, each code once"]
    try:
        import simple_icd_10_cm as icd
    except ImportError:
        return found
    for code in codes:
        if not icd.is_valid_item(code):
            found.append(f"expected_dx: {code!r} is not an ICD-10-CM code")
        elif not icd.is_leaf(code):
            found.append(f"expected_dx: {code!r} is a category, not a billable code")
    return found


def problems_of(gold_path: Path) -> list[str]:
    """Every problem of one gold file, each naming its field."""
    note = gold_path.with_name(gold_path.name.replace(".gold.json", ".txt"))
    found: list[str] = [] if note.exists() else [f"no note {note.name} beside it"]
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*found, f"not valid JSON: {exc}"]
    found += [f"missing field {name!r}" for name in sorted(REQUIRED - set(gold))]
    found += [f"unknown field {name!r}" for name in sorted(set(gold) - REQUIRED - OPTIONAL)]
    if gold.get("claim_type", "professional") not in CLAIM_TYPES:
        found.append(f"claim_type must be one of {sorted(CLAIM_TYPES)}")
    found += [f"expected_findings: unknown category {c!r}" for c in gold.get("expected_findings", [])
              if c not in FINDING_CATEGORIES]
    found += [f"no_query_for: unknown element {e!r}" for e in gold.get("no_query_for", []) if e not in ELEMENTS]
    if "expected_dx" in gold:
        found += dx_problems(gold["expected_dx"])
    if gold.get("id") != gold_path.name.removesuffix(".gold.json"):
        found.append("id must equal the file name without .gold.json")
    if gold.get("procedure_status") not in STATUSES:
        found.append(f"procedure_status must be one of {sorted(STATUSES)}")
    regions = gold.get("regions", [])
    if not isinstance(regions, list) or any(r not in REGIONS for r in regions) or \
            regions != sorted(regions, key=REGIONS.index):
        found.append(f"regions must be a list from {REGIONS}, in that order")
    elements = gold.get("elements", {})
    if not isinstance(elements, dict) or set(elements) != set(ELEMENTS):
        found.append(f"elements must hold exactly these ids: {list(ELEMENTS)}")
    else:
        found += [f"elements.{k}: {v!r} is not one of {sorted(ELEMENT_STATUSES)}"
                  for k, v in elements.items() if v not in ELEMENT_STATUSES]
    for i, finding in enumerate(gold.get("findings", [])):
        if not isinstance(finding, dict) or finding.get("concept") not in CONCEPTS \
                or finding.get("assertion") not in ASSERTIONS:
            found.append(f"findings[{i}] must be {{concept in {sorted(CONCEPTS)}, assertion in {sorted(ASSERTIONS)}}}")
    found += [f"expected_codes: unknown code {c!r}" for c in gold.get("expected_codes", []) if c not in CODES]
    if gold.get("procedure_status") == "not_documented" and (gold.get("expected_codes") or regions):
        found.append("not_documented notes have no expected_codes and no regions")
    return found


def main(folders: list[str]) -> int:
    bad = 0
    for folder in folders:
        for gold_path in sorted(Path(folder).glob("*.gold.json")):
            for problem in problems_of(gold_path):
                bad += 1
                print(f"{gold_path}: {problem}")
        for note in sorted(Path(folder).glob("*.txt")):
            if not note.with_name(note.stem + ".gold.json").exists():
                bad += 1
                print(f"{note}: no gold file beside it")
    print("ok" if not bad else f"{bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["eval/dev", "eval/heldout"]))
