"""Golden evaluation (CompressAI style): ``semcom eval`` on the committed tiny checkpoint and the
embedded images must reproduce ``golden/eval_tiny_djscc.json``.

Regenerate on purpose only: ``make golden`` (``pytest tests/test_golden.py --regen-golden``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semcom.cli import main

GOLDEN = Path(__file__).with_name("golden")
ARGS = ["eval", str(GOLDEN / "tiny_djscc.ckpt"), "--dataset", "embedded", "--split", "test", "--snr", "0,5,10,20",
        "--channel", "awgn", "--channel", "rayleigh", "--csi", "perfect", "--csi", "pilot", "--seed", "0",
        "--name", "eval_tiny_djscc", "--no-plot"]
METRICS = ("psnr", "ssim", "ms_ssim")


def test_eval_reproduces_the_golden_json(tmp_path: Path, regen_golden: bool) -> None:
    assert main([*ARGS, "--out", str(tmp_path)]) == 0
    got = json.loads((tmp_path / "eval_tiny_djscc.json").read_text())
    expected_path = GOLDEN / "eval_tiny_djscc.json"
    if regen_golden:
        for m in got["models"]:
            m["checkpoint"] = "tests/golden/tiny_djscc.ckpt"
        got.pop("command", None)
        expected_path.write_text(json.dumps(got, indent=1) + "\n")
        pytest.skip("golden JSON regenerated")
    expected = json.loads(expected_path.read_text())
    assert len(got["rows"]) == len(expected["rows"]) == 4 * 3
    for g, e in zip(got["rows"], expected["rows"]):
        for key in ("model", "channel", "csi", "snr_db", "num_images", "eval_seed", "k"):
            assert g[key] == e[key]
        for m in METRICS:
            tol = 1e-3 if m == "psnr" else 1e-4
            assert g[m] == pytest.approx(e[m], abs=tol), (g, e)
    for key in ("psnr_reduction", "snr_convention", "ms_ssim_settings", "dataset"):
        assert got[key] == expected[key]
