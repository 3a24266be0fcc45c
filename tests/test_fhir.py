"""FHIR input (DocumentReference / Bundle) and output (Observation + DetectedIssue), library and CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from conftest import SAMPLE_NOTES, read_original
from typer.testing import CliRunner

pytest.importorskip("fhir.resources", reason="FHIR support needs the fhir extra: pip install 'docanalyzer[fhir]'")

from fhir.resources.R4B.bundle import Bundle

from docanalyzer.cli import app
from docanalyzer.integrations.fhir import (
    CPT_SYSTEM,
    FhirInputError,
    iter_fhir_notes,
    looks_like_fhir,
    parse_fhir,
    report_to_fhir,
    reports_to_fhir_bundle,
    xhtml_to_text,
)

NOTE_02 = SAMPLE_NOTES / "02_contrast_unnamed.txt"
NOTE_01 = SAMPLE_NOTES / "01_complete_lumbar_myelogram.txt"
SECRET = "ZEBRA-SECRET-NOTE-TEXT"


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def document_reference(text: str, doc_id: str | None = "n1", *, content_type: str = "text/plain; charset=utf-8",
                       cpt: str | None = "62304", patient: str | None = "Patient/p1") -> dict:
    resource: dict = {
        "resourceType": "DocumentReference",
        "status": "current",
        "content": [{"attachment": {"contentType": content_type, "data": b64(text)}}],
    }
    if doc_id:
        resource["id"] = doc_id
    if patient:
        resource["subject"] = {"reference": patient}
    if cpt:
        resource["context"] = {"event": [{"coding": [{"system": CPT_SYSTEM, "code": cpt}]}]}
    return resource


def bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": r} for r in resources]}


# ------------------------------------------------------------------------------------------ input


def test_document_reference_base64_text_and_billed_code():
    text = read_original(NOTE_02)
    [item] = parse_fhir(document_reference(text))
    assert item.note.text == text
    assert item.note.document_id == "n1"
    assert item.note.billed_code == "62304"
    assert item.note.encoding == "utf-8"
    assert item.reference == {"reference": "DocumentReference/n1", "type": "DocumentReference"}
    assert item.subject == {"reference": "Patient/p1"}


def test_charset_parameter_is_honoured():
    text = "Myelogram at L2-L3 with Omnipaque 180 – patient tolerated it."
    resource = document_reference(text)
    resource["content"][0]["attachment"] = {"contentType": "text/plain; charset=cp1252",
                                            "data": b64(text, "cp1252")}
    [item] = parse_fhir(resource)
    assert item.note.text == text
    assert item.note.encoding == "cp1252"


def test_contained_binary_and_narrative_inline_text():
    text = read_original(NOTE_01)
    contained = {
        "resourceType": "DocumentReference", "id": "c1", "status": "current",
        "contained": [{"resourceType": "Binary", "id": "note", "contentType": "text/plain", "data": b64(text)}],
        "content": [{"attachment": {"contentType": "text/plain", "url": "#note"}}],
    }
    [item] = parse_fhir(contained)
    assert item.note.text == text

    narrative = {
        "resourceType": "DocumentReference", "id": "t1", "status": "current",
        "text": {"status": "additional",
                 "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Lumbar myelogram at L2-L3.</p>'
                        "<p>Omnipaque 180 &amp; fluoroscopy.</p></div>"},
        "content": [{"attachment": {"contentType": "text/plain", "title": "note"}}],
    }
    [item] = parse_fhir(narrative)
    assert item.note.text == "Lumbar myelogram at L2-L3.\n\nOmnipaque 180 & fluoroscopy."


def test_xhtml_to_text_line_breaks():
    assert xhtml_to_text('<div xmlns="http://www.w3.org/1999/xhtml">a<br/>b</div>') == "a\nb"


@pytest.mark.parametrize(("attachment", "message"), [
    ({"contentType": "application/pdf", "data": "JVBERi0xLjQ="}, "application/pdf"),
    ({"contentType": "text/plain", "url": "https://ehr.example/notes/1"}, "fetches nothing"),
])
def test_unsupported_content_is_that_documents_error(attachment, message):
    resource = {"resourceType": "DocumentReference", "id": "x", "status": "current",
                "content": [{"attachment": attachment}]}
    [item] = parse_fhir(resource)
    assert item.note.text is None
    assert item.note.error_code.value == "E006_UNSUPPORTED_FORMAT"
    assert message in item.note.error_message


def test_bundle_keeps_document_order_and_skips_other_resources():
    first, second = read_original(NOTE_01), read_original(NOTE_02)
    data = bundle(document_reference(first, "a"), {"resourceType": "Patient", "id": "p1"},
                  document_reference(second, None, cpt=None))
    data["entry"][2]["fullUrl"] = "urn:uuid:0f6b7c1e-0000-4000-8000-000000000002"
    items = parse_fhir(data, source="b.json")
    assert [i.note.document_id for i in items] == ["a", "urn:uuid:0f6b7c1e-0000-4000-8000-000000000002"]
    assert [i.note.text for i in items] == [first, second]
    assert items[1].note.billed_code is None
    assert items[1].reference["reference"] == "urn:uuid:0f6b7c1e-0000-4000-8000-000000000002"
    assert items[1].note.source == "b.json#entry[2].resource"


@pytest.mark.parametrize(("data", "fragment"), [
    ({"resourceType": "Patient", "id": "p"}, "expected resourceType DocumentReference or Bundle"),
    ({"status": "current"}, "no 'resourceType'"),
    ([1, 2], "got an array"),
    (bundle({"resourceType": "Patient", "id": "p"}), "no DocumentReference"),
    ({"resourceType": "DocumentReference", "status": "current"}, "content"),
    ({"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": {"data": SECRET}}]},
     "content[0].attachment.data"),
])
def test_invalid_fhir_raises_with_location_and_no_text(data, fragment):
    with pytest.raises(FhirInputError) as caught:
        parse_fhir(data)
    assert fragment in caught.value.message
    assert SECRET not in caught.value.message


def test_max_documents():
    data = bundle(*(document_reference("Myelogram.", f"d{i}") for i in range(3)))
    with pytest.raises(FhirInputError, match="limit is 2"):
        parse_fhir(data, max_documents=2)


def test_iter_fhir_notes_never_raises(tmp_path: Path):
    good = tmp_path / "one.fhir.json"
    good.write_text(json.dumps(document_reference(read_original(NOTE_02))), encoding="utf-8")
    broken = tmp_path / "broken.fhir.json"
    broken.write_text('{"resourceType": "DocumentReference", ' + SECRET, encoding="utf-8")
    wrong = tmp_path / "patient.json"
    wrong.write_text(json.dumps({"resourceType": "Patient", "id": "p"}), encoding="utf-8")
    assert [n.document_id for n in iter_fhir_notes(good)] == ["n1"]
    for path in (broken, wrong, tmp_path / "absent.fhir.json"):
        [item] = list(iter_fhir_notes(path))
        assert item.text is None and item.document_id == str(path)
        assert SECRET not in (item.error_message or "")
    assert looks_like_fhir(good) and looks_like_fhir(wrong)
    assert not looks_like_fhir(NOTE_01)


# ----------------------------------------------------------------------------------------- output


def test_fhir_output_observation_and_detected_issues(analyzer):
    items = parse_fhir(bundle(document_reference(read_original(NOTE_02), "n2"),
                              document_reference(read_original(NOTE_01), "n1")))
    reports = [analyzer.analyze_input(item.note) for item in items]
    out = reports_to_fhir_bundle(zip(reports, items, strict=True))
    Bundle.model_validate(out)  # valid FHIR (R4B models)
    resources = [entry["resource"] for entry in out["entry"]]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    issues = [r for r in resources if r["resourceType"] == "DetectedIssue"]
    assert len(observations) == 2
    assert len(issues) == sum(len(r.queries) for r in reports) >= 1
    assert observations[0]["valueQuantity"]["value"] == reports[0].score
    assert observations[0]["derivedFrom"] == [{"reference": "DocumentReference/n2", "type": "DocumentReference"}]
    assert observations[0]["subject"] == {"reference": "Patient/p1"}
    issue = issues[0]
    assert issue["code"]["coding"][0]["code"] == reports[0].queries[0].element_id
    assert issue["implicated"] == [{"reference": "DocumentReference/n2", "type": "DocumentReference"}]
    assert issue["patient"] == {"reference": "Patient/p1"}
    assert issue["mitigation"][0]["action"]["text"] == reports[0].queries[0].question
    # deterministic ids: the same input gives the same resources
    again = reports_to_fhir_bundle(zip(reports, items, strict=True))
    assert again == out


def test_fhir_output_for_an_error_report(analyzer):
    report = analyzer.analyze("   ", document_id="empty")
    [observation] = report_to_fhir(report)
    assert observation["dataAbsentReason"]["coding"][0]["code"] == "error"
    assert "valueQuantity" not in observation
    assert observation["note"][0]["text"].startswith("E001_EMPTY_INPUT")


# -------------------------------------------------------------------------------------------- CLI


def test_cli_reads_fhir_files_in_order(tmp_path: Path, analyzer):
    first, second = read_original(NOTE_01), read_original(NOTE_02)
    path = tmp_path / "notes.fhir.json"
    path.write_text(json.dumps(bundle(document_reference(first, "a"), document_reference(second, "b"))),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(NOTE_02), str(path), "--format", "jsonl", "-q"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [o["document_id"] for o in objects] == [str(NOTE_02), "a", "b"]
    expected = analyzer.analyze(second, document_id="b", billed_code="62304", encoding="utf-8",
                                source=f"{path}#entry[1].resource")
    assert objects[2] == json.loads(expected.model_dump_json())


def test_cli_bad_fhir_file_is_one_error_result(tmp_path: Path):
    path = tmp_path / "bad.fhir.json"
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}', encoding="utf-8")
    result = CliRunner().invoke(app, ["analyze", str(path), "--format", "jsonl", "-q"], catch_exceptions=False)
    assert result.exit_code == 3
    [obj] = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert obj["document_id"] == str(path)
    assert obj["errors"][0]["code"] == "E007_NOT_TEXT"
