"""The committed LDM-receiver reproduction: its checkpoints still give the committed figures."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "results" / "ldm"
CK = ROOT / "checkpoints"

pytest.importorskip("diffusers")


def committed(model: str, snr_db: float, key: str = "psnr") -> float:
    rows = json.loads((ROOT / "animals.json").read_text())["rows"]
    (row,) = [r for r in rows if r["model"] == model and r["channel"] == "awgn" and r["snr_db"] == snr_db]
    return float(row[key])


@pytest.mark.skipif(not (CK / "denoiser_animals.ckpt").exists(), reason="no committed checkpoint")
def test_ldm_checkpoints_reproduce_committed_psnr() -> None:
    # the 300 animal images of the package's embedded subset (50 per class) against the committed figures
    # on 1,000 CIFAR-10 animal test images, AWGN at 0 and 10 dB
    from semcom.evaluation.ldm import evaluate_ldm

    res = evaluate_ldm(str(CK / "vae_animals.ckpt"), str(CK / "denoiser_animals.ckpt"), [0.0, 10.0], ["awgn"],
                       ["ddim:1", "none"], dataset="embedded", split="train", classes="animals",
                       djscc=[str(CK / "djscc_animals_dlps.ckpt")])
    assert res["rows"][0]["num_images"] == 300
    for r in res["rows"]:
        assert abs(r["psnr"] - committed(r["model"], r["snr_db"])) < 0.3, r["model"]
    by = {(r["model"], r["snr_db"]): r["psnr"] for r in res["rows"]}
    assert by[("ldm-ddim:1", 0.0)] > by[("ldm-none", 0.0)]  # the denoiser helps at low SNR
