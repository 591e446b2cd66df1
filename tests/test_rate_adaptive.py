"""Rate-adaptive deep JSCC: PADC-style prefix truncation (CR = 1 is the full model, channel uses scale with CR
exactly, unit energy over what is sent), the learned rate policy (reported channel uses = what was sent, the
gradient reaches the policy), the oracles, bad options, training steps and `semcom rate`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import semcom.channels as channels
from semcom.cli import main
from semcom.errors import SemcomError
from semcom.evaluation.rate import interpolate, objective, oracle_lagrangian, oracle_target
from semcom.models.djscc import DeepJSCC
from semcom.systems.jscc import PointToPointJSCC
from semcom.systems.rate_adaptive import (
    RatePolicyJSCC,
    VariableLengthJSCC,
    check_cr,
    prefix_mask,
    symbols_for,
)

IMG = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))


def _backbone(k: int = 128, conditioning: str = "film") -> DeepJSCC:
    torch.manual_seed(0)
    return DeepJSCC(k, 32, 3, (8, 8), adapter="none", conditioning=conditioning)


def test_symbols_for_is_exact_on_multiples_of_one_over_k_and_ceil_elsewhere() -> None:
    k = 512
    for j in range(1, k + 1):
        assert int(symbols_for(j / k, k)) == j
    cr = torch.tensor([0.1, 0.25, 0.333, 1.0])
    assert symbols_for(cr, k).tolist() == [math.ceil(0.1 * k), 128, math.ceil(0.333 * k), 512]
    assert int(symbols_for(1e-6, k)) == 1
    m = prefix_mask(torch.tensor([1, 3]), 4)
    assert m.tolist() == [[1, 0, 0, 0], [1, 1, 1, 0]]


def test_cr_one_is_the_full_model() -> None:
    """The variable-length system at CR = 1 is the point-to-point deep JSCC of the same weights, draw for draw."""
    model = _backbone()
    var = VariableLengthJSCC(model, channels.create("awgn")).eval()
    full = PointToPointJSCC(model, channels.create("awgn")).eval()
    snr = torch.full((8,), 7.0)
    a = var.run(IMG, snr, generator=torch.Generator().manual_seed(3), cr=1.0)
    b = full.run(IMG, snr, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(a["recon"], b["recon"], atol=1e-6)
    assert torch.allclose(a["z_rx"], b["z_rx"], atol=1e-5)
    assert a["k_sent"].tolist() == [128.0] * 8


@pytest.mark.parametrize("channel", ["awgn", "rayleigh"])
def test_channel_uses_scale_with_cr_and_only_the_prefix_is_sent_with_unit_energy(channel: str) -> None:
    s = VariableLengthJSCC(_backbone(), channels.create(channel)).eval()
    for cr in (0.1, 0.25, 0.5, 0.75, 1.0):
        out = s.run(IMG, 10.0, generator=torch.Generator().manual_seed(1), cr=cr)
        k_sent = math.ceil(cr * 128 - 1e-9)
        assert out["k_sent"].tolist() == [float(k_sent)] * 8
        sent = out["sent"]
        assert int((sent.abs() > 0).sum(1).max()) == k_sent == int((sent.abs() > 0).sum(1).min())
        energy = sent.abs().pow(2).sum(1) / k_sent
        assert torch.allclose(energy, torch.ones(8), atol=1e-5)
        assert float(out["z_rx"].detach().reshape(8, 128, 2)[:, k_sent:].abs().sum()) == 0.0  # nothing beyond it
    # per-image CRs: each image sends its own prefix
    out = s.run(IMG, 10.0, cr=torch.linspace(0.125, 1.0, 8))
    assert out["k_sent"].tolist() == [16.0 * (i + 1) for i in range(8)]
    assert (out["sent"].abs() > 0).sum(1).tolist() == [16 * (i + 1) for i in range(8)]


def test_training_draws_the_cr_per_image_in_its_range() -> None:
    s = VariableLengthJSCC(_backbone(), channels.create("awgn"), cr_min=0.5).train()
    out = s.run(torch.rand(256, 3, 32, 32), 10.0, generator=torch.Generator().manual_seed(2))
    k = out["k_sent"]
    assert float(k.min()) >= 64 and float(k.max()) <= 128 and len(set(k.tolist())) > 20


def _policy(train: bool = False) -> RatePolicyJSCC:
    p = RatePolicyJSCC(_backbone(), channels.create("awgn"), groups=8, always_sent=2, policy_hidden=16, tau=1.0)
    with torch.no_grad():  # a policy that spreads its choices over the batch
        p.policy[-1].weight.normal_(0, 3.0, generator=torch.Generator().manual_seed(4))
    return p.train(train)


@pytest.mark.parametrize("train", [False, True])
def test_the_policys_reported_channel_uses_are_what_was_sent(train: bool) -> None:
    p = _policy(train)
    img = torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    out = p.run(img, torch.linspace(0, 20, 64), generator=torch.Generator().manual_seed(6))
    sent_count = (out["sent"].abs() > 0).sum(1)
    assert torch.equal(sent_count.double(), out["k_sent"])
    assert torch.equal(out["k_sent"], (out["groups_sent"] * 16).double())
    assert int(out["groups_sent"].min()) >= 2 and int(out["groups_sent"].max()) <= 8
    assert len(set(out["groups_sent"].tolist())) > 1
    assert torch.allclose(out["rate"].detach(), out["k_sent"].float() / 128)
    energy = out["sent"].abs().pow(2).sum(1) / out["k_sent"]
    assert torch.allclose(energy.float(), torch.ones(64), atol=1e-5)


def test_the_rate_gradient_reaches_the_policy_and_the_backbone() -> None:
    p = _policy(True)
    out = p.run(IMG, torch.full((8,), 5.0), generator=torch.Generator().manual_seed(7))
    loss = torch.nn.functional.mse_loss(out["recon"], IMG) + 0.01 * out["rate"].mean()
    loss.backward()
    assert all(q.grad is not None and float(q.grad.abs().sum()) > 0 for q in p.policy.parameters())
    assert float(p.model.encoder[0][0].weight.grad.abs().sum()) > 0


def test_the_expected_loss_is_the_policy_weighted_loss_of_each_choice_on_one_channel_draw() -> None:
    from semcom.systems.rate_adaptive import expected_choice_loss

    p = _policy(True)
    snr = torch.full((8,), 6.0)
    loss, parts = expected_choice_loss(p, IMG, snr, 0.01, torch.Generator().manual_seed(8))
    p.eval()
    mse = []
    for n in range(p.choices):  # each choice decoded at a fixed rate with the same draw
        p.use_rate((p.always_sent + n) / p.groups)
        out = p.run(IMG, snr, generator=torch.Generator().manual_seed(8))
        mse.append((out["recon"] - IMG).pow(2).flatten(1).mean(1))
    probs = parts["probs"]
    rates = (p.always_sent + torch.arange(p.choices)) / p.groups
    expected = (probs * torch.stack(mse, 1)).sum(1).mean() + 0.01 * (probs * rates).sum(1).mean()
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    loss.backward()
    assert all(q.grad is not None and float(q.grad.abs().sum()) > 0 for q in p.policy.parameters())


def test_fixed_rates_of_a_policy_model_are_whole_groups() -> None:
    p = _policy()
    p.use_rate(0.5)
    out = p.run(IMG, 10.0)
    assert out["k_sent"].tolist() == [64.0] * 8 and out["groups_sent"].tolist() == [4] * 8
    with pytest.raises(SemcomError, match="whole number of this model's 8 groups"):
        p.use_rate(0.3)
    p.use_rate(None)
    assert "rate_logits" in p.run(IMG, 10.0)


@pytest.mark.parametrize("cr", [0.0, -0.1, 1.5, float("nan"), True])
def test_a_cr_outside_zero_one_is_refused_with_one_line(cr: float) -> None:
    with pytest.raises(SemcomError, match=r"expected a fraction of the channel uses sent in \(0, 1\]"):
        check_cr(cr)
    s = VariableLengthJSCC(_backbone(), channels.create("awgn"))
    with pytest.raises(SemcomError, match="CR="):
        s.use_rate(cr)


def test_bad_group_options_are_refused() -> None:
    with pytest.raises(SemcomError, match="groups=5; expected a positive divisor of K = 128"):
        RatePolicyJSCC(_backbone(), channels.create("awgn"), groups=5)
    with pytest.raises(SemcomError, match="always_sent=8"):
        RatePolicyJSCC(_backbone(), channels.create("awgn"), groups=8, always_sent=8)


def test_oracles_and_interpolation() -> None:
    psnr = torch.tensor([[18.0, 21.0, 25.0], [19.0, 23.0, 26.0], [20.0, 24.0, 27.0]])  # rates x images
    ks = torch.tensor([[64.0] * 3, [96.0] * 3, [128.0] * 3])
    p, k, met = oracle_target(psnr, ks, 22.0)
    assert p.tolist() == [20.0, 23.0, 25.0] and k.tolist() == [128.0, 96.0, 64.0] and met.tolist() == [False, True, True]
    # lam = 0: the most channel uses; a huge lam: the fewest
    assert oracle_lagrangian(psnr, ks, 128, 0.0)[1].tolist() == [128.0] * 3
    assert oracle_lagrangian(psnr, ks, 128, 10.0)[1].tolist() == [64.0] * 3
    chosen_p, chosen_k = oracle_lagrangian(psnr, ks, 128, 1e-3)
    for i in range(3):  # the chosen rate is the per-image minimum of the objective
        costs = [objective(psnr[r, i:i + 1], ks[r, i:i + 1], 128, 1e-3) for r in range(3)]
        assert objective(chosen_p[i:i + 1], chosen_k[i:i + 1], 128, 1e-3) == pytest.approx(min(costs))
    assert interpolate(psnr, [64.0, 96.0, 128.0], 80.0).tolist() == [18.5, 22.0, 25.5]
    assert interpolate(psnr, [64.0, 96.0, 128.0], 200.0) is None


RECIPES = {
    "padc": ("name: padc\nmodel: {{name: zhang2023_padc, k: 128, hidden: [8, 8], cr_min: 0.25, val_cr: [0.5, 1.0]}}\n"),
    "policy": ("name: policy\nmodel: {{name: yang2022_rate, k: 128, hidden: [8, 8], groups: 4, always_sent: 1, "
               "policy_hidden: 8, lam: 0.01, init_from: {init}}}\n"),
    "policy_expected": ("name: policy_expected\nmodel: {{name: yang2022_rate, k: 128, hidden: [8, 8], groups: 4, "
                        "always_sent: 1, policy_hidden: 8, lam: 0.01, estimator: expected, train_backbone: false, "
                        "init_from: {init}}}\n"),
    "dedicated": "name: dedicated\nmodel: {{name: djscc, k: 64, hidden: [8, 8], adapter: none, conditioning: film}}\n",
}
COMMON = ("channel: {{name: awgn}}\nsampler: {{name: dlps, snr_min_db: 0.0, snr_max_db: 20.0}}\n"
          "data: {{dataset: embedded, limit_train: 64, limit_val: 16}}\n"
          "train: {{epochs: 1, batch_size: 32, out_dir: {out}, progress_bar: false, val_snr_db: [5.0]}}\n")


def _train(tmp_path: Path, which: str) -> Path:
    recipe = tmp_path / f"{which}.yaml"
    init = tmp_path / "runs" / "padc" / "checkpoints" / "last.ckpt"
    recipe.write_text((RECIPES[which] + COMMON).format(out=tmp_path / "runs", init=init))
    assert main(["train", str(recipe)]) == 0
    return tmp_path / "runs" / which / "checkpoints" / "last.ckpt"


def test_training_runs_and_semcom_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    padc, policy, dedicated = (_train(tmp_path, w) for w in ("padc", "policy", "dedicated"))
    # the frozen backbone of the expected-loss policy is the variable-length model's, unchanged
    from semcom.checkpoint import read_checkpoint, sub_state

    frozen = sub_state(read_checkpoint(_train(tmp_path, "policy_expected"))["state_dict"], "system.model")
    start = sub_state(read_checkpoint(padc)["state_dict"], "system.model")
    assert all(torch.equal(frozen[k], start[k]) for k in start if start[k].is_floating_point())
    # the policy started from the variable-length model's backbone
    assert main(["rate", str(padc), str(policy), str(dedicated), "--dataset", "embedded", "--limit", "16",
                 "--snr", "0,10", "--cr", "0.25:1:0.25", "--targets", "12,14", "--out", str(tmp_path / "ev"),
                 "--name", "r"]) == 0
    res = json.loads((tmp_path / "ev" / "r.json").read_text())
    assert (tmp_path / "ev" / "r.png").is_file() and (tmp_path / "ev" / "r.csv").is_file()
    rows = res["rows"]
    fixed = [r for r in rows if r["model"] == "padc" and r["policy"] == "fixed"]
    assert sorted({(r["cr"], r["k"]) for r in fixed}) == [(0.25, 32), (0.5, 64), (0.75, 96), (1.0, 128)]
    learned = [r for r in rows if r["policy"] == "learned"]
    assert len(learned) == 2 and all(sum(r["groups_histogram"].values()) == 16 for r in learned)
    for r in learned:
        mean_k = sum(int(g) * 32 * n for g, n in r["groups_histogram"].items()) / 16
        assert r["k"] == pytest.approx(mean_k)
    assert {r["policy"] for r in rows} == {"fixed", "learned", "dedicated", "oracle_target", "oracle_hull", "oracle_lagrangian"}
    for r in rows:
        if r["policy"] == "oracle_lagrangian":
            pol = next(x for x in learned if x["snr_db"] == r["snr_db"])
            assert r["objective"] <= pol["objective"] + 1e-12  # the oracle is the bound of the policy's objective
    assert any(c["reference"] == "dedicated K = 64" for c in res["comparisons"])
    assert "dedicated" in capsys.readouterr().out
    # the report of a results folder holding this evaluation
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "test.json").write_text((tmp_path / "ev" / "r.json").read_text())
    assert main(["rate", str(dedicated), str(dedicated), "--label", "dedicated", "--label", "dedicated_seed1",
                 "--dataset", "embedded", "--limit", "16", "--snr", "0,10", "--out", str(folder), "--name", "seeds",
                 "--no-plot"]) == 0  # a "second seed" that is the same model: zero spread
    assert main(["report", "rate_adaptive", str(folder)]) == 0
    readme = (folder / "README.md").read_text()
    for heading in ("## 1. One model for every rate", "## 2. The PSNR oracle", "## 3. The learned rate policy",
                    "More channel uses at low SNR?"):
        assert heading in readme
    claims = json.loads((folder / "claims.json").read_text())
    assert set(claims["policy"]["policy"]) == {"0", "10"}
    assert claims["more_at_low_snr"]["policy"]["verdict"] in ("holds", "does not hold", "not resolved")
    assert claims["seed_spread_db"] == {"64": {"0": 0.0, "10": 0.0}}
    # semcom eval reports the channel uses actually sent
    assert main(["eval", str(padc), "--dataset", "embedded", "--limit", "16", "--snr", "5", "--metrics", "psnr",
                 "--no-plot", "--out", str(tmp_path / "e")]) == 0
    assert json.loads((tmp_path / "e" / "eval.json").read_text())["rows"][0]["k"] == 128
    capsys.readouterr()
    assert main(["rate", str(padc), "--dataset", "embedded", "--cr", "0:1:0.5", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cr value=0.0" in err[0] and "(0, 1]" in err[0]
    assert not (tmp_path / "bad").exists()


def test_a_bad_cr_min_stops_train_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "padc.yaml"
    recipe.write_text((RECIPES["padc"] + COMMON).format(out=tmp_path / "runs"))
    assert main(["train", str(recipe), "model.cr_min=1.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.cr_min=1.5" in err[0]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name", ["zhang2023_padc_k512", "yang2022_rate_k512", "djscc_film_k512"])
def test_committed_rate_recipes_build_through_their_system_kind(name: str) -> None:
    from semcom.systems.registry import spec_for
    from semcom.training.recipe import load_recipe, to_dict

    recipe = to_dict(load_recipe(Path(__file__).resolve().parents[1] / "configs" / "rate" / f"{name}.yaml"))
    assert recipe["name"] == name
    spec = spec_for(recipe)
    system = spec.build(recipe)
    assert system.k == recipe["model"]["k"]
    assert spec.name == {"zhang2023_padc_k512": "zhang2023_padc", "yang2022_rate_k512": "yang2022_rate"}.get(
        name, "point_to_point")
