"""RZF solved once per subcarrier on a slot-static channel equals the per-symbol solve within float tolerance
(values and the regulariser's gradient), and a channel that varies over the slot is still solved per symbol."""

from __future__ import annotations

import torch

from semcom.channels.precoding import rzf_matrix, static_over_slot


def _per_symbol(h: torch.Tensor, reg: torch.Tensor) -> torch.Tensor:
    from semcom.channels.sionna_rng import import_sionna

    import_sionna()
    from sionna.phy.mimo import rzf_precoding_matrix

    return rzf_precoding_matrix(h, reg, precision="single")


def _slot_channel(b: int = 3, f: int = 8, t: int = 14, jitter: float = 5e-7) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    h0 = torch.complex(torch.randn(b, f, 1, 4, 4, generator=g), torch.randn(b, f, 1, 4, 4, generator=g)) / 2 ** 0.5
    wiggle = torch.complex(torch.randn(b, f, t, 4, 4, generator=g), torch.randn(b, f, t, 4, 4, generator=g))
    return h0.expand(b, f, t, 4, 4) + jitter * wiggle  # what a 3GPP bank holds: constant up to float rounding


def test_slot_static_rzf_matches_the_per_symbol_solve_and_its_gradient() -> None:
    h = _slot_channel()
    alpha = torch.tensor(0.7, requires_grad=True)
    n0 = torch.tensor([0.1, 0.5, 1.0]).reshape(3, 1, 1)
    assert static_over_slot(h, alpha.detach() * n0)
    fast = rzf_matrix(h, alpha * n0)
    assert fast.shape == (3, 8, 14, 4, 4) and fast.stride(2) == 0  # one solve per subcarrier, a broadcast view
    w = torch.randn(fast.shape, generator=torch.Generator().manual_seed(1))
    (g_fast,) = torch.autograd.grad((fast.real * w).sum(), alpha)
    slow = _per_symbol(h, alpha * n0)
    (g_slow,) = torch.autograd.grad((slow.real * w).sum(), alpha)
    assert torch.allclose(fast, slow, rtol=1e-4, atol=1e-5)
    assert abs(float(g_slow)) > 1.0 and torch.allclose(g_fast, g_slow, rtol=1e-4)


def test_a_channel_that_varies_over_the_slot_is_solved_per_symbol() -> None:
    h = _slot_channel(jitter=1e-2)  # Doppler-like variation
    reg = torch.tensor(0.1)
    assert not static_over_slot(h, reg)
    assert torch.equal(rzf_matrix(h, reg), _per_symbol(h, reg))
    assert not static_over_slot(h[:, :, :1], reg)  # one symbol: nothing to share
    assert not static_over_slot(_slot_channel(), torch.full((3, 8, 14), 0.1))  # a regulariser per symbol
