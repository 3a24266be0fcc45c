"""Apache Spark: analyze a DataFrame of notes on a cluster (optional extra ``docanalyzer[spark]``).

``analyze_dataframe(df)`` returns ``df`` with the report added, computed with ``mapInPandas``: each
Python worker builds the pipeline once (cached per process and checklist, and Spark reuses its
Python workers between tasks) and streams its partition's Arrow batches through it.

Columns added (``prefix`` is prepended to each name, default none):

===========================  ======================  ==================================================
column                       type                    what
===========================  ======================  ==================================================
``score``                    double                  0-100
``verdict``                  string                  complete, needs_query, deficient, needs_review,
                                                     not_applicable, error
``procedure_status``         string                  performed, attempted, injection_only, uncertain, not_documented
``missing_elements``         array<string>           element ids with status ``missing``
``incomplete_elements``      array<string>           element ids with status ``incomplete``
``suggested_codes``          array<string>           codes the documentation supports, primary first
``medical_necessity_met``    boolean                 null when the note could not be analyzed
``error_codes``              array<string>           e.g. ``E001_EMPTY_INPUT``; empty when analyzed
``report_json``              string                  the full report, exactly the library's JSON (one
                                                     ``docanalyzer analyze --format jsonl`` line)
``report``                   struct                  ``report_json`` parsed with ``report_schema()``
===========================  ======================  ==================================================

The JSON string is the lossless, versioned contract (store it); the struct is for querying
(``report.elements``, ``report.code_review.suggested_codes``...). In the struct, an element's
``values`` is a ``map<string,string>`` whose non-string values (numbers, lists) are kept as JSON
text, since Spark has no union type. The input columns pass through unchanged.

On a cluster every executor needs docanalyzer installed (``pip install 'docanalyzer[spark]'`` in
the image, a Databricks cluster library, or ``spark-submit --archives`` of a packed venv). A
checklist file given by path must be readable at that path on every executor.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from docanalyzer.report import Report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructType

SPARK_EXTRA_HINT = "Spark support needs the spark extra: pip install 'docanalyzer[spark]'"
_ROW_ID = "__docanalyzer_row_id"
OUTPUT_COLUMNS = (
    "score", "verdict", "procedure_status", "missing_elements", "incomplete_elements", "suggested_codes",
    "medical_necessity_met", "error_codes", "report_json",
)
STRUCT_COLUMN = "report"


def _spark_types():
    try:
        from pyspark.sql import types
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise ImportError(SPARK_EXTRA_HINT) from exc
    return types


def report_schema() -> StructType:
    """The Spark schema of a report, derived from the pydantic model (``Report.model_json_schema()``)."""
    schema = Report.model_json_schema(mode="serialization")
    result = _to_spark(schema, schema.get("$defs", {}))
    return result


def _to_spark(node: dict[str, Any], defs: dict[str, Any]) -> DataType:
    t = _spark_types()
    inner = _inner(node, defs)
    if inner is not None:
        return _to_spark(inner, defs) if inner else t.StringType()  # (a union of several types: JSON text)
    kind = node.get("type")
    if "enum" in node or "const" in node or kind == "string":
        return t.StringType()
    scalars = {"integer": t.LongType, "number": t.DoubleType, "boolean": t.BooleanType}
    if kind in scalars:
        return scalars[kind]()
    if kind == "array":
        return t.ArrayType(_to_spark(node.get("items", {}), defs), containsNull=True)
    if kind == "object" and "properties" in node:
        return t.StructType([t.StructField(name, _to_spark(prop, defs), nullable=True)
                             for name, prop in node["properties"].items()])
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return t.MapType(t.StringType(), _to_spark(node["additionalProperties"], defs), valueContainsNull=True)
    return t.StringType()


def _inner(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """What a reference, an optional (``anyOf`` with null) or a one-item ``allOf`` stands for; an empty
    dict for a real union; None for a node that is its own type."""
    if "$ref" in node:
        return defs[node["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"]
            return options[0] if len(options) == 1 else {}
    if "allOf" in node and len(node["allOf"]) == 1:
        return node["allOf"][0]
    return None


def _output_fields(names: dict[str, str]) -> list:
    t = _spark_types()
    strings = t.ArrayType(t.StringType(), containsNull=False)
    types = {
        "score": t.DoubleType(), "verdict": t.StringType(), "procedure_status": t.StringType(),
        "missing_elements": strings, "incomplete_elements": strings, "suggested_codes": strings,
        "medical_necessity_met": t.BooleanType(), "error_codes": strings, "report_json": t.StringType(),
    }
    return [t.StructField(names[column], types[column], nullable=column == "medical_necessity_met")
            for column in OUTPUT_COLUMNS]


def analyze_dataframe(
    df: DataFrame,
    text_col: str = "text",
    id_col: str | None = None,
    billed_code_col: str | None = None,
    checklist: str = "auto",
    *,
    billed_dx_col: str | None = None,
    prefix: str = "",
    include_struct: bool = True,
) -> DataFrame:
    """``df`` with each note's report added (see the module docstring for the columns).

    ``id_col`` becomes the report's ``document_id`` (default: ``row-<monotonically increasing id>``);
    ``billed_code_col`` the code on the claim; ``billed_dx_col`` its ICD-10-CM diagnoses (an array of
    codes, or one string "M48.062,M54.16"; a malformed value gives that row an error report).
    ``checklist`` is ``auto`` (the library's default:
    each note gets the checklist of its billed code, else of the code its documentation supports),
    a built-in id or a checklist file. A null or non-text note gets a report with ``verdict``
    ``error`` and an error code, never an exception: no row is dropped."""
    _spark_types()
    from pyspark.sql import functions as F

    columns = set(df.columns)
    for label, column in (("text_col", text_col), ("id_col", id_col), ("billed_code_col", billed_code_col),
                          ("billed_dx_col", billed_dx_col)):
        if column is not None and column not in columns:
            raise ValueError(f"{label}={column!r} is not a column of the DataFrame (columns: {sorted(columns)})")
    names = {column: prefix + column for column in OUTPUT_COLUMNS}
    added = list(names.values()) + ([prefix + STRUCT_COLUMN] if include_struct else [])
    clash = sorted(columns.intersection(added))
    if clash:
        raise ValueError(f"the DataFrame already has columns {clash}; pass prefix='da_' (or another) to "
                         "analyze_dataframe")

    work = df
    row_id = None
    if id_col is None:
        row_id = _ROW_ID
        work = df.withColumn(row_id, F.monotonically_increasing_id())
    schema = _spark_types().StructType(list(work.schema.fields) + _output_fields(names))
    function = partial(_analyze_batches, text_col=text_col, id_col=id_col or row_id, id_is_row=id_col is None,
                       billed_code_col=billed_code_col, checklist=str(checklist), names=names,
                       billed_dx_col=billed_dx_col)
    result = work.mapInPandas(function, schema=schema)
    if row_id is not None:
        result = result.drop(row_id)
    if include_struct:
        result = result.withColumn(prefix + STRUCT_COLUMN, F.from_json(F.col(names["report_json"]), report_schema()))
    return result


@lru_cache(maxsize=4)
def _analyzer(checklist: str):
    """One pipeline per Python worker process and checklist (built on the first batch)."""
    from docanalyzer.analyzer import Analyzer

    return Analyzer(checklist)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _analyze_batches(batches: Iterator[pd.DataFrame], *, text_col: str, id_col: str, id_is_row: bool,
                     billed_code_col: str | None, checklist: str, names: dict[str, str],
                     billed_dx_col: str | None = None) -> Iterator[pd.DataFrame]:
    analyzer = _analyzer(checklist)
    for pdf in batches:
        texts = pdf[text_col].tolist()
        ids = pdf[id_col].tolist()
        billed = pdf[billed_code_col].tolist() if billed_code_col else [None] * len(texts)
        diagnoses = pdf[billed_dx_col].tolist() if billed_dx_col else [None] * len(texts)
        reports = []
        for position, (text, raw_id, code, dx) in enumerate(zip(texts, ids, billed, diagnoses, strict=True)):
            document_id = _document_id(raw_id, position, id_is_row)
            reports.append(_analyze_row(analyzer, _text(text), document_id, _text(code) or None, dx))
        out = pdf.copy()
        for column, values in _columns(reports).items():
            out[names[column]] = values
        yield out


def _document_id(raw_id: Any, position: int, id_is_row: bool) -> str:
    if id_is_row:
        return f"row-{raw_id}"
    if _text(raw_id) is not None or (raw_id is not None and raw_id == raw_id):  # NaN != NaN
        return str(raw_id)
    return f"row-{position}"


def _analyze_row(analyzer: Any, text: str | None, document_id: str, billed_code: str | None, dx: Any) -> Report:
    """One row's report; its billed diagnoses from an array (numpy, list) or a string, a bad one an error."""
    from docanalyzer.errors import ErrorCode
    from docanalyzer.inputs import NoteInput, parse_billed_dx

    if dx is not None and not isinstance(dx, str) and hasattr(dx, "__iter__"):
        dx = [str(code) for code in dx]
    elif dx is not None and not isinstance(dx, str):
        dx = None  # a null cell (NaN)
    codes = parse_billed_dx(dx)
    if isinstance(codes, str):
        failed = NoteInput(document_id, None, source="spark", error_code=ErrorCode.NOT_TEXT,
                           error_message=f"{document_id}: {codes}", billed_code=billed_code)
        return analyzer.analyze_input(failed)
    return analyzer.analyze(text, document_id=document_id, billed_code=billed_code,
                            billed_dx=list(codes) if codes else None)


def _columns(reports: list[Report]) -> dict[str, list]:
    return {
        "score": [float(r.score) for r in reports],
        "verdict": [r.verdict for r in reports],
        "procedure_status": [r.procedure_status for r in reports],
        "missing_elements": [[e.id for e in r.elements if e.status == "missing"] for r in reports],
        "incomplete_elements": [[e.id for e in r.elements if e.status == "incomplete"] for r in reports],
        "suggested_codes": [[c.code for c in r.code_review.suggested_codes] for r in reports],
        "medical_necessity_met": [None if r.medical_necessity is None else r.medical_necessity.met for r in reports],
        "error_codes": [[e.code for e in r.errors] for r in reports],
        "report_json": [r.model_dump_json() for r in reports],
    }
