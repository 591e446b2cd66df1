"""The command line: every tool through ``semcom.cli.main(argv)``; bad input -> one line, exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from semcom.cli import main

GOLDEN_CKPT = str(Path(__file__).with_name("golden") / "tiny_djscc.ckpt")


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str], pattern: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert re.search(pattern, err[0]), err[0]


def write_recipe(tmp: Path, body: str) -> Path:
    p = tmp / "r.yaml"
    p.write_text(body + f"\ntrain: {{out_dir: {tmp / 'runs'}, epochs: 1, batch_size: 32, progress_bar: false}}\n"
                 "data: {dataset: embedded, limit_train: 32, limit_val: 8}\n")
    return p


def test_models_and_samplers_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert "bourtsoulatze2019 (alias: djscc)" in capsys.readouterr().out
    assert main(["samplers"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("dlps", "blps", "lvlps", "dedicated"))


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out


@pytest.mark.parametrize("body,pattern", [
    ("model: {name: djscc9, k: 88}", r"unknown model 'djscc9'; expected one of: .*bourtsoulatze2019"),
    ("model: {name: djscc, k: 88}\nsampler: {name: plps}", r"unknown SNR sampler 'plps'"),
    ("model: {name: djscc, k: 88}\nsampler: {name: dlps, snr_min_db: 20, snr_max_db: 0}",
     r"sampler.snr_max_db=0 is below sampler.snr_min_db=20"),
    ("sampler: {name: dlps}", r"the recipe has no 'model' section"),
    ("model: {name: djscc, k: 88, adapter: none}", r"K=88 cannot be produced"),
    ("trian: {epochs: 1}", r"unknown recipe key 'trian'"),
    ("model: {name: djscc, k: 88, width: 3}", r"model 'djscc' has no option 'width'"),
])
def test_train_bad_input_gets_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          body: str, pattern: str) -> None:
    one_error_line(capsys, ["train", str(write_recipe(tmp_path, body))], pattern)
    assert not (tmp_path / "runs").exists()


def test_train_missing_dataset_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = write_recipe(tmp_path, "model: {name: djscc, k: 16, hidden: [4, 8]}")
    one_error_line(capsys, ["train", str(recipe), "data.dataset=cifar10", f"data.root={tmp_path / 'nope'}"],
                   r"no CIFAR-10 found at .*nope")
    assert not (tmp_path / "runs").exists()


def test_train_resume_from_a_checkpoint_of_another_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = write_recipe(tmp_path, "model: {name: djscc, k: 88}")
    one_error_line(capsys, ["train", str(recipe), "--resume", GOLDEN_CKPT], r"holds model .* but the recipe asks for")


def test_train_then_eval_then_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = write_recipe(tmp_path, "name: cli\nmodel: {name: djscc, k: 16, hidden: [4, 8]}")
    assert main(["train", str(recipe), "--devices", "1", "--accelerator", "cpu"]) == 0
    text = capsys.readouterr().out
    summary = json.loads(text[text.index('{\n  "name"'):])
    assert summary["epochs"] == 1 and summary["k"] == 16
    ckpt = tmp_path / "runs" / "cli" / "checkpoints" / "last.ckpt"
    assert ckpt.exists()
    out = tmp_path / "res"
    assert main(["eval", str(ckpt), GOLDEN_CKPT, "--dataset", "embedded", "--limit", "20", "--snr", "0:10:5",
                 "--channel", "awgn", "--channel", "rayleigh", "--csi", "pilot", "--out", str(out), "--name", "e"]) == 0
    printed = capsys.readouterr().out
    assert "SNR dB" in printed and "wrote" in printed
    res = json.loads((out / "e.json").read_text())
    assert len(res["rows"]) == 2 * 2 * 3
    assert {r["csi"] for r in res["rows"]} == {"-", "pilot"}
    assert res["psnr_reduction"].startswith("mean of per-image PSNR")
    header = (out / "e.csv").read_text().splitlines()[0]
    assert header == "model,channel,csi,snr_db,psnr,ssim,ms_ssim,num_images,eval_seed,k,bandwidth_ratio"
    assert (out / "e.png").stat().st_size > 1000
    assert main(["plot", str(out / "e.json"), str(out / "e.json"), "--out", str(tmp_path / "o.png")]) == 0
    assert (tmp_path / "o.png").exists()


@pytest.mark.parametrize("argv,pattern", [
    (["eval", GOLDEN_CKPT, "--snr", "10:0:1"], r"--snr '10:0:1' is not understood"),
    (["eval", GOLDEN_CKPT, "--channel", "tdl"], r"unknown evaluation channel 'tdl'"),
    (["eval", GOLDEN_CKPT, "--channel", "rayleigh", "--csi", "blind"], r"csi='blind'"),
    (["eval", "missing.ckpt"], r"checkpoint missing.ckpt does not exist"),
    (["eval", GOLDEN_CKPT, "--dataset", "cifar10", "--root", "/nonexistent/x"], r"no CIFAR-10 found"),
    (["eval", GOLDEN_CKPT, "--dataset", "embedded", "--metrics", "psnr,lpips"], r"metrics .* not understood"),
    (["plot", "missing.json"], r"result file missing.json does not exist"),
])
def test_eval_and_plot_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                 pattern: str) -> None:
    one_error_line(capsys, [*argv, "--out", str(tmp_path / "o")] if argv[0] == "eval" else argv, pattern)
    assert not (tmp_path / "o").exists()


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert main(["no-such-command"]) == 2


def test_structural_metrics_at_chosen_snrs_only(tmp_path: Path) -> None:
    assert main(["eval", GOLDEN_CKPT, "--dataset", "embedded", "--limit", "10", "--snr", "0:10:5",
                 "--structural-at", "10", "--out", str(tmp_path), "--no-plot"]) == 0
    rows = json.loads((tmp_path / "eval.json").read_text())["rows"]
    assert [r["ssim"] is not None for r in rows] == [False, False, True]
    assert all(r["psnr"] is not None for r in rows)
    assert main(["eval", GOLDEN_CKPT, "--dataset", "embedded", "--limit", "10", "--snr", "5",
                 "--metrics", "psnr", "--out", str(tmp_path), "--name", "p", "--no-plot"]) == 0
    assert json.loads((tmp_path / "p.json").read_text())["rows"][0]["ms_ssim"] is None


def test_export_writes_a_slim_loadable_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = write_recipe(tmp_path, "name: ex\nmodel: {name: djscc, k: 16, hidden: [4, 8]}")
    assert main(["train", str(recipe)]) == 0
    full = tmp_path / "runs" / "ex" / "checkpoints" / "last.ckpt"
    assert main(["export", str(full), str(tmp_path / "slim.ckpt")]) == 0
    assert (tmp_path / "slim.ckpt").stat().st_size < full.stat().st_size
    one_error_line(capsys, ["export", str(tmp_path / "nope.ckpt"), str(tmp_path / "x.ckpt")], "does not exist")
    assert not (tmp_path / "x.ckpt").exists()
    # float16 weights: half the size again, the same outputs up to float16 rounding
    assert main(["export", str(full), str(tmp_path / "half.ckpt"), "--half"]) == 0
    import torch

    from semcom.systems import load

    a, b = load(tmp_path / "slim.ckpt"), load(tmp_path / "half.ckpt")
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        za, zb = a.model.encode(x), b.model.encode(x)
    assert torch.allclose(za, zb, atol=2e-2) and not torch.equal(za, zb)
    assert (tmp_path / "half.ckpt").stat().st_size < 0.75 * (tmp_path / "slim.ckpt").stat().st_size


def test_merge_separate_evaluations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--dataset", "embedded", "--limit", "8", "--snr", "0,10", "--metrics", "psnr", "--out", str(tmp_path),
              "--no-plot"]
    assert main(["eval", GOLDEN_CKPT, "--label", "a", "--name", "a", *common]) == 0
    assert main(["eval", GOLDEN_CKPT, "--label", "b", "--name", "b", *common]) == 0
    assert main(["eval", GOLDEN_CKPT, GOLDEN_CKPT, "--label", "a", "--label", "b", "--name", "ab", *common]) == 0
    assert main(["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--out", str(tmp_path), "--name", "m"]) == 0
    merged = json.loads((tmp_path / "m.json").read_text())["rows"]
    together = json.loads((tmp_path / "ab.json").read_text())["rows"]
    assert merged == together  # evaluating separately gives the same numbers
    capsys.readouterr()
    one_error_line(capsys, ["merge", str(tmp_path / "a.json"), str(tmp_path / "a.json"), "--out", str(tmp_path)],
                   "label 'a' appears in more than one")
