"""The task-adaptive semantic image transmission of Liu, Jiang, Wang, Wen, Jin and Zhang 2025, part 1: the
semantic layer (segmentation map + compressed image, 16-QAM quantization), the SVD-precoded MIMO-OFDM uplink,
the task-adaptive precoding W (eqs. 30-32), and the JSCC baseline (Bourtsoulatze et al. 2019 on the full
frame, 4x the symbols, same quantization and link).

Pipeline of one frame S (float [B, 3, H, W], H = W = ``frame_size``, 128 on CPU where the paper uses 512):

* S_se = f_seg(S): the segmentation network's class map at ``seg_size`` (128 x 128; the paper's psi(f_seg(S)));
  S_co = psi(S): S area-averaged to ``image_size`` (32 x 32);
* F_se = Q(f_se,en(S_se)), F_co = Q(f_co,en(S_co)): 4,096 16-QAM symbols each (Q: :class:`QAM16Quantizer`);
* the 8,192 symbols fill ceil(8,192 / 2,016) = 5 frames of K x L x D = 72 x 14 x 2 resource elements and
  streams (1,888 left empty), sent over the SVD link (:class:`~semcom.channels.svd_link.SVDPrecodedMIMO`) in one
  of these allocations, all chosen from the CSI the transmitter has:
    - ``semantic`` (Proposed-Semantic): F_se on the 4,096 strongest (resource element, stream) pairs of the
      five frames by singular value, F_co on the next;
    - ``compress`` (Proposed-Compress): F_co on the strongest, F_se next;
    - ``random``: each symbol on a uniformly drawn pair (what the codecs are trained with, so that both
      variants use the same codecs: the paper trains each module independently);
    - ``adaptive`` (Sec. III-D): [F_se, F_co] in order in the frames, W applied to each frame, power
      normalised to the payload's energy, then V; f_Pre after U^H and equalization;
* F^_se, F^_co -> C2R -> f_se,de, f_co,de -> S^_se (logits [B, C, 128, 128]) and S^_co (float [B, 3, 32, 32]).

The JSCC baseline sends Q(f_jscc,en(S)) (32,768 16-QAM symbols = 4 x 8,192, 17 frames, in order) and
decodes the full frame.

Noise convention: :mod:`semcom.channels.svd_link` (SNR = Es/N0 per stream before precoding, unit-energy
16-QAM; stream n sees s_n^2 times that SNR).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.channels.core import snr_db_to_noise_var
from semcom.channels.linklevel import UPLINK_REGIONS, uplink_region
from semcom.channels.svd_link import SVDPrecodedMIMO, broadcast_snr
from semcom.channels.tr38901 import ChannelBank
from semcom.checkpoint import load_state, read_checkpoint, sub_state
from semcom.data import SEGMENTATION_DATASETS
from semcom.errors import SemcomError
from semcom.metrics import psnr_per_image
from semcom.metrics.segmentation import confusion_matrices, iou_from_confusion
from semcom.models.djscc import DeepJSCC
from semcom.models.liu2025 import CompressedImageCodec, QAM16Quantizer, SegmentationMapCodec, TaskAdaptivePrecoder
from semcom.systems.registry import SystemSpec, register_system
from semcom.training.base import TrainModule, build_sampler, to_float

ALLOCATIONS = ("semantic", "compress", "random", "adaptive")
MAP_CACHE = 20_000  # f_seg maps kept per system (uint8: 16 kB each at 128 x 128)


@dataclass
class LinkSection:
    """The MIMO-OFDM link of a recipe's ``model`` section (shared by the three kinds)."""

    regions: list[int] = field(default_factory=lambda: [1, 2, 3, 4])  # Table I regions of the training channels
    bank_dir: str = "banks/liu2025"  # where the training channel banks are generated (once) and read
    bank_size: int = 1024  # slots per region
    bank_seed: int = 0
    csi: str = "perfect"  # perfect | ls (5G pilots, Sionna LS + linear interpolation)
    equalizer: str = "mmse"  # mmse | zf
    frame_size: int = 128  # full-frame resolution (the paper: 512)
    num_classes: int = 11
    segmenter: Optional[str] = None  # f_seg checkpoint (kind 'segmentation'); null: the labels are S_se


@dataclass
class SemanticSection(LinkSection):
    """``liu2025_semantic``: the two semantic codecs (eqs. 13, 14), trained through the link."""

    name: str = "liu2025_semantic"
    seg_size: int = 128
    image_size: int = 32
    seg_input: str = "index"  # index (the paper's 1 x 128 x 128 map) | onehot
    allocation: str = "random"  # the allocation during training: random | semantic | compress
    mse_weight: float = 1.0  # weight of the compressed-image MSE (14) beside the map's cross-entropy (13)


@dataclass
class PrecodingSection(LinkSection):
    """``liu2025_precoding``: W and f_Pre (eq. 32) on the frozen codecs of a ``liu2025_semantic`` checkpoint."""

    name: str = "liu2025_precoding"
    codecs: str = ""  # the liu2025_semantic checkpoint whose codecs (and f_seg) are used, frozen
    beta: float = 1.0  # weight of the compressed-image features' MSE


@dataclass
class JSCCSection(LinkSection):
    """``liu2025_jscc``: the JSCC baseline (Bourtsoulatze CNN on the full frame, 16-QAM, SVD link)."""

    name: str = "liu2025_jscc"
    symbols: int = 32768  # 16-QAM symbols per frame: 4 x (N_se + N_co)


def _check_link(m: dict[str, Any]) -> None:
    regions = list(m.get("regions", [1, 2, 3, 4]))
    if not regions or any(r not in UPLINK_REGIONS for r in regions):
        raise SemcomError(f"model.regions={regions!r}; expected a non-empty list of Table I regions 1-4")
    if int(m.get("bank_size", 1024)) < 1:
        raise SemcomError(f"model.bank_size={m.get('bank_size')}; expected a positive number of slots")
    if m.get("csi", "perfect") not in ("perfect", "ls"):
        raise SemcomError(f"model.csi={m.get('csi')!r}; expected 'perfect' or 'ls'")
    if int(m.get("frame_size", 128)) % 4:
        raise SemcomError(f"model.frame_size={m.get('frame_size')}; expected a multiple of 4")


class BankMixture:
    """Slots drawn uniformly over several channel banks (one per region): ``draw(n, generator)`` ->
    H [n, K, L, N_r, N_t], each slot from a uniformly chosen bank, at a uniformly chosen index."""

    def __init__(self, banks: list[ChannelBank]) -> None:
        self.banks = banks

    def draw(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        pick = torch.randint(0, len(self.banks), (n,), generator=generator)
        out = None
        for i, bank in enumerate(self.banks):
            sel = (pick == i).nonzero().flatten()
            if sel.numel() == 0:
                continue
            h = bank.draw(int(sel.numel()), generator)
            if out is None:
                out = torch.empty((n, *h.shape[1:]), dtype=h.dtype)
            out[sel] = h
        assert out is not None
        return out


def region_bank(region: int, bank_dir: str | Path, n: int, seed: int, split: str = "train") -> ChannelBank:
    """The channel bank of a Table I region (generated on first use, ~1 ms per slot on a CPU)."""
    path = Path(bank_dir) / f"region{region}-{split}-n{n}-seed{seed}"
    want = uplink_region(region).describe()
    if (path / "meta.json").exists():
        return ChannelBank.open(path, expect={k: want[k] for k in ("model", "delay_spread_s", "speed_mps")})
    return ChannelBank.generate(path, uplink_region(region), n, batch_size=128, seed=seed)


def build_link(m: dict[str, Any], split: str = "train", regions: list[int] | None = None,
               seed: int | None = None, n: int | None = None) -> SVDPrecodedMIMO:
    _check_link(m)
    regions = list(regions if regions is not None else m.get("regions", [1, 2, 3, 4]))
    seed = int(m.get("bank_seed", 0)) if seed is None else seed
    n = int(m.get("bank_size", 1024)) if n is None else n
    banks = [region_bank(r, m.get("bank_dir", "banks/liu2025"), n, seed + 1000 * r, split) for r in regions]
    return SVDPrecodedMIMO(BankMixture(banks), num_streams=2, csi=m.get("csi", "perfect"),
                           equalizer=m.get("equalizer", "mmse"))


def _load_segmenter(path: str | None, state: dict[str, Any] | None = None, num_classes: int = 11) -> nn.Module | None:
    """f_seg from its checkpoint; when rebuilding a trained system whose checkpoint holds f_seg's weights
    (``state``: its ``segmenter.*`` entries), the network is rebuilt from them and the file is not needed."""
    if not path:
        return None
    if state:
        from semcom.models.segmentation import UNetSegmenter

        depth = len({k.split(".")[1] for k in state if k.startswith("down.")}) - 1
        net: nn.Module = UNetSegmenter(num_classes, 3, int(state["down.0.0.weight"].shape[0]), depth)
        load_state(net, state, "the checkpoint's f_seg weights do not match a U-Net segmenter")
        net.eval()
    else:
        from semcom.systems.registry import load

        net = load(path)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def frames_for(num_symbols: int, frame_symbols: int) -> int:
    return math.ceil(num_symbols / frame_symbols)


class _CallableSegmenter(nn.Module):
    """A user's segmentation callable (e.g. a Mask2Former wrapper) as f_seg: frames [B, 3, H, W] in [0, 1] ->
    logits [B, C, H, W] or class maps [B, H, W]."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, img: Tensor) -> Tensor:
        return self.fn(img)  # type: ignore[no-any-return]


class Liu2025System(nn.Module):
    """The semantic system (module docstring): segmenter (frozen, optional: a module or any callable returning
    logits or class maps, e.g. a user's Mask2Former), codecs, quantizer, optional W, link.

    ``run(img, snr_db, generator=None, labels=None, allocation=None)``: img float [B, 3, frame, frame] in [0, 1];
    labels int64 [B, frame, frame] (used as S_se when there is no segmenter); snr_db [] or [B]. Returns a dict:
    ``seg`` (S_se, int64 [B, 128, 128]), ``seg_logits`` [B, C, 128, 128], ``image_co`` (S_co) and ``image_co_hat``
    [B, 3, 32, 32], ``f_se``/``f_se_hat``/``f_co``/``f_co_hat`` (complex [B, 4096]), ``ser`` (float [B], the
    payload's 16-QAM decisions), ``ser_stream`` (float [B, D], per stream; NaN for ``adaptive``).
    """

    def __init__(self, m: dict[str, Any], segmenter: Any, link: SVDPrecodedMIMO,
                 precoder: TaskAdaptivePrecoder | None = None) -> None:
        super().__init__()
        if segmenter is not None and not isinstance(segmenter, nn.Module):
            if not callable(segmenter):
                raise SemcomError(f"segmenter {segmenter!r} is not callable; expected frames [B, 3, H, W] -> logits "
                                  "[B, C, H, W] or class maps [B, H, W]")
            segmenter = _CallableSegmenter(segmenter)
        self.segmenter = segmenter
        self.seg_codec = SegmentationMapCodec(int(m.get("num_classes", 11)), int(m.get("seg_size", 128)),
                                              m.get("seg_input", "index"))
        self.image_codec = CompressedImageCodec(int(m.get("image_size", 32)))
        self.quantizer = QAM16Quantizer()
        self.precoder = precoder
        self.link = link
        self.frame_size = int(m.get("frame_size", 128))
        self.allocation = "adaptive" if precoder is not None else m.get("allocation", "random")
        self._maps: dict[bytes, Tensor] = {}
        if self.allocation not in ALLOCATIONS:
            raise SemcomError(f"allocation {self.allocation!r}; expected one of {', '.join(ALLOCATIONS)}")
        self.recipe: dict[str, Any] = {}

    def train(self, mode: bool = True) -> Liu2025System:
        super().train(mode)
        if self.segmenter is not None:
            self.segmenter.eval()  # frozen: batch norm statistics too
        return self

    @property
    def num_symbols(self) -> int:
        return self.seg_codec.num_symbols + self.image_codec.num_symbols

    def segment(self, img: Tensor) -> Tensor:
        """f_seg's class maps int64 [B, H, W]. f_seg is frozen, so the maps of frames already seen are kept (keyed
        by a hash of the frame's values, at most ``MAP_CACHE`` frames): training epochs over a few hundred frames
        then run f_seg once per frame instead of once per epoch."""
        assert self.segmenter is not None
        keys = [hashlib.blake2b(x.detach().cpu().numpy().tobytes(), digest_size=16).digest() for x in img]
        todo = [i for i, k in enumerate(keys) if k not in self._maps]
        if todo:
            with torch.no_grad():
                out = self.segmenter(img[todo])
            maps = (out.argmax(1) if out.ndim == 4 else out.long()).to(torch.uint8).cpu()
            for i, m in zip(todo, maps):
                if len(self._maps) < MAP_CACHE:
                    self._maps[keys[i]] = m
            fresh = dict(zip(todo, maps))
        else:
            fresh = {}
        return torch.stack([fresh[i] if i in fresh else self._maps[k] for i, k in enumerate(keys)]).long().to(img.device)

    @property
    def num_frames(self) -> int:
        return frames_for(self.num_symbols, self.link.frame_symbols)

    def sources(self, img: Tensor, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(S_se int64 [B, seg, seg], S_co float [B, 3, s, s]) of frames img [B, 3, frame, frame]."""
        if img.ndim != 4 or tuple(img.shape[1:]) != (3, self.frame_size, self.frame_size):
            raise SemcomError(f"frames must be [B, 3, {self.frame_size}, {self.frame_size}], got {list(img.shape)}")
        size = self.seg_codec.size
        if self.segmenter is not None:
            seg = self.segment(img)
        elif labels is not None:
            seg = labels.clone()
            seg[seg >= self.seg_codec.num_classes] = 0  # void: any class at the input, ignored by the loss
        else:
            raise SemcomError("this Liu2025 system has no segmenter: pass the label maps as S_se")
        if seg.shape[-1] != size:
            seg = F.interpolate(seg[:, None].float(), size=(size, size), mode="nearest-exact")[:, 0].long()
        s = self.image_codec.size
        co = F.adaptive_avg_pool2d(img, (s, s)) if img.shape[-1] != s else img
        return seg, co

    def order(self, gains: Tensor, allocation: str, generator: torch.Generator | None) -> Tensor:
        """Resource-element order [B, F KLD] the payload fills (first = first payload symbol)."""
        b, n = gains.shape[0], gains[0].numel()
        if allocation in ("semantic", "compress"):
            return torch.argsort(gains.reshape(b, n), dim=1, descending=True, stable=True)
        if allocation == "random":
            keys = torch.rand((b, n), generator=generator, device=generator.device if generator else None)
            return torch.argsort(keys.to(gains.device), dim=1)
        return torch.arange(n, device=gains.device).expand(b, n)

    def run(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
            labels: Tensor | None = None, allocation: str | None = None,
            h: Tensor | None = None) -> dict[str, Any]:
        alloc = allocation or self.allocation
        if alloc == "adaptive" and self.precoder is None:
            raise SemcomError("allocation 'adaptive' needs the task-adaptive precoder (a liu2025_precoding checkpoint)")
        seg, co = self.sources(img, labels)
        f_se = self.quantizer(self.seg_codec.encode(seg))
        f_co = self.quantizer(self.image_codec.encode(co))
        b, n_se, n_co = img.shape[0], f_se.shape[1], f_co.shape[1]
        payload = torch.cat([f_co, f_se] if alloc == "compress" else [f_se, f_co], dim=1)
        link, nf = self.link, self.num_frames
        total = nf * link.frame_symbols
        if h is None:
            h = link.draw(b * nf, generator).to(img.device)
        h = h.reshape(b, nf, *h.shape[-4:])
        snr = broadcast_snr(snr_db, b, img.device)
        h_hat = link.estimate(h.reshape(b * nf, *h.shape[-4:]), snr_db_to_noise_var(snr).repeat_interleave(nf), generator)
        shape = (b, nf, link.num_subcarriers, link.num_ofdm_symbols, link.num_streams)
        block = torch.zeros((b, total), dtype=payload.dtype, device=payload.device)
        if alloc == "adaptive":
            assert self.precoder is not None
            block[:, : payload.shape[1]] = payload
            frames = self.precoder.encode(block.reshape(b, nf, link.frame_symbols), energy=float(payload.shape[1]))
            rx = link(frames.reshape(shape), snr, h=h, h_hat=h_hat, generator=generator)
            got = self.precoder.decode(rx.reshape(b, nf, link.frame_symbols)).reshape(b, total)[:, : payload.shape[1]]
        else:
            order = self.order(link.gains(h_hat).reshape(b, total), alloc, generator)[:, : payload.shape[1]]
            rx = link(block.scatter(1, order, payload).reshape(shape), snr, h=h, h_hat=h_hat, generator=generator)
            got = rx.reshape(b, total).gather(1, order)
        wrong = (QAM16Quantizer.decide(got.detach()) != payload.detach()).float()
        if alloc == "adaptive":  # the resource elements carry mixtures of symbols: no stream to attribute
            ser_stream = torch.full((b, link.num_streams), float("nan"), device=img.device)
        else:
            stream = order % link.num_streams
            ser_stream = torch.stack([(wrong * (stream == d)).sum(1) / (stream == d).sum(1).clamp_min(1)
                                      for d in range(link.num_streams)], dim=1)
        if alloc == "compress":
            f_co_hat, f_se_hat = got[:, :n_co], got[:, n_co:]
        else:
            f_se_hat, f_co_hat = got[:, :n_se], got[:, n_se:]
        seg_logits = self.seg_codec.decode(QAM16Quantizer.dequantize(f_se_hat))
        co_hat = self.image_codec.decode(QAM16Quantizer.dequantize(f_co_hat))
        ser = wrong.mean(1)
        return {"seg": seg, "seg_logits": seg_logits, "image_co": co, "image_co_hat": co_hat, "f_se": f_se,
                "f_se_hat": f_se_hat, "f_co": f_co, "f_co_hat": f_co_hat, "ser": ser, "ser_stream": ser_stream,
                "k": self.num_symbols}


class Liu2025JSCC(nn.Module):
    """The JSCC baseline: :class:`~semcom.models.djscc.DeepJSCC` (fully convolutional, the paper's ref. [8]) on the
    full frame, its latent quantized to 16-QAM (``symbols`` per frame), sent in order over the SVD link.

    ``run(img, snr_db, generator=None)``: img float [B, 3, frame, frame] -> dict ``recon`` (same shape),
    ``ser`` [B], ``ser_stream`` [B, D], ``k``.
    """

    def __init__(self, m: dict[str, Any], link: SVDPrecodedMIMO) -> None:
        super().__init__()
        size, symbols = int(m.get("frame_size", 128)), int(m.get("symbols", 32768))
        per_symbol_plane = (size // 4) ** 2 // 2
        if symbols % per_symbol_plane:
            raise SemcomError(f"model.symbols={symbols}: the fully convolutional JSCC at {size} x {size} carries "
                              f"multiples of {per_symbol_plane} symbols ({size // 4} x {size // 4} latent positions)")
        self.model = DeepJSCC(symbols, image_size=size, adapter="none")
        self.quantizer = QAM16Quantizer()
        self.link = link
        self.frame_size, self.symbols = size, symbols
        self.recipe: dict[str, Any] = {}

    @property
    def num_frames(self) -> int:
        return frames_for(self.symbols, self.link.frame_symbols)

    def run(self, img: Tensor, snr_db: Tensor | float, generator: torch.Generator | None = None,
            labels: Tensor | None = None, allocation: str | None = None, h: Tensor | None = None) -> dict[str, Any]:
        b, link, nf = img.shape[0], self.link, self.num_frames
        x = self.quantizer(self.model.encode(img))
        total = nf * link.frame_symbols
        block = torch.zeros((b, total), dtype=x.dtype, device=x.device)
        block[:, : self.symbols] = x
        shape = (b, nf, link.num_subcarriers, link.num_ofdm_symbols, link.num_streams)
        h_in = None if h is None else h.reshape(b, nf, *h.shape[-4:])
        rx = link(block.reshape(shape), snr_db, h=h_in, generator=generator).reshape(b, total)[:, : self.symbols]
        recon = self.model.decode(QAM16Quantizer.dequantize(rx))
        wrong = (QAM16Quantizer.decide(rx.detach()) != x.detach()).float()
        stream = torch.arange(self.symbols, device=x.device) % link.num_streams
        ser_stream = torch.stack([wrong[:, stream == d].mean(1) for d in range(link.num_streams)], dim=1)
        return {"recon": recon, "ser": wrong.mean(1), "ser_stream": ser_stream, "k": self.symbols}


# --- builders ------------------------------------------------------------------------------------------
def _section(recipe: dict[str, Any], cls: Any) -> dict[str, Any]:
    m = {**asdict(cls()), **recipe["model"]}
    _check_link(m)
    return m


def build_semantic(recipe: dict[str, Any], state: dict[str, Any] | None = None) -> Liu2025System:
    m = _section(recipe, SemanticSection)
    if m["allocation"] not in ("random", "semantic", "compress"):
        raise SemcomError(f"model.allocation={m['allocation']!r}; expected 'random', 'semantic' or 'compress'")
    if m["seg_input"] not in ("index", "onehot"):
        raise SemcomError(f"model.seg_input={m['seg_input']!r}; expected 'index' or 'onehot'")
    seg_state = sub_state(state, "segmenter") if state else None
    return Liu2025System(m, _load_segmenter(m["segmenter"], seg_state, int(m["num_classes"])), build_link(m))


def build_precoding(recipe: dict[str, Any], state: dict[str, Any] | None = None) -> Liu2025System:
    """The precoding system. Training reads the codecs from ``model.codecs``; rebuilding a trained one
    (``state``: its checkpoint's system entries) needs no other file."""
    m = _section(recipe, PrecodingSection)
    if not m["codecs"]:
        raise SemcomError("model.codecs is empty; give the liu2025_semantic checkpoint whose codecs W is trained for")
    if not float(m["beta"]) >= 0:
        raise SemcomError(f"model.beta={m['beta']}; expected a non-negative weight")
    if state is None:
        info = read_checkpoint(m["codecs"])
        codec_m, st = dict(info["recipe"]["model"]), sub_state(info["state_dict"], "system")
    else:
        codec_m, st = dict(m["codecs_model"]), state
    if codec_m.get("name") != "liu2025_semantic":
        raise SemcomError(f"model.codecs={m['codecs']} is a {codec_m.get('name')!r} checkpoint; expected liu2025_semantic")
    merged = {**_section({"model": codec_m}, SemanticSection), **{k: m[k] for k in LinkSection.__dataclass_fields__
                                                                  if k not in ("segmenter", "num_classes", "frame_size")}}
    link = build_link(merged)
    seg_state = sub_state(st, "segmenter") or None
    system = Liu2025System(merged, _load_segmenter(codec_m.get("segmenter"), seg_state, int(merged["num_classes"])),
                           link, TaskAdaptivePrecoder(link.frame_symbols))
    for part in ("seg_codec", "image_codec"):
        load_state(getattr(system, part), sub_state(st, part), f"{m['codecs']}: its {part} does not match its recipe")
    for name, p in system.named_parameters():
        p.requires_grad_(name.startswith("precoder."))
    return system


def build_jscc(recipe: dict[str, Any], state: dict[str, Any] | None = None) -> Liu2025JSCC:
    m = _section(recipe, JSCCSection)
    return Liu2025JSCC(m, build_link(m))


# --- training ----------------------------------------------------------------------------------------------
class _Liu2025Module(TrainModule):
    generator_stream = 40404
    generator_on_cpu = True  # the channel banks and their draws live on the CPU

    def __init__(self, recipe: dict[str, Any], system: nn.Module) -> None:
        super().__init__(recipe)
        if recipe["data"]["dataset"] not in SEGMENTATION_DATASETS:
            raise SemcomError(f"the Liu et al. 2025 systems train on driving frames ({', '.join(SEGMENTATION_DATASETS)}); "
                              f"data.dataset is {recipe['data']['dataset']!r}")
        self.system: Any = system
        self.sampler = build_sampler(recipe)
        classes = SEGMENTATION_DATASETS[recipe["data"]["dataset"]]
        self.void = classes.void_index
        n = int(recipe["model"].get("num_classes", 11))
        if n != classes.num_classes:
            raise SemcomError(f"model.num_classes={n}, but {classes.name} has {classes.num_classes} classes; set "
                              f"model.num_classes={classes.num_classes}")
        self._val: dict[float, list[dict[str, Tensor]]] = {}

    @property
    def k(self) -> int:
        return int(getattr(self.system, "num_symbols", getattr(self.system, "symbols", 0)))

    @property
    def bandwidth_ratio(self) -> float:
        s = int(self.recipe["model"].get("frame_size", 128))
        return self.k / (3 * s * s)

    def trainable_parameters(self) -> Any:
        return [p for p in self.system.parameters() if p.requires_grad]

    def snr(self, b: int) -> Tensor:
        return self.sampler(b, 1, device=torch.device("cpu"), generator=self.generator).reshape(b)

    def on_validation_epoch_start(self) -> None:
        self._val_gen = self.validation_generator()
        self._val = {s: [] for s in self.val_snr_db}

    def on_validation_epoch_end(self) -> None:
        for snr, parts in self._val.items():
            if not parts:
                continue
            for key in parts[0]:
                v = torch.cat([p[key] for p in parts]) if parts[0][key].ndim else torch.stack([p[key] for p in parts])
                value = iou_from_confusion(v.sum(0), "weighted") if key == "conf" else v.double().mean()
                self.log(f"val_{'iou_weighted' if key == 'conf' else key}_{snr:g}dB", value.float())


class SemanticModule(_Liu2025Module):
    """Trains f_se,en/de with cross-entropy (13) on S_se and f_co,en/de with MSE (14) on S_co, through the link
    (the two losses are summed; the codecs share no parameters, so each gets the gradient of its own loss)."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe, build_semantic(recipe))
        self.mse_weight = float(recipe["model"].get("mse_weight", 1.0))

    def describe(self) -> str:
        s = self.system
        assert isinstance(s, Liu2025System)
        return (f"{self.recipe['name']}: Liu et al. 2025 semantic codecs, N_se = {s.seg_codec.num_symbols} + N_co = "
                f"{s.image_codec.num_symbols} 16-QAM symbols in {s.num_frames} frames, allocation {s.allocation}, "
                f"{s.link}; segmenter {'f_seg' if s.segmenter is not None else 'labels'}")

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img, labels = to_float(batch[0]), batch[1]
        out = self.system.run(img, self.snr(img.shape[0]), generator=self.generator, labels=labels)
        ce = F.cross_entropy(out["seg_logits"], out["seg"], ignore_index=self.void)
        mse = F.mse_loss(out["image_co_hat"], out["image_co"])
        loss = self.finite(ce + self.mse_weight * mse)
        self.log_dict({"train_loss": loss, "train_ce": ce, "train_mse": mse, "train_ser": out["ser"].mean()})
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img = to_float(batch[0])
        for snr in self.val_snr_db:
            out = self.system.run(img, snr, generator=self._val_gen, labels=batch[1])
            conf = confusion_matrices(out["seg_logits"].argmax(1), out["seg"], self.system.seg_codec.num_classes)
            self._val[snr].append({"psnr": psnr_per_image(out["image_co_hat"], out["image_co"]), "conf": conf,
                                   "ser": out["ser"]})


class PrecodingModule(_Liu2025Module):
    """Trains W and f_Pre with loss (32): MSE(F_se, F^_se) + beta MSE(F_co, F^_co) (real and imaginary parts),
    the codecs frozen."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe, build_precoding(recipe))
        self.beta = float(recipe["model"]["beta"])
        # the frozen codecs' recipe section travels in the checkpoint: loading needs no other file
        self.hparams["codecs_model"] = read_checkpoint(recipe["model"]["codecs"])["recipe"]["model"]

    def describe(self) -> str:
        n = sum(p.numel() for p in self.trainable_parameters())
        return (f"{self.recipe['name']}: Liu et al. 2025 task-adaptive precoding (W + f_Pre, {n / 1e6:.2f} M parameters), "
                f"beta = {self.beta:g}, codecs frozen from {self.recipe['model']['codecs']}")

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img = to_float(batch[0])
        out = self.system.run(img, self.snr(img.shape[0]), generator=self.generator, labels=batch[1])
        mse_se = torch.view_as_real(out["f_se_hat"] - out["f_se"].detach()).pow(2).mean()
        mse_co = torch.view_as_real(out["f_co_hat"] - out["f_co"].detach()).pow(2).mean()
        loss = self.finite(mse_se + self.beta * mse_co)
        self.log_dict({"train_loss": loss, "train_mse_se": mse_se, "train_mse_co": mse_co})
        return loss

    validation_step = SemanticModule.validation_step


class JSCCModule(_Liu2025Module):
    """Trains the JSCC baseline with MSE on the full frame through the link."""

    def __init__(self, recipe: dict[str, Any]) -> None:
        super().__init__(recipe, build_jscc(recipe))

    def describe(self) -> str:
        s = self.system
        assert isinstance(s, Liu2025JSCC)
        return (f"{self.recipe['name']}: JSCC baseline (Bourtsoulatze 2019) on {s.frame_size} x {s.frame_size} frames, "
                f"{s.symbols} 16-QAM symbols in {s.num_frames} frames, {s.link}")

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        img = to_float(batch[0])
        out = self.system.run(img, self.snr(img.shape[0]), generator=self.generator)
        loss = self.finite(F.mse_loss(out["recon"], img))
        self.log_dict({"train_loss": loss, "train_ser": out["ser"].mean()})
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        img = to_float(batch[0])
        for snr in self.val_snr_db:
            out = self.system.run(img, snr, generator=self._val_gen)
            self._val[snr].append({"psnr": psnr_per_image(out["recon"], img), "ser": out["ser"]})


# --- loading -----------------------------------------------------------------------------------------------
def _loader(build: Any) -> Any:
    def load(info: dict[str, Any], path: Path | str = "checkpoint", csi: str | None = None, regions: list[int] | None = None,
             bank_dir: str | None = None, **options: Any) -> nn.Module:
        """The trained system; ``csi`` / ``regions`` / ``bank_dir`` replace the recipe's link settings (the
        evaluation builds its own test link and passes it to ``run`` through ``h``)."""
        if options:
            raise SemcomError(f"the Liu et al. 2025 loaders take csi=, regions=, bank_dir=, not {sorted(options)}")
        recipe = {**info["recipe"], "model": dict(info["recipe"]["model"])}
        if "codecs_model" in info.get("extra", {}):
            recipe["model"]["codecs_model"] = info["extra"]["codecs_model"]
        for key, value in (("csi", csi), ("regions", regions), ("bank_dir", bank_dir)):
            if value is not None:
                recipe["model"][key] = value
        state = sub_state(info["state_dict"], "system")
        system = build(recipe, state)
        load_state(system, state,
                   f"checkpoint {path} does not match the system its recipe describes")
        system.recipe = recipe
        return system.eval()

    return load


register_system(SystemSpec(
    name="liu2025_semantic",
    summary="Liu et al. 2025 semantic layer: segmentation-map and compressed-image codecs with 16-QAM quantization, "
            "over the SVD-precoded 4x2 MIMO-OFDM uplink (Proposed-Semantic / Proposed-Compress allocations)",
    module=SemanticModule, build=build_semantic, load=_loader(build_semantic), model_names=("liu2025_semantic",),
    section=SemanticSection, evaluate_with="semcom liu2025"))
register_system(SystemSpec(
    name="liu2025_precoding",
    summary="Liu et al. 2025 task-adaptive precoding: learnable W (2KLD x 2KLD) and f_Pre on frozen codecs, loss (32)",
    module=PrecodingModule, build=build_precoding, load=_loader(build_precoding), model_names=("liu2025_precoding",),
    section=PrecodingSection, evaluate_with="semcom liu2025"))
register_system(SystemSpec(
    name="liu2025_jscc",
    summary="Liu et al. 2025 JSCC baseline: Bourtsoulatze CNN on the full frame, 16-QAM quantization, SVD link",
    module=JSCCModule, build=build_jscc, load=_loader(build_jscc), model_names=("liu2025_jscc",),
    section=JSCCSection, evaluate_with="semcom liu2025"))
