"""Request problems the service answers with 422: the location and reason, never the submitted text.
(Shared by the analysis endpoints and the queue's, which is why they are not in ``app.py``.)"""

from __future__ import annotations

from typing import Any


class InputProblem(Exception):
    """A request that validates against the schema but still cannot be served (422)."""

    def __init__(self, loc: tuple[str | int, ...], msg: str, type_: str = "value_error") -> None:
        super().__init__(msg)
        self.loc, self.msg, self.type = loc, msg, type_


def problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors without ``input``/``ctx``: what is wrong and where, never the note."""
    out = []
    for error in errors:
        loc = [part if isinstance(part, int | str) else str(part) for part in error.get("loc", ())]
        out.append({"loc": loc, "msg": str(error.get("msg", "invalid value")), "type": str(error.get("type", ""))})
    return out
