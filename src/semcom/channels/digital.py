"""The digital link: 5G NR LDPC coding and QAM mapping (Sionna) over a semcom channel.

SNR conventions: the semantic systems use Es/N0 per complex symbol (``snr_db``); the digital link
is usually quoted in Eb/N0 per information bit, Es/N0 = Eb/N0 * r * m for code rate r and m bits
per QAM symbol (:func:`ebno_to_snr_db`; pilot and cyclic-prefix overheads enter when the link
runs on an OFDM grid). Both are accepted.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from semcom.channels.awgn import AWGNChannel
from semcom.channels.core import Channel
from semcom.channels.sionna_rng import import_sionna
from semcom.errors import SemcomError

SUPPORTED_QAM = (2, 4, 6, 8)  # bits per symbol: 4-, 16-, 64-, 256-QAM


def ebno_to_snr_db(ebno_db: float | Tensor, rate: float, bits_per_symbol: int) -> float | Tensor:
    """Es/N0 (dB) = Eb/N0 (dB) + 10 log10(r * m)."""
    return ebno_db + 10.0 * math.log10(rate * bits_per_symbol)


def snr_to_ebno_db(snr_db: float | Tensor, rate: float, bits_per_symbol: int) -> float | Tensor:
    return snr_db - 10.0 * math.log10(rate * bits_per_symbol)


def shannon_limit_ebno_db(rate: float, bits_per_symbol: int) -> float:
    """Smallest Eb/N0 (dB) at which r*m bits per complex channel use are achievable over AWGN
    with Gaussian inputs: (2^(r m) - 1) / (r m). QPSK r=1/2: 0 dB (0.19 dB with QPSK inputs)."""
    eta = rate * bits_per_symbol
    return 10.0 * math.log10((2.0**eta - 1.0) / eta)


def block_capacity_bits(n_subcarriers: int, n_symbols: int, bits_per_symbol: int, rate: float) -> int:
    """B_max = floor(N_st * N_sf * m * r): information bits one transmission block carries (eq. 10
    of Li et al. 2025), with N_st data subcarriers and N_sf data OFDM symbols."""
    return math.floor(n_subcarriers * n_symbols * bits_per_symbol * rate)


def parse_rate(rate: float | str) -> float:
    """``0.5``, ``"1/2"`` or ``"2/3"`` -> float; 5G LDPC supports 1/5 <= r < 1."""
    try:
        r = float(Fraction(rate)) if isinstance(rate, str) else float(rate)
    except (ValueError, ZeroDivisionError):
        raise SemcomError(f"code rate {rate!r} is not a number or a fraction like 1/2") from None
    if not 0.2 <= r < 1.0:
        raise SemcomError(f"code rate {rate!r} is not supported by the 5G NR LDPC code; expected 1/5 <= r < 1")
    return r


class DigitalLink(nn.Module):
    """Bits -> 5G LDPC (k, n) -> QAM -> channel -> equalized symbols -> LLRs -> LDPC decoding -> bits.

    Args:
        k: information bits per codeword (<= 8448).
        rate: code rate (1/2, 2/3, ...), n = round(k / rate) coded bits.
        bits_per_symbol: m = 2 (4-QAM), 4 (16-QAM), 6 (64-QAM), 8; n must be a multiple of m.
        channel: a semcom channel (AWGN by default; block fading is equalized by the channel and
            the LLRs use the post-equalization noise N0 / |h_hat|^2).
        num_iter: belief-propagation iterations (boxplus-phi, no early stopping).
        demapping: ``"app"`` or ``"maxlog"``.

    ``forward(bits, ebno_db=None, snr_db=None, generator=None)``:
        bits: float {0, 1} [B, k]; give exactly one of ``ebno_db`` (per information bit) or
        ``snr_db`` (Es/N0 per QAM symbol), each [] or [B]. Returns the decoded bits [B, k].
    """

    def __init__(self, k: int, rate: float | str = "1/2", bits_per_symbol: int = 2, channel: Channel | None = None,
                 num_iter: int = 20, demapping: str = "app") -> None:
        super().__init__()
        import_sionna()
        from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
        from sionna.phy.mapping import Demapper, Mapper

        r = parse_rate(rate)
        if bits_per_symbol not in SUPPORTED_QAM:
            raise SemcomError(f"bits_per_symbol={bits_per_symbol} is not a supported QAM order; expected {SUPPORTED_QAM}")
        if not 1 <= k <= 8448:
            raise SemcomError(f"k={k} information bits per codeword is not supported by 5G LDPC; expected 1..8448")
        n = round(k / r)
        n += (-n) % bits_per_symbol
        if demapping not in ("app", "maxlog"):
            raise SemcomError(f"demapping={demapping!r}; expected 'app' or 'maxlog'")
        try:
            self.encoder = LDPC5GEncoder(k=k, n=n)
        except ValueError as exc:
            raise SemcomError(f"5G LDPC cannot build a (k={k}, n={n}) code for rate {rate}: {exc}") from None
        self.decoder = LDPC5GDecoder(self.encoder, num_iter=num_iter, hard_out=True)
        self.mapper = Mapper("qam", bits_per_symbol)
        self.demapper = Demapper(demapping, "qam", bits_per_symbol)
        self.channel = channel if channel is not None else AWGNChannel()
        self.k, self.n, self.rate, self.m = k, n, k / n, bits_per_symbol

    @property
    def num_symbols(self) -> int:
        """Complex channel uses per codeword, n / m."""
        return self.n // self.m

    def forward(self, bits: Tensor, ebno_db: float | Tensor | None = None, snr_db: float | Tensor | None = None,
                generator: torch.Generator | None = None) -> Tensor:
        if (ebno_db is None) == (snr_db is None):
            raise SemcomError("give exactly one of ebno_db (per information bit) or snr_db (Es/N0 per symbol)")
        if snr_db is None:
            snr_db = ebno_to_snr_db(torch.as_tensor(ebno_db, dtype=torch.float32), self.rate, self.m)
        if bits.shape[-1] != self.k:
            raise SemcomError(f"expected {self.k} information bits per codeword, got shape {list(bits.shape)}")
        x = self.mapper(self.encoder(bits))
        y, info = self.channel(x, torch.as_tensor(snr_db), return_info=True, generator=generator)
        no_eff: Any = info["noise_var"]
        if "h_hat" in info and getattr(self.channel, "equalizer", "zf") == "zf":
            no_eff = no_eff / info["h_hat"].abs().pow(2)
        llr = self.demapper(y, no_eff.expand(y.shape).float())
        return self.decoder(llr)


def _error_rates(draw: Any, ebno_db: list[float], n: int, batch_size: int, seed: int,
                 k: int) -> list[dict[str, float]]:
    """Monte-Carlo BLER/BER: ``draw(ebno, b, generator) -> (bits, decoded)`` for ``n`` units of ``b``."""
    out = []
    for e in ebno_db:
        g = torch.Generator().manual_seed(seed)
        done = errors = bit_errors = blocks = 0
        while done < n:
            b = min(batch_size, n - done)
            with torch.no_grad():
                bits, hat = draw(e, b, g)
            wrong = (hat != bits).reshape(-1, k)  # one row per codeword
            errors += int(wrong.any(dim=1).sum())
            bit_errors += int(wrong.sum())
            blocks += wrong.shape[0]
            done += b
        out.append({"ebno_db": float(e), "bler": errors / blocks, "ber": bit_errors / (blocks * k), "blocks": blocks})
    return out


def bler(link: DigitalLink, ebno_db: list[float], num_blocks: int, batch_size: int = 64,
         seed: int = 0) -> list[dict[str, float]]:
    """Monte-Carlo BER and BLER of ``link`` at each Eb/N0 over ``num_blocks`` codewords."""

    def draw(e: float, b: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
        bits = torch.randint(0, 2, (b, link.k), generator=g).float()
        return bits, link(bits, ebno_db=e, generator=g)

    rows = _error_rates(draw, ebno_db, num_blocks, batch_size, seed, link.k)
    for r in rows:
        r["snr_db"] = float(ebno_to_snr_db(r["ebno_db"], link.rate, link.m))
    return rows

class MUMIMOOFDMLink(nn.Module):
    """The digital MU-MISO OFDM downlink of Li et al. 2025: per user LDPC + QAM on an OFDM grid with
    pilots, precoded at the BS, through a multi-user channel, LS (or perfect) CSI and LMMSE
    equalization at each user (Sionna's ``LSChannelEstimator`` and ``LMMSEEqualizer``).

    Args:
        grid_subcarriers: N_f; pilots on OFDM symbols [2, 11] (Li et al. 2025), orthogonal across users.
        channel: a :class:`semcom.channels.tr38901.MUMIMODownlinkChannel` with a source of H.
        rate, bits_per_symbol: LDPC code rate and QAM order; one codeword per user and slot carrying
            B_max = floor(N_st * N_sf * m * r) information bits (eq. 10 of Li et al. 2025).
        precoder: ``"rzf"`` (alpha * N0 regularisation, alpha = ``alpha``), ``"zf"`` or ``"mrt"``;
            normalised to total power 1 per resource element.
        csi: ``"ls"`` (LS at the precoded pilots, linear interpolation) or ``"perfect"``.

    ``forward(ebno_db, batch_size, generator=None, bits=None)`` -> ``(bits, bits_hat)`` [B, 1, K, k]; ``bits``
    [B, K, k] sends given payloads (the SSCC baseline) instead of random bits. Eb/N0 counts the
    code rate, modulation order, pilot and cyclic-prefix overhead and the K streams sharing the
    transmit power (Sionna's ``ebnodb2no`` with the resource grid).
    """

    def __init__(self, channel: Any, grid_subcarriers: int = 32, rate: float | str = "1/2", bits_per_symbol: int = 2,
                 precoder: str = "rzf", alpha: float = 1.0, csi: str = "ls", num_users: int = 4, num_iter: int = 20) -> None:
        super().__init__()
        import_sionna()
        from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
        from sionna.phy.mapping import Demapper, Mapper
        from sionna.phy.mimo import StreamManagement
        from sionna.phy.ofdm import LMMSEEqualizer, LSChannelEstimator

        from semcom.channels.ofdm import OFDMGrid
        from semcom.channels.precoding import Precoder

        if csi not in ("ls", "perfect"):
            raise SemcomError(f"csi={csi!r}; expected 'ls' or 'perfect'")
        r = parse_rate(rate)
        self.grid = OFDMGrid(grid_subcarriers, pilot_symbols="li2025", num_streams=num_users)
        n = self.grid.num_data_symbols * bits_per_symbol
        k = block_capacity_bits(grid_subcarriers, self.grid.num_ofdm_symbols - len(self.grid.pilot_symbols),
                                bits_per_symbol, r)
        if k > 8448:
            raise SemcomError(f"B_max = {k} bits exceeds the 5G LDPC limit of 8448 for N_f={grid_subcarriers}, "
                              f"{bits_per_symbol} bits/symbol, rate {rate}")
        self.encoder = LDPC5GEncoder(k=k, n=n)
        self.decoder = LDPC5GDecoder(self.encoder, num_iter=num_iter, hard_out=True)
        self.mapper, self.demapper = Mapper("qam", bits_per_symbol), Demapper("app", "qam", bits_per_symbol)
        self.precoder = Precoder(precoder, alpha=alpha)
        self.sm = StreamManagement(np.ones([num_users, 1], int), num_streams_per_tx=num_users)
        self.estimator = LSChannelEstimator(self.grid.rg, interpolation_type="lin")
        self.equalizer = LMMSEEqualizer(self.grid.rg, self.sm)
        self.channel, self.csi, self.num_users = channel, csi, num_users
        self.k, self.n, self.m, self.rate = k, n, bits_per_symbol, k / n

    def noise_var(self, ebno_db: float) -> float:
        """N0 for Eb/N0 (dB) with unit total transmit power per resource element."""
        import_sionna()
        from sionna.phy.utils import ebnodb2no

        return float(ebnodb2no(ebno_db, self.m, self.rate, resource_grid=self.grid.rg))

    def snr_db(self, ebno_db: float) -> float:
        """Es/N0 per resource element for a given Eb/N0: the total transmit power (1, shared by the K
        streams) over N0. Sionna counts Eb per stream, so this is Eb/N0 * r * m * K * (data REs / REs)
        / (1 + CP / N_f)."""
        return -10.0 * math.log10(self.noise_var(ebno_db))

    def ebno_from_snr_db(self, snr_db: float) -> float:
        """The Eb/N0 (dB) that gives Es/N0 = ``snr_db`` per resource element (the map is a dB offset)."""
        return snr_db - self.snr_db(0.0)

    def forward(self, ebno_db: float, batch_size: int, generator: torch.Generator | None = None,
                bits: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``bits``: optional float {0, 1} [batch_size, K, k] to send (random when None)."""
        K = self.num_users
        if bits is None:
            bits = torch.randint(0, 2, (batch_size, 1, K, self.k), generator=generator).float()
        else:
            if tuple(bits.shape) != (batch_size, K, self.k):
                raise SemcomError(f"bits of shape {list(bits.shape)}; expected [{batch_size}, {K}, {self.k}]")
            bits = bits.float()[:, None]
        x_rg = self.grid.map(self.mapper(self.encoder(bits)))  # [B, 1, K, T, F]
        h = self.channel.draw(batch_size, generator)  # [B, F, T, K, M]
        no = self.noise_var(ebno_db)
        v = self.precoder.matrix(h, no)  # [B, F, T, M, K], total power 1 per RE
        s = x_rg[:, 0].permute(0, 3, 2, 1)  # [B, F, T, K]
        y = self.channel((v @ s[..., None])[..., 0], 10 * math.log10(1 / no), h=h, generator=generator)
        y_s = y.permute(0, 3, 2, 1)[:, :, None]  # [B, K(rx), 1, T, F]
        if self.csi == "ls":
            h_hat, err_var = self.estimator(y_s, torch.tensor(no))
        else:
            h_eff = h @ v  # [B, F, T, K(rx), K(streams)]
            h_hat, err_var = h_eff.permute(0, 3, 4, 2, 1)[:, :, None, None], torch.tensor(0.0)
        x_hat, no_eff = self.equalizer(y_s, h_hat, err_var, torch.tensor(no))  # [B, 1, K, num_data]
        llr = self.demapper(x_hat, no_eff)
        return bits, self.decoder(llr)


def mumimo_bler(link: MUMIMOOFDMLink, ebno_db: list[float], num_slots: int, batch_size: int = 16,
                seed: int = 0) -> list[dict[str, float]]:
    """BLER (one codeword per user and slot) and BER of ``link`` at each Eb/N0."""
    return _error_rates(lambda e, b, g: link(e, b, generator=g), ebno_db, num_slots, batch_size, seed, link.k)


#: modulation orders of the QAM modem (square Gray-coded QAM of Sionna's constellation)
QAM_ORDERS = (4, 16, 64, 256)


def qam_symbol_error_rate(order: int, snr_db: float | Tensor) -> Tensor:
    """Exact symbol error rate of square Gray-coded M-QAM with unit average energy over AWGN at Es/N0 =
    ``snr_db`` with nearest-point (hard) decisions: P_s = 1 - (1 - p)^2, p = 2 (1 - 1/sqrt(M)) Q(sqrt(3 Es/N0 /
    (M - 1))), Q(x) = erfc(x / sqrt(2)) / 2 (Proakis, Digital Communications, eq. 4.3-30)."""
    if order not in QAM_ORDERS:
        raise SemcomError(f"modulation order {order} is not a supported square QAM order; expected one of {QAM_ORDERS}")
    es_n0 = 10.0 ** (torch.as_tensor(snr_db, dtype=torch.float64) / 10.0)
    p = 2.0 * (1.0 - 1.0 / math.sqrt(order)) * 0.5 * torch.erfc(torch.sqrt(3.0 * es_n0 / (order - 1)) / math.sqrt(2.0))
    return 1.0 - (1.0 - p) ** 2


class QAMModem(nn.Module):
    """Index <-> QAM symbol: Sionna's Gray-coded square M-QAM constellation (unit average energy over the M
    points) and its hard-decision symbol demapper (nearest point). The index of a point is its bit label read
    as a binary number, as in Sionna's ``Mapper``.

    Args:
        order: M in :data:`QAM_ORDERS` (4, 16, 64, 256).

    ``modulate(idx)``: int64 [...] in [0, M) -> complex64 [...] points. ``modulate_onehot(w)``: float [..., M]
    (one-hot, possibly with a straight-through gradient) -> complex64 [...] = w @ points (differentiable in w).
    ``demodulate(y)``: complex [...] (equalized received symbols) -> int64 [...] hard decisions.
    """

    points: Tensor

    def __init__(self, order: int = 16) -> None:
        super().__init__()
        if order not in QAM_ORDERS:
            raise SemcomError(f"modulation order {order} is not a supported square QAM order (a codebook size must "
                              f"be one); expected one of {QAM_ORDERS}")
        import_sionna()
        from sionna.phy.mapping import Constellation, SymbolDemapper

        self.order = order
        self.bits_per_symbol = int(math.log2(order))
        constellation = Constellation("qam", self.bits_per_symbol)
        points = constellation.points
        self.register_buffer("points", torch.as_tensor(points).to(torch.complex64).detach().clone(), persistent=False)
        self._demapper = SymbolDemapper(constellation=constellation, hard_out=True)

    def extra_repr(self) -> str:
        return f"order={self.order}"

    def error_rates(self, snr_db: float) -> Tensor:
        """Exact probability [M] that each point is decided wrong over AWGN at Es/N0 = ``snr_db`` (nearest-point
        decisions): per dimension an outer PAM level errs with q, an inner one with 2q, q = Q(d / (2 sigma));
        the mean over the M points is :func:`qam_symbol_error_rate`. With the usage of the indices a system
        sends, sum(usage * error_rates) is its expected index error rate."""
        pts = self.points.to(torch.complex128)
        d = float((pts.unsqueeze(0) - pts.unsqueeze(1)).abs().masked_fill(torch.eye(self.order, dtype=torch.bool),
                                                                           float("inf")).min())
        sigma = math.sqrt(0.5 * 10.0 ** (-snr_db / 10.0))  # per real dimension, N0 / 2
        q = 0.5 * math.erfc(d / (2 * sigma) / math.sqrt(2.0))
        out = []
        for part in (pts.real, pts.imag):
            inner = part.abs() < part.abs().max() - 1e-9
            out.append(torch.where(inner, 2 * q, q))
        return 1.0 - (1.0 - out[0]) * (1.0 - out[1])

    def modulate(self, idx: Tensor) -> Tensor:
        return self.points[idx]

    def modulate_onehot(self, w: Tensor) -> Tensor:
        pts = self.points.to(w.device)
        return torch.complex(w @ pts.real, w @ pts.imag)

    def demodulate(self, y: Tensor) -> Tensor:
        # the demapper's constellation lives on the CPU; hard decisions do not depend on N0
        idx = self._demapper(y.detach().to(torch.complex64).cpu(), torch.ones(()))
        return idx.to(device=y.device, dtype=torch.int64)
