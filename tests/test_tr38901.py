"""3GPP TR 38.901 downlink channels: shapes, normalisation, reproducibility, the channel bank."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from semcom import SemcomError
from semcom.channels.ofdm import OFDMGrid
from semcom.channels.precoding import zf
from semcom.channels.tr38901 import ChannelBank, MUMIMODownlinkChannel, TR38901Downlink, cir_to_h
from semcom.cli import main


@pytest.fixture(scope="module")
def umi() -> TR38901Downlink:
    return TR38901Downlink("umi", OFDMGrid(32), seed=7)


def test_shape_dtype_and_per_user_grid_normalisation(umi: TR38901Downlink) -> None:
    h = umi.generate(6)
    assert h.shape == (6, 32, 14, 4, 4) and h.dtype == torch.complex64 and not h.requires_grad
    energy = h.abs().pow(2).mean(dim=(1, 2, 4))
    assert torch.allclose(energy, torch.ones(6, 4), atol=1e-4)
    # frequency selectivity is kept: the per-subcarrier gain varies across the band
    per_sc = h.abs().pow(2).mean(dim=(2, 4))  # [B, F, K]
    assert (per_sc.std(dim=1) > 0.05).any()


def test_same_seed_same_drops() -> None:
    a = TR38901Downlink("rma", OFDMGrid(32), seed=3).generate(2)
    b = TR38901Downlink("rma", OFDMGrid(32), seed=3).generate(2)
    assert torch.equal(a, b)


def test_raw_channels_carry_path_loss() -> None:
    h = TR38901Downlink("uma", OFDMGrid(32), normalization="none", seed=1).generate(4)
    assert h.abs().pow(2).mean() < 1e-6


def test_einsum_matches_sionna_cir_to_ofdm_channel() -> None:
    from sionna.phy.channel import cir_to_ofdm_channel, subcarrier_frequencies

    g = torch.Generator().manual_seed(0)
    a = torch.complex(torch.randn(2, 4, 1, 1, 4, 5, 14, generator=g), torch.randn(2, 4, 1, 1, 4, 5, 14, generator=g))
    tau = torch.rand(2, 4, 1, 5, generator=g) * 1e-6
    f = subcarrier_frequencies(32, 15e3)
    ref = cir_to_ofdm_channel(f, a, tau, normalize=False)[:, :, 0, 0].permute(0, 4, 3, 1, 2)
    assert torch.allclose(cir_to_h(f, a, tau), ref, atol=1e-4)


def test_mu_mimo_channel_with_zf_reaches_each_user_without_interference(umi: TR38901Downlink) -> None:
    ch = MUMIMODownlinkChannel(umi)
    h = ch.draw(3).to(torch.complex128)
    s = torch.polar(torch.ones(3, 32, 14, 4, dtype=torch.float64), torch.rand(3, 32, 14, 4, dtype=torch.float64) * 6.28)
    v = zf(h, on_singular="regularize")
    y, info = ch((v @ s[..., None])[..., 0], 300.0, h=h, return_info=True)
    gain = torch.diagonal(h @ v, dim1=-2, dim2=-1)
    assert torch.allclose(y, gain * s, atol=1e-6)
    with pytest.raises(SemcomError, match="do not match the channel"):
        ch(torch.zeros(3, 32, 14, 2, dtype=torch.complex64), 10.0, h=h)


def test_bank_round_trip_refusal_and_cli(tmp_path: Path, umi: TR38901Downlink) -> None:
    bank = ChannelBank.generate(tmp_path / "bank", umi, n=10, batch_size=4, seed=5)
    assert len(bank) == 10 and bank.meta["params"]["scenario"] == "umi"
    h = bank.draw(6, generator=torch.Generator().manual_seed(0))
    assert h.shape == (6, 32, 14, 4, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]  # no temporary folder left
    ChannelBank.open(tmp_path / "bank", expect={"scenario": "umi", "num_subcarriers": 32})
    with pytest.raises(SemcomError, match="generated with num_subcarriers=32, but the run asks for num_subcarriers=128"):
        ChannelBank.open(tmp_path / "bank", expect={"num_subcarriers": 128})
    with pytest.raises(SemcomError, match="not a channel bank"):
        ChannelBank(tmp_path)
    assert main(["channels", "generate", "--scenario", "rma", "--n", "3", "--nf", "32", "--batch-size", "3",
                 "--out", str(tmp_path / "rma")]) == 0
    assert len(ChannelBank(tmp_path / "rma")) == 3


def test_bad_parameters() -> None:
    with pytest.raises(SemcomError, match="unknown 38.901 scenario 'inh'"):
        TR38901Downlink("inh")
    with pytest.raises(SemcomError, match="normalization"):
        TR38901Downlink("umi", normalization="per_re")
