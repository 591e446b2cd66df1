"""Li et al. 2025's MU-MIMO OFDM semantic system: shapes, parameter counts, power, a training step."""

import pytest
import torch

from semcom.channels.ofdm import OFDMGrid
from semcom.channels.tr38901 import MUMIMODownlinkChannel
from semcom.errors import SemcomError
from semcom.models.mumimo import count_parameters
from semcom.systems.mumimo import MUMIMOSemanticSystem


def _h(b, nf, k=4, m=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.complex(torch.randn(b, nf, 14, k, m, generator=g), torch.randn(b, nf, 14, k, m, generator=g)) / 2**0.5


@pytest.mark.parametrize("nf", [32, 64, 128])
@pytest.mark.parametrize("variant", ["full", "no_pilot", "rzf", "djscc"])
def test_shapes_through_the_whole_system(nf, variant) -> None:
    sys_ = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), nf, variant).eval()
    img = torch.rand(2, 4, 3, 32, 32)
    with torch.no_grad():
        out = sys_(img, torch.tensor([0.0, 10.0]), generator=torch.Generator().manual_seed(0), h=_h(2, nf))
    assert out["recon"].shape == (2, 4, 3, 32, 32) and out["logits"].shape == (2, 4, 10)
    assert out["x"].shape == (2, nf, 14, 4)
    p = out["x"].abs().pow(2).sum(-1).mean(dim=(1, 2))  # total power constraint after precoding
    assert torch.allclose(p, torch.ones(2), atol=1e-4)
    assert sys_.channel_uses_per_user == nf * 12


def test_decoder_is_lightweight() -> None:
    for nf in (32, 64, 128):
        sys_ = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), nf, "full")
        assert count_parameters(sys_.decoder) < 200_000  # the paper: 0.11 M


def test_learnable_alpha_stays_positive_and_training_step_runs() -> None:
    sys_ = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full")
    opt = torch.optim.Adam(sys_.parameters(), lr=1e-2)
    img = torch.rand(2, 4, 3, 32, 32)
    labels = torch.randint(0, 10, (2, 4))
    for step in range(3):
        out = sys_(img, torch.tensor([5.0, -5.0]), generator=torch.Generator().manual_seed(step), h=_h(2, 32, seed=step))
        loss = torch.nn.functional.mse_loss(out["recon"], img) + 0.1 * torch.nn.functional.cross_entropy(
            out["logits"].flatten(0, 1), labels.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert torch.isfinite(loss) and float(sys_.precoder.alpha) > 0


def test_pilots_are_in_the_grid_and_the_reference() -> None:
    sys_ = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full")
    grid = OFDMGrid(32, pilot_symbols="li2025", num_streams=4)
    assert grid.pilot_symbols == [2, 11] and sys_.pilot_ref.shape == (4, 2, 14, 32)
    nonzero = sys_.pilot_ref.abs().sum(dim=(1, 3)) > 0  # [K, T]
    assert nonzero[:, [2, 11]].all() and not nonzero[:, [0, 1, 3, 10, 12, 13]].any()
    with pytest.raises(SemcomError, match="variant 'best'"):
        MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "best")


def test_complexity_table(tmp_path) -> None:
    import json

    from semcom.cli import main

    assert main(["complexity", "--nf", "32", "--repeats", "2", "--out", str(tmp_path / "c.json")]) == 0
    res = json.loads((tmp_path / "c.json").read_text())
    assert [r["variant"] for r in res["rows"]] == ["full", "no_pilot", "rzf", "djscc"]
    full = res["rows"][0]
    assert full["decoder"]["parameters"] < 200_000 and full["decoder"]["median_ms"] > 0
    assert res["rows"][3]["decoder"]["parameters"] > full["decoder"]["parameters"]  # DJSCC's symmetric decoder is heavier


def test_mumimo_resume_after_epoch_one_equals_uninterrupted_run(tmp_path) -> None:
    import torch

    from semcom.checkpoint import read_checkpoint
    from semcom.cli import main
    from semcom.training.fit import fit
    from semcom.training.recipe import load_recipe

    assert main(["channels", "generate", "--scenario", "umi", "--nf", "32", "--n", "16",
                 "--out", str(tmp_path / "bank")]) == 0
    base = {"name": "full", "model": {"name": "mumimo_semcom", "variant": "djscc", "num_subcarriers": 32},
            "channel": {"name": "umi", "bank": str(tmp_path / "bank")},
            "sampler": {"name": "dlps", "snr_min_db": -5, "snr_max_db": 5},
            "data": {"dataset": "embedded", "limit_train": 64, "limit_val": 16},
            "train": {"epochs": 2, "batch_size": 16, "out_dir": str(tmp_path / "runs"), "progress_bar": False,
                      "val_snr_db": [0.0], "accelerator": "cpu"}}
    fit(load_recipe(base), quiet=True)
    fit(load_recipe(base, ["name=split", "train.epochs=1"]), quiet=True)
    fit(load_recipe(base, ["name=split"]), resume="auto", quiet=True)
    a = read_checkpoint(tmp_path / "runs" / "full" / "checkpoints" / "last.ckpt")["state_dict"]
    b = read_checkpoint(tmp_path / "runs" / "split" / "checkpoints" / "last.ckpt")["state_dict"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
