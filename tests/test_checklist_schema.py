"""Checklist and rule files are strict data: a typo fails loudly, naming the file and the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ELEMENT_IDS

from docanalyzer import Analyzer
from docanalyzer.checklist import load_checklist
from docanalyzer.errors import ErrorCode, RuleFileError
from docanalyzer.resources import builtin_checklist_ids, pattern_file
from docanalyzer.rule_files import _check_token_patterns, load_rules, parse_data, validate
from docanalyzer.schemas import ChecklistSpec, ContextRuleFile, TargetRuleFile


def builtin_data() -> dict[str, Any]:
    return yaml.safe_load(pattern_file("checklists", "62304.yaml").read_text(encoding="utf-8"))


# --- the shipped files ---------------------------------------------------------------------------

def test_builtin_62304_validates() -> None:
    spec = load_checklist("62304")
    assert isinstance(spec, ChecklistSpec)
    assert spec.id == "62304"
    assert {e.id for e in spec.elements} == set(ELEMENT_IDS)
    assert "62304" in spec.codes
    assert {g.id for g in spec.groups} == {"imaging_necessity"}


def test_builtin_62304_validates_from_raw_data() -> None:
    spec = validate(ChecklistSpec, builtin_data(), "62304.yaml")
    assert spec == load_checklist("62304")


def test_builtin_checklist_ids_include_62304() -> None:
    assert "62304" in builtin_checklist_ids()


def test_checklist_file_copy_loads(tmp_path: Path) -> None:
    path = tmp_path / "payer.yaml"
    path.write_text(yaml.safe_dump(builtin_data()), encoding="utf-8")
    assert load_checklist(path) == load_checklist("62304")
    json_path = tmp_path / "payer.json"
    json_path.write_text(json.dumps(builtin_data()), encoding="utf-8")
    assert load_checklist(json_path) == load_checklist("62304")


def test_shipped_rule_files_validate() -> None:
    rules = load_rules()
    assert rules.targets
    assert rules.context.rules
    assert rules.sections.sections


# --- bad checklist files -------------------------------------------------------------------------

def _without(data: dict, key: str) -> dict:
    data = copy.deepcopy(data)
    del data[key]
    return data


def _with(data: dict, path: tuple, value: Any) -> dict:
    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


BASE = builtin_data()

BAD_CHECKLISTS = [
    pytest.param("id: bad\nelements: [\n  - id: x\n", "<file>", id="malformed-yaml"),
    pytest.param("", "<file>", id="empty-file"),
    pytest.param("   \n\n", "<file>", id="whitespace-only-file"),
    pytest.param(_with(BASE, ("colour",), "red"), "colour", id="unknown-top-level-field"),
    pytest.param(_with(BASE, ("elements", 2, "colour"), "red"), "elements.2.colour",
                 id="unknown-element-field"),
    pytest.param(_without(BASE, "elements"), "elements", id="missing-elements"),
    pytest.param(_with(BASE, ("elements",), []), "elements", id="empty-elements"),
    pytest.param(_with(BASE, ("elements", 1, "weight"), -5), "elements.1.weight",
                 id="negative-weight"),
    pytest.param(_with(BASE, ("elements", 0, "scope"), "everywhere"), "elements.0.scope",
                 id="unknown-scope"),
    pytest.param(_with(BASE, ("verdicts", "query_threshold"), 170), "verdicts.query_threshold",
                 id="threshold-above-100"),
    pytest.param(_with(BASE, ("groups", 0, "any_of"), ["mri_contraindication", "no_such_element"]),
                 "groups", id="group-names-unknown-element"),
]


@pytest.mark.parametrize(("content", "field"), BAD_CHECKLISTS)
def test_bad_checklist_raises_rule_file_error(tmp_path: Path, content: str | dict,
                                              field: str) -> None:
    path = tmp_path / "payer_checklist.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content),
                    encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_checklist(path)
    error = info.value
    assert str(path) in error.message, error.message
    assert field in error.message, f"field {field!r} not named in: {error.message}"
    assert error.path == str(path)


def test_group_error_names_the_unknown_element(tmp_path: Path) -> None:
    path = tmp_path / "payer_checklist.yaml"
    data = _with(BASE, ("groups", 0, "any_of"), ["mri_contraindication", "no_such_element"])
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RuleFileError, match="no_such_element"):
        load_checklist(path)


def test_validation_errors_carry_the_checklist_code(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_with(BASE, ("elements", 1, "weight"), -1)), encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_checklist(path)
    assert info.value.code is ErrorCode.CHECKLIST_FILE
    assert info.value.field == "elements.1.weight"


def test_missing_checklist_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(RuleFileError) as info:
        load_checklist(path)
    assert str(path) in info.value.message
    assert info.value.code is ErrorCode.CHECKLIST_NOT_FOUND


def test_unknown_builtin_checklist_id() -> None:
    with pytest.raises(RuleFileError) as info:
        load_checklist("99999")
    assert "99999" in info.value.message
    assert "62304" in info.value.message, "the message lists the known ids"
    assert info.value.code is ErrorCode.CHECKLIST_NOT_FOUND


def test_analyzer_with_bad_checklist_raises_at_build(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_with(BASE, ("elements", 1, "weight"), -1)), encoding="utf-8")
    with pytest.raises(RuleFileError, match="weight"):
        Analyzer(checklist=path)


# --- rule files: bad regex / bad token pattern ----------------------------------------------

def _target_file(pattern: Any) -> dict:
    return {
        "version": "1.0.0",
        "description": "test rules",
        "rules": [
            {"literal": "myelogram", "category": "MYELOGRAM"},
            {"literal": "broken", "category": "BROKEN", "pattern": pattern},
        ],
    }


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param("(unclosed", id="regex-unclosed-group"),
        pytest.param("[a-", id="regex-bad-class"),
        pytest.param([], id="empty-token-pattern"),
        pytest.param(["LOWER"], id="token-pattern-not-dicts"),
    ],
)
def test_bad_target_pattern_names_the_field(tmp_path: Path, pattern: Any) -> None:
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(_target_file(pattern)), encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        validate(TargetRuleFile, parse_data(path), str(path))
    assert str(path) in info.value.message
    assert "rules.1.pattern" in info.value.message
    assert info.value.field.startswith("rules.1.pattern")


def test_unknown_token_attribute_names_the_field(tmp_path: Path) -> None:
    import spacy

    path = tmp_path / "targets.json"
    path.write_text(json.dumps(_target_file([{"NOT_AN_ATTRIBUTE": "x"}])), encoding="utf-8")
    parsed = validate(TargetRuleFile, parse_data(path), str(path))
    with pytest.raises(RuleFileError) as info:
        _check_token_patterns(list(parsed.rules), str(path), spacy.blank("en").vocab)
    assert str(path) in info.value.message
    assert info.value.field == "rules.1.pattern"


def test_bad_context_rule_names_the_field(tmp_path: Path) -> None:
    data = {"version": "1", "description": "d",
            "rules": [{"literal": "no", "category": "NEGATED", "direction": "FORWARD"}]}
    with pytest.raises(RuleFileError) as info:
        validate(ContextRuleFile, data, "context.json")
    assert info.value.field == "rules.0.category"
    assert "context.json" in info.value.message


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("rules.json", "{not json", id="malformed-json"),
        pytest.param("rules.json", "", id="empty-json"),
        pytest.param("rules.yaml", "a: [\n", id="malformed-yaml"),
    ],
)
def test_parse_data_errors_name_the_file(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        parse_data(path)
    assert str(path) in info.value.message
    assert info.value.field == "<file>"


def test_bad_label_case_is_rejected() -> None:
    data = _target_file(None)
    data["rules"][1]["category"] = "lower_case"
    with pytest.raises(RuleFileError) as info:
        validate(TargetRuleFile, data, "targets.json")
    assert info.value.field == "rules.1.category"


def test_every_problem_of_a_checklist_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    base = yaml.safe_load(pattern_file("checklists", "62304.yaml").read_text(encoding="utf-8"))
    base["elements"][0]["required"] = "maybe"
    base["elements"][1]["weight"] = "heavy"
    path = tmp_path / "two_typos.yaml"
    path.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_checklist(path)
    error = caught.value
    # both typos at once (the checks that need valid elements follow them)
    assert [field for field, _ in error.problems][:2] == ["elements.0.required", "elements.1.weight"]
    assert "problems: field 'elements.0.required'" in error.message
    lines = path.read_text(encoding="utf-8").splitlines()
    for _, problem in error.problems[:2]:
        line = int(problem.rsplit("(line ", 1)[1].rstrip(")"))
        assert lines[line - 1].strip().startswith(("required:", "weight:"))
