"""The semantic layer of Liu, Jiang, Wang, Wen, Jin and Zhang, "Foundation Model-Based Adaptive Semantic Image
Transmission for Dynamic Wireless Environments" (2025): the segmentation-map and compressed-image encoders and
decoders (Sec. III-B, Fig. 3), the 16-QAM quantization layer with its real-to-complex packing, and the
task-adaptive precoding matrix W with its one-layer decoding network f_Pre (Sec. III-D, eqs. 30-31).

No channel code lives here: the MIMO-OFDM link is :class:`semcom.channels.svd_link.SVDPrecodedMIMO`, and
:mod:`semcom.systems.liu2025` joins them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.errors import SemcomError
from semcom.models import MODELS

#: 16-QAM amplitudes per real dimension, {-3, -1, 1, 3} / sqrt(10): unit average energy per complex symbol.
QAM16_LEVELS = torch.tensor([-3.0, -1.0, 1.0, 3.0]) / math.sqrt(10.0)


class QAM16Quantizer(nn.Module):
    """The quantization layer (Sec. III-B): sigmoid, then a hard decision to the 16-QAM amplitudes per real
    dimension, then real-to-complex packing (R2C) of adjacent values; the gradient passes straight through the
    hard decision (the soft amplitude (8 sigmoid(z) - 4) / sqrt(10), whose nearest level is the decision).

    ``forward``: real features [B, ..., 2N] (float32) -> complex64 [B, N]: every value is a 16-QAM point
    (a/sqrt(10) + j b/sqrt(10), a, b in {-3, -1, 1, 3}); the constellation has unit average energy.
    :meth:`dequantize` (C2R): complex [B, N] -> real [B, 2N], the inverse packing (no decision: the receiver's
    soft equalized values go to the decoder).
    """

    levels: Tensor

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("levels", QAM16_LEVELS.clone(), persistent=False)

    def amplitudes(self, z: Tensor) -> Tensor:
        """Real features -> 16-QAM amplitudes per real dimension, straight-through gradient (same shape)."""
        s = torch.sigmoid(z)
        soft = (8.0 * s - 4.0) / math.sqrt(10.0)
        idx = torch.clamp(torch.floor(4.0 * s), 0, 3).long()
        hard = self.levels.to(z.device)[idx]
        return hard + (soft - soft.detach())  # exactly the level, the gradient of soft

    def forward(self, z: Tensor) -> Tensor:
        a = self.amplitudes(z.flatten(1))
        if a.shape[1] % 2:
            raise SemcomError(f"QAM16Quantizer needs an even number of real values per sample, got {a.shape[1]}")
        return torch.complex(a[:, 0::2], a[:, 1::2])

    @staticmethod
    def dequantize(x: Tensor) -> Tensor:
        return torch.view_as_real(x).flatten(-2)

    @staticmethod
    def decide(x: Tensor) -> Tensor:
        """Hard 16-QAM decisions of complex symbols (nearest point per real dimension), same shape."""
        lv = QAM16_LEVELS.to(x.device)

        def nearest(v: Tensor) -> Tensor:
            return lv[(v[..., None] - lv).abs().argmin(-1)]

        return torch.complex(nearest(x.real), nearest(x.imag))


def _conv(cin: int, cout: int, stride: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 5, stride=stride, padding=2)]
    if act:
        layers.append(nn.PReLU(cout))
    return nn.Sequential(*layers)


def _up(cin: int, cout: int, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1)]
    if act:
        layers.append(nn.PReLU(cout))
    return nn.Sequential(*layers)


@MODELS.register("liu2025_segmap_codec")
class SegmentationMapCodec(nn.Module):
    """f_se,en and f_se,de (Sec. III-B, Fig. 3): three 5x5 conv layers each. Encoder 32, 64, 8 channels with 2x
    downsampling in the first two; decoder 64, 32, C channels with 2x upsampling (transposed convolutions) in
    the last two; PReLU between layers.

    Args:
        num_classes: C (CamVid 11; the paper's BDD100K 19).
        size: the map's side (128): the latent is 8 x size/4 x size/4 reals = size^2 / 4 16-QAM symbols
            (N_se = 4,096 at 128).
        input: ``"index"`` (the paper's S_se in R^{1 x 128 x 128}: class index / (C - 1)) or ``"onehot"`` (C planes).

    Shapes: ``encode``: class maps int64 [B, size, size] -> real latent [B, 8, size/4, size/4];
    ``decode``: real [B, 8, size/4, size/4] -> logits [B, C, size, size].
    """

    def __init__(self, num_classes: int = 11, size: int = 128, input: str = "index") -> None:
        super().__init__()
        if input not in ("index", "onehot"):
            raise SemcomError(f"segmentation-map codec input={input!r}; expected 'index' or 'onehot'")
        if size % 4:
            raise SemcomError(f"segmentation-map codec size={size}: must be a multiple of 4 (two 2x downsamplings)")
        self.num_classes, self.size, self.input = num_classes, size, input
        cin = 1 if input == "index" else num_classes
        self.encoder = nn.Sequential(_conv(cin, 32, 2), _conv(32, 64, 2), _conv(64, 8, act=False))
        self.decoder = nn.Sequential(_conv(8, 64), _up(64, 32), _up(32, num_classes, act=False))

    @property
    def num_symbols(self) -> int:
        return 8 * (self.size // 4) ** 2 // 2

    def planes(self, seg: Tensor) -> Tensor:
        if seg.ndim != 3 or tuple(seg.shape[1:]) != (self.size, self.size):
            raise SemcomError(f"segmentation maps must be [B, {self.size}, {self.size}] class indices, got {list(seg.shape)}")
        if self.input == "index":
            return seg[:, None].float() / max(self.num_classes - 1, 1)
        return F.one_hot(seg.long().clamp(0, self.num_classes - 1), self.num_classes).permute(0, 3, 1, 2).float()

    def encode(self, seg: Tensor) -> Tensor:
        return self.encoder(self.planes(seg))

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z.reshape(z.shape[0], 8, self.size // 4, self.size // 4))


@MODELS.register("liu2025_image_codec")
class CompressedImageCodec(nn.Module):
    """f_co,en and f_co,de (Sec. III-B): three 5x5 conv layers each, without resampling; encoder 16, 16, 8
    channels, decoder 16, 16, 3 with a sigmoid output.

    Shapes: ``encode``: images float [B, 3, s, s] in [0, 1] (S_co, s = 32) -> real latent [B, 8, s, s]
    (s^2 * 4 16-QAM symbols: N_co = 4,096 at 32); ``decode``: real [B, 8, s, s] -> images [B, 3, s, s] in [0, 1].
    """

    def __init__(self, size: int = 32) -> None:
        super().__init__()
        self.size = size
        self.encoder = nn.Sequential(_conv(3, 16), _conv(16, 16), _conv(16, 8, act=False))
        self.decoder = nn.Sequential(_conv(8, 16), _conv(16, 16), nn.Conv2d(16, 3, 5, padding=2), nn.Sigmoid())

    @property
    def num_symbols(self) -> int:
        return 8 * self.size**2 // 2

    def encode(self, img: Tensor) -> Tensor:
        if img.ndim != 4 or tuple(img.shape[1:]) != (3, self.size, self.size):
            raise SemcomError(f"compressed images must be [B, 3, {self.size}, {self.size}], got {list(img.shape)}")
        return self.encoder(img * 2.0 - 1.0)

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z.reshape(z.shape[0], 8, self.size, self.size))


class TaskAdaptivePrecoder(nn.Module):
    """The task-adaptive precoding of Sec. III-D (Fig. 5, eqs. 30-31): a learnable real matrix W of size
    2KLD x 2KLD applied to each frame (C2R: real parts then imaginary parts of the K x L x D frame), R2C, then
    power normalization to unit average energy per symbol over the frame; at the receiver one fully connected
    layer f_Pre (2KLD -> 2KLD) on the combined, equalized frame. W starts at the identity and f_Pre at the
    identity with zero bias, so the untrained module is the plain SVD system (up to the power normalization).

    Args:
        frame_symbols: K L D complex symbols per frame (72 x 14 x 2 = 2,016: 2 x 4,032^2 + 4,032 = 32.52 M
            parameters, Table II).

    Shapes: ``encode``: complex [B, F, KLD] -> complex [B, F, KLD], scaled so that each sample's F frames hold
    ``energy`` in total (default F x KLD: unit average energy per symbol; the systems pass the payload's symbol
    count, the energy the SVD variants send with their unit-energy 16-QAM symbols and zero padding);
    ``decode``: complex [B, F, KLD] -> complex [B, F, KLD].
    """

    def __init__(self, frame_symbols: int = 72 * 14 * 2) -> None:
        super().__init__()
        n = 2 * frame_symbols
        self.frame_symbols = frame_symbols
        self.weight = nn.Parameter(torch.eye(n))
        self.f_pre = nn.Linear(n, n)
        with torch.no_grad():
            self.f_pre.weight.copy_(torch.eye(n))
            self.f_pre.bias.zero_()

    def _c2r(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.frame_symbols:
            raise SemcomError(f"TaskAdaptivePrecoder expects frames of {self.frame_symbols} symbols, got {list(x.shape)}")
        return torch.cat([x.real, x.imag], dim=-1)

    def _r2c(self, r: Tensor) -> Tensor:
        n = self.frame_symbols
        return torch.complex(r[..., :n], r[..., n:])

    def encode(self, x: Tensor, energy: float | None = None) -> Tensor:
        xe = self._r2c(self._c2r(x) @ self.weight.T)
        target = float(x.shape[-2] * x.shape[-1]) if energy is None else float(energy)
        have = xe.abs().pow(2).sum(dim=(-2, -1), keepdim=True)
        return xe * torch.sqrt(target / have.clamp_min(1e-12))

    def decode(self, y: Tensor) -> Tensor:
        return self._r2c(self.f_pre(self._c2r(y)))
