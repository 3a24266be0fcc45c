"""The spaCy factory "docanalyzer": usable in anyone's pipeline, registered by entry point, and
nothing heavy happens at import time."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import spacy
from conftest import read_original, sample_note_paths
from spacy.tokens import Doc

from docanalyzer import Report

SAMPLE = sample_note_paths()[0]


def test_add_pipe_sets_the_report_extension() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("docanalyzer")
    assert "docanalyzer" in nlp.pipe_names
    doc = nlp(read_original(SAMPLE))
    report = doc._.docanalyzer_report
    assert isinstance(report, Report)
    assert report.errors == []
    assert report.procedure_status == "performed"
    assert {e.id for e in report.elements} >= {"injection_site", "contrast_agent"}
    for element in report.elements:
        for ev in element.evidence:
            assert doc.text[ev.start : ev.end] == ev.text


def test_component_agrees_with_the_analyzer(analyzer) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("docanalyzer", config={"checklist": "62304"})
    text = read_original(SAMPLE)
    from_component = nlp(text)._.docanalyzer_report
    from_analyzer = analyzer.analyze(text)
    assert from_component.procedure_status == from_analyzer.procedure_status
    assert [(e.id, e.status) for e in from_component.elements] == [
        (e.id, e.status) for e in from_analyzer.elements
    ]


def test_component_does_not_touch_doc_ents() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("docanalyzer")
    doc = nlp(read_original(SAMPLE))
    assert doc.ents == ()


def test_extension_default_is_none() -> None:
    assert Doc.has_extension("docanalyzer_report")
    doc = spacy.blank("en")("no pipeline ran")
    assert doc._.docanalyzer_report is None


def test_pipe_over_several_docs() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("docanalyzer")
    texts = [read_original(p) for p in sample_note_paths()[:3]]
    reports = [doc._.docanalyzer_report for doc in nlp.pipe(texts)]
    assert all(isinstance(r, Report) for r in reports)


def test_spacy_factories_entry_point_is_registered() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="spacy_factories")}
    assert "docanalyzer" in names
    assert names["docanalyzer"] == "docanalyzer.component:make_docanalyzer"


def test_entry_point_loads_the_factory() -> None:
    (ep,) = [ep for ep in entry_points(group="spacy_factories") if ep.name == "docanalyzer"]
    factory = ep.load()
    assert callable(factory)


def test_import_builds_no_pipeline() -> None:
    code = (
        "import json\n"
        "import docanalyzer\n"
        "import docanalyzer.analyzer as a\n"
        "print(json.dumps({'currsize': a.default_analyzer.cache_info().currsize}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["currsize"] == 0
    assert proc.stderr == "", f"importing docanalyzer wrote to stderr: {proc.stderr!r}"


def test_a_saved_pipeline_keeps_its_rules(tmp_path) -> None:
    """nlp.to_disk saves the component's rule files; spacy.load reads them from the saved folder (an
    edit there takes effect), and a broken saved file is refused naming its file."""
    import pytest

    from docanalyzer.component import REPORT_ATTR
    from docanalyzer.errors import RuleFileError

    nlp = spacy.blank("en")
    nlp.add_pipe("docanalyzer")
    text = "LUMBAR MYELOGRAM. L2-3 puncture under fluoroscopy, 15 mL Omnipaque 180. Impression: L4-5 stenosis."
    before = nlp(text)._.get(REPORT_ATTR)
    nlp.to_disk(tmp_path / "pipe")
    saved = tmp_path / "pipe" / "docanalyzer"
    assert (saved / "targets" / "contrast.json").is_file() and (saved / "context.json").is_file()
    assert spacy.load(tmp_path / "pipe")(text)._.get(REPORT_ATTR).model_dump() == before.model_dump()

    contrast = json.loads((saved / "targets" / "contrast.json").read_text(encoding="utf-8"))
    contrast["rules"] = [r for r in contrast["rules"] if "omnipaque" not in r.get("literal", "").lower()]
    (saved / "targets" / "contrast.json").write_text(json.dumps(contrast), encoding="utf-8")
    edited = spacy.load(tmp_path / "pipe")(text)._.get(REPORT_ATTR)
    assert edited.element("contrast_agent").status != before.element("contrast_agent").status

    (saved / "context.json").write_text('{"version": "1"}', encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"context\.json"):
        spacy.load(tmp_path / "pipe")
