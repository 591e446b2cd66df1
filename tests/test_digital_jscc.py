"""DT-JSCC (Xie et al., JSAC 2023): constellation symbols, hard decisions, index errors = the QAM symbol error
rate, the RIB term, training steps of both tasks, evaluation through `semcom eval`, bad options."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import semcom.channels as channels
from semcom.channels.digital import QAM_ORDERS, QAMModem, qam_symbol_error_rate
from semcom.cli import main
from semcom.errors import SemcomError
from semcom.models.dt_jscc import DTJSCC
from semcom.systems.digital_jscc import DigitalJSCC, rib_kl


def _system(order: int = 16, task: str = "classification", channel: str = "awgn", **kw: object) -> DigitalJSCC:
    torch.manual_seed(0)
    return DigitalJSCC(DTJSCC(order, task, latent_dim=8, width=8, **kw), channels.create(channel)).eval()  # type: ignore[arg-type]


@pytest.mark.parametrize("order", QAM_ORDERS[:3])
def test_every_sent_symbol_is_a_point_of_the_unit_energy_constellation(order: int) -> None:
    s = _system(order)
    img = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    x = s.transmit(img)
    assert x.shape == (16, 64) and x.dtype == torch.complex64
    pts = s.modem.points
    assert float((pts.abs() ** 2).mean()) == pytest.approx(1.0, abs=1e-6)  # Es of the constellation = 1
    dist = (x.unsqueeze(-1) - pts).abs().min(-1).values
    assert float(dist.max()) < 1e-6
    out = s.run(img, 300.0)  # no noise to speak of: every index arrives as sent
    assert torch.equal(out["received"], out["sent"]) and float(out["index_errors"].max()) == 0.0


@pytest.mark.parametrize("order,snr_db", [(4, 4.0), (16, 10.0), (16, 14.0), (64, 18.0)])
def test_index_error_rate_through_the_channel_is_the_qam_symbol_error_rate(order: int, snr_db: float) -> None:
    modem = QAMModem(order)
    n = 200_000
    idx = torch.randint(0, order, (n,), generator=torch.Generator().manual_seed(2))
    y = channels.create("awgn")(modem.modulate(idx), torch.tensor(snr_db), generator=torch.Generator().manual_seed(3))
    measured = float((modem.demodulate(y) != idx).float().mean())
    p = float(qam_symbol_error_rate(order, snr_db))
    assert abs(measured - p) < 4 * math.sqrt(p * (1 - p) / n) + 1e-4, (measured, p)
    assert float(modem.error_rates(snr_db).mean()) == pytest.approx(p, rel=1e-5)
    # through the system's own path: an untrained DT-JSCC uses some points more than others (corner points err
    # less than inner ones), so its index error rate is the usage-weighted mean of the per-point rates
    s = _system(order)
    img = torch.rand(512, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    out = s.run(img, snr_db, generator=torch.Generator().manual_seed(5))
    m = float(out["index_errors"].mean())
    count = out["sent"].numel()
    usage = torch.bincount(out["sent"].flatten(), minlength=order).double() / count
    expected = float((usage * s.modem.error_rates(snr_db)).sum())
    assert abs(m - expected) < 4 * math.sqrt(expected * (1 - expected) / count) + 1e-4, (m, expected)


def test_fading_errs_more_than_awgn_and_the_error_rate_falls_with_snr() -> None:
    s = _system(16, channel="rayleigh")
    img = torch.rand(256, 3, 32, 32, generator=torch.Generator().manual_seed(6))
    fading = [float(s.run(img, snr, generator=torch.Generator().manual_seed(7))["index_errors"].mean())
              for snr in (5.0, 15.0, 25.0)]
    assert fading[0] > fading[1] > fading[2]
    assert fading[1] > float(qam_symbol_error_rate(16, 15.0))


def test_rib_kl_is_log_m_minus_entropy() -> None:
    assert float(rib_kl(torch.zeros(2, 5, 16))) == pytest.approx(0.0, abs=1e-6)
    peaked = torch.full((2, 5, 16), -1e4)
    peaked[..., 3] = 0.0
    assert float(rib_kl(peaked)) == pytest.approx(math.log(16), abs=1e-4)


def test_straight_through_gradient_reaches_the_encoder_and_codebook() -> None:
    s = _system(16).train()
    img = torch.rand(8, 3, 32, 32)
    out = s.run(img, 10.0, generator=torch.Generator().manual_seed(0))
    (out["logits"].sum() + rib_kl(out["codeword_logits"])).backward()
    assert s.model.codebook.grad is not None and float(s.model.codebook.grad.abs().sum()) > 0
    first = next(s.model.encoder.parameters())
    assert first.grad is not None and float(first.grad.abs().sum()) > 0
    x = s.modem.modulate_onehot(s.choose(img, torch.Generator().manual_seed(1))[0]).detach()  # training: exact points
    assert float((x.unsqueeze(-1) - s.modem.points).abs().min(-1).values.max()) < 1e-6


def test_bad_codebook_sizes_and_options_are_refused() -> None:
    for bad in (8, 10, 32):
        with pytest.raises(SemcomError, match="not a supported modulation order"):
            DTJSCC(bad)
    with pytest.raises(SemcomError, match="expected one of"):
        QAMModem(8)
    with pytest.raises(SemcomError, match="task="):
        DTJSCC(16, task="segmentation")


RECIPE = ("name: {name}\nmodel: {{name: xie2023, codebook_size: 16, task: {task}, latent_dim: 8, width: 8, "
          "downsample: {ds}}}\nchannel: {{name: awgn}}\nsampler: {{name: dedicated, snr_db: 12.0}}\n"
          "data: {{dataset: embedded, limit_train: 64, limit_val: 32}}\n"
          "train: {{epochs: 1, batch_size: 32, out_dir: {out}, progress_bar: false, val_snr_db: [4.0, 12.0]}}\n")


@pytest.mark.parametrize("task,ds", [("classification", 2), ("reconstruction", 1)])
def test_a_training_run_and_its_evaluation(task: str, ds: int, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.format(name=f"dt_{task}", task=task, ds=ds, out=tmp_path / "runs"))
    assert main(["train", str(recipe)]) == 0
    ckpt = tmp_path / "runs" / f"dt_{task}" / "checkpoints" / "last.ckpt"
    assert main(["eval", str(ckpt), "--dataset", "embedded", "--snr", "0,20", "--channel", "awgn", "--channel",
                 "rayleigh", "--limit", "32", "--metrics", "psnr", "--no-plot", "--out", str(tmp_path),
                 "--name", "ev"]) == 0
    res = json.loads((tmp_path / "ev.json").read_text())
    assert {r["k"] for r in res["rows"]} == {64 if ds == 2 else 256}
    for r in res["rows"]:
        assert 0.0 <= r["index_error_rate"] <= 1.0 and r["num_images"] == 32
        assert (r.get("accuracy") is not None) == (task == "classification")
        assert (r["psnr"] is None) == (task == "classification")
    awgn = {r["snr_db"]: r["index_error_rate"] for r in res["rows"] if r["channel"] == "awgn"}
    assert awgn[20.0] < awgn[0.0]
    capsys.readouterr()
    assert main(["eval", str(ckpt), "--dataset", "embedded", "--snr-source", "pilot", "--out", str(tmp_path / "x")]) == 2
    assert "uses no SNR" in capsys.readouterr().err


def test_a_codebook_size_that_is_no_modulation_order_stops_train_with_one_line(tmp_path: Path,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(RECIPE.format(name="bad", task="classification", ds=2, out=tmp_path / "runs"))
    assert main(["train", str(recipe), "model.codebook_size=12"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "codebook_size=12" in err[0] and "modulation order" in err[0]
    assert not (tmp_path / "runs").exists()


def _result(values: dict[str, dict[float, tuple[float, float]]]) -> dict:
    rows = [{"model": m, "channel": "awgn", "csi": "-", "snr_db": s, "accuracy": a, "index_error_rate": e,
             "num_images": 1000} for m, by in values.items() for s, (a, e) in by.items()]
    return {"models": [{"label": m} for m in values], "rows": rows}


def test_modulation_policies_pick_by_measurement_and_by_tolerance() -> None:
    from semcom.evaluation.modulation import apply_policy, best_measured_policy, models_by_order, tolerance_policy

    sel = _result({"dt_jscc_cls_4qam": {0.0: (0.30, 0.30), 10.0: (0.40, 0.01), 20.0: (0.40, 0.0)},
                   "dt_jscc_cls_16qam": {0.0: (0.20, 0.70), 10.0: (0.45, 0.20), 20.0: (0.50, 0.0)},
                   "analog": {0.0: (0.9, None)}})
    orders = models_by_order(sel)
    assert orders == {4: "dt_jscc_cls_4qam", 16: "dt_jscc_cls_16qam"}
    best = best_measured_policy(sel, orders)
    assert best[("awgn", "-")] == {0.0: 4, 10.0: 16, 20.0: 16}
    policy, tol = tolerance_policy(sel, orders, delta=0.06)
    assert tol == {4: 0.01, 16: 0.20}  # 4-QAM within 6 points of 0.40 down to 10 dB; 16-QAM within 6 of 0.50
    assert policy[("awgn", "-")] == {0.0: 4, 10.0: 16, 20.0: 16}
    test = _result({"dt_jscc_cls_4qam": {0.0: (0.31, 0.3), 10.0: (0.41, 0.0), 20.0: (0.41, 0.0)},
                    "dt_jscc_cls_16qam": {0.0: (0.21, 0.7), 10.0: (0.44, 0.2), 20.0: (0.52, 0.0)}})
    out = apply_policy(test, best, orders)[("awgn", "-")]
    assert [out[s]["value"] for s in (0.0, 10.0, 20.0)] == [0.31, 0.44, 0.52]


@pytest.mark.parametrize("name", ["dt_jscc_cls_16qam", "dt_jscc_rec_16qam"])
def test_committed_digital_recipes_build_through_their_system_kind(name: str) -> None:
    from semcom.systems import spec_for
    from semcom.training.recipe import load_recipe, to_dict

    recipe = to_dict(load_recipe(Path(__file__).resolve().parents[1] / "configs" / "digital" / f"{name}.yaml"))
    spec = spec_for(recipe)
    assert spec.name == "xie2023_digital" and spec.evaluate_with == "semcom eval"
    system = spec.build(recipe)
    assert system.k == (64 if "cls" in name else 256) and system.modem.order == 16


def test_committed_models_reproduce_the_committed_accuracy(tmp_path: Path, cifar_root: Path) -> None:
    """The committed slim (float16) checkpoints give the committed test accuracy at 12 dB over AWGN (within the
    few images float16 weights may flip) and the committed index error rate."""
    root = Path(__file__).resolve().parents[1] / "results" / "digital_jscc"
    committed = json.loads((root / "test.json").read_text())
    want = {r["model"]: r for r in committed["rows"] if r["channel"] == "awgn" and r["snr_db"] == 12.0}
    names = ["dt_jscc_cls_4qam", "dt_jscc_cls_64qam"]
    assert main(["eval", *(str(root / "checkpoints" / f"{n}.ckpt") for n in names), "--snr", "12", "--limit", "2000",
                 "--metrics", "psnr", "--no-plot", "--root", str(cifar_root), "--out", str(tmp_path), "--name", "g"]) == 0
    got = {r["model"]: r for r in json.loads((tmp_path / "g.json").read_text())["rows"]}
    for n in names:
        assert got[n]["accuracy"] == pytest.approx(want[n]["accuracy"], abs=0.005), n
        assert got[n]["index_error_rate"] == pytest.approx(want[n]["index_error_rate"], abs=0.005), n
