"""The ``semcom`` command: train, eval, plot, demo, models, samplers.

Every tool is reachable as ``semcom.cli.main(argv)`` (tests call it that way). Bad input ends
with one line ``error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from semcom.errors import SemcomError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="semcom: deep JSCC and semantic communication over simulated wireless channels.")


def _quiet_lightning() -> None:
    import logging

    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    warnings.filterwarnings("ignore", ".*smaller than the logging interval.*")
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch.accelerators.cuda").setLevel(logging.WARNING)


@app.command()
def train(
    recipe: Annotated[Path, typer.Argument(help="YAML recipe, e.g. configs/dlps/fig3_k88_dlps.yaml")],
    overrides: Annotated[Optional[list[str]], typer.Argument(help="key=value overrides, e.g. train.epochs=2")] = None,
    devices: Annotated[Optional[str], typer.Option(help="devices: 1, 2, 'auto' (several -> DDP)")] = None,
    accelerator: Annotated[Optional[str], typer.Option(help="cpu, gpu or auto")] = None,
    resume: Annotated[Optional[str], typer.Option(help="checkpoint path, or 'auto' for the run's last.ckpt")] = None,
) -> None:
    """Train a recipe (checkpoint every epoch, CSV + TensorBoard logs in train.out_dir/name)."""
    from semcom.training.fit import fit
    from semcom.training.recipe import load_recipe

    _quiet_lightning()
    extra = list(overrides or [])
    if devices is not None:
        extra.append(f"train.devices={devices}")
    if accelerator is not None:
        extra.append(f"train.accelerator={accelerator}")
    summary = fit(load_recipe(recipe, extra), resume=resume)
    if summary["rank"] == 0:  # under DDP every process returns here; one summary is enough
        typer.echo(json.dumps(summary, indent=2))


@app.command("eval")
def eval_(
    checkpoints: Annotated[list[Path], typer.Argument(help="checkpoints (.ckpt) to evaluate")],
    snr: Annotated[str, typer.Option(help="SNR grid in dB: start:stop:step or a comma list")] = "-5:25:1",
    channel: Annotated[list[str], typer.Option(help="awgn, rayleigh or rician; repeat for several")] = ["awgn"],
    csi: Annotated[list[str], typer.Option(help="perfect or pilot (fading channels); repeat for both")] = ["perfect"],
    dataset: Annotated[str, typer.Option(help="cifar10, embedded, kodak or folder")] = "cifar10",
    split: Annotated[str, typer.Option(help="dataset split")] = "test",
    root: Annotated[Optional[Path], typer.Option(help="dataset folder")] = None,
    limit: Annotated[Optional[int], typer.Option(help="first N images only")] = None,
    download: Annotated[bool, typer.Option("--download", help="fetch CIFAR-10 (MD5-checked) if --root has none")] = False,
    seed: Annotated[int, typer.Option(help="evaluation noise seed")] = 0,
    batch_size: Annotated[int, typer.Option()] = 500,
    label: Annotated[Optional[list[str]], typer.Option(help="legend label per checkpoint")] = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/eval"),
    name: Annotated[str, typer.Option(help="file stem of the outputs")] = "eval",
    metrics: Annotated[str, typer.Option(help="comma list of psnr, ssim, ms_ssim")] = "psnr,ssim,ms_ssim",
    structural_at: Annotated[Optional[str], typer.Option(help="compute SSIM / MS-SSIM only at these SNRs (grid syntax)")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda")] = "cpu",
    snr_source: Annotated[Optional[str], typer.Option(help="true or pilot: the SNR given to SNR-conditioned decoders")] = None,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="skip the PNG")] = False,
) -> None:
    """Evaluate checkpoints over SNR: writes NAME.json, NAME.csv and NAME.png and prints the table."""
    from semcom.evaluate import evaluate, parse_snr, table, write_results

    results = evaluate([str(c) for c in checkpoints], parse_snr(snr), channel, csi, dataset=dataset, split=split,
                       root=root, limit=limit, seed=seed, batch_size=batch_size, labels=label, download=download,
                       metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()),
                       structural_snr_db=parse_snr(structural_at) if structural_at else None, device=device,
                       snr_source=snr_source)
    results["command"] = "semcom eval " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["eval"] else None
    paths = write_results(results, out, name, plot=not no_plot)
    typer.echo(table(results))
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def merge(
    results: Annotated[list[Path], typer.Argument(help="result JSON files of separate evaluations")],
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/eval"),
    name: Annotated[str, typer.Option(help="file stem")] = "merged",
) -> None:
    """Merge results of separate `semcom eval` runs (same dataset, seed and settings) into one."""
    from semcom.evaluate import merge_results, read_results, write_results

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
    from semcom.evaluate import read_results
    from semcom.plot import plot_results

    data = [read_results(p) for p in results]
    path = plot_results(data, out, metric=metric, names=[p.stem for p in results], title=title)
    typer.echo(f"wrote {path}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("demo_out"),
    epochs: Annotated[int, typer.Option(help="epochs per model on the 500 embedded images")] = 40,
    k: Annotated[int, typer.Option(help="complex channel uses per image")] = 264,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Train DLPS, BLPS, LvLPS and a 10 dB dedicated model briefly and compare them (CPU, minutes)."""
    from semcom import demo as demo_mod

    _quiet_lightning()
    demo_mod.run(out, epochs=epochs, k=k, seed=seed)


channels_app = typer.Typer(no_args_is_help=True, help="Channel banks: generate 38.901 realizations once, reuse them.")
app.add_typer(channels_app, name="channels")


@channels_app.command("generate")
def channels_generate(
    scenario: Annotated[str, typer.Option(help="umi, uma or rma")] = "umi",
    n: Annotated[int, typer.Option(help="number of realizations")] = 1000,
    nf: Annotated[int, typer.Option(help="subcarriers N_f")] = 64,
    users: Annotated[int, typer.Option(help="single-antenna users")] = 4,
    normalization: Annotated[str, typer.Option(help="per_user_grid, mean or none")] = "per_user_grid",
    seed: Annotated[int, typer.Option()] = 0,
    batch_size: Annotated[int, typer.Option()] = 64,
    out: Annotated[Path, typer.Option(help="bank folder")] = Path("banks/umi"),
) -> None:
    """Generate a 3GPP TR 38.901 downlink channel bank (H.npy + meta.json) with a progress bar."""
    from semcom.channels.ofdm import OFDMGrid
    from semcom.channels.tr38901 import ChannelBank, TR38901Downlink

    gen = TR38901Downlink(scenario, OFDMGrid(nf), num_users=users, normalization=normalization, seed=seed)
    bank = ChannelBank.generate(out, gen, n, batch_size=batch_size, seed=seed, progress=True)
    typer.echo(f"wrote {bank.path}: {len(bank)} realizations of shape {bank.meta['shape'][1:]}")


@app.command()
def bler(
    scenario: Annotated[list[str], typer.Option(help="umi, uma, rma; repeat for several")] = ["umi"],
    mod: Annotated[list[str], typer.Option(help="4qam, 16qam (64qam); repeat")] = ["4qam"],
    rate: Annotated[list[str], typer.Option(help="LDPC rate, e.g. 1/2, 2/3; repeat")] = ["1/2"],
    nf: Annotated[list[int], typer.Option(help="subcarriers; repeat")] = [32],
    csi: Annotated[list[str], typer.Option(help="perfect or ls; repeat")] = ["perfect", "ls"],
    ebno: Annotated[Optional[str], typer.Option(help="Eb/N0 grid in dB (per information bit), start:stop:step or a list")] = None,
    snr: Annotated[Optional[str], typer.Option(help="or an Es/N0 grid in dB per resource element (converted per link)")] = None,
    slots: Annotated[int, typer.Option(help="slots per point (each carries one codeword per user)")] = 64,
    precoder: Annotated[str, typer.Option(help="rzf, zf or mrt")] = "rzf",
    bank: Annotated[Optional[Path], typer.Option(help="a channel bank instead of generating on the fly")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/bler"),
    name: Annotated[str, typer.Option(help="file stem")] = "bler",
) -> None:
    """BLER vs Eb/N0 of the 5G LDPC + QAM MU-MISO OFDM downlink (seed 002, Fig. 7): JSON + plot."""
    from semcom import bler as bler_mod
    from semcom.evaluate import parse_snr

    if ebno is not None and snr is not None:
        raise SemcomError("give --ebno or --snr, not both")
    grid = parse_snr(snr if snr is not None else (ebno or "-5:20:2.5"))
    res = bler_mod.run(scenario, mod, rate, nf, csi, grid, slots, precoder=precoder, seed=seed,
                       bank=str(bank) if bank else None, grid_is_snr=snr is not None)
    paths = bler_mod.write(res, out, name)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def baseline(
    codec: Annotated[list[str], typer.Option(help="jpeg, bpg (HEVC x265), jpeg2000, webp, avif, jpegxl; repeat")] = ["bpg"],
    mod: Annotated[list[str], typer.Option(help="4qam, 16qam, ...; repeat")] = ["4qam"],
    rate: Annotated[list[str], typer.Option(help="LDPC rate 1/2, 2/3, 3/4; repeat")] = ["1/2"],
    channel: Annotated[list[str], typer.Option(help="awgn, rayleigh, umi, uma, rma; repeat")] = ["awgn"],
    csi: Annotated[Optional[list[str]], typer.Option(help="rayleigh: perfect/pilot; umi..: ls/perfect (default ls)")] = None,
    snr: Annotated[str, typer.Option(help="SNR grid in dB")] = "-5:25:1",
    channel_uses: Annotated[Optional[int], typer.Option(help="complex channel uses per image (awgn, rayleigh)")] = None,
    nf: Annotated[int, typer.Option(help="subcarriers N_f of the MU-MISO OFDM grid")] = 32,
    dataset: Annotated[str, typer.Option(help="cifar10, embedded, kodak or folder")] = "cifar10",
    split: Annotated[str, typer.Option()] = "test",
    root: Annotated[Optional[Path], typer.Option(help="dataset folder")] = None,
    limit: Annotated[Optional[int], typer.Option(help="N images at evenly spaced indices")] = None,
    seed: Annotated[int, typer.Option(help="channel and noise seed")] = 0,
    ideal: Annotated[bool, typer.Option("--ideal", help="add the ideal separation bound (awgn, rayleigh)")] = False,
    outage: Annotated[float, typer.Option(help="outage probability of the block-fading bound")] = 0.1,
    bank: Annotated[Optional[Path], typer.Option(help="channel bank for umi/uma/rma")] = None,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/sscc"),
    name: Annotated[str, typer.Option(help="file stem")] = "sscc",
    no_plot: Annotated[bool, typer.Option("--no-plot", help="skip the PNG")] = False,
) -> None:
    """Separate source-channel coding (codec + 5G LDPC + QAM) and the ideal bound, in `semcom eval`'s format."""
    from semcom.baselines.run import run as run_baseline
    from semcom.evaluate import parse_snr, table, write_results

    res = run_baseline(codec, mod, rate, channel, csi, parse_snr(snr), channel_uses=channel_uses, num_subcarriers=nf,
                       dataset=dataset, split=split, root=str(root) if root else None, limit=limit, seed=seed,
                       ideal=ideal, outage=outage, bank=str(bank) if bank else None, log=typer.echo)
    res["command"] = "semcom baseline " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["baseline"] else None
    typer.echo(table(res))
    paths = write_results(res, out, name, plot=not no_plot)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def mismatch(
    checkpoints: Annotated[list[Path], typer.Argument(help="checkpoints (.ckpt) trained at different SNRs or by different methods")],
    snr: Annotated[str, typer.Option(help="test SNR grid in dB")] = "0:20:1",
    channel: Annotated[list[str], typer.Option(help="awgn, rayleigh or rician; repeat")] = ["awgn", "rayleigh"],
    csi: Annotated[list[str], typer.Option(help="perfect or pilot (fading); repeat")] = ["perfect"],
    metrics: Annotated[str, typer.Option(help="comma list of psnr, ssim, ms_ssim")] = "psnr,ssim",
    snr_source: Annotated[Optional[str], typer.Option(help="true or pilot: the SNR conditioned decoders get")] = None,
    dataset: Annotated[str, typer.Option()] = "cifar10",
    split: Annotated[str, typer.Option()] = "test",
    root: Annotated[Optional[Path], typer.Option()] = None,
    limit: Annotated[Optional[int], typer.Option(help="N images at evenly spaced indices")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    device: Annotated[str, typer.Option()] = "cpu",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/robust"),
    name: Annotated[str, typer.Option(help="file stem")] = "mismatch",
) -> None:
    """Training SNR (or method) x test SNR grid: JSON, heat map and table, channel uses per model."""
    from semcom import mismatch as mm
    from semcom.evaluate import parse_snr

    res = mm.run(list(checkpoints), parse_snr(snr), channel, csi, out, name,
                 metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()), snr_source=snr_source,
                 dataset=dataset, split=split, root=root, limit=limit, seed=seed, device=device, spread=True)
    typer.echo(mm.print_summary(res))
    typer.echo(f"wrote {out / (name + '.json')}, {out / (name + '.md')}, {out / (name + '.png')}")


@app.command()
def ldm(
    codec: Annotated[Path, typer.Option(help="trained ldm_vae checkpoint")],
    denoiser: Annotated[Optional[Path], typer.Option(help="trained ldm_denoiser checkpoint")] = None,
    receiver: Annotated[list[str], typer.Option(help="ddim:N, ddpm, single, none or lmmse; repeat")] = ["ddim:1", "none", "lmmse"],
    snr: Annotated[str, typer.Option(help="SNR grid in dB")] = "0:20:2",
    channel: Annotated[list[str], typer.Option(help="awgn or rayleigh; repeat")] = ["awgn"],
    csi: Annotated[str, typer.Option(help="fading CSI: perfect or pilot")] = "perfect",
    dataset: Annotated[str, typer.Option()] = "cifar10",
    split: Annotated[str, typer.Option()] = "test",
    root: Annotated[Optional[Path], typer.Option()] = None,
    limit: Annotated[Optional[int], typer.Option(help="N images at evenly spaced indices")] = None,
    classes: Annotated[Optional[str], typer.Option(help="CIFAR-10 classes: names, indices, animals or vehicles")] = None,
    tile: Annotated[Optional[int], typer.Option(help="folders/Kodak: every TILE x TILE crop (sent as 32x32 blocks)")] = None,
    djscc: Annotated[list[Path], typer.Option(help="DJSCC checkpoint evaluated on the same images; repeat")] = [],
    perturb: Annotated[list[str], typer.Option(help="t:FACTOR or s:FACTOR, the t*/s ablation; repeat")] = [],
    snr_estimate: Annotated[str, typer.Option(help="power (the receiver estimates it) or true")] = "power",
    ldm_power: Annotated[str, typer.Option(help="image (every latent normalised, power as side information) or dataset")] = "image",
    batch_size: Annotated[int, typer.Option()] = 250,
    seed: Annotated[int, typer.Option()] = 0,
    device: Annotated[str, typer.Option()] = "cpu",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/ldm"),
    name: Annotated[str, typer.Option(help="file stem")] = "ldm",
    no_plot: Annotated[bool, typer.Option("--no-plot")] = False,
) -> None:
    """Seed 003's latent-diffusion receiver (and its baselines) over SNR, in `semcom eval`'s format."""
    from semcom.evaluate import parse_snr, table, write_results
    from semcom.ldm_eval import evaluate_ldm

    res = evaluate_ldm(str(codec), str(denoiser) if denoiser else None, parse_snr(snr), channel, receiver, csi=csi,
                       dataset=dataset, split=split, root=root, limit=limit, seed=seed, device=device, classes=classes,
                       tile=tile, djscc=[str(p) for p in djscc], perturb=perturb, snr_estimate=snr_estimate,
                       batch_size=batch_size, power=ldm_power)
    res["command"] = "semcom ldm " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["ldm"] else None
    typer.echo(table(res))
    paths = write_results(res, out, name, plot=not no_plot)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def mumimo(
    checkpoints: Annotated[list[Path], typer.Argument(help="mumimo_semcom checkpoints (.ckpt)")],
    scenario: Annotated[list[str], typer.Option(help="test scenario umi, uma or rma; repeat (cross-scenario mismatch)")] = ["umi"],
    snr: Annotated[str, typer.Option(help="SNR grid in dB")] = "-9:13:2",
    bank_dir: Annotated[Path, typer.Option(help="folder of channel banks {scenario}_nf{N_f}{suffix}")] = Path("banks"),
    bank_suffix: Annotated[str, typer.Option(help="bank name suffix (test banks: generated with another seed)")] = "_test",
    limit: Annotated[Optional[int], typer.Option(help="N test images at evenly spaced indices (N/4 samples)")] = 1000,
    seed: Annotated[int, typer.Option()] = 0,
    batch_size: Annotated[int, typer.Option(help="images per batch (a multiple of the users)")] = 256,
    device: Annotated[str, typer.Option()] = "cpu",
    grid: Annotated[bool, typer.Option("--grid", help="also write Fig. 12's reconstruction grid per scenario")] = False,
    grid_only: Annotated[bool, typer.Option("--grid-only", help="only the grids, no SNR sweep")] = False,
    grid_snr: Annotated[str, typer.Option(help="SNRs of the grid")] = "-5,0,5",
    dataset: Annotated[str, typer.Option(help="cifar10 or embedded")] = "cifar10",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("results/mumimo"),
    name: Annotated[str, typer.Option(help="file stem")] = "eval",
) -> None:
    """Seed 002's MU-MIMO OFDM systems over SNR and scenario: PSNR, SSIM, MS-SSIM, accuracy, per user and mean."""
    from semcom.evaluate import parse_snr, table, write_results
    from semcom.mumimo_eval import evaluate_mumimo, reconstruction_grid

    paths: dict[str, Path] = {}
    if not grid_only:
        res = evaluate_mumimo(list(checkpoints), scenario, parse_snr(snr), bank_dir=bank_dir, bank_suffix=bank_suffix,
                              limit=limit, seed=seed, batch_size=batch_size, device=device, dataset=dataset)
        res["command"] = "semcom mumimo " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["mumimo"] else None
        typer.echo(table(res))
        typer.echo(table(res, metric="accuracy"))
        paths = write_results(res, out, name)
    if grid or grid_only:
        for sc in scenario:
            paths[f"grid_{sc}"] = reconstruction_grid(list(checkpoints), sc, [float(v) for v in grid_snr.split(",")],
                                                      out / f"{name}_grid_{sc}.png", bank_dir=bank_dir,
                                                      bank_suffix=bank_suffix, seed=seed, dataset=dataset)
    typer.echo("wrote " + ", ".join(str(p) for p in paths.values()))


@app.command()
def complexity(
    nf: Annotated[int, typer.Option(help="subcarriers N_f")] = 128,
    device: Annotated[str, typer.Option(help="cpu or cuda")] = "cpu",
    repeats: Annotated[int, typer.Option(help="timed calls per part (median reported)")] = 30,
    out: Annotated[Optional[Path], typer.Option(help="JSON to write")] = None,
) -> None:
    """Seed 002's Table III: parameters, memory and median inference time of encoder, precoder, decoder per variant."""
    from semcom import complexity as cx

    if device not in ("cpu", "cuda"):
        raise SemcomError(f"device {device!r}; expected cpu or cuda")
    res = cx.run(nf, device, repeats, out)
    typer.echo(cx.table(res))


@app.command()
def export(
    checkpoint: Annotated[Path, typer.Argument(help="a semcom checkpoint (.ckpt)")],
    out: Annotated[Path, typer.Argument(help="where to write the slim copy")],
    half: Annotated[bool, typer.Option("--half", help="store float32 weights as float16 (schedules kept in float32)")] = False,
) -> None:
    """Write a slim copy of a checkpoint (weights + recipe, no optimizer state) for sharing or committing."""
    from semcom.checkpoint import export_checkpoint, load_any

    path = export_checkpoint(checkpoint, out, half=half)
    load_any(path)  # the copy must load
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


@app.command()
def models() -> None:
    """List the registered models."""
    from semcom.models import describe

    for name, aliases, doc in describe():
        alias = f" (alias: {', '.join(aliases)})" if aliases else ""
        typer.echo(f"{name}{alias}: {doc}")


@app.command()
def samplers() -> None:
    """List the SNR samplers."""
    import inspect

    from semcom.training.snr import SAMPLERS

    for name, cls in SAMPLERS.items():
        doc = (inspect.getdoc(cls) or "").splitlines()[0]
        typer.echo(f"{name} (level: {cls.level}): {doc}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv if argv is not None else sys.argv[1:], prog_name="semcom", standalone_mode=True)
    except SemcomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # click's standalone mode ends every run with SystemExit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
