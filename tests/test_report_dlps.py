"""The DLPS report's claim logic on synthetic curves with known answers."""

from __future__ import annotations

import json
from pathlib import Path

from semcom.cli import main

SNRS = [float(s) for s in range(-5, 26)]


def rows(model: str, f) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    for ch, csi in (("awgn", "-"), ("rayleigh", "perfect")):
        for s in SNRS:
            out.append({"model": model, "channel": ch, "csi": csi, "snr_db": s, "psnr": f(s)})
    return out


def write(folder: Path, name: str, all_rows: list[dict]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"psnr_reduction": "mean of per-image PSNR", "rows": all_rows}))


def test_claims_on_synthetic_curves(tmp_path: Path) -> None:
    fig3 = []
    for seed, off in ((0, 0.0), (1, 0.05)):
        sfx = "" if seed == 0 else "_seed1"
        fig3 += rows(f"fig3_k88_dlps{sfx}", lambda s, o=off: 20 + 0.2 * s + o)
        fig3 += rows(f"fig3_k88_blps{sfx}", lambda s, o=off: 20 + 0.2 * s - 1.0 + 0.04 * s + o)  # worst low
        fig3 += rows(f"fig3_k88_lvlps{sfx}", lambda s, o=off: 20 + 0.2 * s - 0.3 + o)
    write(tmp_path, "fig3", fig3)
    fig4 = rows("fig4_k264_dlps", lambda s: 25 + 0.2 * s)
    for t in (0, 4, 8, 12, 16):
        fig4 += rows(f"fig4_k264_snr{t}dB", lambda s, t=t: 25 + 0.2 * s + 0.3 - 0.2 * abs(s - t))
    write(tmp_path, "fig4", fig4)
    assert main(["report", "dlps", str(tmp_path)]) == 0
    claims = json.loads((tmp_path / "claims.json").read_text())
    a = claims["a_awgn"]
    assert a["seeds"] == [0, 1]
    assert a["dlps_minus_blps"]["holds_every_snr_every_seed"] is True
    assert abs(a["dlps_minus_blps"]["min_mean_gap_db"] - 0.2) < 1e-6  # 1.0 - 0.04*20
    assert a["dlps_minus_lvlps"]["min_mean_gap_db"] == 0.3
    assert a["blps_worst_at_low_snr"] is True
    assert a["seed_spread_max_db"]["dlps"] == 0.05
    b = claims["b_awgn"]
    assert b["dedicated"]["8dB"]["dedicated_minus_dlps_at_own_snr_db"] == 0.3
    assert b["dlps_better_everywhere_away_from_every_model"] is True
    assert (tmp_path / "fig3.png").exists() and (tmp_path / "fig4.png").exists()
    assert "claims, computed" in (tmp_path / "README.md").read_text()
