"""``semcom bler``: BLER vs Eb/N0 of the digital MU-MISO OFDM downlink (Li et al. 2025, Fig. 7 look-alike)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.errors import SemcomError

MODULATIONS = {"4qam": 2, "qpsk": 2, "16qam": 4, "64qam": 6}


def run(scenarios: list[str], modulations: list[str], rates: list[str], nfs: list[int], csis: list[str],
        ebno_db: list[float], num_slots: int, precoder: str = "rzf", seed: int = 0, bank: str | None = None,
        batch_size: int = 16, grid_is_snr: bool = False) -> dict[str, Any]:
    """Sweep the grid of settings; one row per setting and Eb/N0. With ``grid_is_snr`` the grid is
    Es/N0 per resource element (total transmit power over N0), converted to each link's Eb/N0."""
    from semcom.channels.digital import MUMIMOOFDMLink, mumimo_bler
    from semcom.channels.tr38901 import downlink_channel

    for m in modulations:
        if m not in MODULATIONS:
            raise SemcomError(f"modulation {m!r} is not supported; expected one of {', '.join(MODULATIONS)}")
    rows = []
    for scenario, nf in itertools.product(scenarios, nfs):
        channel = downlink_channel(scenario, nf, bank=bank, seed=seed)
        for mod, rate, csi in itertools.product(modulations, rates, csis):
            link = MUMIMOOFDMLink(channel, nf, rate, MODULATIONS[mod], precoder=precoder, csi=csi)
            t0 = time.perf_counter()
            grid = [link.ebno_from_snr_db(x) for x in ebno_db] if grid_is_snr else ebno_db
            res = mumimo_bler(link, grid, num_slots, batch_size=batch_size, seed=seed)
            dt = time.perf_counter() - t0
            for r in res:
                r["snr_db"] = round(link.snr_db(r["ebno_db"]), 4)
                rows.append({"scenario": scenario, "nf": nf, "modulation": mod, "rate": rate, "csi": csi,
                             "precoder": precoder, "k": link.k, "n": link.n, **r,
                             "seconds_per_point": round(dt / len(res), 2)})
            print(f"{scenario} N_f={nf} {mod} r={rate} {csi}: " +
                  " ".join(f"{r['ebno_db']:g}dB:{r['bler']:.3f}" for r in res), flush=True)
    return {"what": "BLER of the 5G LDPC + QAM MU-MISO OFDM downlink (one codeword per user and slot)",
            "ebno_convention": "Eb/N0 per information bit incl. code rate, modulation, pilot/CP overhead and "
                               "K streams sharing unit transmit power (Sionna ebnodb2no with the resource grid)",
            "receiver": "LS at precoded pilots (linear interpolation) or perfect CSI; LMMSE equalization",
            "num_slots": num_slots, "seed": seed, "rows": rows}


def plot(results: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = {"umi": 0, "uma": 1, "rma": 2}
    panels = sorted({(r["nf"], r["scenario"]) for r in results["rows"]}, key=lambda p: (p[0], order.get(p[1], 9)))
    floor = 1.0 / max(r["blocks"] for r in results["rows"])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (nf, sc) in zip(axes[0], panels):
        lines: dict[str, list[tuple[float, float]]] = {}
        for r in results["rows"]:
            if (r["nf"], r["scenario"]) == (nf, sc):
                lines.setdefault(f"{r['modulation']} r={r['rate']} {r['csi']}", []).append((r["ebno_db"], r["bler"]))
        for label, pts in lines.items():
            pts = sorted(p for p in pts if p[1] > 0)  # a point with no block error is below the resolution
            ax.semilogy([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3,
                        ls="-" if "perfect" in label else "--", label=label)
        ax.axhline(floor, color="k", lw=0.8, ls=":", label=f"resolution 1/{round(1 / floor)} blocks")
        ax.set_title(f"{sc.upper()}, N_f = {nf}")
        ax.set_xlabel("Eb/N0 (dB)")
        ax.set_ylabel("BLER")
        ax.set_ylim(floor / 2, 1.2)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=6)
    atomic_write(out, lambda p: fig.savefig(p, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return out


def crossing_db(points: list[tuple[float, float]], target: float) -> float | None:
    """Eb/N0 where the BLER curve first falls to ``target`` (log-linear interpolation), or None."""
    import math

    pts = sorted(points)
    for (e0, b0), (e1, b1) in zip(pts, pts[1:]):
        if b0 > target >= b1:
            if b1 <= 0:
                return e1
            t = (math.log10(target) - math.log10(b0)) / (math.log10(b1) - math.log10(b0))
            return round(e0 + t * (e1 - e0), 2)
    return None


def crossing_interval(points: list[tuple[float, int, int]], target: float) -> tuple[float, float, float] | None:
    """The crossing of BLER ``target`` with its 95 % interval, from (Eb/N0, block errors, blocks) points.

    The estimate is where the measured curve falls to ``target``; the interval runs from where the curve of
    the Wilson lower bounds falls to it to where the curve of the upper bounds does. None when the upper
    bound never falls to ``target`` on the grid: the measurement cannot place the crossing (with 128 blocks a
    point with no error still has an upper bound of 2.9 %, so a 1e-2 crossing is never resolved)."""
    from semcom.metrics.intervals import wilson

    bounds = [(e, *wilson(k, n)) for e, k, n in points]
    hi = crossing_db([(e, b) for e, _, b in bounds], target)
    if hi is None:
        return None
    est = crossing_db([(e, k / n) for e, k, n in points], target)
    lo = crossing_db([(e, b) for e, b, _ in bounds], target)
    assert est is not None and lo is not None  # the upper-bound curve lies above both
    return est, lo, hi


def es_n0_offset_db(nf: int, bits_per_symbol: int, k: int, n: int, num_users: int = 4) -> float:
    """Es/N0 per resource element minus Eb/N0 (dB) of the MU-MISO OFDM link: total transmit power (1, shared
    by the ``num_users`` streams) over N0, with Sionna's ``ebnodb2no`` on the link's resource grid (code rate
    k/n, modulation, pilot and cyclic-prefix overhead). Equals ``MUMIMOOFDMLink.snr_db(0)``; the cyclic
    prefix alone costs 10 log10(1 + CP / N_f) of Eb/N0 (2.11 dB at N_f = 32, 0.63 dB at N_f = 128)."""
    import math

    from semcom.channels.ofdm import OFDMGrid
    from semcom.channels.sionna_rng import import_sionna

    import_sionna()
    from sionna.phy.utils import ebnodb2no

    grid = OFDMGrid(nf, pilot_symbols="li2025", num_streams=num_users)
    return -10.0 * math.log10(float(ebnodb2no(0.0, bits_per_symbol, k / n, resource_grid=grid.rg)))


def with_es_n0(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` with ``snr_db`` (Es/N0 per resource element) on every row; rows of results saved before
    the column existed get it from their settings (:func:`es_n0_offset_db`)."""
    offsets: dict[tuple[int, int, int, int], float] = {}
    rows = []
    for r in results["rows"]:
        if r.get("snr_db") is None:
            key = (int(r["nf"]), MODULATIONS[r["modulation"]], int(r["k"]), int(r["n"]))
            if key not in offsets:
                offsets[key] = es_n0_offset_db(*key)
            r = {**r, "snr_db": round(r["ebno_db"] + offsets[key], 4)}
        rows.append(r)
    return {**results, "rows": rows}


def summary_md(results: dict[str, Any]) -> str:
    """A markdown table per curve: Eb/N0 and Es/N0 per resource element at BLER 1e-1 and 1e-2 with the 95 %
    interval of the crossing (:func:`crossing_interval`), and seconds per point."""
    results = with_es_n0(results)
    curves: dict[tuple[Any, ...], list[tuple[float, int, int]]] = {}
    offset: dict[tuple[Any, ...], float] = {}
    secs: dict[tuple[Any, ...], float] = {}
    for r in results["rows"]:
        key = (r["scenario"], r["nf"], r["modulation"], r["rate"], r["csi"])
        curves.setdefault(key, []).append((r["ebno_db"], round(r["bler"] * r["blocks"]), int(r["blocks"])))
        offset[key] = r["snr_db"] - r["ebno_db"]
        secs[key] = r["seconds_per_point"]

    def cell(c: tuple[float, float, float] | None, shift: float = 0.0) -> str:
        return "not resolved" if c is None else f"{c[0] + shift:.1f} [{c[1] + shift:.1f}, {c[2] + shift:.1f}]"

    blocks = sorted({b for pts in curves.values() for _, _, b in pts})
    lines = ["Crossings in dB with their 95 % interval (Wilson bounds of the block error counts, "
             f"{'/'.join(map(str, blocks))} codewords per point); Es/N0 is per resource element (total transmit "
             "power over N0, cyclic prefix and pilots included), Eb/N0 per information bit. \"not resolved\": "
             "the upper bound of the BLER never falls to the target on the grid.", "",
             "| scenario | N_f | modulation | rate | CSI | Eb/N0 @ 1e-1 | Es/N0 per RE @ 1e-1 | Eb/N0 @ 1e-2 | "
             "Es/N0 per RE @ 1e-2 | s per point |",
             "|---|---:|---|---|---|---:|---:|---:|---:|---:|"]
    for key, pts in curves.items():
        c1, c2 = crossing_interval(pts, 0.1), crossing_interval(pts, 0.01)
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {cell(c1)} | {cell(c1, offset[key])} | "
                     f"{cell(c2)} | {cell(c2, offset[key])} | {secs[key]} |")
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out_dir: Path, name: str) -> dict[str, Path]:
    """JSON, PNG and the Markdown summary, written as one set (:func:`semcom.evaluation.results.write_results`)."""
    from semcom.evaluation.results import write_results

    return write_results(results, out_dir, name, plot=False, csv_file=False, extra={
        "png": lambda p: plot(results, p), "md": lambda p: p.write_text(summary_md(results))})


def render(path: str | Path) -> str:
    """Re-render the plot and the Markdown summary of a saved BLER result (``semcom bler --render PATH``),
    as one set with the JSON, which gains the ``snr_db`` column where it was saved without it."""
    from semcom.evaluation.results import read_results

    path = Path(path)
    results = with_es_n0(read_results(path))
    write(results, path.parent, path.stem)
    return f"rendered {path.with_suffix('.md')} and {path.with_suffix('.png')} (and {path.name} with Es/N0 per RE)"
