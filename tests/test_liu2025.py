"""Liu et al. 2025, part 1: CamVid / BDD100K data, the segmentation network, the semantic codecs and the 16-QAM
quantization layer, the SVD-precoded MIMO-OFDM uplink, the task-adaptive precoding W, the JSCC baseline, IoU and
the perceptual-metric plumbing, and a training step of every module."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from semcom.channels.svd_link import SVDPrecodedMIMO
from semcom.data import CAMVID, load_segmentation
from semcom.data.segmentation import resize_label
from semcom.errors import SemcomError
from semcom.metrics.perceptual import frechet_distance, lpips_from_features, perceptual_metrics
from semcom.metrics.segmentation import confusion_matrices, iou_from_confusion
from semcom.models.liu2025 import (
    QAM16_LEVELS,
    CompressedImageCodec,
    QAM16Quantizer,
    SegmentationMapCodec,
    TaskAdaptivePrecoder,
)
from semcom.models.segmentation import UNetSegmenter

K, L, D = 72, 14, 2


class RandomRayleigh:
    """i.i.d. CN(0, 1) 2x4 channels per resource element (a quick source for the link tests)."""

    def draw(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn((n, K, L, 2, 4, 2), generator=generator)
        return torch.view_as_complex(z / math.sqrt(2)).to(torch.complex64)


def qam16(shape: tuple[int, ...], g: torch.Generator) -> torch.Tensor:
    lv = QAM16_LEVELS
    return torch.complex(lv[torch.randint(0, 4, shape, generator=g)], lv[torch.randint(0, 4, shape, generator=g)])


# --- quantization layer ------------------------------------------------------------------------------------
def test_quantizer_outputs_only_16qam_points_unit_energy_and_passes_gradients() -> None:
    q = QAM16Quantizer()
    z = (torch.randn(4, 8, 6, 6) * 3).requires_grad_()
    x = q(z)
    assert x.dtype == torch.complex64 and x.shape == (4, 8 * 36 // 2)
    lv = QAM16_LEVELS
    assert torch.isin(x.real, lv).all() and torch.isin(x.imag, lv).all()
    points = torch.complex(lv[:, None].expand(4, 4), lv[None, :].expand(4, 4)).flatten()
    assert float(points.abs().pow(2).mean()) == pytest.approx(1.0, abs=1e-6)  # the constellation: unit average energy
    (x.real.sum() + 2 * x.imag.sum()).backward()
    assert z.grad is not None and bool((z.grad.abs() > 0).all())  # straight through the hard decision
    assert torch.equal(q.dequantize(x).reshape(4, -1)[:, 0::2], x.real)  # C2R inverts R2C
    assert torch.equal(QAM16Quantizer.decide(x + 0.05), x)


def test_codec_shapes_and_symbol_counts() -> None:
    se, co = SegmentationMapCodec(11, 128), CompressedImageCodec(32)
    assert se.num_symbols == 4096 and co.num_symbols == 4096  # N_se = N_co = 4,096 (Sec. IV-A)
    seg = torch.randint(0, 11, (2, 128, 128))
    assert se.encode(seg).shape == (2, 8, 32, 32) and se.decode(se.encode(seg)).shape == (2, 11, 128, 128)
    img = torch.rand(2, 3, 32, 32)
    assert co.decode(co.encode(img)).shape == (2, 3, 32, 32)
    assert SegmentationMapCodec(11, 128, "onehot").encode(seg).shape == (2, 8, 32, 32)
    # three 5x5 conv layers each with the paper's widths
    assert [m[0].out_channels for m in se.encoder] == [32, 64, 8]
    assert [m[0].out_channels for m in se.decoder] == [64, 32, 11]
    with pytest.raises(SemcomError, match="segmentation maps must be"):
        se.encode(torch.randint(0, 11, (2, 64, 64)))


# --- the SVD link ------------------------------------------------------------------------------------------
def test_svd_precoding_without_noise_returns_lambda_x_per_stream_ordered() -> None:
    g = torch.Generator().manual_seed(0)
    link = SVDPrecodedMIMO(RandomRayleigh(), equalizer="none")
    x = qam16((3, 2, K, L, D), g)
    out, info = link(x, 300.0, generator=g, return_info=True)  # N0 = 1e-30: no noise
    s = info["gains"]
    assert torch.allclose(out, s.to(out.dtype) * x, atol=1e-4)  # eq. 28: Lambda X
    assert bool((s[..., 0] >= s[..., 1]).all())  # stream 1 the strongest
    zf = SVDPrecodedMIMO(RandomRayleigh(), equalizer="zf")(x, 300.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(zf, x, atol=1e-3)


def test_combined_noise_has_the_requested_snr_per_stream() -> None:
    g = torch.Generator().manual_seed(1)
    link = SVDPrecodedMIMO(RandomRayleigh(), equalizer="none")
    x = qam16((8, 1, K, L, D), g)
    for snr in (0.0, 10.0):
        out, info = link(x, snr, generator=g, return_info=True)
        noise = out - info["gains"].to(out.dtype) * x
        assert float(noise.abs().pow(2).mean()) == pytest.approx(10 ** (-snr / 10), rel=0.03)  # U^H keeps CN(0, N0)


def test_stream_error_rates_follow_the_singular_values_and_fall_with_snr() -> None:
    link = SVDPrecodedMIMO(RandomRayleigh())
    g = torch.Generator().manual_seed(2)
    x = qam16((4, 2, K, L, D), g)
    ser = []
    for snr in (0.0, 10.0, 20.0):
        out = link(x, snr, generator=torch.Generator().manual_seed(3))
        wrong = (QAM16Quantizer.decide(out) != x).float()
        ser.append([float(wrong[..., 0].mean()), float(wrong[..., 1].mean())])
    assert all(s1 < s2 for s1, s2 in ser)  # the first subchannel is the better one
    assert ser[0][0] > ser[1][0] > ser[2][0]


def test_ls_estimate_at_5g_pilots_improves_with_snr_and_link_works_with_it() -> None:
    link = SVDPrecodedMIMO(RandomRayleigh(), csi="ls")
    assert link.pilot_grid is not None
    mask = link.pilot_grid.pilot_mask[0]  # [N_t, L, K]
    pil = (link.pilot_grid.pilot_grid()[0] != 0)
    assert pil.any(0).any(1).nonzero().flatten().tolist() == [0, 4, 9, 13]  # symbols 1, 5, 10, 14
    assert int(pil[0, 0].sum()) == 18 and pil[1, 0].nonzero().flatten()[:2].tolist() == [1, 5]  # comb, K_p = 18
    assert bool(mask.any())
    g = torch.Generator().manual_seed(4)
    # a smooth channel (one tap per antenna pair, constant over the slot) so that interpolation is exact
    h = torch.view_as_complex(torch.randn((6, 1, 1, 2, 4, 2), generator=g) / math.sqrt(2)).expand(6, K, L, 2, 4)
    nmse = []
    for snr in (0.0, 10.0, 20.0):
        no = torch.full((6,), 10 ** (-snr / 10))
        h_hat = link.estimate(h.contiguous(), no, g)
        nmse.append(float((h_hat - h).abs().pow(2).mean() / h.abs().pow(2).mean()))
    assert nmse[0] > nmse[1] > nmse[2] and nmse[2] < 0.01
    x = qam16((2, 1, K, L, D), g)
    out = link(x, 20.0, h=h[:2].contiguous().reshape(2, 1, K, L, 2, 4), generator=g)
    assert float((QAM16Quantizer.decide(out) != x).float().mean()) < 0.05


def test_user_estimator_plugs_in() -> None:
    seen: dict[str, Any] = {}

    def oracle_plus(y: torch.Tensor, noise_var: torch.Tensor, link: SVDPrecodedMIMO) -> torch.Tensor:
        seen["y"] = y.shape
        return seen["h"]

    link = SVDPrecodedMIMO(None, estimator=oracle_plus)
    h = RandomRayleigh().draw(2, torch.Generator().manual_seed(5))
    seen["h"] = h
    assert torch.equal(link.estimate(h, torch.ones(2)), h) and seen["y"] == (2, 2, L, K)


def test_adaptive_precoder_identity_reproduces_the_plain_svd_system() -> None:
    pre = TaskAdaptivePrecoder(K * L * D)
    assert sum(p.numel() for p in pre.parameters()) == 2 * 4032**2 + 4032  # 32.52 M (Table II)
    g = torch.Generator().manual_seed(6)
    x = qam16((2, 3, K * L * D), g)
    h = RandomRayleigh().draw(6, torch.Generator().manual_seed(7)).reshape(2, 3, K, L, 2, 4)
    link = SVDPrecodedMIMO(None)
    shape = (2, 3, K, L, D)
    with torch.no_grad():
        sent = pre.encode(x)
        plain = link(x.reshape(shape), 5.0, h=h, generator=torch.Generator().manual_seed(8))
        energy = x.abs().pow(2).sum(dim=(1, 2))
        both = []
        for i in range(2):  # per sample: W = I with the payload's own energy leaves the frames unchanged
            e = float(energy[i])
            xi = pre.encode(x[i:i + 1], energy=e)
            assert torch.allclose(xi, x[i:i + 1], atol=1e-5)
            rx = link(xi.reshape(1, *shape[1:]), 5.0, h=h[i:i + 1], generator=torch.Generator().manual_seed(9 + i))
            both.append(pre.decode(rx.reshape(1, 3, -1)))
        ref = [link(x[i:i + 1].reshape(1, *shape[1:]), 5.0, h=h[i:i + 1],
                    generator=torch.Generator().manual_seed(9 + i)).reshape(1, 3, -1) for i in range(2)]
    assert sent.shape == x.shape and plain.shape == shape
    for a, b in zip(both, ref):
        assert torch.allclose(a, b, atol=1e-5)


# --- the whole chain ---------------------------------------------------------------------------------------
def _model(**kw: Any) -> dict[str, Any]:
    return {"name": "liu2025_semantic", "num_classes": 11, "seg_size": 128, "image_size": 32, "frame_size": 128,
            "seg_input": "index", "allocation": "random", **kw}


def test_whole_chain_shapes_allocations_and_jscc() -> None:
    from semcom.systems.liu2025 import Liu2025JSCC, Liu2025System

    link = SVDPrecodedMIMO(RandomRayleigh())
    system = Liu2025System(_model(), UNetSegmenter(11, width=4, depth=2).eval(), link)
    img = torch.rand(2, 3, 128, 128)
    g = torch.Generator().manual_seed(0)
    assert system.num_symbols == 8192 and system.num_frames == 5
    assert system.segmenter is not None
    with torch.no_grad():
        want = system.segmenter(img).argmax(1)
    assert torch.equal(system.segment(img), want) and len(system._maps) == 2
    assert torch.equal(system.segment(img[[1, 0]]), want[[1, 0]]) and len(system._maps) == 2  # from the cache
    for alloc in ("semantic", "compress", "random"):
        out = system.run(img, 10.0, generator=torch.Generator().manual_seed(1), allocation=alloc)
        assert out["seg"].shape == (2, 128, 128) and out["seg_logits"].shape == (2, 11, 128, 128)
        assert out["image_co"].shape == out["image_co_hat"].shape == (2, 3, 32, 32)
        assert out["f_se"].shape == out["f_se_hat"].shape == out["f_co"].shape == (2, 4096)
        assert out["ser"].shape == (2,) and out["ser_stream"].shape == (2, 2)
    # Proposed-Semantic puts F_se on the strongest (resource element, stream) pairs, Proposed-Compress F_co
    h = RandomRayleigh().draw(10, g)
    gains = torch.linalg.svdvals(h)[..., :2].reshape(2, -1)
    order = system.order(gains, "semantic", None)
    assert float(gains[0, order[0, :4096]].min()) >= float(gains[0, order[0, 4096:8192]].max())
    # at a moderate SNR the prioritised payload arrives with fewer symbol errors
    sem = system.run(img, 0.0, generator=torch.Generator().manual_seed(2), allocation="semantic", h=h)
    com = system.run(img, 0.0, generator=torch.Generator().manual_seed(2), allocation="compress", h=h)

    def errors(out: dict[str, Any], key: str) -> float:
        return float((QAM16Quantizer.decide(out[f"{key}_hat"]) != out[key]).float().mean())

    assert errors(sem, "f_se") < errors(sem, "f_co") and errors(com, "f_co") < errors(com, "f_se")
    user = Liu2025System(_model(), lambda x: torch.zeros(x.shape[0], 128, 128, dtype=torch.long), link)
    assert bool((user.run(img, 10.0, generator=g)["seg"] == 0).all())  # any segmentation callable as f_seg
    adaptive = Liu2025System(_model(), None, link, TaskAdaptivePrecoder(K * L * D))
    out = adaptive.run(img, 10.0, generator=g, labels=torch.randint(0, 12, (2, 128, 128)))
    assert out["f_se_hat"].shape == (2, 4096) and bool(torch.isnan(out["ser_stream"]).all())
    jscc = Liu2025JSCC({"frame_size": 128, "symbols": 32768}, link)
    assert jscc.num_frames == 17
    out = jscc.run(img, 10.0, generator=g)
    assert out["recon"].shape == img.shape and out["k"] == 32768
    with pytest.raises(SemcomError, match="multiples of 512"):
        Liu2025JSCC({"frame_size": 128, "symbols": 1000}, link)


# --- data ---------------------------------------------------------------------------------------------------
def _camvid(root: Path, n: int = 2, size: tuple[int, int] = (480, 360)) -> Path:
    rng = np.random.default_rng(0)
    for split in ("train", "val", "test"):
        (root / split).mkdir(parents=True, exist_ok=True)
        (root / f"{split}annot").mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(root / split / f"f{i}.png")
            Image.fromarray(rng.integers(0, 12, (size[1], size[0]), dtype=np.uint8)).save(root / f"{split}annot" / f"f{i}.png")
    return root


def test_camvid_png_layout_sizes_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMCOM_CACHE", str(tmp_path / "cache"))
    root = _camvid(tmp_path / "camvid")
    ds = load_segmentation("camvid", root, "train", size=64)
    img, lab = ds[0]
    assert img.shape == (3, 64, 64) and img.dtype == torch.uint8 and lab.shape == (64, 64) and lab.dtype == torch.int64
    full = load_segmentation("camvid", root, "train", size=64, label_size="original")
    assert full[0][1].shape == (360, 480) and int(full[0][1].max()) <= 11
    assert CAMVID.colorize(full[0][1]).shape == (360, 480, 3)
    (root / "trainannot" / "f1.png").unlink()
    with pytest.raises(SemcomError, match=r"f1.png has no label file"):
        load_segmentation("camvid", root, "train")
    bad = _camvid(tmp_path / "bad")
    Image.fromarray(np.full((360, 480), 12, np.uint8)).save(bad / "valannot" / "f0.png")
    with pytest.raises(SemcomError, match=r"has value 12; expected class indices 0-10 and void 11"):
        load_segmentation("camvid", bad, "val")
    other = _camvid(tmp_path / "other", size=(240, 180))
    with pytest.raises(SemcomError, match=r"is 240x180; expected 480x360"):
        load_segmentation("camvid", other, "test")
    with pytest.raises(SemcomError, match="folders train/ and trainannot/"):
        load_segmentation("camvid", tmp_path / "nowhere", "train")


def test_bdd100k_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMCOM_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "bdd100k"
    (root / "images" / "10k" / "val").mkdir(parents=True)
    (root / "labels" / "sem_seg" / "masks" / "val").mkdir(parents=True)
    lab = np.zeros((72, 128), np.uint8)
    lab[:10] = 255  # void
    lab[10:20] = 18
    Image.fromarray(np.zeros((72, 128, 3), np.uint8)).save(root / "images" / "10k" / "val" / "a.jpg")
    Image.fromarray(lab).save(root / "labels" / "sem_seg" / "masks" / "val" / "a.png")
    ds = load_segmentation("bdd100k", root, "val", size=(64, 128), label_size="original")
    assert ds.classes.num_classes == 19 and ds.classes.void_index == 19
    assert set(ds[0][1].unique().tolist()) == {0, 18, 19}
    lab[0, 0] = 40
    Image.fromarray(lab).save(root / "labels" / "sem_seg" / "masks" / "val" / "a.png")
    with pytest.raises(SemcomError, match="has value 40"):
        load_segmentation("bdd100k", root, "val", size=64)


def test_shared_camvid_split_sizes() -> None:
    from semcom.data.segmentation import default_camvid_root

    if not default_camvid_root().is_dir():
        pytest.skip("the shared CamVid copy is not on this machine")
    assert len(load_segmentation("camvid", split="val")) == 101


# --- metrics ------------------------------------------------------------------------------------------------
def test_iou_matches_torchmetrics() -> None:
    from torchmetrics.classification import MulticlassJaccardIndex

    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 12, (3, 40, 50), generator=g)
    pred = torch.where(torch.rand(3, 40, 50, generator=g) < 0.6, target.clamp(max=10),
                       torch.randint(0, 11, (3, 40, 50), generator=g))
    conf = confusion_matrices(pred, target, 11, ignore_index=11)
    for avg in ("weighted", "macro"):
        ref = MulticlassJaccardIndex(num_classes=11, average=avg, ignore_index=11)(pred, target)
        assert float(iou_from_confusion(conf.sum(0), avg)) == pytest.approx(float(ref), abs=1e-6)
    per = iou_from_confusion(conf, "weighted")
    assert per.shape == (3,) and float(iou_from_confusion(confusion_matrices(target.clamp(max=10), target, 11, 11).sum(0))) == 1.0
    assert resize_label(target, (80, 100)).shape == (3, 80, 100)


def test_perceptual_metrics_are_skipped_without_standard_backbones_and_formulas_work() -> None:
    metrics, skipped = perceptual_metrics()
    for name in ("lpips", "fid"):
        assert name in metrics or "skipped" in skipped[name]
    # plumbing with a tiny stand-in backbone (never reported as LPIPS / FID)
    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU())
    a, b = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 16, 16)
    w = [torch.ones(8)]
    with torch.no_grad():
        fa, fb = [backbone(a)], [backbone(b)]
    assert torch.allclose(lpips_from_features(fa, fa, w), torch.zeros(4, dtype=torch.float64))
    assert bool((lpips_from_features(fa, fb, w) > 0).all())
    from torchmetrics.image.fid import FrechetInceptionDistance

    class Pool(torch.nn.Module):
        num_features = 8

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return backbone(x.float() / 255 if x.dtype == torch.uint8 else x).mean((2, 3))

    real, fake = torch.rand(64, 3, 16, 16), torch.rand(64, 3, 16, 16) * 0.5
    fid = FrechetInceptionDistance(feature=Pool(), normalize=True)
    fid.update(real, real=True)
    fid.update(fake, real=False)
    with torch.no_grad():
        ours = frechet_distance(Pool()(real), Pool()(fake))
    assert float(ours) == pytest.approx(float(fid.compute()), rel=1e-3, abs=1e-5)


# --- a training step of every module ---------------------------------------------------------------------
def _recipe(model: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    from semcom.training.recipe import load_recipe, to_dict

    return to_dict(load_recipe({"name": "t", "model": model, "channel": {"name": "awgn"},
                                "sampler": {"name": "dlps", "snr_min_db": -8, "snr_max_db": 20},
                                "data": {"dataset": "camvid", "size": 128},
                                "train": {"epochs": 1, "batch_size": 2, "out_dir": str(tmp_path)}}))


def _step(module: Any, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
    opt = module.configure_optimizers()
    loss = module.training_step(batch, 0)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


def test_training_step_of_each_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from semcom.systems.liu2025 import JSCCModule, PrecodingModule, SemanticModule
    from semcom.systems.segmentation import SegmentationModule

    monkeypatch.setattr(SemanticModule, "log_dict", lambda *a, **k: None)
    monkeypatch.setattr(PrecodingModule, "log_dict", lambda *a, **k: None)
    monkeypatch.setattr(JSCCModule, "log_dict", lambda *a, **k: None)
    monkeypatch.setattr(SegmentationModule, "log", lambda *a, **k: None)
    g = torch.Generator().manual_seed(0)
    batch = (torch.randint(0, 256, (2, 3, 128, 128), generator=g, dtype=torch.uint8),
             torch.randint(0, 12, (2, 128, 128), generator=g))
    link = {"regions": [1], "bank_dir": str(tmp_path / "banks"), "bank_size": 16}
    seg = SegmentationModule(_recipe({"name": "unet_segmentation", "width": 4, "depth": 2}, tmp_path))
    assert math.isfinite(_step(seg, batch))
    sem = SemanticModule(_recipe({"name": "liu2025_semantic", **link}, tmp_path))
    before = sem.system.seg_codec.encoder[0][0].weight.clone()
    assert math.isfinite(_step(sem, batch))
    assert not torch.equal(before, sem.system.seg_codec.encoder[0][0].weight)
    ckpt = tmp_path / "codecs.ckpt"
    torch.save({"state_dict": {f"system.{k}": v for k, v in sem.system.state_dict().items()},
                "hyper_parameters": {"recipe": sem.recipe}}, ckpt)
    pre = PrecodingModule(_recipe({"name": "liu2025_precoding", "codecs": str(ckpt), "beta": 10.0, **link}, tmp_path))
    frozen = pre.system.seg_codec.encoder[0][0].weight.clone()
    w0 = pre.system.precoder.weight.clone()
    assert math.isfinite(_step(pre, batch))
    assert torch.equal(frozen, pre.system.seg_codec.encoder[0][0].weight)  # the codecs stay as trained
    assert not torch.equal(w0, pre.system.precoder.weight)
    assert torch.equal(pre.system.seg_codec.encoder[0][0].weight, sem.system.seg_codec.encoder[0][0].weight)
    jscc = JSCCModule(_recipe({"name": "liu2025_jscc", "symbols": 2048, **link}, tmp_path))
    assert math.isfinite(_step(jscc, batch))


def test_committed_recipes_load_through_their_kinds() -> None:
    from semcom.systems import spec_for
    from semcom.training.recipe import load_recipe, to_dict

    paths = sorted((Path(__file__).resolve().parents[1] / "configs" / "liu2025").glob("*.yaml"))
    assert len(paths) >= 4
    kinds = set()
    for p in paths:
        r = to_dict(load_recipe(p))
        assert r["name"] == p.stem
        kinds.add(spec_for(r).name)
    assert kinds == {"segmentation", "liu2025_semantic", "liu2025_precoding", "liu2025_jscc"}


def _save(module_state: dict[str, Any], recipe: dict[str, Any], path: Path, prefix: str, **extra: Any) -> Path:
    torch.save({"state_dict": {f"{prefix}.{k}": v for k, v in module_state.items()},
                "hyper_parameters": {"recipe": recipe, **extra}, "epoch": 1, "global_step": 1}, path)
    return path


def test_liu2025_cli_end_to_end_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`semcom liu2025` on tiny checkpoints of every kind (built, not trained) and a synthetic CamVid folder: the
    result rows, per-image samples, grid and the report."""
    from semcom.cli import main
    from semcom.evaluation.results import read_results
    from semcom.systems.liu2025 import JSCCModule, PrecodingModule, SemanticModule
    from semcom.systems.segmentation import SegmentationModule

    monkeypatch.setenv("SEMCOM_CACHE", str(tmp_path / "cache"))
    root = _camvid(tmp_path / "camvid", n=3)
    banks = str(tmp_path / "banks")
    link = {"regions": [1], "bank_dir": banks, "bank_size": 16}
    seg = SegmentationModule(_recipe({"name": "unet_segmentation", "width": 4, "depth": 2}, tmp_path))
    seg_ckpt = _save(seg.net.state_dict(), seg.recipe, tmp_path / "seg.ckpt", "net")
    sem = SemanticModule(_recipe({"name": "liu2025_semantic", "segmenter": str(seg_ckpt), **link}, tmp_path))
    sem_ckpt = _save(sem.system.state_dict(), sem.recipe, tmp_path / "sem.ckpt", "system")
    pre = PrecodingModule(_recipe({"name": "liu2025_precoding", "codecs": str(sem_ckpt), "beta": 0.1, **link}, tmp_path))
    pre_ckpt = _save(pre.system.state_dict(), pre.recipe, tmp_path / "pre.ckpt", "system",
                     codecs_model=sem.recipe["model"])
    seg_ckpt.unlink()  # loading needs only each checkpoint itself
    jscc = JSCCModule(_recipe({"name": "liu2025_jscc", "symbols": 2048, **link}, tmp_path))
    jscc_ckpt = _save(jscc.system.state_dict(), jscc.recipe, tmp_path / "jscc.ckpt", "system")
    out = tmp_path / "out"
    code = main(["liu2025", "--semantic", str(sem_ckpt), "--precoding", str(pre_ckpt), "--jscc", str(jscc_ckpt),
                 "--snr", "-8,20", "--csi", "perfect", "--csi", "ls", "--root", str(root), "--bank-dir", banks,
                 "--test-bank-size", "8", "--batch-size", "2", "--per-image", "--grid-snr", "-8", "--out", str(out),
                 "--name", "test"])
    assert code == 0
    res = read_results(out / "test.json")
    labels = {r["model"] for r in res["rows"]}
    assert labels == {"JSCC", "Proposed-Semantic", "Proposed-Compress", "Adaptive beta=0.1"}
    assert len(res["rows"]) == 4 * 2 * 2 and all(r["num_images"] == 3 for r in res["rows"])
    assert all(0.0 <= r["iou_labels"] <= 1.0 and r["ser"] is not None for r in res["rows"])
    assert "skipped" in json_text(res["perceptual"]) or res["perceptual"].startswith("LPIPS")
    samples = np.load(out / "test.per_image.npz")
    assert samples["Proposed-Semantic|region1|ls|-8|psnr"].shape == (3,)
    assert (out / "test_grid.png").stat().st_size > 0 and (out / "test.png").stat().st_size > 0
    assert main(["report", "liu2025", str(out)]) == 0
    text = (out / "README.md").read_text()
    assert "The paper's statements, decided here" in text and (out / "claims.json").exists()


def json_text(v: Any) -> str:
    import json

    return json.dumps(v)
