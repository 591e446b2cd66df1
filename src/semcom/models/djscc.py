"""The convolutional deep JSCC of Bourtsoulatze, Kurka and Gunduz, "Deep joint source-channel
coding for wireless image transmission", IEEE TCCN 5(3), 2019 (ref. [6] of the DLPS paper)."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError
from semcom.models import MODELS
from semcom.models.conditioning import SNR_SCALE_DB, create_conditioning, per_sample_snr_db, run_conditioned


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 5, stride=stride, padding=2), nn.PReLU(cout))


def _tconv(cin: int, cout: int, stride: int, act: nn.Module | None = None) -> nn.Sequential:
    layer = nn.ConvTranspose2d(cin, cout, 5, stride=stride, padding=2, output_padding=stride - 1)
    return nn.Sequential(layer, act if act is not None else nn.PReLU(cout))


@MODELS.register("bourtsoulatze2019", aliases=("djscc",))
class DeepJSCC(nn.Module):
    """Deep JSCC autoencoder (Bourtsoulatze et al. 2019): 5 conv layers down, 5 transposed up.

    Encoder: conv 5x5 16 /2, conv 5x5 32 /2, conv 5x5 32, conv 5x5 32, conv 5x5 c, PReLU after
    each, giving an (H/4)x(W/4)xc real latent. Decoder: the mirror image with transposed
    convolutions and a sigmoid output.

    Reaching any K (``adapter``): an (H/4)x(W/4)xc latent carries (H/4)(W/4)c/2 complex symbols,
    so for 32x32 images only multiples of 32 are possible (K = 88 and K = 264 of the DLPS paper
    are not). With ``adapter="linear"`` (default) the last conv has c = ceil(2K / ((H/4)(W/4)))
    channels and a linear layer maps the flattened latent to exactly 2K real values (the decoder
    starts with the transposed linear map); this ties the model to ``image_size``. With
    ``adapter="none"`` the model is fully convolutional as in the original paper and K must be
    a multiple of (H/4)(W/4)/2.

    Args:
        k: complex channel uses per image (K).
        image_size: (H, W) of the images, multiples of 4 (an int means square).
        in_channels: image channels (3 for RGB).
        hidden: widths of the first two conv stages (16, 32 in the paper).
        adapter: ``"linear"`` or ``"none"`` (see above).
        conditioning: SNR conditioning after each of the first four encoder and decoder stages
            (:mod:`semcom.models.conditioning`): ``"none"`` (the paper), ``"film"``, ``"hyper"`` or ``"af"``.
        snr_map: the SNR-map decoder (Ding et al., the robust-JSCC survey): the decoder input is the received features
            with the (true or pilot-estimated) SNR appended as one more input (a constant plane with
            ``adapter="none"``).

    Shapes:
        ``encode``: float images [B, C, H, W] in [0, 1] -> real features [B, 2K] (float32);
        ``decode``: real features [B, 2K] -> images [B, C, H, W] in [0, 1].
        ``n`` = C*H*W source dimensions; ``bandwidth_ratio`` = K / n.
    """

    def __init__(self, k: int, image_size: int | tuple[int, int] = 32, in_channels: int = 3,
                 hidden: tuple[int, int] = (16, 32), adapter: Literal["linear", "none"] = "linear",
                 conditioning: str = "none", snr_map: bool = False) -> None:
        super().__init__()
        hw = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(hw) != 2 or any((not isinstance(s, int)) or s < 4 or s % 4 for s in hw):
            raise SemcomError(f"image_size must be (H, W) with H and W multiples of 4, got {image_size!r}")
        if adapter not in ("linear", "none"):
            raise SemcomError(f"adapter={adapter!r} is not supported; expected 'linear' or 'none'")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise SemcomError(f"k must be a positive integer number of complex channel uses, got {k!r}")
        h, w = hw[0] // 4, hw[1] // 4
        per_channel = h * w  # real values per latent channel
        if adapter == "none":
            if (2 * k) % per_channel:
                raise SemcomError(
                    f"K={k} cannot be produced by model 'djscc' with adapter='none' on {hw[0]}x{hw[1]} images: "
                    f"K must be a multiple of {per_channel // 2 if per_channel % 2 == 0 else per_channel} "
                    f"(a {h}x{w} latent channel carries {per_channel / 2:g} complex symbols); "
                    "use adapter='linear' to reach any K"
                )
            c = 2 * k // per_channel
        else:
            c = math.ceil(2 * k / per_channel)
        self.k = k
        self.image_size = hw
        self.in_channels = in_channels
        self.adapter = adapter
        self.latent_shape = (c, h, w)
        c1, c2 = hidden
        self.encoder = nn.Sequential(
            _conv(in_channels, c1, 2), _conv(c1, c2, 2), _conv(c2, c2, 1), _conv(c2, c2, 1), _conv(c2, c, 1)
        )
        self.decoder = nn.Sequential(
            _tconv(c + (1 if snr_map and adapter == "none" else 0), c2, 1), _tconv(c2, c2, 1), _tconv(c2, c2, 1),
            _tconv(c2, c1, 2), _tconv(c1, in_channels, 2, act=nn.Sigmoid()),
        )
        self.conditioning, self.snr_map = conditioning, bool(snr_map)
        self.snr_conditioned = conditioning != "none" or self.snr_map
        self.enc_cond = nn.ModuleList([create_conditioning(conditioning, ch) for ch in (c1, c2, c2, c2)])
        self.dec_cond = nn.ModuleList([create_conditioning(conditioning, ch) for ch in (c2, c2, c2, c1)])
        if adapter == "linear":
            self.to_symbols: nn.Module = nn.Linear(c * h * w, 2 * k)
            self.from_symbols: nn.Module = nn.Linear(2 * k + (1 if self.snr_map else 0), c * h * w)
        else:
            self.to_symbols = nn.Identity()
            self.from_symbols = nn.Identity()

    @property
    def n(self) -> int:
        """Source dimensions per image, C*H*W."""
        return self.in_channels * self.image_size[0] * self.image_size[1]

    @property
    def bandwidth_ratio(self) -> float:
        """K / N: complex channel uses per source dimension."""
        return self.k / self.n

    def _check_images(self, img: Tensor) -> None:
        if img.ndim != 4 or img.shape[1] != self.in_channels:
            raise SemcomError(f"expected images [B, {self.in_channels}, H, W], got shape {list(img.shape)}")
        if self.adapter == "linear" and tuple(img.shape[-2:]) != self.image_size:
            raise SemcomError(
                f"this djscc model was built for {self.image_size[0]}x{self.image_size[1]} images "
                f"(adapter='linear'), got {img.shape[-2]}x{img.shape[-1]}"
            )

    def _snr(self, snr_db: Tensor | float | None, needed: bool) -> Tensor | float:
        if snr_db is None:
            if needed:
                raise SemcomError(f"this djscc model is conditioned on the SNR (conditioning={self.conditioning!r}, "
                                  f"snr_map={self.snr_map}): pass snr_db")
            return 0.0
        return snr_db

    def encode(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        """Images [B, C, H, W] in [0, 1] (and the SNR in dB, [B], when conditioned) -> real features [B, 2K]."""
        self._check_images(img)
        x = run_conditioned(self.encoder, self.enc_cond, img, self._snr(snr_db, self.conditioning != "none"))
        return self.to_symbols(x.flatten(1))

    def decode(self, z: Tensor, image_size: tuple[int, int] | None = None,
               snr_db: Tensor | float | None = None) -> Tensor:
        """Real features [B, 2K] (and the SNR in dB when conditioned) -> images [B, C, H, W] in [0, 1]."""
        c, h, w = self.latent_shape
        if image_size is not None and self.adapter == "none":
            h, w = image_size[0] // 4, image_size[1] // 4
        s = self._snr(snr_db, self.snr_conditioned)
        if self.snr_map:
            snr = per_sample_snr_db(s, z.shape[0], z.device).to(z.dtype)[:, None] / SNR_SCALE_DB
            if self.adapter == "linear":
                z = self.from_symbols(torch.cat([z, snr], 1)).reshape(z.shape[0], c, h, w)
            else:
                z = z.reshape(z.shape[0], c, h, w)
                z = torch.cat([z, snr[:, :, None, None].expand(-1, 1, h, w)], 1)
        else:
            z = self.from_symbols(z).reshape(z.shape[0], c, h, w)
        return run_conditioned(self.decoder, self.dec_cond, z, s)

    def forward(self, img: Tensor, snr_db: Tensor | float | None = None) -> Tensor:
        """Noiseless autoencoding, for checks: decode(encode(img))."""
        return self.decode(self.encode(img, snr_db), (img.shape[-2], img.shape[-1]), snr_db)
