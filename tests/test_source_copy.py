"""The JPEG-source study: thumbnails of clean images, their JPEG q75 copies, and the paired gain of codecs
(and of a JSCC model) on the copy over the clean image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from semcom.baselines.source_copy import djscc_study, jpeg_copy, kodak_thumbnails, main, study
from semcom.errors import SemcomError

G = Path(__file__).with_name("golden") / "tiny_djscc.ckpt"


def _folder(tmp: Path) -> Path:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:128, 0:256]
    for i in range(2):  # smooth images with some texture, 256x128: two 128x128 crops each
        img = np.stack([(x + 40 * i) % 256, (y * 2) % 256, (x + y) % 256], -1) + rng.integers(0, 30, (128, 256, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(tmp / f"im{i}.png")
    return tmp


def test_thumbnails_copies_and_a_study(tmp_path: Path) -> None:
    thumbs = kodak_thumbnails(_folder(tmp_path))
    assert thumbs.shape == (4, 32, 32, 3) and thumbs.dtype == np.uint8
    copy = jpeg_copy(thumbs)
    assert copy.shape == thumbs.shape and not np.array_equal(copy, thumbs)
    rows = study(thumbs, ["jpeg"], [384, 1024])
    assert [r["budget_bits"] for r in rows] == [384, 1024]
    for r in rows:
        assert r["received_both"] == 4 and r["gain_ci95"][0] <= r["gain_db"] <= r["gain_ci95"][1]
        assert r["gain_db"] == pytest.approx(r["psnr_copy"] - r["psnr_clean"], abs=2e-3)
    with pytest.raises(SemcomError, match="no PNG images"):
        kodak_thumbnails(tmp_path / "empty")


def test_jscc_study_uses_the_same_noise_for_both_sources(tmp_path: Path) -> None:
    thumbs = kodak_thumbnails(_folder(tmp_path))
    a = djscc_study(thumbs, G, [10.0])
    b = djscc_study(thumbs, G, [10.0])
    assert a == b and a[0]["images"] == 4 and a[0]["snr_db"] == 10.0
    assert np.isfinite(a[0]["gain_db"])


def test_bad_options_are_refused_before_any_compute(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--budget", "8"], ["--quality", "0"], ["--djscc", "/nonexistent.ckpt"]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2
        assert "error:" in capsys.readouterr().err


def test_the_command_gives_one_line_for_a_bad_folder_or_checkpoint(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from semcom.baselines import source_copy

    bad = tmp_path / "x.ckpt"
    bad.write_text("not a checkpoint")
    for argv in (["--kodak", str(tmp_path / "none")], ["--djscc", str(bad)],
                 ["--djscc", str(Path(__file__).parents[1] / "results/mumimo/checkpoints/umi_nf32_full.ckpt")]):
        old, sys.argv = sys.argv, ["x", *argv, "--out", str(tmp_path / "out")]
        try:
            assert source_copy._command() == 2
        finally:
            sys.argv = old
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()
