"""Table II of Liu et al. 2025 for the modules semcom builds (part 1): parameters and inference time per image.

    OMP_NUM_THREADS=1 python benchmarks/liu2025_modules.py --out results/benchmarks/liu2025_cpu.json

Timed (median of ``--repeats`` calls after three warm-ups, batch of ``--batch`` 128 x 128 CamVid-sized frames,
forward only, no gradient), per image: the segmentation network f_seg (U-Net, width 16, depth 4); the
semantic layer (f_se,en + f_se,de + f_co,en + f_co,de with the 16-QAM quantizer); the JSCC baseline's encoder
+ decoder (32,768 symbols); the adaptive precoding (W and f_Pre on the 5 frames of one image); SVD precoding
(SVD of the 5 x 72 x 14 channel matrices, precode, channel, combine, equalize: the whole link with perfect
CSI); LS estimation at the 5G pilots (Sionna, 5 slots). The reference measured in the same run is a
1024 x 1024 float32 matmul (its GFLOP/s), so that runs on other machines compare as ratios.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path
from typing import Any

import torch

from semcom.data import atomic_write
from semcom.evaluation.complexity import median_seconds


def run(batch: int = 16, repeats: int = 10) -> dict[str, Any]:
    from semcom.channels.svd_link import SVDPrecodedMIMO
    from semcom.models.djscc import DeepJSCC
    from semcom.models.liu2025 import CompressedImageCodec, QAM16Quantizer, SegmentationMapCodec, TaskAdaptivePrecoder
    from semcom.models.segmentation import UNetSegmenter

    torch.manual_seed(0)
    img = torch.rand(batch, 3, 128, 128)
    seg_net = UNetSegmenter(11, 3, 16, 4).eval()
    se, co, q = SegmentationMapCodec(11, 128).eval(), CompressedImageCodec(32).eval(), QAM16Quantizer()
    jscc = DeepJSCC(32768, image_size=128, adapter="none").eval()
    pre = TaskAdaptivePrecoder(72 * 14 * 2).eval()
    g = torch.Generator().manual_seed(0)
    h = torch.view_as_complex(torch.randn(batch, 5, 72, 14, 2, 4, 2, generator=g) / 2**0.5)
    frames = torch.complex(torch.randn(batch, 5, 72, 14, 2), torch.randn(batch, 5, 72, 14, 2))
    link, ls_link = SVDPrecodedMIMO(None), SVDPrecodedMIMO(None, csi="ls")
    seg = torch.randint(0, 11, (batch, 128, 128))
    small = torch.rand(batch, 3, 32, 32)
    no = torch.full((batch * 5,), 0.1)

    def semantic() -> None:
        se.decode(q.dequantize(q(se.encode(seg))))
        co.decode(q.dequantize(q(co.encode(small))))

    cases = {
        "segmentation_net": (lambda: seg_net(img), seg_net),
        "semantic_layer": (semantic, [se, co]),
        "jscc": (lambda: jscc.decode(q.dequantize(q(jscc.encode(img)))), jscc),
        "adaptive_precoding": (lambda: pre.decode(pre.encode(frames.reshape(batch, 5, -1))), pre),
        "svd_precoding_link": (lambda: link(frames, 10.0, h=h, generator=torch.Generator().manual_seed(1)), None),
        "ls_estimation": (lambda: ls_link.estimate(h.reshape(batch * 5, 72, 14, 2, 4), no, torch.Generator().manual_seed(2)),
                          None),
    }
    out: dict[str, Any] = {}
    with torch.no_grad():
        a = torch.randn(1024, 1024)
        ref = median_seconds(lambda: a @ a, repeats, "cpu")
        for name, (fn, mods) in cases.items():
            sec = median_seconds(fn, repeats, "cpu")
            params = None
            if mods is not None:
                ms = mods if isinstance(mods, list) else [mods]
                params = sum(p.numel() for m in ms for p in m.parameters())
            out[name] = {"params": params, "params_m": None if params is None else round(params / 1e6, 4),
                         "seconds_per_image": sec / batch, "matmul_equivalents": round(sec / ref, 2)}
    return {"what": __doc__.split("\n\n")[0], "batch": batch, "repeats": repeats, "threads": torch.get_num_threads(),
            "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
            "reference_matmul_1024_gflops": round(2 * 1024**3 / ref / 1e9, 1), "modules": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    res = run(a.batch, a.repeats)
    text = json.dumps(res, indent=1)
    print(text)
    if a.out:
        atomic_write(a.out, lambda p: p.write_text(text + "\n"))


if __name__ == "__main__":
    main()
