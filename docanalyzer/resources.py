"""Finds the rule files shipped with the package, in a checkout and in an installed wheel alike."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable


def patterns_root() -> Traversable:
    """The ``patterns/`` folder (installed as the ``docanalyzer.patterns`` package)."""
    return resources.files("docanalyzer.patterns")


def pattern_file(*parts: str) -> Traversable:
    node = patterns_root()
    for part in parts:
        node = node / part
    return node


@lru_cache(maxsize=1)
def builtin_checklist_ids() -> tuple[str, ...]:
    """Ids of the shipped checklists (the folder is listed once per process: it is read-only data)."""
    folder = pattern_file("checklists")
    return tuple(sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml")))


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """A hash of every shipped rule and checklist file: two runs with the same fingerprint used the
    same rules (an edited rule in a development checkout changes it; the version alone would not)."""
    digest = hashlib.sha256()

    def walk(node: Traversable, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda item: item.name):
            name = f"{prefix}/{child.name}"
            if child.is_dir():
                if child.name != "__pycache__":
                    walk(child, name)
            elif not child.name.endswith((".py", ".pyc")):
                digest.update(name.encode() + b"\0" + child.read_bytes() + b"\0")

    walk(patterns_root(), "")
    return digest.hexdigest()[:16]
