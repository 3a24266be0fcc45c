"""Evidence built directly from a mention (resolve/mentions.py) is what ``model_construct`` builds."""

from __future__ import annotations

import pytest

from docanalyzer.report import Evidence
from docanalyzer.resolve import mentions
from docanalyzer.resolve.mentions import trusted_evidence


def test_evidence_still_has_the_shape_the_direct_construction_relies_on() -> None:
    """(A field added to Evidence turns the direct construction off: noticed here, not in wrong reports.)"""
    assert mentions._CONSTRUCT_DIRECTLY


@pytest.mark.parametrize("reason", [None, "negated in the note"])
def test_direct_construction_equals_model_construct(reason: str | None) -> None:
    values = {"text": "Omnipaque 180", "start": 40, "end": 53, "section": "technique", "label": "CONTRAST_AGENT",
              "assertion": "affirmed", "discount_reason": reason}
    direct, constructed = trusted_evidence(dict(values)), Evidence.model_construct(**values)
    assert direct == constructed and hash(direct) == hash(constructed)
    assert direct.model_fields_set == constructed.model_fields_set
    assert direct.model_dump_json() == constructed.model_dump_json()
    assert direct.model_dump(exclude_unset=True) == constructed.model_dump(exclude_unset=True)
    assert direct.model_copy(update={"text": "x"}) == constructed.model_copy(update={"text": "x"})
