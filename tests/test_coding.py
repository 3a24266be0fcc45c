"""Code review (issue 6): the code family as checklists, code suggestion, billed-vs-documented
rules, modifiers and plausibility checks. Notes come from sample_notes/ (facts in tests/expected)."""

from __future__ import annotations

from pathlib import Path

import pytest

from docanalyzer import Analyzer, Report
from docanalyzer.checklist import checklist_for_code, load_checklist
from docanalyzer.coding import code_rules
from docanalyzer.coding.billed import parse_billed
from docanalyzer.errors import RuleFileError

SAMPLES = Path(__file__).resolve().parents[1] / "sample_notes"


def review(analyzer: Analyzer, sample: str, billed: str | None = None) -> Report:
    text = next(SAMPLES.glob(f"{sample}_*.txt")).read_text(encoding="utf-8")
    report = analyzer.analyze(text, billed_code=billed)
    assert report.errors == []
    return report


def rule_ids(report: Report) -> set[str]:
    return {f.rule_id for f in report.code_review.findings}


@pytest.mark.parametrize(("code", "checklist_id"), [
    ("62302", "62302"), ("62303", "62303"), ("62304", "62304"), ("62305", "62305"), ("62284", "62284"),
    ("72240", "72240"), ("72255", "72255"), ("72265", "72265"), ("72270", "72270"), ("62304-53", "62304"),
    ("99213", None),
])
def test_every_family_code_has_its_checklist(code: str, checklist_id: str | None) -> None:
    assert checklist_for_code(code) == checklist_id


def test_overlay_checklists_change_only_what_differs() -> None:
    base, injection, si_only = load_checklist("62304"), load_checklist("62284"), load_checklist("72265")
    assert [e.id for e in injection.elements] == [e.id for e in base.elements]
    weights = {e.id: (e.required, e.weight) for e in injection.elements}
    assert weights["interpretation"] == (False, 0) and weights["region_imaged"] == (False, 0)
    assert {e.id: e.required for e in si_only.elements}["injection_site"] is False
    assert injection.codes == ["62284"]


def test_overlay_naming_an_unknown_element_fails_with_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "payer.yaml"
    bad.write_text('extends: "62304"\nid: x\nversion: "1"\ntitle: t\ncodes: ["62304"]\nsource: s\n'
                   "overrides:\n  no_such_element: {weight: 1}\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"payer.yaml: field 'overrides'"):
        load_checklist(bad)


def test_parse_billed_codes_and_modifiers() -> None:
    parsed = parse_billed("62304-53, 62284 77003-26-TC")
    assert [(b.code, b.modifiers) for b in parsed] == [("62304", ("53",)), ("62284", ()), ("77003", ("26", "TC"))]
    assert parse_billed(None) == [] and parse_billed("") == []


def test_checklist_follows_the_billed_code_else_the_documentation(analyzer: Analyzer) -> None:
    assert review(analyzer, "05").checklist.id == "62305"            # two regions documented
    assert review(analyzer, "11").checklist.id == "62284"            # injection only
    assert review(analyzer, "06").checklist.id == "72240"            # C1-C2 puncture: S&I code
    assert review(analyzer, "05", billed="62304").checklist.id == "62304"  # audit what was billed


def test_region_mismatch(analyzer: Analyzer) -> None:
    report = review(analyzer, "05", billed="62304")
    assert [c.code for c in report.code_review.suggested_codes] == ["62305"]
    finding = next(f for f in report.code_review.findings if f.rule_id == "CR001_REGION_MISMATCH")
    assert finding.severity == "error" and "62305" in finding.message


def test_epidural_billed_as_myelogram(analyzer: Analyzer) -> None:
    assert "CR002_NO_MYELOGRAM" in rule_ids(review(analyzer, "07", billed="62304"))


def test_injection_only_billed_as_complete(analyzer: Analyzer) -> None:
    assert "CR003_INJECTION_ONLY" in rule_ids(review(analyzer, "11", billed="62304"))


def test_c1c2_billed_as_lumbar(analyzer: Analyzer) -> None:
    report = review(analyzer, "06", billed="62302")
    assert [c.code for c in report.code_review.suggested_codes] == ["61055", "72240"]
    assert "CR004_C1C2_ACCESS" in rule_ids(report)


@pytest.mark.parametrize(("billed", "rule_id"), [
    ("62304, 62284", "CR005_BUNDLED_INJECTION"),
    ("62304, 72265", "CR006_BUNDLED_SI"),
    ("62304, 77003", "CR007_BUNDLED_FLUORO"),
    ("62304, 62305", "CR008_TWO_MYELOGRAPHY_CODES"),
    ("62304-26", "CR009_PC_TC_MODIFIER"),
    ("62304-51", "CR010_MODIFIER_51"),
    ("62304-53", "CR012_53_WITHOUT_DISCONTINUATION"),
])
def test_claim_level_rules(analyzer: Analyzer, billed: str, rule_id: str) -> None:
    assert rule_id in rule_ids(review(analyzer, "01", billed=billed))


def test_clean_claim_has_no_billing_findings(analyzer: Analyzer) -> None:
    assert not {r for r in rule_ids(review(analyzer, "01", billed="62304")) if r.startswith("CR")}


def test_discontinued_procedure_gets_53_and_a_finding_when_billed_without(analyzer: Analyzer) -> None:
    report = review(analyzer, "10", billed="62304")
    modifier = next(m for m in report.code_review.modifiers if m.code == "53")
    assert modifier.evidence, "modifier 53 must quote its evidence"
    assert "CR011_DISCONTINUED_WITHOUT_53" in rule_ids(report)
    assert "CR011_DISCONTINUED_WITHOUT_53" not in rule_ids(review(analyzer, "10", billed="62304-53"))


MYELOGRAM = """LUMBAR MYELOGRAM
INDICATION: Low back and left leg pain despite physical therapy without relief. Pacemaker; MRI contraindicated.
TECHNIQUE: Under fluoroscopic guidance a 22-gauge spinal needle was placed into the thecal sac at the {level}
interspace with clear CSF return. {volume} mL of {agent} was injected intrathecally. {extra}
FINDINGS: Moderate L4-5 central stenosis.
IMPRESSION: Moderate L4-5 spinal stenosis.
"""


def note(level: str = "L2-3", volume: str = "15", agent: str = "Omnipaque 180", extra: str = "") -> str:
    return MYELOGRAM.format(level=level, volume=volume, agent=agent, extra=extra)


@pytest.mark.parametrize(("text", "rule_id", "expected"), [
    (note(agent="Conray"), "PL001_IONIC_OR_NOT_INTRATHECAL", True),
    (note(agent="Omnipaque 180"), "PL001_IONIC_OR_NOT_INTRATHECAL", False),
    (note(agent="Omnipaque 350", volume="10"), "PL002_OMNIPAQUE_140_350", True),
    (note(agent="Omnipaque 300", volume="12"), "PL003_IOHEXOL_DOSE", True),      # 3,600 mg iodine
    (note(agent="Omnipaque 180", volume="15"), "PL003_IOHEXOL_DOSE", False),     # 2,700 mg iodine
    (note(level="T12-L1"), "PL004_HIGH_LUMBAR_LEVEL", True),
    (note(level="L1-2"), "PL004_HIGH_LUMBAR_LEVEL", True),
    (note(level="L3-4"), "PL004_HIGH_LUMBAR_LEVEL", False),
    (note(), "PL005_FLUORO_DOSE_MISSING", True),
    # MIPS #145 (2023 onward): an exposure index is needed; fluoroscopy time (and image count) is not
    (note(extra="Fluoroscopy time 0.8 minutes."), "PL005_FLUORO_DOSE_MISSING", True),
    (note(extra="Fluoroscopy time 0.8 minutes, 6 spot images."), "PL005_FLUORO_DOSE_MISSING", True),
    (note(extra="Reference air kerma 31 mGy."), "PL005_FLUORO_DOSE_MISSING", False),
    (note(extra="Fluoro 1.2 min, DAP 3.1 Gy-cm2."), "PL005_FLUORO_DOSE_MISSING", False),
])
def test_plausibility_checks(analyzer: Analyzer, text: str, rule_id: str, expected: bool) -> None:
    report = analyzer.analyze(text)
    assert report.procedure_status == "performed"
    assert (rule_id in rule_ids(report)) is expected, report.code_review.findings


def test_modifier_22_and_52_quote_their_evidence(analyzer: Analyzer) -> None:
    report = analyzer.analyze(note(extra="Because of severe scoliosis the procedure took 50 minutes, twice the usual"
                                         " time. Oblique views were not obtained."))
    codes = {m.code: m for m in report.code_review.modifiers}
    assert {"22", "52"} <= set(codes)
    assert all(codes[c].evidence for c in ("22", "52"))


def test_a_rule_switched_off_in_data_does_not_run(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = code_rules.rule_specs()
    switched = {k: (v.model_copy(update={"enabled": False}) if k == "PL005_FLUORO_DOSE_MISSING" else v)
                for k, v in specs.items()}
    monkeypatch.setattr(code_rules, "rule_specs", lambda: switched)
    assert "PL005_FLUORO_DOSE_MISSING" not in rule_ids(analyzer.analyze(note()))


def test_every_rule_in_the_data_file_has_logic_and_a_source() -> None:
    specs = code_rules.rule_specs()
    assert set(specs) == set(code_rules.CHECKS)
    assert all(s.source and s.basis in {"verified", "check"} for s in specs.values())
