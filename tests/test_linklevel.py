"""CDL / TDL link-level MIMO channels and the uplink regions of Liu et al. 2025."""

from __future__ import annotations

import pytest
import torch

from semcom import SemcomError
from semcom.channels.linklevel import LinkLevelMIMO, uplink_region
from semcom.channels.ofdm import OFDMGrid
from semcom.channels.precoding import svd_precoding


def test_liu2025_uplink_shapes_and_normalisation() -> None:
    h = uplink_region(2, seed=1).generate(4)
    assert h.shape == (4, 72, 14, 2, 4) and h.dtype == torch.complex64
    assert torch.allclose(h.abs().pow(2).mean(dim=(1, 2, 3, 4)), torch.ones(4), atol=1e-4)
    v, w, s = svd_precoding(h)  # two parallel streams per resource element
    assert s.shape == (4, 72, 14, 2)


def test_delay_spread_sets_frequency_selectivity() -> None:
    def coherence(ds: float) -> float:
        h = LinkLevelMIMO("CDL", "A", OFDMGrid(72, pilot_symbols=None), 1, 1, delay_spread=ds, seed=3).generate(64)
        x = h[:, :, 0, 0, 0]
        c = (x[:, 36:] * x[:, :-36].conj()).mean().abs() / x.abs().pow(2).mean()  # 540 kHz apart
        return float(c)

    assert coherence(50e-9) > coherence(1000e-9) + 0.2  # subcarriers decorrelate as the delay spread grows


def test_speed_makes_the_channel_vary_within_the_slot() -> None:
    g = OFDMGrid(32, pilot_symbols=None)
    static = LinkLevelMIMO("TDL", "A", g, 1, 1, speed=0.0, seed=1).generate(8)
    fast = LinkLevelMIMO("TDL", "A", g, 1, 1, speed=40.0, seed=1).generate(8)
    assert (static[:, :, 13] - static[:, :, 0]).abs().max() < 1e-4
    assert (fast[:, :, 13] - fast[:, :, 0]).abs().mean() > 1e-2


def test_bad_parameters() -> None:
    with pytest.raises(SemcomError, match="regions 1-4"):
        uplink_region(5)
    with pytest.raises(SemcomError, match="profile 'F'"):
        LinkLevelMIMO("CDL", "F")
    with pytest.raises(SemcomError, match="'CDL' or 'TDL'"):
        LinkLevelMIMO("RT")
    with pytest.raises(SemcomError, match="delay_spread"):
        LinkLevelMIMO("TDL", "A", delay_spread=(100e-9, 50e-9))


def test_point_to_point_tdl_through_the_ofdm_channel() -> None:
    from semcom.channels.tr38901 import OFDMMIMOChannel

    src = LinkLevelMIMO("TDL", "C", OFDMGrid(32, pilot_symbols=None), num_tx_ant=1, num_rx_ant=1, delay_spread=300e-9,
                        seed=2)
    ch = OFDMMIMOChannel(src)
    x = torch.polar(torch.ones(64, 32, 14, 1), torch.rand(64, 32, 14, 1) * 6.28)
    y, info = ch(x, 10.0, return_info=True, generator=torch.Generator().manual_seed(0))
    h = info["h"][..., 0, 0]
    eq = y[..., 0] / h  # single-tap equalization per resource element
    err = (eq - x[..., 0]) * h  # back on the channel scale: the noise
    assert abs(err.abs().pow(2).mean().item() - 0.1) < 0.005  # measured Es/N0 per resource element = 10 dB
