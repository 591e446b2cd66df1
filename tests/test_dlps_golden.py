"""The committed DLPS reproduction: its checkpoint still gives the committed Fig. 4 figure."""

import json
from pathlib import Path

import pytest

from semcom.evaluation.point_to_point import evaluate

ROOT = Path(__file__).resolve().parents[1] / "results" / "dlps"


def committed_psnr(model: str, snr_db: float) -> float:
    rows = json.loads((ROOT / "fig4.json").read_text())["rows"]
    (row,) = [r for r in rows if r["model"] == model and r["channel"] == "awgn" and r["snr_db"] == snr_db]
    return float(row["psnr"])


@pytest.mark.skipif(not (ROOT / "checkpoints" / "fig4_k264_dlps.ckpt").exists(), reason="no committed checkpoint")
def test_dlps_checkpoint_reproduces_committed_psnr_at_10db() -> None:
    # 500 CIFAR-10 test images spread over the classes (the package's embedded subset, split "train":
    # 50 per class), AWGN at 10 dB, against the committed figure on all 10,000 test images.
    res = evaluate([ROOT / "checkpoints" / "fig4_k264_dlps.ckpt"], snr_db=[10.0], channel_names=["awgn"],
                   dataset="embedded", split="train", metrics=("psnr",))
    (row,) = res["rows"]
    assert row["num_images"] == 500
    assert abs(row["psnr"] - committed_psnr("fig4_k264_dlps", 10.0)) < 0.2
