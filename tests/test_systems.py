"""The systems registry and extension without editing semcom: dispatch by recipe, typed sections, one loader,
a user's own model by class path (trained with ``semcom train``, evaluated with ``semcom eval``), entry points."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from semcom.cli import main
from semcom.errors import SemcomError
from semcom.registry import Registry, check_contract, import_object
from semcom.systems import SYSTEMS, check_section, describe, spec_for
from semcom.training.recipe import load_recipe, to_dict

USER_MODEL = textwrap.dedent('''
    """A user's JSCC model in a module outside semcom: nothing but the contract."""
    import torch
    from torch import nn


    class TinyLinearJSCC(nn.Module):
        def __init__(self, k: int = 16, size: int = 32):
            super().__init__()
            self.k = k
            self.enc = nn.Linear(3 * size * size, 2 * k)
            self.dec = nn.Linear(2 * k, 3 * size * size)

        def encode(self, img):
            return self.enc(img.flatten(1))

        def decode(self, z, image_size):
            h, w = image_size
            return torch.sigmoid(self.dec(z)).reshape(-1, 3, h, w)


    class NoDecoder(nn.Module):
        def __init__(self, k: int = 4):
            super().__init__()
            self.k = k

        def encode(self, img):
            return img.flatten(1)[:, : 2 * self.k]
''')


@pytest.fixture()
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    pkg = tmp_path / "userpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(USER_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "userpkg.models"
    for name in [m for m in sys.modules if m.startswith("userpkg")]:
        del sys.modules[name]


def test_each_kind_dispatches_by_model_name() -> None:
    assert spec_for({"model": {"name": "djscc"}}).name == "point_to_point"
    assert spec_for({"model": {"class_path": "x.Y"}}).name == "point_to_point"
    assert spec_for({"model": {"name": "mumimo_semcom"}}).name == "li2025_mumimo"
    assert spec_for({"model": {"name": "ldm_vae"}}).name == "ldm_codec"
    assert spec_for({"model": {"name": "ldm_denoiser"}}).name == "ldm_denoiser"
    assert {"point_to_point", "li2025_mumimo", "ldm_codec", "ldm_denoiser"} <= set(SYSTEMS.names())
    assert SYSTEMS.get("mumimo") is SYSTEMS.get("li2025_mumimo")  # alias
    assert len(describe()) >= 4


def test_typed_sections_reject_unknown_keys_and_bad_types() -> None:
    with pytest.raises(SemcomError, match="unknown key 'model.variantt' for system 'li2025_mumimo'"):
        load_recipe({"model": {"name": "mumimo_semcom", "variantt": "full"}, "channel": {"name": "umi"}})
    with pytest.raises(SemcomError, match="bad value for 'model.width' of system 'ldm_codec'"):
        load_recipe({"model": {"name": "ldm_vae", "width": "wide"}})
    ok = check_section({"model": {"name": "ldm_vae", "width": 32}})
    assert ok["width"] == 32 and ok["kl_weight"] == 1e-4  # defaults of the typed section
    with pytest.raises(SemcomError, match="not both"):
        load_recipe({"model": {"name": "djscc", "class_path": "a.B"}})


def test_systems_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    assert "li2025_mumimo (model.name: mumimo_semcom; evaluated with `semcom mumimo`)" in out
    assert "point_to_point" in out


def test_wrong_kind_of_checkpoint_names_its_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = {"name": "m", "model": {"name": "mumimo_semcom", "num_subcarriers": 32}, "channel": {"name": "umi"},
              "train": {"epochs": 1}}
    torch.save({"state_dict": {}, "hyper_parameters": {"recipe": recipe}}, tmp_path / "m.ckpt")
    assert main(["eval", str(tmp_path / "m.ckpt"), "--dataset", "embedded", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'li2025_mumimo' system" in err[0] and "semcom mumimo" in err[0]


def test_a_users_model_trains_from_a_recipe_and_evaluates(tmp_path: Path, user_module: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(
        f"name: mine\nmodel: {{class_path: {user_module}.TinyLinearJSCC, k: 8}}\nchannel: {{name: awgn}}\n"
        "sampler: {name: dlps}\ndata: {dataset: embedded, limit_train: 64, limit_val: 16}\n"
        f"train: {{epochs: 1, batch_size: 32, accelerator: cpu, out_dir: {tmp_path / 'runs'}, progress_bar: false,"
        " val_snr_db: [10.0]}\n")
    assert main(["train", str(recipe)]) == 0
    summary = json.loads((tmp_path / "runs" / "mine" / "summary.json").read_text())
    assert summary["system"] == "point_to_point" and summary["k"] == 8 and summary["train_images"] == 64
    ckpt = tmp_path / "runs" / "mine" / "checkpoints" / "last.ckpt"
    assert main(["eval", str(ckpt), "--dataset", "embedded", "--split", "test", "--limit", "20", "--snr", "0,10",
                 "--metrics", "psnr", "--no-plot", "--out", str(tmp_path), "--name", "mine"]) == 0
    res = json.loads((tmp_path / "mine.json").read_text())
    assert [r["k"] for r in res["rows"]] == [8, 8] and all(r["psnr"] > 5 for r in res["rows"])
    assert res["models"][0]["model"]["class_path"] == f"{user_module}.TinyLinearJSCC"
    assert res["command"].startswith("semcom eval ")


def test_bad_class_paths_get_one_line(tmp_path: Path, user_module: str) -> None:
    base = {"channel": {"name": "awgn"}}
    from semcom.systems.jscc import build_point_to_point

    cases = [
        ({"class_path": "nopkg_xyz.models.Model"}, "module 'nopkg_xyz.models' does not import"),
        ({"class_path": f"{user_module}.Missing"}, "has no attribute 'Missing'"),
        ({"class_path": f"{user_module}.NoDecoder"}, "missing decode"),
        ({"class_path": f"{user_module}.TinyLinearJSCC", "kk": 3}, "has no option 'kk'"),
        ({"class_path": "Model"}, "not of the form package.module.Name"),
    ]
    for model, message in cases:
        with pytest.raises(SemcomError, match=message):
            build_point_to_point(to_dict(load_recipe({**base, "model": model})))


def test_contract_checker_names_every_missing_member() -> None:
    class Half:
        k = 3

        def encode(self, img: Any) -> Any:
            return img

    with pytest.raises(SemcomError, match="missing decode, n"):
        check_contract(Half(), "Half", ("encode", "decode"), ("k", "n"), "test")
    assert import_object("semcom.models.DeepJSCC").__name__ == "DeepJSCC"
    assert import_object("semcom.models:DeepJSCC").__name__ == "DeepJSCC"


def test_entry_points_are_discovered_on_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md

    class FakeEP:
        name, value = "thirdparty_thing", "pkg:Thing"

        def load(self) -> Any:
            return lambda **kw: ("built", kw)

    def fake_entry_points(group: str) -> list[FakeEP]:
        return [FakeEP()] if group == "semcom.test" else []

    monkeypatch.setattr(md, "entry_points", fake_entry_points)
    reg: Registry[Any] = Registry("thing", entry_points="semcom.test")
    assert reg.create("thirdparty_thing", a=1) == ("built", {"a": 1})
    with pytest.raises(SemcomError, match="unknown thing 'other'"):
        reg.get("other")
