"""``semcom report NAME [FOLDER] [--collect RUNS]``: regenerate a committed results folder's README."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from semcom.cli.common import app
from semcom.errors import SemcomError


@app.command()
def report(
    name: Annotated[str, typer.Argument(help="report: dlps, sscc, robust, ldm, mumimo or digital_jscc")],
    folder: Annotated[Optional[Path], typer.Argument(help="results folder (default results/NAME)")] = None,
    collect: Annotated[Optional[Path], typer.Option(help="first export finished runs from this folder (dlps, mumimo)")] = None,
) -> None:
    """Regenerate results/NAME/README.md (and its figures) from the result files in the folder."""
    from semcom.reports import REPORTS, load_report

    mod = load_report(name)
    out = folder or Path("results") / name
    if not out.is_dir():
        raise SemcomError(f"results folder {out} does not exist; give the folder the report reads (default "
                          f"results/{name})")
    if collect is not None and not collect.is_dir():
        raise SemcomError(f"--collect {collect} is not a folder of runs")
    if collect is not None:
        if not hasattr(mod, "collect"):
            raise SemcomError(f"report {name!r} has nothing to collect; --collect works for: "
                              + ", ".join(n for n in REPORTS if hasattr(load_report(n), "collect")))
        done = mod.collect(collect, out)
        typer.echo("collected: " + (", ".join(done) or "none"))
    mod.report(out)
    typer.echo(f"wrote {out / 'README.md'}")
