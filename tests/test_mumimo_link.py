"""The digital MU-MISO OFDM downlink: LS estimation, perfect vs LS CSI, BLER behaviour."""

from __future__ import annotations

import pytest
import torch

from semcom import SemcomError
from semcom.channels.digital import MUMIMOOFDMLink, mumimo_bler
from semcom.channels.ofdm import OFDMGrid
from semcom.channels.tr38901 import MUMIMODownlinkChannel, TR38901Downlink


@pytest.fixture(scope="module")
def channel() -> MUMIMODownlinkChannel:
    return MUMIMODownlinkChannel(TR38901Downlink("umi", OFDMGrid(32), seed=11))


def test_ls_estimates_converge_to_the_effective_channel(channel: MUMIMODownlinkChannel) -> None:
    link = MUMIMOOFDMLink(channel, 32, "1/2", 2, precoder="zf", csi="ls")
    g = torch.Generator().manual_seed(0)
    h = channel.draw(4, g)
    v = link.precoder.matrix(h)
    pilots = link.grid.pilot_grid()[0]  # [K, T, F]
    s = pilots.permute(2, 1, 0)[None].expand(4, -1, -1, -1)  # only pilots transmitted
    errs = []
    for snr in (0.0, 20.0, 40.0):
        no = 10 ** (-snr / 10)
        y = channel((v @ s[..., None])[..., 0], snr, h=h, generator=g)
        h_hat, _ = link.estimator(y.permute(0, 3, 2, 1)[:, :, None], torch.tensor(no))
        true = (h @ v).permute(0, 3, 4, 2, 1)[:, :, None, None]
        # compare on the pilot symbols, where LS needs no interpolation in time
        errs.append(float((h_hat - true)[..., [2, 11], :].abs().pow(2).mean() / true.abs().pow(2).mean()))
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-3


def test_perfect_csi_is_no_worse_than_ls(channel: MUMIMOOFDMLink) -> None:
    res = {}
    for csi in ("perfect", "ls"):
        link = MUMIMOOFDMLink(channel, 32, "1/2", 2, csi=csi)
        res[csi] = mumimo_bler(link, [6.0], num_slots=24, batch_size=12)[0]
    assert res["perfect"]["ber"] <= res["ls"]["ber"]
    assert res["perfect"]["blocks"] == 24 * 4


def test_bler_falls_with_snr(channel: MUMIMODownlinkChannel) -> None:
    link = MUMIMOOFDMLink(channel, 32, "1/2", 2, csi="perfect", precoder="zf")
    b = [r["ber"] for r in mumimo_bler(link, [-4.0, 4.0, 12.0], num_slots=12, batch_size=12)]
    assert b[0] > b[1] > b[2]


def test_bad_link_parameters(channel: MUMIMODownlinkChannel) -> None:
    with pytest.raises(SemcomError, match="csi='blind'"):
        MUMIMOOFDMLink(channel, 32, csi="blind")
    with pytest.raises(SemcomError, match="5G NR LDPC"):
        MUMIMOOFDMLink(channel, 32, rate="1/9")


def test_bler_command_writes_json_and_plot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from semcom.cli import main

    assert main(["bler", "--scenario", "rma", "--nf", "32", "--mod", "4qam", "--rate", "1/2", "--csi", "perfect",
                 "--ebno", "0,10", "--slots", "4", "--out", str(tmp_path), "--name", "b"]) == 0
    rows = json.loads((tmp_path / "b.json").read_text())["rows"]
    assert [(r["scenario"], r["ebno_db"]) for r in rows] == [("rma", 0.0), ("rma", 10.0)]
    assert (tmp_path / "b.png").stat().st_size > 1000
    md = (tmp_path / "b.md").read_text()
    assert "Eb/N0 @ 1e-2" in md and "Es/N0 per RE @ 1e-1" in md and all("snr_db" in r for r in rows)
    assert main(["bler", "--mod", "8psk", "--slots", "1", "--out", str(tmp_path)]) == 2


def test_crossing() -> None:
    from semcom.evaluation.bler import crossing_db

    assert crossing_db([(0.0, 1.0), (2.0, 0.01)], 0.1) == 1.0
    assert crossing_db([(0.0, 1.0), (2.0, 0.5)], 0.1) is None
    assert crossing_db([(0.0, 0.5), (1.0, 0.0)], 0.01) == 1.0


def test_snr_and_ebno_conventions_of_the_ofdm_link(channel: MUMIMODownlinkChannel) -> None:
    import math

    link = MUMIMOOFDMLink(channel, 32, "1/2", 2)
    # Sionna's count: Eb is per stream and per information bit, so the total transmit power over N0 is
    # Eb/N0 * r m * K streams * (data REs / all REs) / (1 + CP / N_f)
    offset = link.snr_db(0.0)
    assert link.snr_db(7.0) == pytest.approx(7.0 + offset, abs=1e-4)
    assert link.ebno_from_snr_db(link.snr_db(3.0)) == pytest.approx(3.0, abs=1e-4)
    expected = 10 * math.log10(1.0 * 4 * 12 / 14 * 32 / (32 + 20))
    assert offset == pytest.approx(expected, abs=0.05)
