"""``semcom zoo list | eval | path``: the pretrained zoo (:mod:`semcom.zoo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from semcom.cli.common import (
    BatchSize,
    Dataset,
    Device,
    FadingCsi,
    Limit,
    Name,
    NoPlot,
    Out,
    Root,
    ScalarChannels,
    Seed,
    Snr,
    Split,
    app,
    check_device,
    check_outputs,
    command_line,
    parse_grid,
)

zoo_app = typer.Typer(no_args_is_help=True, help="Pretrained converged models by name: list, evaluate, locate.")
app.add_typer(zoo_app, name="zoo")

ZooPath = Annotated[Optional[Path], typer.Option(help="a weights file or a folder holding NAME.ckpt (checked "
                                                      "against the manifest's SHA-256)")]
Offline = Annotated[bool, typer.Option("--offline", help="never download (only the cache, the path and the package)")]


def _fmt(values: list[float] | None, snr: list[float], at: tuple[float, ...] = (0.0, 10.0, 20.0)) -> str:
    if not values:
        return "-"
    lookup = dict(zip(snr, values))
    return "/".join(f"{lookup[s]:.2f}" if s in lookup else "-" for s in at)


@zoo_app.command("list")
def list_() -> None:
    """The zoo's models: paper, data, k/n, channel, training SNR, image passes, PSNR at 0/10/20 dB."""
    from semcom.zoo import WEIGHTS, cache_dir, entries

    models = entries()
    if not models:
        typer.echo("the zoo is empty")
        return
    head = (f"{'name':<46} {'paper':<22} {'k/n':>6} {'channel':<18} {'train SNR':>9} {'image passes':>13} "
            f"{'embedded 0/10/20 dB':>19} {'CIFAR-10 test 0/10/20 dB':>24}  weights")
    typer.echo(head)
    for e in models.values():
        here = "package" if (WEIGHTS / e.file).is_file() else ("cache" if (cache_dir() / e.file).is_file() else "missing")
        passes = e.training.get("image_passes")
        test = e.test or {}
        typer.echo(f"{e.name:<46} {e.name.split('-')[0]:<22} "
                   f"{'1/' + format(1 / e.bandwidth_ratio, '.0f'):>6} {e.channel:<18} {e.train_snr:>9} "
                   f"{(format(passes, ',') if passes else '-'):>13} "
                   f"{_fmt(e.golden.get('psnr'), e.golden.get('snr_db', [])):>19} "
                   f"{_fmt(test.get('psnr'), test.get('snr_db', [])):>24}  {here}")
    typer.echo("PSNR: mean of per-image PSNR in dB over AWGN (fading models: their channel, perfect CSI); embedded = "
               "the 100 embedded CIFAR-10 test images (golden, seed 0); CIFAR-10 test = 10,000 images (JPEG q75 copy)")


@zoo_app.command("path")
def path(name: Annotated[str, typer.Argument(help="zoo model name")], at: ZooPath = None,
         offline: Offline = False) -> None:
    """Where the weights of NAME are (hash-checked; fetched into the cache when only a URL has them)."""
    from semcom.zoo import locate

    typer.echo(str(locate(name, path=at, download=not offline)))


@zoo_app.command("eval")
def eval_(
    names: Annotated[list[str], typer.Argument(help="zoo model names")],
    snr: Snr = "-5:25:1",
    channel: ScalarChannels = ["awgn"],
    csi: FadingCsi = ["perfect"],
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    seed: Seed = 0,
    batch_size: BatchSize = 500,
    out: Out = Path("runs/eval"),
    name: Name = "zoo",
    metrics: Annotated[str, typer.Option(help="comma list of psnr, ssim, ms_ssim")] = "psnr,ssim,ms_ssim",
    device: Device = "cpu",
    at: ZooPath = None,
    offline: Offline = False,
    no_plot: NoPlot = False,
) -> None:
    """Evaluate zoo models over SNR exactly as `semcom eval` does its checkpoints (NAME.json, .csv, .png)."""
    from semcom.evaluation.point_to_point import evaluate
    from semcom.evaluation.results import table, write_results
    from semcom.zoo import canonical, get, locate

    entries = [get(n) for n in names]  # unknown names fail before anything is read or written
    check_outputs(out, name, [".json", ".csv"] + ([] if no_plot else [".png"]))
    check_device(device)
    grid = parse_grid(snr)
    paths: list[str | Path] = [locate(e.name, path=at, download=not offline) for e in entries]
    results: dict[str, Any] = evaluate(paths, grid, channel, csi, dataset=dataset, split=split, root=root,
                                       limit=limit, seed=seed, batch_size=batch_size,
                                       labels=[canonical(e.name) for e in entries], device=device,
                                       metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()))
    for meta, e in zip(results["models"], entries):
        meta["zoo"] = {"name": e.name, "sha256": e.sha256, "paper": e.paper}
    results["command"] = command_line()
    written = write_results(results, out, name, plot=not no_plot)
    typer.echo(table(results))
    typer.echo(table(results, metric="psnr_of_mean_mse", unit="dB, PSNR of the mean MSE"))
    typer.echo("wrote " + ", ".join(str(p) for p in written.values()))
