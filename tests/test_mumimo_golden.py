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


EVAL = ROOT / "eval_nf32.json"


@pytest.mark.skipif(not EVAL.exists(), reason="no committed evaluation")
def test_committed_djscc_baseline_psnr_is_non_decreasing_in_snr() -> None:
    rows = json.loads(EVAL.read_text())["rows"]
    dj = [r for r in rows if r["variant"] == "djscc"]
    assert dj
    for ch in {r["channel"] for r in dj}:
        curve = [r["psnr"] for r in sorted((r for r in dj if r["channel"] == ch), key=lambda r: r["snr_db"])]
        assert len(curve) >= 5
        assert all(b >= a for a, b in zip(curve, curve[1:])), (ch, curve)


@pytest.mark.skipif(not EVAL.exists(), reason="no committed evaluation")
def test_committed_claims_rest_on_2000_images_with_intervals() -> None:
    res = json.loads(EVAL.read_text())
    assert res["dataset"]["num_images"] >= 2000
    assert all(len(r["psnr_samples"]) * 4 == r["num_images"] for r in res["rows"])
    claims = json.loads((ROOT / "claims.json").read_text())["paired"]
    assert {c["claim"] for c in claims} >= {"pilot attention (Full - w/o Pilot)", "Full - DJSCC, accuracy"}
    for c in claims:
        assert c["n"] >= 500 and c["lo"] <= c["mean"] <= c["hi"]
        assert c["verdict"] in ("holds", "does not hold", "not resolved", "interval only")
