"""The asymmetric networks of Li et al. 2025 (Table I): a residual encoder at the base station with noise and
scenario adaptation, and a lightweight per-user decoder with pilot-guided attention and two heads.

Shapes (one sample = N_k users' images and one channel realization):

* :class:`AsymmetricEncoder`: images [B, K, 3, 32, 32], noise variance [B], |H| [B, K, M, N_f] ->
  real features [B, K, N_sf * N_st * 2] (tanh), one stream of N_sf x N_st complex symbols per user.
* :class:`LightweightDecoder`: received grid of one user [B', 2, N_t, N_f] (real/imag of Y) and the sparse
  pilot reference [2, N_t, N_f] -> image [B', 3, 32, 32] in [0, 1] and class logits [B', C].

[assume] Table I lists the final encoder layers without saying how the K users share them; here the
encoder runs per image with shared weights (the K images of a sample are a batch of K), and the
adaptation scales are per user (noise: one value per sample; scenario: that user's |H|). The scenario
branch's last dense has as many outputs as the feature channels it scales (128).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def as_layout(x: Tensor, channels_last: bool) -> Tensor:
    """``x`` [B, C, H, W] in the layout the network's weights use (NHWC when ``channels_last``); values unchanged."""
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


class ChannelsLast:
    """Mixin: ``use_channels_last()`` converts the 4-D weights to NHWC and makes ``forward`` lay its inputs
    out the same way (on the CPU, mkldnn's NHWC convolutions avoid the layout copies of NCHW; the outputs are
    those of the NCHW network within float rounding)."""

    channels_last: bool = False

    def use_channels_last(self, enable: bool = True) -> None:
        assert isinstance(self, nn.Module)
        self.to(memory_format=torch.channels_last if enable else torch.contiguous_format)  # type: ignore[call-overload]
        self.channels_last = enable


def set_inplace_relu(module: nn.Module, enable: bool = True) -> None:
    """Every ReLU of ``module`` (and each :class:`ResBlock`'s last one) in place or not: the same values and
    gradients (no ReLU here overwrites a tensor its neighbours' backward needs), one large allocation fewer each."""
    for m in module.modules():
        if isinstance(m, (nn.ReLU, ResBlock)):
            m.inplace = enable


class ResBlock(nn.Module):
    """Conv3x3 + BN + ReLU, Conv3x3 + BN, with a 1x1 projection shortcut when the shape changes; ReLU."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                  nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Identity() if cin == cout and stride == 1 else
                     nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    inplace = True  # the final ReLU in place (set_inplace_relu)

    def forward(self, x: Tensor) -> Tensor:
        y = self.body(x) + self.skip(x)
        return torch.relu_(y) if self.inplace else torch.relu(y)


class SepConv(nn.Sequential):
    """Depthwise-separable convolution: depthwise k x k, then pointwise 1 x 1."""

    def __init__(self, cin: int, cout: int, k: int = 3) -> None:
        super().__init__(nn.Conv2d(cin, cin, k, padding=k // 2, groups=cin), nn.Conv2d(cin, cout, 1))


def classification_net(cin: int, num_classes: int) -> nn.Sequential:
    """Table I classification net on an 8x8 map: SepConv + ReLU + max-pool (16, 32, 64), Dense 128, Dense classes."""
    return nn.Sequential(
        SepConv(cin, 16), nn.ReLU(inplace=True), nn.MaxPool2d(2), SepConv(16, 32), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        SepConv(32, 64), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 128), nn.ReLU(inplace=True),
        nn.Linear(128, num_classes))


class AsymmetricEncoder(ChannelsLast, nn.Module):
    """Table I encoder: ResBlocks (64, /1), (64, /2), (128, /2), (128, /1); noise adaptation (Dense + sigmoid,
    128); scenario adaptation from |H| (Conv1D (16, 5, 2) + ReLU, Conv1D (32, 5, 2) + ReLU, average pool,
    Dense 64 + ReLU, Dense + sigmoid); Conv2D (N_sf N_st / 64, 3, 1); Flatten; Dense + tanh to N_sf N_st 2.

    Args: symbols_per_user (N_sf N_st), num_antennas (M), adaptation (False: the ablation without
    noise/scenario modules, "Ours (RZF)").
    """

    def __init__(self, symbols_per_user: int, num_antennas: int = 4, adaptation: bool = True) -> None:
        super().__init__()
        if symbols_per_user % 32:
            raise ValueError(f"N_sf * N_st = {symbols_per_user} must be a multiple of 32 (an 8x8 map of N_sf N_st / 64 channels)")
        self.n = symbols_per_user
        self.stem = nn.Sequential(ResBlock(3, 64, 1), ResBlock(64, 64, 2), ResBlock(64, 128, 2), ResBlock(128, 128, 1))
        self.adaptation = adaptation
        if adaptation:
            self.noise = nn.Sequential(nn.Linear(1, 128), nn.Sigmoid())
            self.scenario = nn.Sequential(
                nn.Conv1d(num_antennas, 16, 5, 2, padding=2), nn.ReLU(inplace=True), nn.Conv1d(16, 32, 5, 2, padding=2), nn.ReLU(inplace=True),
                nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, 64), nn.ReLU(inplace=True), nn.Linear(64, 128), nn.Sigmoid())
        c = max(1, symbols_per_user // 64)
        self.head = nn.Sequential(nn.Conv2d(128, c, 3, 1, 1), nn.Flatten(), nn.Linear(c * 64, 2 * symbols_per_user),
                                  nn.Tanh())

    def forward(self, img: Tensor, noise_var: Tensor, h_abs: Tensor | None = None) -> Tensor:
        b, k = img.shape[:2]
        f = self.stem(as_layout(img.flatten(0, 1), self.channels_last))  # [B K, 128, 8, 8]
        if self.adaptation:
            nv = torch.as_tensor(noise_var, dtype=f.dtype, device=f.device).reshape(-1)
            nv = nv.expand(b) if nv.numel() == 1 else nv
            scale = self.noise(torch.log10(nv.clamp_min(1e-12))[:, None] / 2.0)  # [B, 128]
            scale = scale[:, None].expand(b, k, -1).flatten(0, 1)
            if h_abs is not None:
                scale = scale * self.scenario(h_abs.flatten(0, 1).to(f.dtype))  # [B K, 128]
            f = f * scale[:, :, None, None]
        return self.head(f).reshape(b, k, -1)


class LightweightDecoder(ChannelsLast, nn.Module):
    """Table I decoder (same weights for every user): pilot-guided attention (SepConv + BN + ReLU (64) x 2,
    SepConv + sigmoid to a weight map), multiplied into the received grid, the pilot reference concatenated
    again; pilots removed and the data reshaped to an 8 x 8 map; restoration net (Conv 1x1 128 + ReLU, up x2,
    SepConv + BN + ReLU 64, up x2, SepConv + BN + ReLU 32, SepConv 16, Conv 3x3 + sigmoid) and classification
    net (SepConv + ReLU + max-pool 16, 32, 64, Dense 128, Dense classes).

    Args: num_ofdm_symbols (N_t), num_subcarriers (N_f), pilot_symbols (OFDM symbol indices), pilot_attention
    (False: "Ours (w/o Pilot)": the received grid alone), num_classes.
    """

    def __init__(self, num_ofdm_symbols: int, num_subcarriers: int, pilot_symbols: list[int],
                 pilot_attention: bool = True, num_classes: int = 10) -> None:
        super().__init__()
        self.pilot_attention = pilot_attention
        self.t, self.f = num_ofdm_symbols, num_subcarriers
        self.data_rows = [i for i in range(num_ofdm_symbols) if i not in pilot_symbols]
        cin = 4 if pilot_attention else 2
        if pilot_attention:
            self.attention = nn.Sequential(SepConv(4, 64), nn.BatchNorm2d(64), nn.ReLU(inplace=True), SepConv(64, 64),
                                           nn.BatchNorm2d(64), nn.ReLU(inplace=True), SepConv(64, 2), nn.Sigmoid())
        n_data = len(self.data_rows) * num_subcarriers
        if (cin * n_data) % 64:
            raise ValueError(f"{cin} x {n_data} received values cannot be reshaped to an 8x8 map")
        self.c = cin * n_data // 64
        self.restore = nn.Sequential(
            nn.Conv2d(self.c, 128, 1), nn.ReLU(inplace=True), nn.Upsample(scale_factor=2), SepConv(128, 64), nn.BatchNorm2d(64),
            nn.ReLU(inplace=True), nn.Upsample(scale_factor=2), SepConv(64, 32), nn.BatchNorm2d(32), nn.ReLU(inplace=True), SepConv(32, 16),
            nn.Conv2d(16, 3, 3, padding=1), nn.Sigmoid())
        self.classify = classification_net(self.c, num_classes)

    def features(self, y: Tensor, y_p: Tensor) -> Tensor:
        """Received grid [B, 2, T, F] (+ pilot reference [2, T, F] or [B, 2, T, F]: each user's own pilots)
        -> refined 8x8 feature map [B, c, 8, 8]."""
        if self.pilot_attention:
            ref = y_p.to(y.dtype)
            ref = ref.expand(y.shape[0], -1, -1, -1) if ref.ndim == 3 else ref
            w = self.attention(as_layout(torch.cat([y, ref], 1), self.channels_last))
            y = torch.cat([y * w, ref], 1)
        y = y[:, :, self.data_rows, :]  # pilots removed
        return as_layout(y.reshape(y.shape[0], self.c, 8, 8), self.channels_last)

    def forward(self, y: Tensor, y_p: Tensor) -> tuple[Tensor, Tensor]:
        z = self.features(y, y_p)
        return self.restore(z), self.classify(z)


class SymmetricDJSCCDecoder(ChannelsLast, nn.Module):
    """The DJSCC baseline's decoder adapted to the grid: the received data resource elements of one user
    (real/imag) -> Dense -> the mirror of a DJSCC encoder (transposed convs 5x5: 32, 32, 32, 16 /2, 3 /2) -> image,
    plus the same classification net as the proposed decoder on an 8x8 map of the received values."""

    def __init__(self, symbols_per_user: int, num_classes: int = 10) -> None:
        super().__init__()
        self.fc = nn.Linear(2 * symbols_per_user, 32 * 8 * 8)

        def up(cin: int, cout: int, s: int, act: nn.Module) -> nn.Sequential:
            return nn.Sequential(nn.ConvTranspose2d(cin, cout, 5, s, 2, output_padding=s - 1), act)

        self.body = nn.Sequential(up(32, 32, 1, nn.PReLU(32)), up(32, 32, 1, nn.PReLU(32)), up(32, 32, 1, nn.PReLU(32)),
                                  up(32, 16, 2, nn.PReLU(16)), up(16, 3, 2, nn.Sigmoid()))
        self.c = 2 * symbols_per_user // 64
        self.classify = classification_net(self.c, num_classes)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z: received data values [B', 2 N_sf N_st] -> (image, logits)."""
        img = self.body(as_layout(self.fc(z).reshape(-1, 32, 8, 8), self.channels_last))
        return img, self.classify(as_layout(z.reshape(-1, self.c, 8, 8), self.channels_last))


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
