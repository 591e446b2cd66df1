"""The committed Li et al. 2025 reproduction: the committed Full model still gives the committed UMi figure."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "results" / "mumimo"
CK = ROOT / "checkpoints" / "umi_nf32_full.ckpt"


@pytest.mark.skipif(not CK.exists(), reason="no committed checkpoint")
def test_mumimo_full_reproduces_committed_psnr(tmp_path: Path) -> None:
    # 500 CIFAR-10 test images of the embedded subset (125 samples of 4 users) over 200 fresh UMi test
    # realizations (Sionna, seed 1) against the committed figure (1,000 images, the 1,000-realization test bank)
    from semcom.cli import main
    from semcom.evaluation.mumimo import evaluate_mumimo

    assert main(["channels", "generate", "--scenario", "umi", "--nf", "32", "--n", "200", "--seed", "1",
                 "--out", str(tmp_path / "umi_nf32_test")]) == 0
    res = evaluate_mumimo([CK], ["umi"], [5.0], bank_dir=tmp_path, dataset="embedded", split="train", limit=None)
    (row,) = res["rows"]
    committed = json.loads((ROOT / "eval_nf32.json").read_text())["rows"]
    (ref,) = [r for r in committed if r["variant"] == "full" and r["channel"] == "umi" and r["snr_db"] == 5.0]
    assert row["num_images"] == 500 and abs(row["psnr"] - ref["psnr"]) < 0.5
