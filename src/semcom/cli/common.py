"""What every ``semcom`` verb shares: the Typer app, the options defined once, the command-line record.

Verb modules (``train``, ``evaluate``, ``phy``, ``report``) register their commands on :data:`app`;
options that several verbs take (dataset, split, root, limit, seed, out, name, device, plot) are the
``Annotated`` aliases below, so their names, types and help read the same everywhere.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="semcom: deep JSCC and semantic communication over simulated wireless channels.")
channels_app = typer.Typer(no_args_is_help=True, help="Channel banks: generate 38.901 realizations once, reuse them.")
app.add_typer(channels_app, name="channels")

# --- shared options ---------------------------------------------------------------------------------------
Dataset = Annotated[str, typer.Option(help="cifar10, embedded, kodak or folder")]
Split = Annotated[str, typer.Option(help="dataset split")]
Root = Annotated[Optional[Path], typer.Option(help="dataset folder")]
Limit = Annotated[Optional[int], typer.Option(min=1, help="N images at evenly spaced indices of the split "
                                                          "(recorded in the result as the selection)")]
Seed = Annotated[int, typer.Option(help="evaluation noise and channel seed")]
Out = Annotated[Path, typer.Option(help="output folder (default: a folder under runs/, never the committed results/)")]
Name = Annotated[str, typer.Option(help="file stem of the outputs")]
Device = Annotated[str, typer.Option(help="cpu or cuda")]
NoPlot = Annotated[bool, typer.Option("--no-plot", help="skip the PNG")]
Snr = Annotated[str, typer.Option(help="SNR grid in dB: start:stop:step or a comma list")]
BatchSize = Annotated[int, typer.Option(min=1, help="images per batch")]
ScalarChannels = Annotated[list[str], typer.Option(help="awgn, rayleigh or rician; repeat for several")]
FadingCsi = Annotated[list[str], typer.Option(help="perfect or pilot (fading channels); repeat for both")]

_argv: list[str] | None = None


def set_argv(argv: list[str]) -> None:
    """Remember the arguments of this invocation (``main`` calls it) for :func:`command_line`."""
    global _argv
    _argv = list(argv)


def command_line() -> str:
    """The command being run, as a user would type it again (recorded in every result file)."""
    args = _argv if _argv is not None else sys.argv[1:]
    return "semcom " + shlex.join(args)


def quiet_lightning() -> None:
    import logging

    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    warnings.filterwarnings("ignore", ".*smaller than the logging interval.*")
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.accelerators.cuda").setLevel(logging.WARNING)


def wrote(paths: dict[str, Path] | list[Path]) -> None:
    items = paths.values() if isinstance(paths, dict) else paths
    typer.echo("wrote " + ", ".join(str(p) for p in items))


# --- checks of values where they enter (before any compute; one line, exit 2) -----------------------------
def check_outputs(out: Path, name: str, suffixes: list[str]) -> list[Path]:
    """``--name`` is a plain file stem and every ``out/name+suffix`` can be written."""
    from semcom import checks

    checks.safe_name(name, "--name")
    return checks.output_paths([out / f"{name}{sfx}" for sfx in suffixes], "--out")


def check_inputs(paths: list[Path], what: str) -> list[Path]:
    from semcom import checks

    return checks.existing_files(paths, what)


def check_device(device: str) -> str:
    from semcom import checks

    return checks.device(device)


def parse_grid(spec: str, option: str = "--snr") -> list[float]:
    from semcom.evaluation.results import parse_snr

    return parse_snr(spec, f"{option}")
