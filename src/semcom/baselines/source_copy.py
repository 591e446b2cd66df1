"""How much a JPEG-decoded source favours a JPEG baseline: rate-controlled codecs on clean images against the
same images after one JPEG q75 (4:2:0) round trip, at the SSCC payloads.

semcom's CIFAR-10 copy is JPEG-decoded (quality 75, 4:2:0), and every PSNR is measured against those decoded
pixels. A second JPEG pass with the same block grid and subsampling re-quantises coefficients the first pass
already quantised, so it loses less than it would on the original pixels: the JPEG baseline looks better on
the copy than on a clean source, while a DJSCC model gains nothing of the kind. No clean CIFAR-10 exists here,
so the size of that advantage is measured on clean images of the same size: 32x32 thumbnails of the
lossless Kodak images (each 768x512 picture cut into non-overlapping 128x128 crops, each crop reduced 4x with
a box filter, like CIFAR-10's downsampled photographs).

For each codec and payload budget (bits per image, link header included, the rate control of
:func:`semcom.baselines.sscc.rate_control`) it reports the mean PSNR on the clean thumbnails (against the
clean pixels) and on their JPEG copies (against the copy's pixels), the paired per-image gain with its 95 %
interval (images received in both), and the source-failure rate of each.

    python -m semcom.baselines.source_copy --out results/sscc --name jpeg_source_copy
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path
from typing import Any, cast

import numpy as np

from semcom.baselines.codecs import create_codec
from semcom.baselines.sscc import rate_control
from semcom.errors import SemcomError, exit_status

__all__ = ["BUDGETS", "jpeg_copy", "kodak_thumbnails", "study"]

#: Fig. 8's B_max (4/16-QAM at r = 1/2, 2/3 on N_f = 32) and the ideal AWGN budgets of K = 264 channel uses at
#: 0, 10 and 20 dB (floor(264 log2(1 + SNR))).
BUDGETS = (264, 384, 512, 768, 913, 1024, 1754)


def kodak_thumbnails(folder: Path, crop: int = 128, size: int = 32) -> np.ndarray:
    """uint8 [N, size, size, 3]: every non-overlapping ``crop`` x ``crop`` block of every PNG in ``folder``
    (sorted), reduced to ``size`` x ``size`` with a box filter."""
    from PIL import Image

    files = sorted(Path(folder).glob("*.png"))
    if not files:
        raise SemcomError(f"no PNG images in {folder}; expected the Kodak folder (kodim01.png ...)")
    out = []
    for f in files:
        with Image.open(f) as src:
            im = src.convert("RGB")
        w, h = im.size
        for y in range(0, h - crop + 1, crop):
            for x in range(0, w - crop + 1, crop):
                out.append(np.asarray(im.crop((x, y, x + crop, y + crop)).resize((size, size), Image.Resampling.BOX)))
    return np.stack(out)


def jpeg_copy(images: np.ndarray, quality: int = 75) -> np.ndarray:
    """The images after one JPEG round trip (Pillow's libjpeg, 4:2:0, standard tables), as the CIFAR-10 copy."""
    from PIL import Image

    out = np.empty_like(images)
    for i, img in enumerate(images):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=quality, subsampling="4:2:0")
        buf.seek(0)
        with Image.open(buf) as im:
            out[i] = np.asarray(im.convert("RGB"))
    return out


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and the 95 % normal interval of the mean."""
    m = float(x.mean())
    h = 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else float("nan")
    return m, m - h, m + h


def study(clean: np.ndarray, codecs: list[str], budgets: list[int], quality: int = 75) -> list[dict[str, Any]]:
    """One row per codec and budget (see the module docstring)."""
    copy = jpeg_copy(clean, quality)
    rows = []
    for name in codecs:
        codec = create_codec(name)
        for b in budgets:
            a, c = rate_control(codec, clean, b), rate_control(codec, copy, b)
            both = ~(a.source_failed | c.source_failed)
            row: dict[str, Any] = {"codec": name, "coder": codec.coder, "budget_bits": int(b), "images": len(clean),
                                   "received_both": int(both.sum()),
                                   "source_failure_clean": round(float(a.source_failed.mean()), 4),
                                   "source_failure_copy": round(float(c.source_failed.mean()), 4)}
            if both.sum() > 1:
                gain = _mean_ci(c.psnr[both] - a.psnr[both])
                row.update(psnr_clean=round(float(a.psnr[both].mean()), 3), psnr_copy=round(float(c.psnr[both].mean()), 3),
                           gain_db=round(gain[0], 3), gain_ci95=[round(gain[1], 3), round(gain[2], 3)])
            rows.append(row)
    return rows


def djscc_study(clean: np.ndarray, checkpoint: Path, snrs: list[float], quality: int = 75, seed: int = 0,
                batch_size: int = 192, system: Any = None) -> list[dict[str, Any]]:
    """The same comparison for a trained point-to-point JSCC model: PSNR on the clean thumbnails and on their
    JPEG copies (each against its own source) at each SNR, with the same channel noise for both (a generator
    seeded with ``seed`` per SNR and per source); one row per SNR."""
    import torch

    from semcom.metrics import psnr_per_image
    from semcom.systems import load

    system = load(checkpoint) if system is None else system
    copy = jpeg_copy(clean, quality)
    rows = []
    for snr in snrs:
        per = []
        for src in (clean, copy):
            g = torch.Generator().manual_seed(seed)
            x = torch.from_numpy(src).permute(0, 3, 1, 2).float() / 255.0
            out = []
            with torch.no_grad():
                for i in range(0, len(x), batch_size):
                    xb = x[i:i + batch_size]
                    out.append(psnr_per_image(system(xb, float(snr), generator=g).clamp(0, 1), xb))
            per.append(torch.cat(out).double().numpy())
        gain = _mean_ci(per[1] - per[0])
        rows.append({"codec": f"djscc:{Path(checkpoint).stem}", "snr_db": float(snr), "k": int(cast(Any, system).k),
                     "images": len(clean), "psnr_clean": round(float(per[0].mean()), 3),
                     "psnr_copy": round(float(per[1].mean()), 3), "gain_db": round(gain[0], 3),
                     "gain_ci95": [round(gain[1], 3), round(gain[2], 3)]})
    return rows


def main(argv: list[str] | None = None) -> int:
    from semcom.data import default_kodak_root
    from semcom.evaluation.results import write_results
    from semcom.metrics import PSNR_REDUCTION

    ap = argparse.ArgumentParser(prog="python -m semcom.baselines.source_copy", description=__doc__.split("\n")[0])
    ap.add_argument("--kodak", type=Path, default=None, help="folder of the Kodak PNGs (default: the shared copy)")
    ap.add_argument("--codec", action="append", choices=["jpeg", "bpg"], help="codecs (default: jpeg and bpg)")
    ap.add_argument("--budget", action="append", type=int, help=f"payload budgets in bits (default: {BUDGETS})")
    ap.add_argument("--quality", type=int, default=75, help="JPEG quality of the copy (default 75, as CIFAR-10's)")
    ap.add_argument("--djscc", type=Path, action="append", default=[],
                    help="point-to-point JSCC checkpoints to compare the same way over AWGN (repeatable)")
    ap.add_argument("--snr", type=float, action="append", help="SNRs (dB) of the --djscc comparison (default 0, 10, 20)")
    ap.add_argument("--out", type=Path, default=Path("runs/source_copy"))
    ap.add_argument("--name", default="jpeg_source_copy")
    a = ap.parse_args(argv)
    budgets = a.budget or list(BUDGETS)
    if any(b < 16 for b in budgets) or not 1 <= a.quality <= 100:
        ap.error(f"budgets {budgets} must be >= 16 bits and --quality {a.quality} in 1..100")
    for ck in a.djscc:
        if not ck.is_file():
            ap.error(f"--djscc {ck}: no such checkpoint file")
    from semcom.systems import PointToPointJSCC, load

    systems = [load(ck) for ck in a.djscc]  # a file that is not a JSCC checkpoint is refused before any compute
    for ck, system in zip(a.djscc, systems):
        if not isinstance(system, PointToPointJSCC):
            raise SemcomError(f"--djscc {ck} holds a {type(system).__name__}, not a point-to-point JSCC system")
    folder = a.kodak or default_kodak_root()
    clean = kodak_thumbnails(folder)
    rows = study(clean, a.codec or ["jpeg", "bpg"], budgets, a.quality)
    for ck, system in zip(a.djscc, systems):
        rows += djscc_study(clean, ck, a.snr or [0.0, 10.0, 20.0], a.quality, system=system)
    res = {"what": "rate-controlled codecs on clean 32x32 Kodak thumbnails vs on their JPEG copies "
                   f"(quality {a.quality}, 4:2:0), each PSNR against its own source",
           "source": f"{folder.name}: {len(clean)} thumbnails (128x128 crops reduced 4x, box filter)",
           "psnr_reduction": PSNR_REDUCTION, "gain": "PSNR on the copy minus on the clean image, per image, "
           "over images received in both; 95 % normal interval of the mean", "rows": rows}
    paths = write_results(res, a.out, a.name, plot=False)
    for r in rows:
        print(f"{r['codec']} {r.get('budget_bits', str(r.get('snr_db')) + ' dB')}: clean {r.get('psnr_clean')} copy {r.get('psnr_copy')} "
              f"gain {r.get('gain_db')} {r.get('gain_ci95')} (failures {r.get('source_failure_clean')} / "
              f"{r.get('source_failure_copy')})")
    print(f"wrote {paths['json']}")
    return 0


def _command() -> int:
    """``main`` with one ``error:`` line (exit 2) for a bad folder or checkpoint and 130 for Ctrl-C."""
    return exit_status(main)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_command())
