"""Short end-to-end training runs: fit, exact resume, checkpoints, throughput summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from semcom import SemcomError
from semcom.checkpoint import read_checkpoint
from semcom.systems import PointToPointJSCC
from semcom.systems import load as load_system
from semcom.training.base import AtomicCheckpointIO
from semcom.training.fit import fit
from semcom.training.recipe import load_recipe, to_dict

BASE: dict[str, Any] = {
    "name": "t", "model": {"name": "djscc", "k": 16, "hidden": [4, 8]}, "sampler": {"name": "dlps"},
    "data": {"dataset": "embedded", "limit_train": 96, "limit_val": 16},
    "train": {"epochs": 2, "batch_size": 32, "accelerator": "cpu", "val_snr_db": [10.0], "progress_bar": False},
}


def run(tmp: Path, *over: str, resume: str | None = None) -> dict[str, Any]:
    return fit(load_recipe(BASE, [f"train.out_dir={tmp}", *over]), resume=resume, quiet=True)


@pytest.mark.parametrize("sampler", ["dlps", "blps", "lvlps", "dedicated"])
def test_each_sampler_trains_end_to_end(tmp_path: Path, sampler: str) -> None:
    extra = ["sampler.snr_db=5"] if sampler == "dedicated" else []
    s = run(tmp_path, f"name={sampler}", f"sampler.name={sampler}", "train.epochs=1", *extra)
    assert s["epochs"] == 1 and s["train_images"] == 96 and s["train_images_per_s"] > 0
    run_dir = tmp_path / sampler
    assert (run_dir / "checkpoints" / "last.ckpt").exists() and (run_dir / "summary.json").exists()
    assert (run_dir / "logs" / "metrics.csv").exists() and any((run_dir / "tb").iterdir())
    assert not list(run_dir.rglob("*.tmp"))


def test_training_lowers_the_loss(tmp_path: Path) -> None:
    torch.manual_seed(0)
    s = run(tmp_path, "train.epochs=12", "data.limit_train=128", "train.batch_size=16",
            "model.hidden=[16,32]", "model.k=64")
    lines = (tmp_path / "t" / "logs" / "metrics.csv").read_text().splitlines()
    head = lines[0].split(",")
    vals = [float(r.split(",")[head.index("val_psnr")]) for r in lines[1:] if r.split(",")[head.index("val_psnr")]]
    assert len(vals) == 12 and vals[-1] > vals[0] + 1.0, vals
    assert s["global_step"] == 12 * 8


def test_resume_after_epoch_one_equals_uninterrupted_run(tmp_path: Path) -> None:
    run(tmp_path, "name=full")
    run(tmp_path, "name=split", "train.epochs=1")
    s = run(tmp_path, "name=split", resume="auto")
    assert s["resumed_from"] and s["epochs"] == 2
    a = read_checkpoint(tmp_path / "full" / "checkpoints" / "last.ckpt")["state_dict"]
    b = read_checkpoint(tmp_path / "split" / "checkpoints" / "last.ckpt")["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    # the summary covers the whole run; resuming a finished run leaves it as it is
    full = json.loads((tmp_path / "full" / "summary.json").read_text())
    split = json.loads((tmp_path / "split" / "summary.json").read_text())
    assert split["train_images"] == full["train_images"] and len(split["epoch_seconds"]) == 2 and split["resumes"] == 1
    again = run(tmp_path, "name=split", resume="auto")
    assert again == split and json.loads((tmp_path / "split" / "summary.json").read_text()) == split


def test_resume_refuses_a_checkpoint_of_another_model(tmp_path: Path) -> None:
    run(tmp_path, "train.epochs=1")
    ckpt = str(tmp_path / "t" / "checkpoints" / "last.ckpt")
    with pytest.raises(SemcomError, match="holds model .* but the recipe asks for"):
        run(tmp_path, "name=other", "model.k=24", resume=ckpt)
    assert not (tmp_path / "other").exists()  # nothing written


def test_bad_data_fails_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="no CIFAR-10 found"):
        run(tmp_path, "data.dataset=cifar10", f"data.root={tmp_path / 'nothing'}")
    assert not (tmp_path / "t").exists()


def test_load_system_checks(tmp_path: Path) -> None:
    run(tmp_path, "train.epochs=1")
    ckpt = tmp_path / "t" / "checkpoints" / "last.ckpt"
    system = load_system(ckpt)
    assert isinstance(system, PointToPointJSCC) and system.recipe["model"]["k"] == 16
    # a checkpoint whose weights belong to another model than its recipe says
    ck = torch.load(ckpt, weights_only=False)
    ck["hyper_parameters"]["recipe"]["model"]["k"] = 40
    torch.save(ck, tmp_path / "other.ckpt")
    with pytest.raises(SemcomError, match="does not match the model its recipe describes"):
        load_system(tmp_path / "other.ckpt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.ckpt")
    with pytest.raises(SemcomError, match="not a semcom checkpoint"):
        load_system(tmp_path / "foreign.ckpt")
    (tmp_path / "corrupt.ckpt").write_bytes(b"\x00garbage")
    with pytest.raises(SemcomError, match="cannot be read"):
        load_system(tmp_path / "corrupt.ckpt")


def test_atomic_checkpoint_io_leaves_nothing_half_written(tmp_path: Path) -> None:
    io = AtomicCheckpointIO()
    io.save_checkpoint({"a": torch.ones(2)}, tmp_path / "x.ckpt")
    assert torch.equal(torch.load(tmp_path / "x.ckpt")["a"], torch.ones(2))

    class Unpicklable:
        def __reduce__(self) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        io.save_checkpoint({"a": Unpicklable()}, tmp_path / "y.ckpt")
    assert not (tmp_path / "y.ckpt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.ckpt"]


def test_nan_loss_stops_the_run_with_one_line_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch) -> None:
    from pathlib import Path

    from semcom.errors import SemcomError
    from semcom.systems import PointToPointJSCC
    from semcom.training.fit import fit
    from semcom.training.recipe import load_recipe

    rec = load_recipe({"name": "nan", "model": {"name": "djscc", "k": 16}},
                      ["data.dataset=embedded", "data.limit_train=64", "data.limit_val=16", "train.epochs=3",
                       "train.batch_size=32", f"train.out_dir={tmp_path}", "train.progress_bar=false"])
    calls = {"n": 0}
    original = PointToPointJSCC.forward

    def flaky(self, img, snr_db, generator=None):
        out = original(self, img, snr_db, generator)
        if self.training:
            calls["n"] += 1
            if calls["n"] > 3:  # epoch 0 (2 steps) and the first step of epoch 1 are fine
                return out * float("nan")
        return out

    monkeypatch.setattr(PointToPointJSCC, "forward", flaky)
    with pytest.raises(SemcomError, match=r"training loss became nan at epoch 1.*last good checkpoint"):
        fit(rec, quiet=True)
    ckpts = sorted(p.name for p in (Path(tmp_path) / "nan" / "checkpoints").iterdir())
    assert ckpts == ["epoch000.ckpt", "last.ckpt"]
    import json

    stop = json.loads((Path(tmp_path) / "nan" / "stopped.json").read_text())
    assert stop["epoch"] == 1 and stop["loss"] == "nan" and "last good checkpoint" in stop["message"]


@pytest.mark.parametrize("kind", ["point_to_point", "li2025_mumimo", "ldm_codec"])
def test_every_kind_draws_from_the_one_generator_rule(kind: str) -> None:
    """(seed, epoch, rank) -> generator, for every system kind's Lightning module: ranks and epochs differ,
    the same triple gives the same draws (what makes DDP noise independent and resume exact)."""
    from types import SimpleNamespace

    from semcom.systems import spec_for
    from semcom.training.base import epoch_seed

    model = {"point_to_point": {"name": "djscc", "k": 16, "hidden": [4, 8]},
             "li2025_mumimo": {"name": "mumimo_semcom", "variant": "djscc", "num_subcarriers": 32},
             "ldm_codec": {"name": "ldm_vae", "width": 32}}[kind]
    channel = {"name": "umi"} if kind == "li2025_mumimo" else {"name": "awgn"}
    recipe = to_dict(load_recipe({**BASE, "model": model, "channel": channel}))
    if kind == "li2025_mumimo":
        pytest.importorskip("sionna")
    spec = spec_for(recipe)
    assert spec.name == kind
    if kind == "ldm_codec":
        pytest.importorskip("diffusers")
    module = spec.module(recipe)

    def draws(rank: int, epoch: int) -> torch.Tensor:
        module._trainer = SimpleNamespace(global_rank=rank, current_epoch=epoch)  # type: ignore[assignment]
        module.on_train_epoch_start()
        g = module.generator
        assert g.initial_seed() == epoch_seed(0, epoch, rank, module.generator_stream)
        return torch.rand(8, generator=g)

    r0, r1, r0e1 = draws(0, 0), draws(1, 0), draws(0, 1)
    assert not torch.equal(r0, r1) and not torch.equal(r0, r0e1)
    assert torch.equal(draws(1, 0), r1)
    module._trainer = None
