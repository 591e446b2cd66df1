"""Physical layer and digital baselines: channels generate, bler, baseline, complexity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from semcom.cli.common import (
    BatchSize,
    Dataset,
    Device,
    Limit,
    Name,
    NoPlot,
    Out,
    Root,
    Seed,
    Snr,
    Split,
    app,
    channels_app,
    check_device,
    check_inputs,
    check_outputs,
    command_line,
    parse_grid,
    wrote,
)
from semcom.errors import SemcomError


@channels_app.command("generate")
def channels_generate(
    scenario: Annotated[str, typer.Option(help="umi, uma or rma")] = "umi",
    n: Annotated[int, typer.Option(min=1, help="number of realizations")] = 1000,
    nf: Annotated[int, typer.Option(min=1, help="subcarriers N_f")] = 64,
    users: Annotated[int, typer.Option(min=1, help="single-antenna users")] = 4,
    normalization: Annotated[str, typer.Option(help="per_user_grid, mean or none")] = "per_user_grid",
    seed: Seed = 0,
    batch_size: BatchSize = 64,
    out: Annotated[Path, typer.Option(help="bank folder")] = Path("banks/umi"),
) -> None:
    """Generate a 3GPP TR 38.901 downlink channel bank (H.npy + meta.json) with a progress bar."""
    from semcom import checks
    from semcom.channels.ofdm import OFDMGrid
    from semcom.channels.tr38901 import NORMALIZATIONS, SCENARIOS, ChannelBank, TR38901Downlink

    checks.choice(scenario, "--scenario", SCENARIOS)
    checks.choice(normalization, "--normalization", NORMALIZATIONS)
    if out.exists() and not (out.is_dir() and (out / "meta.json").exists()):
        raise SemcomError(f"--out {out} exists and is not a channel bank; give a new folder")
    checks.output_paths([out / "meta.json"], "--out")
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
    slots: Annotated[int, typer.Option(min=1, help="slots per point (each carries one codeword per user)")] = 64,
    precoder: Annotated[str, typer.Option(help="rzf, zf or mrt")] = "rzf",
    bank: Annotated[Optional[Path], typer.Option(help="a channel bank instead of generating on the fly")] = None,
    seed: Seed = 0,
    out: Out = Path("runs/bler"),
    name: Name = "bler",
    render: Annotated[Optional[list[Path]], typer.Option(help="only re-render the PNG and Markdown of saved BLER JSON")] = None,
) -> None:
    """BLER vs Eb/N0 of the 5G LDPC + QAM MU-MISO OFDM downlink (Li et al. 2025, Fig. 7): JSON + plot."""
    from semcom import checks
    from semcom.evaluation import bler as bler_mod

    if render:
        check_inputs(list(render), "--render")
        for path in render:
            typer.echo(bler_mod.render(path))
        return
    if ebno is not None and snr is not None:
        raise SemcomError("give --ebno or --snr, not both")
    for f in nf:
        checks.positive_int(f, "--nf")
    for sc in scenario:
        checks.choice(sc, "--scenario", ("umi", "uma", "rma"))
    for c in csi:
        checks.choice(c, "--csi", ("perfect", "ls"))
    checks.choice(precoder, "--precoder", ("rzf", "zf", "mrt"))
    if bank is not None:
        from semcom.channels.tr38901 import ChannelBank

        ChannelBank(bank)  # a bank that cannot be read fails here, before any compute
    check_outputs(out, name, [".json", ".png", ".md"])
    grid = parse_grid(snr, "--snr") if snr is not None else parse_grid(ebno or "-5:20:2.5", "--ebno")
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
    snr: Snr = "-5:25:1",
    channel_uses: Annotated[Optional[int], typer.Option(min=1, help="complex channel uses per image (awgn, rayleigh)")] = None,
    nf: Annotated[int, typer.Option(min=1, help="subcarriers N_f of the MU-MISO OFDM grid")] = 32,
    dataset: Dataset = "cifar10",
    split: Split = "test",
    root: Root = None,
    limit: Limit = None,
    seed: Annotated[int, typer.Option(help="channel and noise seed")] = 0,
    ideal: Annotated[bool, typer.Option("--ideal", help="add the ideal separation bound (awgn, rayleigh)")] = False,
    outage: Annotated[float, typer.Option(help="outage probability of the block-fading bound")] = 0.1,
    bank: Annotated[Optional[Path], typer.Option(help="channel bank for umi/uma/rma")] = None,
    out: Out = Path("runs/sscc"),
    name: Name = "sscc",
    no_plot: NoPlot = False,
) -> None:
    """Separate source-channel coding (codec + 5G LDPC + QAM) and the ideal bound, in `semcom eval`'s format."""
    from semcom import checks
    from semcom.baselines.codecs import CODECS
    from semcom.baselines.run import run as run_baseline
    from semcom.evaluation.results import table, write_results

    for c in codec:
        checks.choice(c, "--codec", list(CODECS.names()))
    for ch in channel:
        checks.choice(ch, "--channel", ("awgn", "rayleigh", "umi", "uma", "rma"))
    checks.in_range(outage, "--outage", 0.0, 1.0, low_open=True, high_open=True)
    if bank is not None:
        from semcom.channels.tr38901 import ChannelBank

        ChannelBank(bank)
    check_outputs(out, name, [".json", ".csv"] + ([] if no_plot else [".png"]))
    res = run_baseline(codec, mod, rate, channel, csi, parse_grid(snr), channel_uses=channel_uses, num_subcarriers=nf,
                       dataset=dataset, split=split, root=str(root) if root else None, limit=limit, seed=seed,
                       ideal=ideal, outage=outage, bank=str(bank) if bank else None, log=typer.echo)
    res["command"] = command_line()
    typer.echo(table(res))
    wrote(write_results(res, out, name, plot=not no_plot))

@app.command()
def complexity(
    nf: Annotated[int, typer.Option(min=1, help="subcarriers N_f")] = 128,
    device: Device = "cpu",
    repeats: Annotated[int, typer.Option(min=1, help="timed calls per part (median reported)")] = 30,
    out: Annotated[Optional[Path], typer.Option(help="JSON to write")] = None,
) -> None:
    """Li et al.'s (2025) Table III: parameters, memory and median inference time of encoder, precoder, decoder per variant."""
    from semcom import checks
    from semcom.evaluation import complexity as cx

    check_device(device)
    if out is not None:
        checks.output_paths([out], "--out")
    res = cx.run(nf, device, repeats, out)
    typer.echo(cx.table(res))
