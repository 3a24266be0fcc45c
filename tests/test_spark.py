"""Spark: ``analyze_dataframe`` in local[2] mode gives, note for note, the library's reports.

Needs the spark extra (pyspark, pandas, pyarrow) and a Java runtime (17+ for pyspark 4); the
Spark session starts once for this module (about 10-20 s) and binds to loopback only.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator

import pytest
from conftest import eval_note_paths, read_original

pytest.importorskip("pyspark", reason="Spark support needs the spark extra: pip install 'docanalyzer[spark]'")
pytest.importorskip("pyarrow", reason="Spark support needs the spark extra (pyarrow)")
pytest.importorskip("pandas", reason="Spark support needs the spark extra (pandas)")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime (java on PATH or JAVA_HOME)", allow_module_level=True)

from docanalyzer.integrations.spark import OUTPUT_COLUMNS, analyze_dataframe, report_schema


@pytest.fixture(scope="module")
def spark() -> Iterator:
    from pyspark.sql import SparkSession

    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_LOCAL_IP")}
    # the Python workers must be this interpreter (the one with docanalyzer installed)
    os.environ.update(PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]").appName("docanalyzer-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def corpus(spark):
    rows = [(str(path.name), read_original(path), "62304" if index % 5 == 0 else None)
            for index, path in enumerate(eval_note_paths())]
    rows.append(("null-note", None, None))
    rows.append(("empty-note", "   ", None))
    df = spark.createDataFrame(rows, "document_id string, text string, billed string").repartition(2)
    result = analyze_dataframe(df, id_col="document_id", billed_code_col="billed").collect()
    return rows, {row.document_id: row for row in result}


def test_results_equal_the_library_note_for_note(corpus, analyzer):
    rows, by_id = corpus
    assert len(rows) >= 60 and set(by_id) == {doc_id for doc_id, _, _ in rows}
    for doc_id, text, billed in rows:
        row = by_id[doc_id]
        expected = analyzer.analyze(text, document_id=doc_id, billed_code=billed)
        assert json.loads(row.report_json) == json.loads(expected.model_dump_json()), doc_id
        assert row.score == expected.score
        assert row.verdict == expected.verdict
        assert row.procedure_status == expected.procedure_status
        assert list(row.missing_elements) == [e.id for e in expected.elements if e.status == "missing"]
        assert list(row.incomplete_elements) == [e.id for e in expected.elements if e.status == "incomplete"]
        assert list(row.suggested_codes) == [c.code for c in expected.code_review.suggested_codes]
        assert list(row.error_codes) == [e.code for e in expected.errors]
        assert row.medical_necessity_met == (None if expected.medical_necessity is None
                                             else expected.medical_necessity.met)
        # the parsed struct carries the same report
        assert row.report is not None and row.report.document_id == doc_id
        assert [(e.id, e.status) for e in row.report.elements] == [(e.id, e.status) for e in expected.elements]
        for got, want in zip(row.report.elements, expected.elements, strict=True):
            assert [(ev.start, ev.end, ev.text) for ev in got.evidence] == [
                (ev.start, ev.end, ev.text) for ev in want.evidence]
    assert list(by_id["null-note"].error_codes) == ["E007_NOT_TEXT"]
    assert list(by_id["empty-note"].error_codes) == ["E001_EMPTY_INPUT"]


def test_billed_diagnoses_from_an_array_or_a_string_column(spark, analyzer):
    """The claim's ICD-10-CM codes reach the diagnosis review as in the library; a malformed cell gives
    that row an error report, and no row is lost."""
    text = read_original(eval_note_paths()[0])
    rows = [("as-array", text, ["M48.062", "M54.16"], None), ("as-string", text, None, "M48.062,M54.16"),
            ("bad", text, None, "not a code!"), ("none", text, None, None)]
    arrays = spark.createDataFrame([(r[0], r[1], r[2]) for r in rows], "id string, text string, dx array<string>")
    strings = spark.createDataFrame([(r[0], r[1], r[3]) for r in rows], "id string, text string, dx string")
    by_array = {r.id: r for r in analyze_dataframe(arrays, id_col="id", billed_dx_col="dx").collect()}
    by_string = {r.id: r for r in analyze_dataframe(strings, id_col="id", billed_dx_col="dx").collect()}
    expected = analyzer.analyze(text, document_id="as-array", billed_dx=["M48.062", "M54.16"])
    assert json.loads(by_array["as-array"].report_json) == json.loads(expected.model_dump_json())
    as_string = json.loads(by_string["as-string"].report_json)
    assert [c["code"] for c in as_string["diagnosis_review"]["billed"]] == ["M48.062", "M54.16"]
    assert list(by_string["bad"].error_codes) == ["E007_NOT_TEXT"]
    assert json.loads(by_string["none"].report_json)["diagnosis_review"] is None
    assert len(by_array) == len(by_string) == 4


def test_columns_defaults_and_clashes(spark, analyzer):
    text = read_original(eval_note_paths()[0])
    df = spark.createDataFrame([(text, 7)], "text string, other int")
    out = analyze_dataframe(df, prefix="da_", include_struct=False)
    assert out.columns == ["text", "other", *(f"da_{c}" for c in OUTPUT_COLUMNS)]
    [row] = out.collect()
    assert row.other == 7
    assert json.loads(row.da_report_json)["document_id"].startswith("row-")
    assert row.da_score == analyzer.analyze(text).score
    with pytest.raises(ValueError, match="prefix"):
        analyze_dataframe(df.withColumnRenamed("other", "score"))
    with pytest.raises(ValueError, match="not a column"):
        analyze_dataframe(df, text_col="note")


def test_report_schema_follows_the_pydantic_model():
    from pyspark.sql.types import ArrayType, DoubleType, LongType, MapType, StringType

    schema = report_schema()
    fields = {f.name: f.dataType for f in schema.fields}
    assert isinstance(fields["score"], DoubleType)
    assert isinstance(fields["elements"], ArrayType)
    element = {f.name: f.dataType for f in fields["elements"].elementType.fields}
    assert isinstance(element["values"], MapType) and isinstance(element["values"].valueType, StringType)
    evidence = {f.name: f.dataType for f in element["evidence"].elementType.fields}
    assert isinstance(evidence["start"], LongType)



def test_pipeline_is_built_once_per_python_worker(spark):
    def probe(batches):
        """docanalyzer's batch function in a Python worker, reporting that worker's pipeline cache
        (defined here so that Spark pickles it by value)."""
        import os

        import pandas as pd

        from docanalyzer.integrations import spark as integration

        names = {column: column for column in integration.OUTPUT_COLUMNS}
        for pdf in integration._analyze_batches(batches, text_col="text", id_col="id", id_is_row=False,
                                                billed_code_col=None, checklist="auto", names=names):
            info = integration._analyzer.cache_info()
            yield pd.DataFrame({"pid": [os.getpid()], "builds": [info.misses], "rows": [len(pdf)]})

    rows = [(str(i), read_original(path)) for i, path in enumerate(eval_note_paths()[:24])]
    df = spark.createDataFrame(rows, "id string, text string").repartition(6)
    result = df.mapInPandas(probe, "pid long, builds long, rows long").collect()
    assert sum(r.rows for r in result) == len(rows)
    assert len(result) >= 6  # one per partition (more when a partition spans several Arrow batches)
    assert {r.builds for r in result} == {1}  # every task found its worker's pipeline already built
    assert len({r.pid for r in result}) < len(result)  # workers were reused across tasks
