"""OFDM resource grids with pilots (Sionna's ``ResourceGrid``), and mapping data onto them and back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from semcom.channels.sionna_rng import import_sionna
from semcom.errors import SemcomError

#: pilot OFDM symbol indices (0-based) of the papers: Li et al. 2025 (MU-MIMO OFDM) use symbols 2 and 11;
#: Liu et al. 2025 (foundation-model image transmission) the 5G pattern on symbols 1, 5, 10 and 14 (1-based),
#: a comb over antennas (Kronecker pattern).
PILOT_PATTERNS: dict[str, list[int]] = {"li2025": [2, 11], "liu2025": [0, 4, 9, 13]}


class OFDMGrid:
    """An OFDM resource grid: N_f subcarriers x 14 OFDM symbols, pilots on whole OFDM symbols.

    Args:
        num_subcarriers: N_f (FFT size; 32, 64, 128 in Li et al. 2025, 72 in Liu et al. 2025).
        num_ofdm_symbols: OFDM symbols per slot (14).
        subcarrier_spacing: Hz (15 kHz).
        cyclic_prefix_length: samples (20).
        pilot_symbols: ``"li2025"`` (symbols 2 and 11), ``"liu2025"`` (symbols 0, 4, 9, 13), a list of
            0-based OFDM symbol indices, or None.
        num_tx, num_streams: transmitters and streams per transmitter; the pilots of different
            streams are orthogonal in frequency (Sionna's Kronecker pattern: stream s uses every
            num_streams-th subcarrier, starting at s), so N_f must be a multiple of num_tx * num_streams.
        carrier_frequency: Hz (2.6 GHz), kept for the channel models.

    Shapes: ``map``: data [B, num_tx, num_streams, num_data_symbols] -> grid
    [B, num_tx, num_streams, num_ofdm_symbols, N_f]; ``unmap`` is its inverse (pilots dropped). Data fill
    the non-pilot resource elements OFDM symbol by OFDM symbol, subcarrier by subcarrier. Pilots have
    unit average energy per stream over a pilot OFDM symbol, like the data.
    """

    def __init__(self, num_subcarriers: int = 64, num_ofdm_symbols: int = 14, subcarrier_spacing: float = 15e3,
                 cyclic_prefix_length: int = 20, pilot_symbols: str | Sequence[int] | None = "li2025",
                 num_tx: int = 1, num_streams: int = 1, carrier_frequency: float = 2.6e9) -> None:
        import_sionna()
        from sionna.phy.ofdm import ResourceGrid, ResourceGridMapper

        if isinstance(pilot_symbols, str):
            if pilot_symbols not in PILOT_PATTERNS:
                raise SemcomError(f"pilot pattern {pilot_symbols!r} is unknown; expected one of {sorted(PILOT_PATTERNS)} "
                                  "or a list of OFDM symbol indices")
            pilot_idx: list[int] | None = PILOT_PATTERNS[pilot_symbols]
        else:
            pilot_idx = list(pilot_symbols) if pilot_symbols is not None else None
        if num_subcarriers < 1 or num_ofdm_symbols < 1:
            raise SemcomError(f"an OFDM grid needs >= 1 subcarrier and symbol, got {num_subcarriers}x{num_ofdm_symbols}")
        if pilot_idx:
            bad = [i for i in pilot_idx if not 0 <= i < num_ofdm_symbols]
            if bad:
                raise SemcomError(f"pilot OFDM symbols {bad} are outside 0..{num_ofdm_symbols - 1}")
            if num_subcarriers % (num_tx * num_streams):
                raise SemcomError(
                    f"N_f={num_subcarriers} does not fit the pilot pattern: orthogonal pilots for {num_tx * num_streams} "
                    f"streams need N_f to be a multiple of {num_tx * num_streams}"
                )
        try:
            self.rg = ResourceGrid(num_ofdm_symbols=num_ofdm_symbols, fft_size=num_subcarriers,
                                   subcarrier_spacing=subcarrier_spacing, num_tx=num_tx, num_streams_per_tx=num_streams,
                                   cyclic_prefix_length=cyclic_prefix_length,
                                   pilot_pattern="kronecker" if pilot_idx else None,
                                   pilot_ofdm_symbol_indices=pilot_idx)
        except (ValueError, AssertionError) as exc:
            raise SemcomError(f"Sionna refused this resource grid: {exc}") from None
        self._mapper = ResourceGridMapper(self.rg)
        self.num_subcarriers, self.num_ofdm_symbols = num_subcarriers, num_ofdm_symbols
        self.num_tx, self.num_streams = num_tx, num_streams
        self.pilot_symbols = pilot_idx or []
        self.carrier_frequency = carrier_frequency
        self.subcarrier_spacing = subcarrier_spacing
        self.cyclic_prefix_length = cyclic_prefix_length

    @property
    def num_data_symbols(self) -> int:
        """Data resource elements per stream."""
        return int(self.rg.num_data_symbols)

    @property
    def pilot_mask(self) -> Tensor:
        """bool [num_tx, num_streams, num_ofdm_symbols, N_f]: True where a stream's grid is reserved
        for pilots (its own pilots and the zeros under the other streams' pilots)."""
        return torch.as_tensor(self.rg.pilot_pattern.mask).bool()

    def pilot_grid(self) -> Tensor:
        """complex [num_tx, num_streams, num_ofdm_symbols, N_f]: the known pilots, zero elsewhere."""
        zeros = torch.zeros(1, self.num_tx, self.num_streams, self.num_data_symbols, dtype=torch.complex64)
        return self._mapper(zeros)[0]

    def map(self, x: Tensor) -> Tensor:
        """Data [B, num_tx, num_streams, num_data_symbols] -> grid [B, num_tx, num_streams, T, N_f]."""
        want = (self.num_tx, self.num_streams, self.num_data_symbols)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise SemcomError(f"expected data symbols [B, {', '.join(map(str, want))}], got {list(x.shape)}")
        return self._mapper(x)

    def unmap(self, grid: Tensor) -> Tensor:
        """Grid [B, num_tx, num_streams, T, N_f] -> data [B, num_tx, num_streams, num_data_symbols]."""
        if grid.ndim != 5 or tuple(grid.shape[1:]) != (self.num_tx, self.num_streams, self.num_ofdm_symbols,
                                                       self.num_subcarriers):
            raise SemcomError(f"expected a grid [B, {self.num_tx}, {self.num_streams}, {self.num_ofdm_symbols}, "
                              f"{self.num_subcarriers}], got {list(grid.shape)}")
        data = (~self.pilot_mask.to(grid.device)).flatten(-2)  # the same data positions for every stream
        return grid.flatten(-2)[..., data[0, 0]]

    def describe(self) -> dict[str, Any]:
        return {"num_subcarriers": self.num_subcarriers, "num_ofdm_symbols": self.num_ofdm_symbols,
                "subcarrier_spacing_hz": self.subcarrier_spacing, "cyclic_prefix_length": self.cyclic_prefix_length,
                "pilot_ofdm_symbols": self.pilot_symbols, "num_data_symbols": self.num_data_symbols,
                "carrier_frequency_hz": self.carrier_frequency}
