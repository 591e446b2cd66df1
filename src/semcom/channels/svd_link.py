"""The single-user MIMO-OFDM uplink with SVD precoding of Liu et al. 2025 (Sec. II-A, eqs. 2-3 and 26-29).

One frame is K x L x D complex symbols (72 subcarriers x 14 OFDM symbols x D = 2 streams = 2,016). For
resource element (k, l) with channel H [N_r = 2, N_t = 4] and CSI estimate H^ = U^ S^ V^^H (Sionna's
SVD-free torch ``linalg.svd``; the transmitter gets H^ through error-free feedback), the transmitter sends
V^ x (x in C^D, V^ its first D right singular vectors, orthonormal columns), the receiver combines with
U^^H and equalizes each stream with S^: ``x^_n = conj(s_n) r_n / (|s_n|^2 + N0)`` (``"mmse"``, the default)
or ``r_n / s_n`` (``"zf"``). With perfect CSI, U^H H V = S and each stream is the scalar channel
``r_n = s_n x_n + z_n`` (eq. 29): ordered by singular value, stream 1 the strongest.

Noise convention (semcom's, per stream): SNR = Es/N0 with Es = 1 the average energy of one stream's
symbol before precoding (the unit-energy 16-QAM constellation) and noise CN(0, N0) at each receive antenna.
V has orthonormal columns, so D streams put D Es on the antennas; after combining, stream n sees the SNR
``s_n^2 Es / N0``: the channels are normalised per slot to mean |h|^2 = 1 over the grid and antenna pairs
(:class:`~semcom.channels.linklevel.LinkLevelMIMO`), so E[s_1^2 + s_2^2] = N_t N_r = 8, and the
strongest stream gains about 6.8 dB over the nominal SNR, the second about 5 dB (region 1; measured by
``SVDPrecodedMIMO.stream_gains_db``).

CSI: ``"perfect"`` (H^ = H) or ``"ls"``: the 5G pilots of the paper (OFDM symbols 1, 5, 10, 14; antenna j on
subcarriers j, j + 4, ...: K_p = 18, L_p = 4, zero on the other antennas' pilots), sent over the slot's channel
at the same SNR (unit-energy pilots), estimated by least squares with Sionna's ``LSChannelEstimator`` and
linear interpolation to the whole grid. A user's estimator takes its place through ``estimator=``:
``estimator(y_pilots, noise_var, link) -> H^ [B, K, L, N_r, N_t]`` with ``y_pilots`` the received pilot grid
complex [B, N_r, L, K] (part 2 of the paper plugs its CEKM / ReEsNet estimators in here).

The data frame uses all K x L resource elements (the paper counts 4,096 + 4,096 symbols into K x L x D frames
and estimates the channel from its pilot pattern; the pilot overhead is not counted in the symbol budget).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from semcom.channels.core import complex_noise, snr_db_to_noise_var
from semcom.channels.ofdm import OFDMGrid
from semcom.channels.sionna_rng import import_sionna
from semcom.errors import SemcomError

Estimator = Callable[[Tensor, Tensor, "SVDPrecodedMIMO"], Tensor]


def broadcast_snr(snr_db: Tensor | float, batch: int, device: torch.device) -> Tensor:
    """The SNR in dB as [B] (from [] or [B]); one line for any other shape."""
    snr = torch.as_tensor(snr_db, dtype=torch.float32, device=device)
    if snr.ndim > 1 or (snr.ndim == 1 and snr.numel() not in (1, batch)):
        raise SemcomError(f"SNR of shape {list(snr.shape)} does not broadcast to the batch of {batch}; expected [] or [B]")
    return snr.reshape(-1).expand(batch) if snr.numel() == 1 else snr


class SVDPrecodedMIMO(nn.Module):
    """SVD-precoded single-user MIMO-OFDM (module docstring).

    Args:
        source: where the slots' channels come from: an object with ``generate(n, generator=None)`` or
            ``draw(n, generator=None)`` returning H complex64 [n, K, L, N_r, N_t] (a
            :class:`~semcom.channels.linklevel.LinkLevelMIMO`, e.g. :func:`~semcom.channels.linklevel.uplink_region`,
            or a :class:`~semcom.channels.tr38901.ChannelBank` of such slots); None: every call passes ``h``.
        num_streams: D (<= min(N_r, N_t)).
        csi: ``"perfect"`` or ``"ls"``.
        equalizer: ``"mmse"``, ``"zf"`` or ``"none"`` (the combined streams of eq. 28, s_n x_n + z_n).
        estimator: a user's channel estimator (replaces LS; module docstring).
        num_subcarriers, num_ofdm_symbols, num_tx_ant, num_rx_ant: K, L, N_t, N_r (72, 14, 4, 2).

    ``forward(x, snr_db, h=None, generator=None, return_info=False)``:
        x: complex [B, F, K, L, D] frames (stream index last); snr_db: [] or [B] (Es/N0 per stream, dB);
        h: complex [B, F, K, L, N_r, N_t] (drawn from ``source`` when None).
        Returns the equalized (or, with ``equalizer="none"``, combined) streams, complex64 [B, F, K, L, D]; with ``return_info`` also a dict: ``h``,
        ``h_hat``, ``gains`` (|s^_n| [B, F, K, L, D], the receiver's singular values), ``noise_var`` [B].
    """

    def __init__(self, source: Any = None, num_streams: int = 2, csi: str = "perfect", equalizer: str = "mmse",
                 estimator: Estimator | None = None, num_subcarriers: int = 72, num_ofdm_symbols: int = 14,
                 num_tx_ant: int = 4, num_rx_ant: int = 2) -> None:
        super().__init__()
        if csi not in ("perfect", "ls"):
            raise SemcomError(f"csi={csi!r}; expected 'perfect' or 'ls'")
        if equalizer not in ("mmse", "zf", "none"):
            raise SemcomError(f"equalizer={equalizer!r}; expected 'mmse', 'zf' or 'none'")
        if not 1 <= num_streams <= min(num_tx_ant, num_rx_ant):
            raise SemcomError(f"num_streams={num_streams} is not in 1..{min(num_tx_ant, num_rx_ant)} for "
                              f"N_t={num_tx_ant}, N_r={num_rx_ant}")
        self.source, self.csi, self.equalizer, self.estimator = source, csi, equalizer, estimator
        self.num_streams, self.num_tx_ant, self.num_rx_ant = num_streams, num_tx_ant, num_rx_ant
        self.num_subcarriers, self.num_ofdm_symbols = num_subcarriers, num_ofdm_symbols
        self._ls: Any = None
        self.pilot_grid: OFDMGrid | None = None
        if csi == "ls" or estimator is not None:
            # pilots on one OFDM grid with one "stream" per transmit antenna: Sionna's Kronecker pattern puts
            # antenna j on subcarriers j, j + N_t, ... of the pilot symbols (the paper's comb), zero elsewhere
            self.pilot_grid = OFDMGrid(num_subcarriers, num_ofdm_symbols, pilot_symbols="liu2025", num_tx=1,
                                       num_streams=num_tx_ant, carrier_frequency=2.655e9)

    @property
    def frame_symbols(self) -> int:
        """K L D complex symbols per frame."""
        return self.num_subcarriers * self.num_ofdm_symbols * self.num_streams

    def extra_repr(self) -> str:
        return (f"K={self.num_subcarriers}, L={self.num_ofdm_symbols}, N_t={self.num_tx_ant}, N_r={self.num_rx_ant}, "
                f"D={self.num_streams}, csi={self.csi}, equalizer={self.equalizer}")

    def draw(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` slots' channels [n, K, L, N_r, N_t] from the source."""
        if self.source is None:
            raise SemcomError("this SVDPrecodedMIMO link has no channel source: pass h= (or build it with a source)")
        fn = getattr(self.source, "draw", None) or self.source.generate
        h = fn(n, generator=generator)
        want = (self.num_subcarriers, self.num_ofdm_symbols, self.num_rx_ant, self.num_tx_ant)
        if tuple(h.shape[1:]) != want:
            raise SemcomError(f"channel source gives H {list(h.shape)}; expected [n, {', '.join(map(str, want))}]")
        return h

    # --- CSI -------------------------------------------------------------------------------------------
    def pilot_observation(self, h: Tensor, noise_var: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The received pilot grid complex [n, N_r, L, K] of slots h [n, K, L, N_r, N_t] at noise N0 [n] (data REs
        zero: only the pilot resource elements are meaningful)."""
        assert self.pilot_grid is not None
        p = self.pilot_grid.pilot_grid()[0].to(h.device)  # [N_t, L, K]
        y = torch.einsum("nklrt,tlk->nrlk", h, p)
        noise = complex_noise(y.shape, noise_var[:, None, None, None], dtype=torch.complex64, device=h.device,
                              generator=generator)
        mask = (p != 0).any(0)  # [L, K] pilot resource elements
        return (y + noise) * mask

    def least_squares(self, y: Tensor, noise_var: Tensor) -> Tensor:
        """Sionna's LS estimate with linear interpolation: y [n, N_r, L, K] -> H^ [n, K, L, N_r, N_t]."""
        import_sionna()
        from sionna.phy.ofdm import LSChannelEstimator

        assert self.pilot_grid is not None
        if self._ls is None:
            self._ls = LSChannelEstimator(self.pilot_grid.rg, interpolation_type="lin")
        no = noise_var.to(torch.float32)[:, None, None]  # [n, 1 receiver, N_r]
        no = no.expand(-1, 1, self.num_rx_ant)
        h_hat, _ = self._ls(y[:, None].to(torch.complex64), no)  # [n, 1, N_r, 1, N_t, L, K]
        return h_hat[:, 0, :, 0].permute(0, 4, 3, 1, 2).contiguous()  # [n, K, L, N_r, N_t]

    def estimate(self, h: Tensor, noise_var: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The receiver's (and, through feedback, the transmitter's) channel H^ for slots h [n, K, L, N_r, N_t]."""
        if self.csi == "perfect" and self.estimator is None:
            return h
        y = self.pilot_observation(h, noise_var, generator)
        if self.estimator is not None:
            return self.estimator(y, noise_var, self)
        return self.least_squares(y, noise_var)

    @staticmethod
    def decompose(h_hat: Tensor, num_streams: int) -> tuple[Tensor, Tensor, Tensor]:
        """(V [..., N_t, D], U^H [..., D, N_r], s [..., D]) of H^ = U S V^H, singular values descending."""
        u, s, vh = torch.linalg.svd(h_hat, full_matrices=False)
        return vh.mH[..., :num_streams], u[..., :num_streams].mH, s[..., :num_streams]

    def gains(self, h_hat: Tensor) -> Tensor:
        """The streams' singular values s^_n of the CSI [..., K, L, N_r, N_t] -> [..., K, L, D] (descending)."""
        return torch.linalg.svdvals(h_hat)[..., : self.num_streams]

    # --- transmission ----------------------------------------------------------------------------------
    def forward(self, x: Tensor, snr_db: Tensor | float, h: Tensor | None = None, h_hat: Tensor | None = None,
                generator: torch.Generator | None = None, return_info: bool = False) -> Any:
        if not torch.is_complex(x) or x.ndim != 5 or tuple(x.shape[2:]) != (self.num_subcarriers, self.num_ofdm_symbols,
                                                                           self.num_streams):
            raise SemcomError(f"SVDPrecodedMIMO expects complex frames [B, F, {self.num_subcarriers}, "
                              f"{self.num_ofdm_symbols}, {self.num_streams}], got {x.dtype} {list(x.shape)}")
        b, f = x.shape[:2]
        no = snr_db_to_noise_var(broadcast_snr(snr_db, b, x.device))  # [B]
        no_slots = no.repeat_interleave(f)
        if h is None:
            h = self.draw(b * f, generator).to(x.device).reshape(b, f, *self.draw_shape)
        hs = h.reshape(b * f, *h.shape[2:])
        if h_hat is None:
            h_hat = self.estimate(hs, no_slots, generator)
        h_hat = h_hat.reshape(b * f, *h_hat.shape[-4:])
        v, uh, s = self.decompose(h_hat, self.num_streams)  # [n, K, L, N_t, D], [n, K, L, D, N_r], [n, K, L, D]
        xs = x.reshape(b * f, *x.shape[2:]).to(torch.complex64)
        tx = torch.einsum("nkltd,nkld->nklt", v, xs)
        y = torch.einsum("nklrt,nklt->nklr", hs.to(torch.complex64), tx)
        y = y + complex_noise(y.shape, no_slots[:, None, None, None], dtype=torch.complex64, device=y.device,
                              generator=generator)
        r = torch.einsum("nkldr,nklr->nkld", uh, y)
        if self.equalizer == "none":  # eq. 28: the combined streams s_n x_n + z_n
            xe = r
        elif self.equalizer == "zf":
            xe = r / s.to(r.dtype)
        else:
            xe = r * s.to(r.dtype) / (s.pow(2) + no_slots[:, None, None, None])
        out = xe.reshape(x.shape)
        if not return_info:
            return out
        return out, {"h": h, "h_hat": h_hat.reshape(b, f, *h_hat.shape[-4:]), "gains": s.reshape(x.shape[:-1] + (-1,)),
                     "noise_var": no}

    @property
    def draw_shape(self) -> tuple[int, int, int, int]:
        return (self.num_subcarriers, self.num_ofdm_symbols, self.num_rx_ant, self.num_tx_ant)

    @torch.no_grad()
    def stream_gains_db(self, n: int = 256, generator: torch.Generator | None = None) -> list[float]:
        """10 log10 E[s_n^2] per stream over ``n`` slots of the source (what SVD adds to the nominal SNR)."""
        s = self.gains(self.draw(n, generator))
        return [float(v) for v in 10 * np.log10(s.pow(2).mean(dim=(0, 1, 2)).numpy())]
