"""Report prose comes from templates filled with settings read from files: the helpers, and every committed
report regenerating unchanged from its committed inputs (so no setting can drift from what the runs did)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from semcom.errors import SemcomError
from semcom.reports import facts

ROOT = Path(__file__).resolve().parents[1]


def test_one_names_runs_that_differ_and_collapses_agreement() -> None:
    assert facts.one({"a": 256, "b": 256}) == "256"
    assert facts.one({"a": 256, "b": 128}) == "256 (a), 128 (b)"
    assert facts.one({"a": 1e-3, "b": 0.001}, "{:g}") == "0.001"
    assert facts.one({}) == "(no runs)"


def test_grid_text_and_count() -> None:
    assert facts.grid_text([-5, -4, -3, -2]) == "-5 to -2 dB in 1 dB steps"
    assert facts.grid_text([0, 5, 10, 15, 20]) == "0 to 20 dB in 5 dB steps"
    assert facts.grid_text([0, 1, 5]) == "0, 1, 5 dB"
    assert facts.grid_text([7.0]) == "7 dB"
    assert facts.count(10000) == "10,000"


def test_epoch_images_of_fresh_resumed_and_old_resumed_summaries() -> None:
    assert facts.epoch_images({"train_images": 100, "epochs": 5}) == 20
    assert facts.epoch_images({"train_images": 100, "epochs": 15, "epoch_seconds": [1.0] * 10,
                               "resumed_from": "x"}) == 10
    assert facts.epoch_images({"train_images": 100, "epochs": 15, "resumed_from": "x"}) is None


def test_render_fills_every_placeholder_or_names_the_missing_fact(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="'num_users'"):
        facts.render("mumimo", {"optimizer": "Adam"})


def test_script_recipes_apply_literal_overrides_and_skip_shell_variables(tmp_path: Path) -> None:
    script = tmp_path / "s.sh"
    recipe = ROOT / "configs" / "robust" / "adjscc_awgn.yaml"
    script.write_text(f"for s in 1 2; do train {recipe} sampler.snr_db=$s name=x$s; done\n"
                      f"train {recipe} model.width=64 train.lr=1.0e-3 name=adj $core  # comment\n")
    runs = facts.script_recipes(script)
    assert set(runs) == {"adjscc_awgn (loop)", "adj"}
    assert runs["adj"]["model"]["width"] == 64 and runs["adj"]["train"]["lr"] == pytest.approx(1e-3)
    assert runs["adjscc_awgn (loop)"]["model"]["width"] == 256


OUTPUTS = {"dlps": ["README.md", "claims.json"], "mumimo": ["README.md", "claims.json"],
           "ldm": ["README.md", "claims.json"], "sscc": ["README.md", "statements.json"],
           "robust": ["README.md", "claims.json"], "digital_jscc": ["README.md", "claims.json"],
           "rate_adaptive": ["README.md", "claims.json"], "liu2025": ["README.md", "claims.json"]}


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_committed_report_regenerates_unchanged(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`semcom report NAME` on a copy of the committed folder writes the committed README and claims."""
    from semcom.cli import main

    # a scratch checkout: the report's folder copied, what it only reads (configs, scripts, other results) linked
    for part in ("configs", "scripts"):
        (tmp_path / part).symlink_to(ROOT / part)
    (tmp_path / "results").mkdir()
    for other in [*OUTPUTS, "benchmarks"]:
        if other != name:
            (tmp_path / "results" / other).symlink_to(ROOT / "results" / other)
    src = ROOT / "results" / name
    dst = tmp_path / "results" / name
    shutil.copytree(src, dst)
    monkeypatch.chdir(tmp_path)
    assert main(["report", name, f"results/{name}"]) == 0
    for out in OUTPUTS[name]:
        got, want = (dst / out).read_text(), (src / out).read_text()
        if out.endswith(".json"):
            assert json.loads(got) == json.loads(want), out
        else:
            assert got == want, f"{name}/{out} changed: regenerate with `semcom report {name} results/{name}`"
