"""The 5G LDPC + QAM digital link: BLER against Shannon and against Sionna called directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from semcom import SemcomError
from semcom.channels import BlockFadingChannel
from semcom.channels.digital import (
    DigitalLink,
    bler,
    block_capacity_bits,
    ebno_to_snr_db,
    parse_rate,
    shannon_limit_ebno_db,
    snr_to_ebno_db,
)


def test_snr_conventions_and_limits() -> None:
    assert ebno_to_snr_db(3.0, 0.5, 2) == pytest.approx(3.0)
    assert ebno_to_snr_db(3.0, 2 / 3, 4) == pytest.approx(3.0 + 10 * math.log10(8 / 3))
    assert snr_to_ebno_db(ebno_to_snr_db(1.0, 0.5, 4), 0.5, 4) == pytest.approx(1.0)
    assert shannon_limit_ebno_db(0.5, 2) == pytest.approx(0.0)
    assert shannon_limit_ebno_db(2 / 3, 4) == pytest.approx(10 * math.log10((2 ** (8 / 3) - 1) / (8 / 3)))
    assert block_capacity_bits(128, 12, 2, 0.5) == 1536
    assert parse_rate("2/3") == pytest.approx(2 / 3)


def test_bad_codes_are_refused() -> None:
    with pytest.raises(SemcomError, match="not supported by the 5G NR LDPC code"):
        DigitalLink(256, "1/8")
    with pytest.raises(SemcomError, match="fraction"):
        parse_rate("half")
    with pytest.raises(SemcomError, match="QAM order"):
        DigitalLink(256, "1/2", bits_per_symbol=3)
    with pytest.raises(SemcomError, match="k=9000"):
        DigitalLink(9000, "1/2")
    with pytest.raises(SemcomError, match="exactly one"):
        DigitalLink(64, "1/2")(torch.zeros(1, 64))


def test_qpsk_half_rate_bler_waterfall_near_shannon() -> None:
    link = DigitalLink(256, "1/2", 2)
    assert (link.n, link.num_symbols) == (512, 256)
    limit = shannon_limit_ebno_db(0.5, 2)
    res = bler(link, [limit - 0.5, 1.0, 2.0, limit + 2.5], num_blocks=256, batch_size=128)
    b = [r["bler"] for r in res]
    assert b[0] > 0.95  # below the Shannon limit the block error rate stays near 1
    assert all(x >= y for x, y in zip(b, b[1:]))  # falls monotonically
    assert b[-1] <= 1e-2  # BLER 1e-2 reached within 2.5 dB of the limit


def test_fading_costs_more_than_awgn_and_perfect_csi_beats_pilots() -> None:
    awgn = bler(DigitalLink(128, "1/2", 2), [4.0], num_blocks=256, batch_size=128)[0]["bler"]
    perfect = bler(DigitalLink(128, "1/2", 2, channel=BlockFadingChannel(coherence="symbol")), [4.0],
                   num_blocks=256, batch_size=128)[0]["bler"]
    pilot = bler(DigitalLink(128, "1/2", 2, channel=BlockFadingChannel(coherence="symbol", csi="pilot")), [4.0],
                 num_blocks=256, batch_size=128)[0]["bler"]
    assert awgn < perfect <= pilot


def _crossing(ebno: list[float], blers: list[float], target: float = 1e-2) -> float:
    """Eb/N0 where log10(BLER) crosses log10(target), by linear interpolation."""
    lb = np.log10(np.clip(blers, 1e-6, 1))
    for i in range(len(ebno) - 1):
        if lb[i] >= math.log10(target) >= lb[i + 1]:
            t = (math.log10(target) - lb[i]) / (lb[i + 1] - lb[i])
            return ebno[i] + t * (ebno[i + 1] - ebno[i])
    raise AssertionError(f"BLER {blers} never crosses {target}")


@pytest.mark.slow
def test_wrapper_matches_sionna_called_directly() -> None:
    from sionna.phy import config
    from sionna.phy.channel import AWGN
    from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
    from sionna.phy.mapping import BinarySource, Demapper, Mapper
    from sionna.phy.utils import ebnodb2no

    grid = [1.0, 1.25, 1.5, 1.75, 2.0, 2.25]
    blocks = 2048
    ours = [r["bler"] for r in bler(DigitalLink(512, "1/2", 2), grid, num_blocks=blocks, batch_size=128, seed=1)]
    config.seed = 2
    enc = LDPC5GEncoder(512, 1024)
    dec = LDPC5GDecoder(enc, num_iter=20)
    mapper, demapper, awgn, src = Mapper("qam", 2), Demapper("app", "qam", 2), AWGN(), BinarySource()
    direct = []
    for e in grid:
        no = ebnodb2no(e, 2, 0.5)
        errors = 0
        for _ in range(blocks // 128):
            b = src([128, 512])
            errors += int((dec(demapper(awgn(mapper(enc(b)), no), no)) != b).any(dim=1).sum())
        direct.append(errors / blocks)
    assert abs(_crossing(grid, ours) - _crossing(grid, direct)) < 0.2
    assert _crossing(grid, ours) - shannon_limit_ebno_db(0.5, 2) < 2.5
