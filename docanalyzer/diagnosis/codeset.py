"""The ICD-10-CM code set, from the pinned ``simple-icd-10-cm`` package (CMS release it ships).

The package parses the whole CMS tabular list when imported (about 2-3 s, ~150 MB), so it is
imported on first use only: a run that reviews no diagnoses never pays for it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

CODE_SET = "ICD-10-CM April 2026 (CMS release shipped by simple-icd-10-cm 1.5.0)"
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


@dataclass(frozen=True)
class CodeInfo:
    """What the code set says of one code."""

    code: str  # with its dot when it has more than three characters
    exists: bool
    billable: bool
    description: str | None


@lru_cache(maxsize=1)
def _icd() -> ModuleType:
    with warnings.catch_warnings():  # its data loading uses a deprecated importlib.resources call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def normalize_code(code: str) -> str:
    """'m48062 ' -> 'M48.062' (upper case, the dot after the category), whatever was typed."""
    bare = code.strip().upper().replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


@lru_cache(maxsize=4096)
def lookup(code: str) -> CodeInfo:
    """The code's entry: exists, billable (a leaf), description. Never raises for a bad code."""
    normal = normalize_code(code)
    if not _SHAPE.match(normal):
        return CodeInfo(normal, False, False, None)
    icd = _icd()
    if not icd.is_valid_item(normal):
        return CodeInfo(normal, False, False, None)
    return CodeInfo(normal, True, bool(icd.is_leaf(normal)), str(icd.get_description(normal)))


def is_ancestor(ancestor: str, code: str) -> bool:
    """Whether ``ancestor`` (a category) contains ``code``."""
    return normalize_code(code).replace(".", "").startswith(normalize_code(ancestor).replace(".", "")) and \
        normalize_code(code) != normalize_code(ancestor)
