"""ADJSCC: attention DL-based JSCC (Xu, Ai, Chen, Wu, Chen, "Wireless image transmission using deep
source channel coding with attention modules", IEEE TCSVT 2022), as described in the robust-JSCC survey and
``../shared/notes/seed-001-methods.md``."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from semcom.errors import SemcomError
from semcom.models import MODELS
from semcom.models.conditioning import create_conditioning, run_conditioned


class GDN(nn.Module):
    """Generalized divisive normalization (Balle et al. 2016): y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2);
    ``inverse=True`` gives IGDN, y_i = x_i * sqrt(...). beta > 0 and gamma >= 0 through softplus;
    initialised at beta = 1, gamma = 0.1 I. Input/output float [B, C, H, W]."""

    def __init__(self, channels: int, inverse: bool = False) -> None:
        super().__init__()
        self.inverse = inverse
        inv_sp = lambda v: float(torch.log(torch.expm1(torch.tensor(v))))  # noqa: E731
        self.beta_raw = nn.Parameter(torch.full((channels,), inv_sp(1.0)))
        gamma = torch.full((channels, channels), inv_sp(1e-4))
        gamma.fill_diagonal_(inv_sp(0.1))
        self.gamma_raw = nn.Parameter(gamma)

    def forward(self, x: Tensor) -> Tensor:
        beta = F.softplus(self.beta_raw) + 1e-6
        gamma = F.softplus(self.gamma_raw)
        norm = F.conv2d(x * x, gamma[:, :, None, None], beta)
        return x * torch.sqrt(norm) if self.inverse else x * torch.rsqrt(norm)


def _block(cin: int, cout: int, k: int, stride: int, transpose: bool = False, last: bool = False) -> nn.Sequential:
    if transpose:
        conv: nn.Module = nn.ConvTranspose2d(cin, cout, k, stride, padding=k // 2, output_padding=stride - 1)
    else:
        conv = nn.Conv2d(cin, cout, k, stride, padding=k // 2)
    if last:
        return nn.Sequential(conv)
    return nn.Sequential(conv, GDN(cout, inverse=transpose), nn.PReLU(cout))


@MODELS.register("xu2022", aliases=("adjscc",))
class ADJSCC(nn.Module):
    """ADJSCC (Xu et al. 2022): feature-learning blocks (conv + GDN + PReLU) each followed by an
    attention-feature module conditioned on the SNR, after the first four encoder and decoder layers.

    Encoder: 9x9 /2 (``width``), 5x5 /2, 5x5, 5x5, then 5x5 to ``c`` channels: an (H/4)x(W/4)xc real
    latent, K = (H/4)(W/4)c/2 complex symbols (c = 16 on 32x32 images gives K = 512, k/n = 1/6 as in
    the paper). Decoder: the mirror with transposed convolutions, IGDN and a sigmoid output.

    Args:
        c: latent channels (even). width: feature channels (256 in the paper; smaller for CPU runs).
        conditioning: ``af`` (the paper), ``film``, ``hyper`` or ``none`` (plain GDN autoencoder).
        image_size: (H, W), multiples of 4 (only used for K and checks).

    Shapes: ``encode(img [B, 3, H, W], snr_db [B]) -> real [B, 2K]``;
    ``decode(z [B, 2K], image_size, snr_db [B]) -> img [B, 3, H, W]`` in [0, 1].
    """

    snr_conditioned = True

    def __init__(self, c: int = 16, width: int = 256, conditioning: str = "af", image_size: int | tuple[int, int] = 32,
                 in_channels: int = 3) -> None:
        super().__init__()
        hw = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if any(s % 4 for s in hw):
            raise SemcomError(f"image_size must be multiples of 4, got {image_size!r}")
        if c % 2 and (hw[0] // 4) * (hw[1] // 4) % 2:
            raise SemcomError(f"c={c} gives an odd number of real latent values; choose an even c")
        self.image_size, self.in_channels, self.c = hw, in_channels, c
        self.k = (hw[0] // 4) * (hw[1] // 4) * c // 2
        self.snr_conditioned = conditioning != "none"
        self.enc = nn.ModuleList([_block(in_channels, width, 9, 2), _block(width, width, 5, 2), _block(width, width, 5, 1),
                                  _block(width, width, 5, 1), _block(width, c, 5, 1, last=True)])
        self.dec = nn.ModuleList([_block(c, width, 5, 1, True), _block(width, width, 5, 1, True),
                                  _block(width, width, 5, 1, True), _block(width, width, 5, 2, True),
                                  _block(width, in_channels, 9, 2, True, last=True)])
        self.enc_af = nn.ModuleList([create_conditioning(conditioning, width) for _ in range(4)])
        self.dec_af = nn.ModuleList([create_conditioning(conditioning, width) for _ in range(4)])

    @property
    def n(self) -> int:
        return self.in_channels * self.image_size[0] * self.image_size[1]

    @property
    def bandwidth_ratio(self) -> float:
        return self.k / self.n

    def _snr(self, snr_db: Tensor | float | None, batch: int) -> Tensor | float:
        if snr_db is None:
            if self.snr_conditioned:
                raise SemcomError("model 'adjscc' is conditioned on the SNR: pass snr_db to encode/decode")
            return 0.0
        return snr_db

    def encode(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        return run_conditioned(self.enc, self.enc_af, img, self._snr(snr_db, img.shape[0])).flatten(1)

    def decode(self, z: Tensor, image_size: tuple[int, int] | None = None, snr_db: Tensor | float | None = None) -> Tensor:
        h, w = (image_size or self.image_size)
        x = z.reshape(z.shape[0], self.c, h // 4, w // 4)
        return torch.sigmoid(run_conditioned(self.dec, self.dec_af, x, self._snr(snr_db, z.shape[0])))

    def forward(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        return self.decode(self.encode(img, snr_db), (img.shape[-2], img.shape[-1]), snr_db)
