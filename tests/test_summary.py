"""Run summaries are whole-run records: old segment-only summaries of resumed runs are repaired (images per
epoch x epochs), a resume over such a summary keeps counting the whole run, and every committed summary is one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semcom.errors import SemcomError
from semcom.reports.facts import epoch_images
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe
from semcom.training.summary import is_segment_only, read_summary, repair_files, wall_time_text, whole_run

ROOT = Path(__file__).resolve().parents[1]

OLD = {"name": "r", "epochs": 15, "global_step": 1185, "resumed_from": "runs/r/checkpoints/last.ckpt",
       "wall_time_s": 557.54, "train_images": 100000, "train_images_per_s": 190.5, "epoch_seconds": [50.0] * 10}


def test_a_segment_only_summary_becomes_a_whole_run_record() -> None:
    assert is_segment_only(OLD)
    s = whole_run(OLD)
    assert s["train_images"] == 150000 and s["epochs"] == 15
    assert s["timed_epochs"] == [6, 15] and s["timed_train_images"] == 100000 and s["timed_wall_time_s"] == 557.54
    assert s["wall_time_s"] is None and "repaired" in s
    assert wall_time_text(s) == "9.3 (epochs 6-15)" and epoch_images(s) == 10000
    assert whole_run(s) == s and not is_segment_only(s)  # idempotent
    for fine in ({**OLD, "resumes": 1}, {**OLD, "resumed_from": None}, {**OLD, "epoch_seconds": [1.0] * 15}):
        assert whole_run(fine) == fine  # merged, never resumed, or fully timed: left as they are
    with pytest.raises(SemcomError, match="not a whole number per epoch"):
        whole_run({**OLD, "train_images": 100001})


def test_repair_files_rewrites_only_old_summaries(tmp_path: Path) -> None:
    old, new = tmp_path / "old.summary.json", tmp_path / "new.summary.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps({**OLD, "resumes": 1, "train_images": 150000}))
    before = new.read_text()
    assert repair_files([old, new]) == [old]
    assert json.loads(old.read_text())["train_images"] == 150000 and new.read_text() == before
    assert repair_files([old, new]) == []  # a second pass changes nothing
    assert not list(tmp_path.glob(".*.tmp"))


def test_read_summary_names_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.summary.json"
    bad.write_text("{not json")
    with pytest.raises(SemcomError, match="bad.summary.json: cannot be read as JSON"):
        read_summary(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(SemcomError, match="expected a JSON object"):
        read_summary(bad)


def test_resuming_over_an_old_summary_counts_the_whole_run(tmp_path: Path) -> None:
    cfg = tmp_path / "r.yaml"
    cfg.write_text("name: r\nmodel: {name: djscc, k: 16, hidden: [4, 8]}\n"
                   "data: {dataset: embedded, limit_train: 32, limit_val: 16}\n"
                   f"train: {{epochs: 2, batch_size: 16, out_dir: {tmp_path / 'runs'}, progress_bar: false, "
                   "val_snr_db: [10.0], accelerator: cpu}\n")
    fit(load_recipe(cfg), quiet=True)
    path = tmp_path / "runs" / "r" / "summary.json"
    s = json.loads(path.read_text())
    assert s["train_images"] == 64 and s["epochs"] == 2
    # what an older semcom wrote after resuming at epoch 1: the whole run's epochs, the last segment's images
    path.write_text(json.dumps({**s, "resumed_from": "x", "train_images": 32, "epoch_seconds": s["epoch_seconds"][1:],
                                "wall_time_s": 1.0}))
    fit(load_recipe(cfg, ["train.epochs=3"]), resume="auto", quiet=True)
    s3 = json.loads(path.read_text())
    assert s3["epochs"] == 3 and s3["train_images"] == 96 and s3["resumes"] == 1
    assert s3["timed_epochs"] == [2, 3] and s3["timed_train_images"] == 64 and s3["wall_time_s"] is None
    assert len(s3["epoch_seconds"]) == 2


def test_every_committed_summary_is_a_whole_run_record() -> None:
    files = sorted(ROOT.glob("results/*/train/*.summary.json"))
    assert files
    for f in files:
        raw = json.loads(f.read_text())
        assert not is_segment_only(raw), f"{f}: run python -m semcom.training.summary {f}"
        assert raw["train_images"] % max(1, raw["epochs"]) == 0, f


def test_the_repair_command_checks_every_file_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from semcom.training.summary import main

    old, bad = tmp_path / "old.summary.json", tmp_path / "bad.summary.json"
    old.write_text(json.dumps(OLD))
    bad.write_text("{")
    assert main([str(old), str(bad)]) == 2 and "bad.summary.json" in capsys.readouterr().err
    assert json.loads(old.read_text())["train_images"] == 100000  # nothing rewritten
    assert main([str(old)]) == 0 and json.loads(old.read_text())["train_images"] == 150000
    assert main([]) == 2
