"""Verbs that train and describe: train, demo, export, models, systems, samplers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from semcom.cli.common import (
    Out,
    Seed,
    app,
    quiet_lightning,
)
from semcom.errors import SemcomError


@app.command()
def train(
    recipe: Annotated[Path, typer.Argument(help="YAML recipe, e.g. configs/dlps/fig3_k88_dlps.yaml")],
    overrides: Annotated[Optional[list[str]], typer.Argument(help="key=value overrides, e.g. train.epochs=2")] = None,
    devices: Annotated[Optional[str], typer.Option(help="devices: 1, 2, 'auto' (several -> DDP)")] = None,
    accelerator: Annotated[Optional[str], typer.Option(help="cpu, gpu or auto (gpu needs a CUDA GPU)")] = None,
    resume: Annotated[Optional[str], typer.Option(help="checkpoint path, or 'auto' for the run's last.ckpt")] = None,
) -> None:
    """Train a recipe (checkpoint every epoch, CSV + TensorBoard logs in train.out_dir/name)."""
    from semcom.training.fit import fit
    from semcom.training.recipe import load_recipe

    quiet_lightning()
    extra = list(overrides or [])
    if devices is not None:
        extra.append(f"train.devices={devices}")
    if accelerator is not None:
        extra.append(f"train.accelerator={accelerator}")
    summary = fit(load_recipe(recipe, extra), resume=resume)
    if summary["rank"] == 0:  # under DDP every process returns here; one summary is enough
        typer.echo(json.dumps(summary, indent=2))

@app.command()
def demo(
    out: Out = Path("demo_out"),
    epochs: Annotated[int, typer.Option(min=1, help="epochs per model on the 500 embedded images")] = 40,
    k: Annotated[int, typer.Option(min=1, help="complex channel uses per image")] = 264,
    seed: Seed = 0,
) -> None:
    """Train DLPS, BLPS, LvLPS and a 10 dB dedicated model briefly and compare them (CPU, minutes)."""
    from semcom import checks
    from semcom.cli import demo as demo_mod

    checks.output_paths([out / "demo.png"], "--out")
    quiet_lightning()
    demo_mod.run(out, epochs=epochs, k=k, seed=seed)

@app.command()
def export(
    checkpoint: Annotated[Path, typer.Argument(help="a semcom checkpoint (.ckpt)")],
    out: Annotated[Path, typer.Argument(help="where to write the slim copy")],
    half: Annotated[bool, typer.Option("--half", help="store float32 weights as float16 (schedules kept in float32)")] = False,
) -> None:
    """Write a slim copy of a checkpoint (weights + recipe, no optimizer state) for sharing or committing."""
    from semcom import checks
    from semcom.checkpoint import export_checkpoint
    from semcom.systems import load

    checks.existing_files([checkpoint], "checkpoint")
    checks.output_paths([out], "output")
    if out.resolve() == checkpoint.resolve():
        raise SemcomError(f"output {out} is the checkpoint itself; give another path")
    path = export_checkpoint(checkpoint, out, half=half)
    load(path)  # the copy must load
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")

@app.command()
def models() -> None:
    """List the registered models."""
    from semcom.models import describe

    for name, aliases, doc in describe():
        alias = f" (alias: {', '.join(aliases)})" if aliases else ""
        typer.echo(f"{name}{alias}: {doc}")

@app.command()
def systems() -> None:
    """List the registered system kinds: what a recipe's model.name selects, and the command that evaluates it."""
    from semcom.systems import describe

    for name, model_names, evaluate_with, summary in describe():
        typer.echo(f"{name} (model.name: {model_names}; evaluated with `{evaluate_with}`): {summary}")


@app.command()
def samplers() -> None:
    """List the SNR samplers (training) and the diffusion samplers (the LDM receiver)."""
    import inspect

    from semcom.models.diffusion import DIFFUSION_SAMPLERS
    from semcom.training.snr import SAMPLERS

    for name, cls in SAMPLERS.items():
        doc = (inspect.getdoc(cls) or "").splitlines()[0]
        typer.echo(f"{name} (SNR sampler, level: {cls.level}): {doc}")
    for name, fn in DIFFUSION_SAMPLERS.items():
        doc = (inspect.getdoc(fn) or "").splitlines()[0]
        typer.echo(f"{name} (diffusion sampler): {doc}")
