"""The robust deep JSCC survey: SNR conditioning, pilot SNR estimation, objectives, the KL regulariser, adversarial training,
the mismatch tool."""

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import semcom.models as M
from semcom.channels import AWGNChannel, BlockFadingChannel
from semcom.channels.snr_estimation import PilotSNREstimator, estimate_snr_db, pilot_sequence
from semcom.cli import main
from semcom.errors import SemcomError
from semcom.models.conditioning import CONDITIONERS, create_conditioning, per_sample_snr_db
from semcom.training.objectives import adversarial_delta, fisher_trace_classification, fisher_trace_reconstruction
from semcom.training.recipe import load_recipe

RECIPE = str(Path(__file__).resolve().parents[1] / "configs" / "robust" / "djscc_awgn_dedicated.yaml")


def _randomize(m: nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)


@pytest.mark.parametrize("name", ["af", "film", "hyper"])
def test_conditioning_changes_output_when_only_snr_changes(name: str) -> None:
    mod = create_conditioning(name, 8)
    _randomize(mod)
    x = torch.randn(3, 8, 4, 4)
    a, b = mod(x, torch.tensor([0.0, 0.0, 0.0])), mod(x, torch.tensor([20.0, 20.0, 20.0]))
    assert a.shape == x.shape and not torch.allclose(a, b)
    assert torch.allclose(mod(x, 5.0), mod(x, torch.full((3,), 5.0)))  # [] broadcasts like [B]


def test_disabled_conditioning_is_the_identity_path() -> None:
    x = torch.randn(2, 8, 4, 4)
    assert torch.equal(create_conditioning("none", 8)(x, torch.tensor([0.0, 20.0])), x)
    for name in ("film", "hyper"):  # fresh FiLM / hypernetwork modules start as the identity
        assert torch.allclose(create_conditioning(name, 8)(x, torch.tensor([0.0, 20.0])), x, atol=1e-6)
    plain, off = M.create("djscc", k=32), M.create("djscc", k=32, conditioning="none")
    assert plain.state_dict().keys() == off.state_dict().keys()  # old checkpoints load unchanged
    off.load_state_dict(plain.state_dict())
    img = torch.rand(2, 3, 32, 32)
    assert torch.equal(plain(img), off(img))


def test_conditioned_djscc_and_adjscc() -> None:
    img = torch.rand(2, 3, 32, 32)
    for model in (M.create("djscc", k=64, conditioning="af"), M.create("djscc", k=64, conditioning="hyper", snr_map=True),
                  M.create("adjscc", width=16)):
        _randomize(model)
        assert model.snr_conditioned
        a = model(img, torch.tensor([0.0, 0.0]))
        b = model(img, torch.tensor([20.0, 20.0]))
        assert a.shape == img.shape and not torch.allclose(a, b)
    adj = M.create("adjscc")
    assert adj.k == 512 and adj.bandwidth_ratio == pytest.approx(1 / 6)  # k/n = 1/6 on CIFAR-10 (c = 16)
    with pytest.raises(SemcomError, match="pass snr_db"):
        M.create("adjscc", width=8).encode(img)
    with pytest.raises(SemcomError, match="unknown SNR conditioning 'gate'"):
        M.create("djscc", k=32, conditioning="gate")
    assert set(CONDITIONERS) == {"none", "af", "film", "hyper"}


def test_per_sample_snr_of_per_symbol_snr() -> None:
    s = torch.tensor([[0.0, 0.0], [10.0, 10.0]])
    assert torch.allclose(per_sample_snr_db(s, 2), torch.tensor([0.0, 10.0]), atol=1e-5)


def test_pilot_snr_estimator_is_unbiased_at_10db_with_64_pilots() -> None:
    est = PilotSNREstimator(64)
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(4000, 16, dtype=torch.complex64)
    _, s_hat = est(AWGNChannel(), x, 10.0, generator=g)
    assert abs(float(s_hat.mean()) - 10.0) < 0.3
    assert 0.3 < float(s_hat.std()) < 1.5  # the spread of a 64-pilot estimate (about 0.6 dB)
    # block fading with perfect CSI: the estimate follows the effective SNR |h|^2 Es/N0 per sample
    ch = BlockFadingChannel(csi="perfect", equalizer="zf")
    y, info = ch(torch.cat([x[:500], pilot_sequence(64).expand(500, -1)], 1), 10.0, return_info=True,
                 generator=torch.Generator().manual_seed(1))
    true_eff = 10 + 10 * torch.log10(info["h"].abs().pow(2).reshape(-1))
    err = estimate_snr_db(y[:, 16:], pilot_sequence(64)) - true_eff
    assert abs(float(err.median())) < 0.3


def test_fisher_trace_matches_brute_force_kl_classification() -> None:
    torch.manual_seed(0)
    head = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 5))
    z = torch.randn(4, 6, requires_grad=True)
    sigma = 0.03
    tr = fisher_trace_classification(head(z), z)
    approx = sigma**2 / 2 * tr
    with torch.no_grad():
        logp = F.log_softmax(head(z), 1)
        kl = torch.zeros(4)
        n_mc = 20000
        for _ in range(10):
            noise = torch.randn(n_mc, 4, 6) * sigma
            logq = F.log_softmax(head(z[None] + noise), -1)
            kl += (logp.exp()[None] * (logp[None] - logq)).sum(-1).mean(0) / 10
    assert torch.allclose(approx.detach(), kl, rtol=0.1)


def test_fisher_trace_matches_brute_force_kl_reconstruction() -> None:
    torch.manual_seed(0)
    dec = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 10))
    z = torch.randn(3, 6, requires_grad=True)
    s, sigma = 0.2, 0.02
    out = dec(z)
    g = torch.Generator().manual_seed(3)
    tr = fisher_trace_reconstruction(out, z, s, probes=4000, generator=g)
    with torch.no_grad():  # KL(N(g(z), s^2) || N(g(z+n), s^2)) = ||g(z) - g(z+n)||^2 / (2 s^2)
        noise = torch.randn(20000, 3, 6) * sigma
        kl = ((dec(z[None] + noise) - dec(z)[None]).pow(2).sum(-1) / (2 * s * s)).mean(0)
    assert torch.allclose((sigma**2 / 2 * tr).detach(), kl, rtol=0.1)


def test_adversarial_delta_respects_budget_and_increases_loss() -> None:
    torch.manual_seed(0)
    dec = nn.Linear(8, 4)
    z = torch.randn(5, 8)
    target = torch.randn(5, 4)
    loss_of = lambda zz: F.mse_loss(dec(zz), target)  # noqa: E731
    delta = adversarial_delta(loss_of, z, eps=0.1, steps=5)
    assert (delta.norm(dim=1) <= 0.1 * z.norm(dim=1) + 1e-5).all()
    assert loss_of(z + delta) > loss_of(z)
    assert torch.equal(adversarial_delta(loss_of, z, eps=0.0, steps=2), torch.zeros_like(z))


@pytest.mark.parametrize("override, message", [
    ("robust.method=magic", "unknown robust.method 'magic'"),
    ("objective.lam=1.5", r"objective.lam=1.5; expected a value in \[0, 1\]"),
    ("robust.eps=-0.1", r"robust.eps=-0.1; expected a value in \[0, inf\]"),
    ("objective.lam=0.5", "objective.task is not set"),
])
def test_recipe_errors(override: str, message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        load_recipe(RECIPE, [override])


@pytest.mark.parametrize("extra", [
    ["objective.task=classification", "objective.lam=0.5"],
    ["objective.task=classification", "objective.lam=0.0", "robust.method=kl", "robust.beta=1.0"],
    ["robust.method=kl"],
    ["robust.method=adversarial", "robust.eps=0.2", "robust.steps=2"],
    ["model.conditioning=film", "model.snr_map=true", "system.snr_source=pilot", "sampler.name=dlps"],
    ["objective.recon=ssim"],
])
def test_short_training_runs(tmp_path, extra) -> None:
    from semcom.training.fit import fit

    rec = load_recipe(RECIPE,
                      ["data.dataset=embedded", "train.epochs=1", "train.limit_train_batches=2", "data.limit_val=16",
                       "train.batch_size=16", f"train.out_dir={tmp_path}", "train.progress_bar=false", "model.k=64",
                       *extra])
    summary = fit(rec, quiet=True)
    assert summary["epochs"] == 1
    assert all(torch.isfinite(torch.tensor(v)) for v in summary["val_psnr"].values())


def test_mismatch_tool(tmp_path, capsys) -> None:
    from semcom.training.fit import fit

    ckpts = []
    for name, extra in (("ded", []), ("clf", ["objective.task=classification", "objective.lam=0.5",
                                              "model.conditioning=af", "sampler.name=dlps"])):
        rec = load_recipe(RECIPE,
                          [f"name={name}", "data.dataset=embedded", "train.epochs=1", "train.limit_train_batches=1",
                           "data.limit_val=8", "train.batch_size=8", f"train.out_dir={tmp_path}",
                           "train.progress_bar=false", "model.k=32", *extra])
        ckpts.append(str(fit(rec, quiet=True)["last_checkpoint"]))
    rc = main(["mismatch", *ckpts, "--snr", "0,10", "--channel", "awgn", "--channel", "rayleigh", "--dataset", "embedded",
               "--limit", "8", "--metrics", "psnr", "--snr-source", "pilot", "--out", str(tmp_path), "--name", "mm"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "K = 32 channel uses per image" in out
    res = json.loads((tmp_path / "mm.json").read_text())
    assert set(res["grid"]) == {"psnr", "accuracy"}
    assert res["grid"]["psnr"]["awgn"]["snr_db"] == [0.0, 10.0]
    assert "rayleigh/perfect" in res["grid"]["psnr"]
    assert any("snr_est_mean_db" in r for r in res["rows"])
    assert (tmp_path / "mm.png").exists() and "Gap to the best model" in (tmp_path / "mm.md").read_text()


def test_reconstruction_only_objective_trains_the_head_as_a_probe() -> None:
    from semcom.systems.jscc import JSCCModule
    from semcom.training.recipe import to_dict

    base = ["data.dataset=embedded", "model.k=32", "robust.method=none"]
    probe = JSCCModule(to_dict(load_recipe(RECIPE, [*base, "objective.task=classification", "objective.lam=1.0"])))
    plain = JSCCModule(to_dict(load_recipe(RECIPE, [*base, "objective.recon=ssim"])))  # run() path, no head
    plain.recipe["objective"]["recon"] = "mse"
    plain.system.model.load_state_dict(probe.system.model.state_dict())
    img = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 3])
    probe.training_step((img, labels), 0).backward()
    plain.training_step((img, labels), 0).backward()
    assert probe.system.head.net[0].weight.grad.abs().sum() > 0  # the head learns
    for (n, a), (_, b) in zip(probe.system.model.named_parameters(), plain.system.model.named_parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-7), n  # the encoder/decoder see the reconstruction loss only


def test_robust_report_from_synthetic_results(tmp_path) -> None:

    def rows(model, f, channel="awgn", csi="-", extra=None):
        return [{"model": model, "channel": channel, "csi": csi, "snr_db": float(s), "psnr": f(s), **(extra or {})}
                for s in range(0, 21)]

    ded = {s: f"djscc_k512_snr{s}dB" for s in (1, 4, 7, 13, 19)}
    r = [row for s, m in ded.items() for row in rows(m, lambda x, s=s: 25 - 0.05 * (x - s) ** 2)]
    r += rows("adjscc_k512_w64", lambda x: 25.1) + rows("djscc_k512_mixture", lambda x: 24.5)
    models = [{"label": m} for m in [*ded.values(), "adjscc_k512_w64", "djscc_k512_mixture"]]
    (tmp_path / "adjscc_vs_dedicated.json").write_text(json.dumps({"rows": r, "models": models}))
    assert main(["report", "robust", str(tmp_path)]) == 0
    claims = json.loads((tmp_path / "claims.json").read_text())
    assert claims["adjscc_matches_or_beats_every_dedicated"] == "not resolved (no seed spread measured)"
    assert claims["single_model_minus_dedicated_at_its_snr_db"]["adjscc_k512_w64"]["1dB"] == pytest.approx(0.1)

    def spread(offsets, mix=24.5):  # other seeds of the 7 dB model and the mixture, offset from seed 0 by these amounts
        sr = [row for i, o in enumerate(offsets, 1) for row in
              rows(f"djscc_k512_snr7dB_seed{i}", lambda x, o=o: 25 - 0.05 * (x - 7) ** 2 + o)
              + rows(f"djscc_k512_mixture_seed{i}", lambda x, o=o: mix - o)]
        labels = sorted({x["model"] for x in sr})
        (tmp_path / "seed_spread.json").write_text(json.dumps({"rows": sr, "models": [{"label": m} for m in labels]}))
        assert main(["report", "robust", str(tmp_path)]) == 0
        return json.loads((tmp_path / "claims.json").read_text())

    tight = spread([0.01, -0.01])  # sigma ~ 0.01 dB: +0.1 and -0.5 dB gaps are resolved
    assert tight["seed_spread"]["dof"] == 4 and tight["seed_spread"]["half_width_db"] < 0.1
    assert tight["adjscc_matches_or_beats_every_dedicated"] == "holds"
    assert tight["mixture_loses_to_dedicated_at_matched_snr"] == "holds"
    wide = spread([0.4, -0.4])  # sigma ~ 0.4 dB: both are inside the noise
    assert wide["adjscc_matches_or_beats_every_dedicated"] == "not resolved"
    assert wide["mixture_loses_to_dedicated_at_matched_snr"] == "not resolved"
    assert "not resolved" in (tmp_path / "README.md").read_text()
    r2 = [x for x in r if x["model"] != "djscc_k512_mixture"] + rows("djscc_k512_mixture", lambda x: 26.0)
    (tmp_path / "adjscc_vs_dedicated.json").write_text(json.dumps({"rows": r2, "models": models}))
    assert spread([0.01, -0.01], mix=26.0)["mixture_loses_to_dedicated_at_matched_snr"] == "does not hold"  # +1 dB, resolved
