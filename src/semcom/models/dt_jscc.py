"""DT-JSCC, the discrete task-oriented deep JSCC of Xie, Ma, Ding, Shi, Tang and Wu (IEEE JSAC 2023, "Robust
information bottleneck for task-oriented communication with digital modulation"), as the networks only: the
channel, the modulation and the training objective are the system's (:mod:`semcom.systems.digital_jscc`).

An encoder maps an image to ``num_symbols`` latent vectors z_i of dimension ``latent_dim`` (one per position
of its last feature map); each is scored against a learnable codebook E of ``codebook_size`` = M codewords,
s_i = z_i E^T / sqrt(latent_dim) (the paper's logits [paper]); the index of the chosen codeword is what is
sent, as one M-QAM symbol. The decoder reads the codewords of the *received* indices (a one-hot [B, n, M]
times E) and returns class logits (``task="classification"``) or an image (``task="reconstruction"``).

Shapes: images float [B, 3, 32, 32] in [0, 1]; ``logits(img)`` -> float [B, n, M]; ``decode(onehot)`` with
onehot float [B, n, M] -> logits [B, classes] or images [B, 3, 32, 32]. n = (32 / 2^downsample)^2:
64 symbols at ``downsample=2`` (8 x 8), 256 at ``downsample=1`` (16 x 16).
[assume] The layer sizes (64/128 channels, one residual block each side) are ours, sized for a CPU; the paper's
CIFAR-10 network is larger.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError
from semcom.models import MODELS

TASKS = ("classification", "reconstruction")


class _Res(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(x + self.body(x))


def _down(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


def _up(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU())


@MODELS.register("xie2023", aliases=("dt_jscc",))
class DTJSCC(nn.Module):
    """DT-JSCC networks (see the module docstring).

    Args:
        codebook_size: M, the number of codewords = the QAM order (4, 16, 64 or 256).
        task: ``classification`` or ``reconstruction``.
        latent_dim: dimension d of each latent vector and codeword.
        width: channels of the first stage (the second has twice as many).
        downsample: 1 or 2 stride-2 stages (256 or 64 symbols per 32 x 32 image).
        num_classes: classes of the classification decoder.
    """

    def __init__(self, codebook_size: int = 16, task: str = "classification", latent_dim: int = 16, width: int = 64,
                 downsample: int = 2, num_classes: int = 10, image_size: int = 32) -> None:
        super().__init__()
        from semcom.channels.digital import QAM_ORDERS

        if codebook_size not in QAM_ORDERS:
            raise SemcomError(f"codebook_size={codebook_size} is not a supported modulation order (one codeword per "
                              f"QAM point); expected one of {QAM_ORDERS}")
        if task not in TASKS:
            raise SemcomError(f"task={task!r}; expected one of {TASKS}")
        if downsample not in (1, 2):
            raise SemcomError(f"downsample={downsample}; expected 1 (256 symbols) or 2 (64 symbols)")
        if image_size % (2 ** downsample):
            raise SemcomError(f"image_size={image_size} is not divisible by {2 ** downsample}")
        self.codebook_size, self.task, self.latent_dim, self.num_classes = codebook_size, task, latent_dim, num_classes
        self.side = image_size // 2 ** downsample
        self.image_size = (image_size, image_size)
        self.in_channels = 3
        c = width
        stages: list[nn.Module] = [nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                                   _down(c, 2 * c)]
        stages += [_down(2 * c, 2 * c) for _ in range(downsample - 1)]
        self.encoder = nn.Sequential(*stages, _Res(2 * c), nn.Conv2d(2 * c, latent_dim, 1))
        self.codebook = nn.Parameter(nn.init.normal_(torch.empty(codebook_size, latent_dim)))
        head: list[nn.Module] = [nn.Conv2d(latent_dim, 2 * c, 3, padding=1, bias=False), nn.BatchNorm2d(2 * c), nn.ReLU(),
                                 _Res(2 * c)]
        if task == "classification":
            self.decoder = nn.Sequential(*head, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * c, 256), nn.ReLU(),
                                         nn.Linear(256, num_classes))
        else:
            ups = [_up(2 * c, 2 * c) for _ in range(downsample - 1)] + [_up(2 * c, c)]
            self.decoder = nn.Sequential(*head, *ups, nn.Conv2d(c, 3, 3, padding=1), nn.Sigmoid())

    @property
    def k(self) -> int:
        """Complex channel uses (QAM symbols) per image."""
        return self.side * self.side

    @property
    def bandwidth_ratio(self) -> float:
        return self.k / (3 * self.image_size[0] * self.image_size[1])

    def logits(self, img: Tensor) -> Tensor:
        """Images [B, 3, H, W] -> codeword logits [B, n, M] (s = z E^T / sqrt(d))."""
        z = self.encoder(img).flatten(2).transpose(1, 2)  # [B, n, d]
        return z @ self.codebook.t() / math.sqrt(self.latent_dim)

    def decode(self, onehot: Tensor) -> Tensor:
        """One-hot (or relaxed) codeword choices [B, n, M] -> class logits [B, classes] or images [B, 3, H, W]."""
        b = onehot.shape[0]
        z = (onehot @ self.codebook).transpose(1, 2).reshape(b, self.latent_dim, self.side, self.side)
        return self.decoder(z)

