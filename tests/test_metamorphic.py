"""Metamorphic testing: the rewrites themselves, the signature, ``measure`` and the CLI command.

The dev-set invariance floors (issue 11) are checked in the last test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from conftest import REPO, sample_note_paths
from typer.testing import CliRunner

from docanalyzer import metamorphic
from docanalyzer.metamorphic import REWRITES, measure, read_folder, render_table, signature, without_notes
from docanalyzer.metamorphic_cli import register

DEV = REPO / "eval" / "dev"

NOTE = """\
MYELOGRAM REPORT

CLINICAL HISTORY: Low back pain radiating to the left leg. MRI contraindicated (pacemaker).
PROCEDURE: Lumbar puncture at L3-L4 under fluoroscopic guidance. Clear cerebrospinal fluid returned.
15 mL of Omnipaque 180 was injected intrathecally.
- Frontal and lateral views of the lumbar spine.

FINDINGS:
Moderate narrowing of the thecal sac at L4-L5.

IMPRESSION: Moderate stenosis at L4-L5.
Recommend surgical consultation.
"""

SHORT_NOTES = [
    ("lumbar", "Lumbar myelogram. L3-4 puncture, 15 mL Omnipaque 180 injected intrathecally under fluoroscopy.\n"
               "Findings: moderate stenosis L4-5.\nImpression: Moderate stenosis L4-5.\n"),
    ("cancelled", "Myelogram cancelled: patient on apixaban. No needle placed. Rescheduled.\n"),
    ("consult", "Spine consult. Plan: CT myelogram of the cervical spine next week.\n"),
]

WORD_PRESERVING = sorted(set(REWRITES) - {"synonyms", "preamble_signature", "hx_prepended"})


def words(text: str) -> list[str]:
    return sorted(w.lower() for w in re.findall(r"[^\W_]+", text))


def texts() -> list[str]:
    return [NOTE] + [text for _, text in SHORT_NOTES] + [p.read_text(encoding="utf-8") for p in sample_note_paths()]


# --- the rewrites ------------------------------------------------------------------------------


def test_at_least_thirteen_rewrites() -> None:
    assert len(REWRITES) >= 13


@pytest.mark.parametrize("name", WORD_PRESERVING)
def test_rewrite_keeps_every_word(name: str) -> None:
    for text in texts():
        assert words(REWRITES[name](text)) == words(text)


@pytest.mark.parametrize("name", sorted(REWRITES))
def test_rewrite_is_deterministic(name: str) -> None:
    assert REWRITES[name](NOTE) == REWRITES[name](NOTE)


def test_case_rewrites() -> None:
    assert REWRITES["lower"]("FINDINGS: L4-L5") == "findings: l4-l5"
    assert REWRITES["upper"]("Findings: mild") == "FINDINGS: MILD"


def test_wrap60_short_lines_in_order() -> None:
    for text in texts():
        wrapped = REWRITES["wrap60"](text)
        assert all(len(line) <= 60 for line in wrapped.split("\n"))
        assert re.findall(r"\S+", wrapped) == re.findall(r"\S+", text)


def test_wrap60_keeps_an_overlong_word_whole() -> None:
    word = "x" * 70
    assert REWRITES["wrap60"](f"start {word} end") == f"start\n{word}\nend"


def test_one_paragraph_has_no_line_break() -> None:
    flat = REWRITES["one_paragraph"](NOTE.replace("\n", "\r\n"))
    assert "\n" not in flat and "\r" not in flat
    assert "  " not in flat and flat.startswith("MYELOGRAM REPORT CLINICAL HISTORY:")


def test_crlf() -> None:
    out = REWRITES["crlf"]("a\nb\r\nc\n")
    assert out == "a\r\nb\r\nc\r\n"


def test_header_dash() -> None:
    assert REWRITES["header_dash"]("IMPRESSION: x") == "Impression - x"
    assert REWRITES["header_dash"]("Findings:\nmild") == "Findings -\nmild"
    assert REWRITES["header_dash"]("CT MYELOGRAM: done") == "CT Myelogram - done"
    assert REWRITES["header_dash"]("L4-L5: mild stenosis") == "L4-L5: mild stenosis"  # a level, not a header


def test_header_own_line() -> None:
    assert REWRITES["header_own_line"]("IMPRESSION: Mild stenosis\nFINDINGS:\nx") == (
        "IMPRESSION:\nMild stenosis\nFINDINGS:\nx")


def test_bullets() -> None:
    out = REWRITES["bullets"]("FINDINGS:\nMild stenosis.\n\n- already a bullet\n---\nIMPRESSION: ok")
    assert out == "FINDINGS:\n- Mild stenosis.\n\n- already a bullet\n---\nIMPRESSION: ok"


def test_impression_first_moves_the_section() -> None:
    out = REWRITES["impression_first"](NOTE)
    assert out.startswith("IMPRESSION: Moderate stenosis at L4-L5.\nRecommend surgical consultation.\n\nMYELOGRAM")
    assert out.count("IMPRESSION") == 1


def test_impression_first_ends_at_next_header() -> None:
    text = "History: pain\nConclusion: stenosis\nmore\nSigned: Dr A"
    assert REWRITES["impression_first"](text) == "Conclusion: stenosis\nmore\n\nHistory: pain\nSigned: Dr A"


def test_impression_first_noop_without_impression() -> None:
    text = "History: pain\nFindings: stenosis\n"
    assert REWRITES["impression_first"](text) == text


def test_hx_prepended() -> None:
    out = REWRITES["hx_prepended"](NOTE)
    assert out == "Hx: see chart.\n" + NOTE


def test_preamble_signature() -> None:
    out = REWRITES["preamble_signature"](NOTE)
    assert out.startswith(metamorphic.PREAMBLE) and out.endswith(metamorphic.SIGNATURE)
    assert NOTE.rstrip() in out


def test_synonyms() -> None:
    text = ("Lumbar puncture under fluoroscopic guidance; Cerebrospinal fluid clear; contrast given "
            "INTRATHECALLY (intrathecal route). Fluoroscopy time 1 min. Intrathecalis, lumbar punctures, "
            "prefluoroscopy stay.")
    assert REWRITES["synonyms"](text) == (
        "LP under fluoro; CSF clear; contrast given IT (IT route). fluoro time 1 min. Intrathecalis, "
        "lumbar punctures, prefluoroscopy stay.")


def test_synonyms_keep_other_words() -> None:
    replaced = {"lumbar", "puncture", "intrathecal", "intrathecally", "fluoroscopy", "fluoroscopic", "guidance",
                "cerebrospinal", "fluid", "lp", "it", "fluoro", "csf"}
    for text in texts():
        kept = [w for w in words(REWRITES["synonyms"](text)) if w not in replaced]
        assert kept == [w for w in words(text) if w not in replaced]


def test_title_case_headers() -> None:
    text = "CLINICAL HISTORY: PAIN\nHPI OF NOTE:\nFindings: x\nL4-L5: y"
    assert REWRITES["title_case_headers"](text) == "Clinical History: PAIN\nHPI Of Note:\nFindings: x\nL4-L5: y"


# --- signature and measure ---------------------------------------------------------------------


def test_signature_is_stable(analyzer) -> None:
    first = signature(analyzer.analyze(NOTE, document_id="a"))
    second = signature(analyzer.analyze(NOTE, document_id="b"))
    assert first == second
    assert set(first) == {"procedure_status", "regions", "elements", "primary_code"}
    assert first["regions"] == sorted(first["regions"])


def test_measure_counts(analyzer) -> None:
    chosen = {name: REWRITES[name] for name in ("lower", "one_paragraph", "synonyms")}
    result = measure(analyzer, SHORT_NOTES, chosen)
    assert list(result["rewrites"]) == list(chosen)
    assert result["checks"] == len(SHORT_NOTES) * len(chosen)
    for stats in result["rewrites"].values():
        assert stats["notes"] == len(SHORT_NOTES)
        assert 0 <= stats["kept"] <= stats["notes"]
        assert 0.0 <= stats["rate"] <= 1.0 and stats["rate"] == round(stats["kept"] / stats["notes"], 4)
        assert sum(stats["changed_fields"].values()) == len(stats["changes"])
    assert 0.0 <= result["overall"] <= 1.0
    assert result["kept"] == sum(s["kept"] for s in result["rewrites"].values())


def test_measure_identity_keeps_everything(analyzer) -> None:
    result = measure(analyzer, SHORT_NOTES, {"identity": lambda text: text})
    assert result["overall"] == 1.0 and result["rewrites"]["identity"]["changes"] == []


def test_render_table_aggregate_hides_note_names() -> None:
    result = {"rewrites": {"lower": {"notes": 2, "kept": 1, "rate": 0.5, "changed_fields": {"regions": 1},
                                     "changes": [{"note": "secret_note", "rewrite": "lower", "field": "regions",
                                                  "before": ["lumbosacral"], "after": []}]}},
              "checks": 2, "kept": 1, "overall": 0.5}
    detailed = render_table(result, aggregate=False)
    assert "secret_note" in detailed and "['lumbosacral'] -> []" in detailed
    aggregated = render_table(result, aggregate=True)
    assert "secret_note" not in aggregated and "regions x1" in aggregated and "50.00%" in aggregated
    assert "secret_note" not in json.dumps(without_notes(result))


def test_cli_command(analyzer, tmp_path: Path, monkeypatch) -> None:
    for name, text in SHORT_NOTES:
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    monkeypatch.setattr("docanalyzer.analyzer.Analyzer", lambda: analyzer)
    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    runner = CliRunner()
    out = runner.invoke(app, ["metamorphic", str(tmp_path), "--aggregate", "--format", "json", "--rewrite", "lower"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert list(data["rewrites"]) == ["lower"] and data["checks"] == len(SHORT_NOTES)
    assert not any(name in out.stdout for name, _ in SHORT_NOTES)
    assert runner.invoke(app, ["metamorphic", str(tmp_path), "--rewrite", "nope"]).exit_code == 2


# --- the dev set (issue 11) --------------------------------------------------------------------


INVARIANCE_FLOORS = {"dev": (0.98, 0.955), "heldout": (0.98, 0.95)}
"""(overall, every rewrite): issue 11 asks 0.98 and 0.95 on dev and held-out notes. Dev keeps a little
more on every rewrite (0.955), its lowest today being lower case (docs/accuracy.md)."""


@pytest.mark.parametrize("split", sorted(INVARIANCE_FLOORS))
def test_invariance_floors(analyzer, split: str) -> None:
    folder = REPO / "eval" / split
    notes = read_folder(folder) if folder.is_dir() else []
    if not notes:
        pytest.skip(f"no *.txt notes in {folder}")
    result = measure(analyzer, notes, anonymous=split == "heldout")
    overall, each = INVARIANCE_FLOORS[split]
    # rates and change categories only: the held-out notes are not named
    assert result["overall"] >= overall, render_table(result, aggregate=True)
    low = {name: s["rate"] for name, s in result["rewrites"].items() if s["rate"] < each}
    assert not low, render_table(result, aggregate=True)
