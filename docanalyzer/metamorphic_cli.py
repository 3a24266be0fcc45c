"""The ``docanalyzer metamorphic`` command, kept apart from cli.py so both can change independently.

cli.py adds it with ``register(app)``.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class MetamorphicFormat(str, Enum):
    table = "table"
    json = "json"


def metamorphic(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder of *.txt notes.")],
    aggregate: Annotated[bool, typer.Option(
        "--aggregate", help="Only rates and changed-field categories: no note names (for held-out data).")] = False,
    output_format: Annotated[MetamorphicFormat, typer.Option("--format", "-f", help="table or json")] = (
        MetamorphicFormat.table),
    rewrite: Annotated[list[str] | None, typer.Option(
        "--rewrite", "-r", help="Only this rewrite (repeatable); default: all.")] = None,
) -> None:
    """Rewrite each note without changing its meaning and count how often the answer stays the same."""
    from docanalyzer.analyzer import Analyzer
    from docanalyzer.metamorphic import REWRITES, measure_folder, render_table, without_notes

    unknown = sorted(set(rewrite or ()) - REWRITES.keys())
    if unknown:
        typer.echo(f"docanalyzer: error: unknown rewrite {', '.join(unknown)}; choose from {', '.join(REWRITES)}",
                   err=True)
        raise typer.Exit(2)
    chosen = {name: fn for name, fn in REWRITES.items() if not rewrite or name in rewrite}
    result = measure_folder(Analyzer(), folder, chosen, anonymous=aggregate)
    if output_format is MetamorphicFormat.json:
        typer.echo(json.dumps(without_notes(result) if aggregate else result, indent=2, default=str))
    else:
        typer.echo(render_table(result, aggregate=aggregate))


def register(app: typer.Typer) -> None:
    """Add the ``metamorphic`` command to the docanalyzer Typer app."""
    app.command("metamorphic", help="Metamorphic test: do meaning-preserving rewrites of the notes in FOLDER "
                "keep each note's answer (status, regions, elements, primary code)? Exit 2 on a bad option.")(
        metamorphic)
