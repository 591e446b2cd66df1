"""OFDM resource grids: pilot patterns of seeds 002 and 004, mapping round trips, errors."""

from __future__ import annotations

import pytest
import torch

from semcom import SemcomError
from semcom.channels.ofdm import OFDMGrid


@pytest.mark.parametrize("nf", [32, 64, 128])
def test_li2025_grid(nf: int) -> None:
    g = OFDMGrid(nf, pilot_symbols="li2025")
    assert g.num_data_symbols == 12 * nf
    mask = g.pilot_mask[0, 0]
    assert mask[[2, 11]].all() and not mask[[0, 1, 3, 10, 12, 13]].any()
    x = torch.randn(4, 1, 1, g.num_data_symbols, dtype=torch.complex64)
    grid = g.map(x)
    assert grid.shape == (4, 1, 1, 14, nf)
    assert torch.equal(g.unmap(grid), x)
    # data fill symbol by symbol, subcarrier by subcarrier
    assert grid[0, 0, 0, 0, 1] == x[0, 0, 0, 1] and grid[0, 0, 0, 3, 0] == x[0, 0, 0, 2 * nf]


def test_liu2025_grid_comb_over_antennas() -> None:
    g = OFDMGrid(72, pilot_symbols="liu2025", num_streams=4)
    assert g.pilot_symbols == [0, 4, 9, 13] and g.num_data_symbols == 10 * 72
    pilots = g.pilot_grid()  # [1, 4, 14, 72]
    used = pilots[0, :, 0].abs() > 0  # which subcarriers each stream uses on a pilot symbol
    assert torch.equal(used.sum(0), torch.ones(72, dtype=torch.long))  # orthogonal comb
    assert used[1, 1] and used[1, 5] and not used[1, 2]
    assert torch.allclose(pilots[0, :, 0].abs().pow(2).mean(-1), torch.ones(4))
    x = torch.randn(2, 1, 4, g.num_data_symbols, dtype=torch.complex64)
    assert torch.equal(g.unmap(g.map(x)), x)


def test_bad_grids() -> None:
    with pytest.raises(SemcomError, match="N_f=30 does not fit the pilot pattern"):
        OFDMGrid(30, num_streams=4)
    with pytest.raises(SemcomError, match="pilot pattern 'lte'"):
        OFDMGrid(32, pilot_symbols="lte")
    with pytest.raises(SemcomError, match="outside 0..13"):
        OFDMGrid(32, pilot_symbols=[2, 14])
    g = OFDMGrid(32)
    with pytest.raises(SemcomError, match="expected data symbols"):
        g.map(torch.zeros(1, 1, 1, 10, dtype=torch.complex64))
    with pytest.raises(SemcomError, match="expected a grid"):
        g.unmap(torch.zeros(1, 1, 1, 14, 16, dtype=torch.complex64))
    assert OFDMGrid(32, pilot_symbols=None).num_data_symbols == 14 * 32
