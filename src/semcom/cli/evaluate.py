"""Verbs that evaluate: eval, merge, plot, mismatch, ldm, mumimo."""

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
    check_inputs,
    check_outputs,
    command_line,
    parse_grid,
)
from semcom.errors import SemcomError


@app.command("eval")
def eval_(
    checkpoints: Annotated[list[Path], typer.Argument(help="checkpoints (.ckpt) to evaluate")],
    snr: Snr = "-5:25:1",
    channel: ScalarChannels = ["awgn"],
    csi: FadingCsi = ["perfect"],
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    download: Annotated[bool, typer.Option("--download", help="fetch CIFAR-10 (MD5-checked) if --root has none")] = False,
    seed: Seed = 0,
    batch_size: BatchSize = 500,
    label: Annotated[Optional[list[str]], typer.Option(help="legend label per checkpoint")] = None,
    out: Out = Path("runs/eval"),
    name: Name = "eval",
    metrics: Annotated[str, typer.Option(help="comma list of psnr, ssim, ms_ssim")] = "psnr,ssim,ms_ssim",
    structural_at: Annotated[Optional[str], typer.Option(help="compute SSIM / MS-SSIM only at these SNRs (grid syntax)")] = None,
    device: Device = "cpu",
    snr_source: Annotated[Optional[str], typer.Option(help="true or pilot: the SNR given to SNR-conditioned decoders")] = None,
    per_image: Annotated[bool, typer.Option("--per-image", help="also write NAME.per_image.npz (each image's PSNR "
                                            "/ correctness per model, channel and SNR) for paired intervals")] = False,
    no_plot: NoPlot = False,
) -> None:
    """Evaluate checkpoints over SNR: writes NAME.json, NAME.csv and NAME.png and prints the table."""
    from semcom.evaluation.point_to_point import evaluate
    from semcom.evaluation.results import table, write_results

    check_inputs(checkpoints, "checkpoint")
    check_outputs(out, name, [".json", ".csv"] + ([] if no_plot else [".png"]) + ([".per_image.npz"] if per_image else []))
    check_device(device)
    snr_grid = parse_grid(snr)
    samples: dict[str, object] | None = {} if per_image else None
    structural = parse_grid(structural_at, "--structural-at") if structural_at else None
    results = evaluate([str(c) for c in checkpoints], snr_grid, channel, csi, dataset=dataset, split=split,
                       root=root, limit=limit, seed=seed, batch_size=batch_size, labels=label, download=download,
                       metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()),
                       structural_snr_db=structural, device=device,
                       snr_source=snr_source, per_image=samples)
    results["command"] = command_line()
    extra: dict[str, Any] = {}
    if samples is not None:
        import numpy as np

        def write_npz(p: Path) -> None:
            with open(p, "wb") as f:
                np.savez_compressed(f, **samples)  # type: ignore[arg-type]

        extra["per_image.npz"] = write_npz
    paths = write_results(results, out, name, plot=not no_plot, extra=extra)
    typer.echo(table(results))
    if any(r.get("accuracy") is not None for r in results["rows"]):
        typer.echo(table(results, metric="accuracy"))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))

@app.command()
def merge(
    results: Annotated[list[Path], typer.Argument(help="result JSON files of separate evaluations")],
    out: Out = Path("runs/eval"),
    name: Name = "merged",
) -> None:
    """Merge results of separate `semcom eval` runs (same dataset, seed and settings) into one."""
    from semcom.evaluation.results import merge_results, read_results, write_results

    check_inputs(results, "result file")
    check_outputs(out, name, [".json", ".csv"])

    paths = write_results(merge_results([read_results(p) for p in results]), out, name, plot=False)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))

@app.command()
def plot(
    results: Annotated[list[Path], typer.Argument(help="result JSON files to overlay")],
    out: Annotated[Path, typer.Option(help="PNG to write")] = Path("plot.png"),
    metric: Annotated[str, typer.Option(help="psnr, ssim or ms_ssim")] = "psnr",
    title: Annotated[Optional[str], typer.Option()] = None,
) -> None:
    """Overlay result files from several runs in one PNG."""
    from semcom import checks
    from semcom.evaluation.plot import plot_results, selection_warnings
    from semcom.evaluation.results import read_results

    check_inputs(results, "result file")
    checks.output_paths([out], "--out")
    checks.choice(metric, "--metric", ("psnr", "ssim", "ms_ssim", "accuracy"))
    data = [read_results(p) for p in results]
    for line in selection_warnings(data, [str(p) for p in results]):
        typer.echo(f"warning: {line}", err=True)
    path = plot_results(data, out, metric=metric, names=[p.stem for p in results], title=title)
    typer.echo(f"wrote {path}")

@app.command()
def mismatch(
    checkpoints: Annotated[list[Path], typer.Argument(help="checkpoints (.ckpt) trained at different SNRs or by different methods")],
    snr: Snr = "0:20:1",
    channel: Annotated[list[str], typer.Option(help="awgn, rayleigh or rician; repeat")] = ["awgn", "rayleigh"],
    csi: Annotated[list[str], typer.Option(help="perfect or pilot (fading); repeat")] = ["perfect"],
    metrics: Annotated[str, typer.Option(help="comma list of psnr, ssim, ms_ssim")] = "psnr,ssim",
    snr_source: Annotated[Optional[str], typer.Option(help="true or pilot: the SNR conditioned decoders get")] = None,
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    seed: Seed = 0,
    device: Device = "cpu",
    out: Out = Path("runs/mismatch"),
    name: Name = "mismatch",
) -> None:
    """Training SNR (or method) x test SNR grid: JSON, heat map and table, channel uses per model."""
    from semcom.evaluation import mismatch as mm

    check_inputs(checkpoints, "checkpoint")
    check_outputs(out, name, [".json", ".csv", ".md", ".png"])
    check_device(device)
    res = mm.run(list(checkpoints), parse_grid(snr), channel, csi, out, name,
                 metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()), snr_source=snr_source,
                 dataset=dataset, split=split, root=root, limit=limit, seed=seed, device=device)
    typer.echo(mm.print_summary(res))
    typer.echo(f"wrote {out / (name + '.json')}, {out / (name + '.md')}, {out / (name + '.png')}")

@app.command()
def ldm(
    codec: Annotated[Path, typer.Option(help="trained ldm_vae checkpoint")],
    denoiser: Annotated[Optional[Path], typer.Option(help="trained ldm_denoiser checkpoint")] = None,
    receiver: Annotated[list[str], typer.Option(help="ddim:N, ddpm, single, none or lmmse; repeat")] = ["ddim:1", "none", "lmmse"],
    snr: Snr = "0:20:2",
    channel: Annotated[list[str], typer.Option(help="awgn or rayleigh; repeat")] = ["awgn"],
    csi: Annotated[str, typer.Option(help="fading CSI: perfect or pilot")] = "perfect",
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    classes: Annotated[Optional[str], typer.Option(help="CIFAR-10 classes: names, indices, animals or vehicles")] = None,
    tile: Annotated[Optional[int], typer.Option(min=32, help="folders/Kodak: every TILE x TILE crop (sent as 32x32 blocks)")] = None,
    djscc: Annotated[list[Path], typer.Option(help="DJSCC checkpoint evaluated on the same images; repeat")] = [],
    perturb: Annotated[list[str], typer.Option(help="t:FACTOR or s:FACTOR, the t*/s ablation; repeat")] = [],
    snr_estimate: Annotated[str, typer.Option(help="power (the receiver estimates it) or true")] = "power",
    ldm_power: Annotated[str, typer.Option(help="image (every latent normalised, power as side information) or dataset")] = "image",
    batch_size: BatchSize = 250,
    seed: Seed = 0,
    device: Device = "cpu",
    out: Out = Path("runs/ldm"),
    name: Name = "ldm",
    no_plot: NoPlot = False,
) -> None:
    """The LDM-receiver paper's latent-diffusion receiver (and its baselines) over SNR, in `semcom eval`'s format."""
    from semcom import checks
    from semcom.evaluation.ldm import evaluate_ldm
    from semcom.evaluation.results import table, write_results

    check_inputs([codec, *([denoiser] if denoiser else []), *djscc], "checkpoint")
    check_outputs(out, name, [".json", ".csv"] + ([] if no_plot else [".png"]))
    check_device(device)
    checks.choice(csi, "--csi", ("perfect", "pilot"))
    checks.choice(snr_estimate, "--snr-estimate", ("power", "true"))
    checks.choice(ldm_power, "--ldm-power", ("image", "dataset"))
    res = evaluate_ldm(str(codec), str(denoiser) if denoiser else None, parse_grid(snr), channel, receiver, csi=csi,
                       dataset=dataset, split=split, root=root, limit=limit, seed=seed, device=device, classes=classes,
                       tile=tile, djscc=[str(p) for p in djscc], perturb=perturb, snr_estimate=snr_estimate,
                       batch_size=batch_size, power=ldm_power)
    res["command"] = command_line()
    typer.echo(table(res))
    paths = write_results(res, out, name, plot=not no_plot)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))

@app.command()
def mumimo(
    checkpoints: Annotated[list[Path], typer.Argument(help="mumimo_semcom checkpoints (.ckpt)")],
    scenario: Annotated[list[str], typer.Option(help="test scenario umi, uma or rma; repeat (cross-scenario mismatch)")] = ["umi"],
    snr: Snr = "-9:13:2",
    bank_dir: Annotated[Path, typer.Option(help="folder of channel banks {scenario}_nf{N_f}{suffix} (a missing bank is an "
                                                "error unless --live)")] = Path("banks"),
    live: Annotated[bool, typer.Option("--live", help="generate missing scenarios' channels with Sionna (slow) instead "
                                                     "of failing")] = False,
    bank_suffix: Annotated[str, typer.Option(help="bank name suffix (test banks: generated with another seed)")] = "_test",
    limit: Annotated[Optional[int], typer.Option(min=4, help="N test images at evenly spaced indices (N/4 samples)")] = 1000,
    seed: Seed = 0,
    batch_size: Annotated[int, typer.Option(min=4, help="images per batch (a multiple of the users)")] = 256,
    device: Device = "cpu",
    grid: Annotated[bool, typer.Option("--grid", help="also write Fig. 12's reconstruction grid per scenario")] = False,
    grid_only: Annotated[bool, typer.Option("--grid-only", help="only the grids, no SNR sweep")] = False,
    grid_snr: Annotated[str, typer.Option(help="SNRs of the grid")] = "-5,0,5",
    dataset: Dataset = "cifar10",
    out: Out = Path("runs/mumimo"),
    name: Name = "eval",
) -> None:
    """Li et al.'s (2025) MU-MIMO OFDM systems over SNR and scenario: PSNR, SSIM, MS-SSIM, accuracy, per user and mean."""
    from semcom import checks
    from semcom.evaluation.mumimo import evaluate_mumimo, reconstruction_grid
    from semcom.evaluation.results import table, write_results

    check_inputs(checkpoints, "checkpoint")
    check_outputs(out, name, ([] if grid_only else [".json", ".csv", ".png"])
                  + ([f"_grid_{sc}.png" for sc in scenario] if grid or grid_only else []))
    check_device(device)
    for sc in scenario:
        checks.choice(sc, "--scenario", ("umi", "uma", "rma"))
    snr_grid = parse_grid(snr)
    grid_snrs = parse_grid(grid_snr, "--grid-snr")
    if not live and not bank_dir.is_dir():
        raise SemcomError(f"--bank-dir {bank_dir} does not exist; generate the test banks with `semcom channels "
                          "generate ... --seed 1 --out BANK_DIR/SCENARIO_nfNF_test`, or pass --live to draw channels "
                          "with Sionna")
    paths: dict[str, Path] = {}
    if not grid_only:
        res = evaluate_mumimo(list(checkpoints), scenario, snr_grid, bank_dir=bank_dir, bank_suffix=bank_suffix,
                              limit=limit, seed=seed, batch_size=batch_size, device=device, dataset=dataset,
                              live=live)
        res["command"] = command_line()
        typer.echo(table(res))
        typer.echo(table(res, metric="accuracy"))
        paths = write_results(res, out, name)
    if grid or grid_only:
        for sc in scenario:
            paths[f"grid_{sc}"] = reconstruction_grid(list(checkpoints), sc, grid_snrs,
                                                      out / f"{name}_grid_{sc}.png", bank_dir=bank_dir,
                                                      bank_suffix=bank_suffix, seed=seed, dataset=dataset, live=live)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))

@app.command()
def rate(
    checkpoints: Annotated[list[Path], typer.Argument(help="variable-length, rate-policy and fixed-rate (.ckpt) models")],
    snr: Snr = "0:20:4",
    cr: Annotated[str, typer.Option(help="compression ratios of the variable-length models (grid syntax, in (0, 1])")] = "0.1:1:0.1",
    targets: Annotated[str, typer.Option(help="PSNR targets of the oracle in dB (grid syntax)")] = "20:30:1",
    channel: ScalarChannels = ["awgn"],
    csi: FadingCsi = ["perfect"],
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    seed: Seed = 0,
    batch_size: BatchSize = 500,
    label: Annotated[Optional[list[str]], typer.Option(help="label per checkpoint")] = None,
    device: Device = "cpu",
    out: Out = Path("runs/rate"),
    name: Name = "rate",
    no_plot: NoPlot = False,
) -> None:
    """Rate-adaptive JSCC over CR x SNR with learned policies, PSNR oracles and fixed-rate models: NAME.json/.csv/.png."""
    from semcom.evaluation.rate import evaluate_rate, plot_rate, summary
    from semcom.evaluation.results import write_results

    check_inputs(checkpoints, "checkpoint")
    check_outputs(out, name, [".json", ".csv"] + ([] if no_plot else [".png"]))
    check_device(device)
    crs = [round(c, 6) for c in parse_grid(cr, "--cr")]
    results = evaluate_rate([str(c) for c in checkpoints], parse_grid(snr), crs, parse_grid(targets, "--targets"),
                            channel, csi, dataset=dataset, split=split, root=root, limit=limit, seed=seed,
                            batch_size=batch_size, labels=label, device=device)
    results["command"] = command_line()
    extra = {} if no_plot else {"png": lambda p: plot_rate(results, p)}
    paths = write_results(results, out, name, plot=False, extra=extra)
    typer.echo(summary(results))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command("liu2025")
def liu2025(
    semantic: Annotated[Optional[Path], typer.Option(help="liu2025_semantic checkpoint: Proposed-Semantic and -Compress")] = None,
    precoding: Annotated[list[Path], typer.Option(help="liu2025_precoding checkpoint (adaptive precoding, its beta); repeat")] = [],
    jscc: Annotated[list[Path], typer.Option(help="liu2025_jscc checkpoint (the JSCC baseline); repeat")] = [],
    segmenter: Annotated[Optional[Path], typer.Option(help="f_seg checkpoint (default: the one inside --semantic)")] = None,
    snr: Snr = "-8:20:4",
    csi: Annotated[list[str], typer.Option(help="perfect or ls (5G pilots, LS); repeat")] = ["perfect"],
    region: Annotated[int, typer.Option(help="Table I region of the test channels (1-4)")] = 1,
    variant: Annotated[list[str], typer.Option(help="allocations of --semantic: semantic, compress, random; repeat")] = [
        "semantic", "compress"],
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    seed: Seed = 0,
    batch_size: BatchSize = 16,
    bank_dir: Annotated[Path, typer.Option(help="folder of the channel banks (generated there when missing)")] = Path(
        "banks/liu2025"),
    test_bank_size: Annotated[int, typer.Option(min=1, help="slots in the region's test bank")] = 512,
    per_image: Annotated[bool, typer.Option("--per-image", help="also write NAME.per_image.npz (paired intervals)")] = False,
    grid_snr: Annotated[Optional[float], typer.Option(help="also write NAME_grid.png: Fig. 10 look-alike at this SNR")] = None,
    out: Out = Path("runs/liu2025"),
    name: Name = "eval",
) -> None:
    """Liu et al.'s (2025) semantic image transmission on CamVid over the SVD MIMO-OFDM uplink: PSNR, SSIM, IoU, SER."""
    import numpy as np

    from semcom import checks
    from semcom.evaluation.liu2025 import evaluate_liu2025, plot_liu2025, reconstruction_grid
    from semcom.evaluation.results import table, write_results

    inputs = [p for p in [semantic, segmenter] if p is not None] + list(precoding) + list(jscc)
    check_inputs(inputs, "checkpoint")
    if not inputs or (segmenter is not None and len(inputs) == 1):
        raise SemcomError("nothing to evaluate: give --semantic, --precoding or --jscc checkpoints")
    for c in csi:
        checks.choice(c, "--csi", ("perfect", "ls"))
    for v in variant:
        checks.choice(v, "--variant", ("semantic", "compress", "random"))
    if region not in (1, 2, 3, 4):
        raise SemcomError(f"--region={region}; expected a Table I region 1-4")
    if grid_snr is not None:
        checks.in_range(grid_snr, "--grid-snr", -1000, 1000)
    check_outputs(out, name, [".json", ".csv", ".png"] + ([".per_image.npz"] if per_image else [])
                  + (["_grid.png"] if grid_snr is not None else []))
    snr_grid = parse_grid(snr)
    res, samples = evaluate_liu2025(str(semantic) if semantic else None, [str(p) for p in precoding],
                                    [str(p) for p in jscc], snr_grid, list(csi), region=region,
                                    segmenter=str(segmenter) if segmenter else None, split=split,
                                    root=str(root) if root else None, limit=limit, seed=seed, batch_size=batch_size,
                                    bank_dir=str(bank_dir), test_bank_size=test_bank_size, variants=list(variant))
    res["command"] = command_line()
    typer.echo(table(res, metric="ssim"))
    typer.echo(table(res, metric="iou_labels", unit="pixel-weighted IoU of the confusion summed over the frames"))
    extra: dict[str, Any] = {"png": lambda p: plot_liu2025(res, p)}
    if per_image:
        def write_npz(p: Path) -> None:
            save: Any = np.savez_compressed
            with open(p, "wb") as f:
                save(f, **samples)

        extra["per_image.npz"] = write_npz
    paths = write_results(res, out, name, plot=False, extra=extra)
    if grid_snr is not None:
        paths["grid"] = reconstruction_grid(str(semantic) if semantic else None, [str(p) for p in precoding],
                                            [str(p) for p in jscc], grid_snr, out / f"{name}_grid.png", region=region,
                                            split=split, root=str(root) if root else None, seed=seed,
                                            bank_dir=str(bank_dir), test_bank_size=test_bank_size)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))
