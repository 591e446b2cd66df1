"""Images per second through the whole SSCC chain, and where the time goes.

    .venv/bin/python benchmarks/sscc_throughput.py [--images 256] [--codec bpg --codec jpeg] [--out FILE]

For each codec and link (AWGN, 264 channel uses, 4QAM 1/2; the UMi MU-MISO OFDM downlink, N_f = 32,
4QAM 1/2, LS + LMMSE) one pass over the first ``--images`` embedded CIFAR-10 test images at 10 dB,
timed by stage: rate control (the encodes of the quality search), codec decode, LDPC encode + QAM
mapping, channel (AWGN / 3GPP channel, precoding, estimation and equalization), demapping + LDPC decoding.
The stages are the ones ``semcom baseline`` runs, called one by one; the ratio of the whole chain to
the sum of its parts is printed as a check that nothing is left out.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from semcom.baselines import create_codec, make_link, rate_control
from semcom.baselines.sscc import payload_bit_matrix
from semcom.data import atomic_write, build_dataset


def stages_awgn(link: Any, bits: torch.Tensor, snr_db: float) -> dict[str, float]:
    dl = link.link
    t: dict[str, float] = {}
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        t0 = time.perf_counter()
        x = dl.mapper(dl.encoder(bits))
        t1 = time.perf_counter()
        y, info = dl.channel(x, torch.tensor(snr_db), return_info=True, generator=g)
        t2 = time.perf_counter()
        llr = dl.demapper(y, info["noise_var"].expand(y.shape).float())
        dl.decoder(llr)
        t3 = time.perf_counter()
    t["ldpc_encode_map_s"], t["channel_s"], t["demap_ldpc_decode_s"] = t1 - t0, t2 - t1, t3 - t2
    return t


def stages_mumimo(link: Any, bits: torch.Tensor, snr_db: float) -> dict[str, float]:
    import math

    ml = link.link
    K = ml.num_users
    b = bits.reshape(-1, 1, K, ml.k)
    g = torch.Generator().manual_seed(0)
    ebno = ml.ebno_from_snr_db(snr_db)
    no = ml.noise_var(ebno)
    t: dict[str, float] = {}
    with torch.no_grad():
        t0 = time.perf_counter()
        x_rg = ml.grid.map(ml.mapper(ml.encoder(b)))
        t1 = time.perf_counter()
        h = ml.channel.draw(len(b), g)
        v = ml.precoder.matrix(h, no)
        s = x_rg[:, 0].permute(0, 3, 2, 1)
        y = ml.channel((v @ s[..., None])[..., 0], 10 * math.log10(1 / no), h=h, generator=g)
        y_s = y.permute(0, 3, 2, 1)[:, :, None]
        h_hat, err_var = ml.estimator(y_s, torch.tensor(no))
        x_hat, no_eff = ml.equalizer(y_s, h_hat, err_var, torch.tensor(no))
        t2 = time.perf_counter()
        ml.decoder(ml.demapper(x_hat, no_eff))
        t3 = time.perf_counter()
    t["ldpc_encode_map_s"], t["channel_s"], t["demap_ldpc_decode_s"] = t1 - t0, t2 - t1, t3 - t2
    return t


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=256)
    ap.add_argument("--codec", action="append", default=None)
    ap.add_argument("--snr", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    ds = build_dataset("embedded", split="all")
    n = min(args.images, len(ds))
    n -= n % 4
    imgs = np.stack([ds[i][0].permute(1, 2, 0).numpy() for i in range(n)])
    rows = []
    for link_name, link in (("awgn-264-4qam-1/2", make_link("awgn", "4qam", "1/2", channel_uses=264)),
                            ("umi-nf32-4qam-1/2-ls", make_link("umi", "4qam", "1/2", csi="ls"))):
        for cname in args.codec or ["bpg", "jpeg"]:
            codec = create_codec(cname)
            t0 = time.perf_counter()
            sc = rate_control(codec, imgs, link.k)  # includes one decode per image
            t_rc = time.perf_counter() - t0
            t0 = time.perf_counter()
            for p, img in zip(sc.payloads, imgs):
                if p is not None:
                    codec.decode(p, img.shape)
            t_dec = time.perf_counter() - t0
            bits = payload_bit_matrix(sc, link.k)
            parts = (stages_awgn if link_name.startswith("awgn") else stages_mumimo)(link, bits, args.snr)
            t0 = time.perf_counter()
            link.send(bits, args.snr, seed=0, batch_size=len(bits))
            t_link = time.perf_counter() - t0
            enc = t_rc - t_dec  # rate control = the quality search's encodes + one decode per image
            total = enc + t_dec + t_link
            row = {"link": link_name, "codec": cname, "images": n, "images_per_s": round(n / total, 1),
                   "codec_encode_rate_control_s": round(enc, 3), "codec_decode_s": round(t_dec, 3),
                   **{k: round(v, 3) for k, v in parts.items()}, "link_total_s": round(t_link, 3),
                   "link_parts_over_total": round(sum(parts.values()) / t_link, 3)}
            shares = {"codec": enc + t_dec, **parts}
            row["share"] = {k: round(v / sum(shares.values()), 3) for k, v in shares.items()}
            rows.append(row)
            print(json.dumps(row))
    res = {"what": "SSCC chain throughput on CPU, by stage", "snr_db": args.snr, "torch_threads": torch.get_num_threads(),
           "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads", "rows": rows,
           "command": "python benchmarks/sscc_throughput.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if args.out:
        atomic_write(args.out, lambda p: p.write_text(json.dumps(res, indent=1) + "\n"))
    return res


if __name__ == "__main__":
    main()
