"""Issue 15: the MU-MIMO OFDM system's fast training path computes what the reference path computes; the pilots
are the same in every build; the DJSCC baseline's pilot receiver; Fig. 10's hybrid ZF precoder."""

import math

import pytest
import torch
from torch.nn import functional as F

from semcom.allocator import retain_freed_memory
from semcom.channels.ofdm import MultiUserPilotReceiver, OFDMGrid
from semcom.channels.precoding import Precoder
from semcom.channels.tr38901 import MUMIMODownlinkChannel
from semcom.errors import SemcomError
from semcom.models.precoders import HybridRZF
from semcom.systems.mumimo import VARIANTS, MUMIMOSemanticSystem


def _flat_in_slot(b: int, nf: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    h = torch.complex(torch.randn(b, nf, 1, 4, 4, generator=g), torch.randn(b, nf, 1, 4, 4, generator=g)) / 2 ** 0.5
    return h.expand(b, nf, 14, 4, 4).contiguous()  # constant over the slot, like a channel bank


def _step(system: MUMIMOSemanticSystem, img, labels, h) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    system.zero_grad(set_to_none=True)
    out = system(img, torch.linspace(-7, 7, img.shape[0]), generator=torch.Generator().manual_seed(1), h=h)
    loss = F.mse_loss(out["recon"], img) + 0.01 * F.cross_entropy(out["logits"].flatten(0, 1), labels.flatten())
    loss.backward()
    return out["recon"].detach(), {n: p.grad.clone() for n, p in system.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("variant", VARIANTS)
def test_fast_path_has_the_reference_outputs_and_gradients(variant: str) -> None:
    torch.manual_seed(0)
    ref = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, variant, fast_path=False).train()
    fast = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, variant, fast_path=True).train()
    fast.load_state_dict(ref.state_dict())
    w = next(p for p in fast.encoder.parameters() if p.ndim == 4)
    assert w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous()
    g = torch.Generator().manual_seed(2)
    img, labels, h = torch.rand(6, 4, 3, 32, 32, generator=g), torch.randint(0, 10, (6, 4), generator=g), _flat_in_slot(6, 32)
    r_ref, g_ref = _step(ref, img, labels, h)
    r_fast, g_fast = _step(fast, img, labels, h)
    assert (r_ref - r_fast).abs().max() < 1e-5
    assert g_ref.keys() == g_fast.keys()
    scale = max(v.abs().max() for v in g_ref.values())
    for name in g_ref:  # within float rounding of the largest gradient (biases before batch norm have ~0 gradients)
        torch.testing.assert_close(g_fast[name], g_ref[name], rtol=1e-3, atol=float(scale) * 1e-3, msg=name)
    # and an Adam step moves both to the same weights
    for system, grads in ((ref, g_ref), (fast, g_fast)):
        opt = torch.optim.Adam(system.parameters(), lr=1e-3)
        for n, p in system.named_parameters():
            p.grad = grads.get(n)
        opt.step()
    w_ref, w_fast = ref.state_dict(), fast.state_dict()
    assert max(float((w_ref[k].float() - w_fast[k].float()).abs().max()) for k in w_ref) < 2e-3


def test_fast_path_switches_back_to_the_reference_layout() -> None:
    s = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full")
    assert s.channels_last and all(m.inplace for m in s.modules() if isinstance(m, torch.nn.ReLU))
    s.use_fast_path(False)
    w = s.encoder.stem[0].body[0].weight
    assert not s.channels_last and w.is_contiguous() and not any(
        m.inplace for m in s.modules() if isinstance(m, torch.nn.ReLU))


def test_pilots_are_the_same_in_every_build_and_leave_the_global_rng_alone() -> None:
    torch.manual_seed(5)
    a = OFDMGrid(32, pilot_symbols="li2025", num_streams=4).pilot_grid()
    after = torch.rand(3)
    torch.manual_seed(5)
    torch.rand(7)  # another global state: the pilots must not depend on it
    b = OFDMGrid(32, pilot_symbols="li2025", num_streams=4).pilot_grid()
    torch.manual_seed(5)
    OFDMGrid(32, pilot_symbols="li2025", num_streams=4)
    assert torch.equal(a, b) and torch.equal(torch.rand(3), after)
    c = OFDMGrid(32, pilot_symbols="li2025", num_streams=4, pilot_seed=1).pilot_grid()
    assert not torch.equal(a, c) and torch.equal(a != 0, c != 0)  # another seed: other QPSK values, same positions
    s1 = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full")
    s2 = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full")
    assert torch.equal(s1.pilot_ref, s2.pilot_ref)


def test_allocator_setting_reports_whether_it_applies() -> None:
    on = retain_freed_memory(True)
    off = retain_freed_memory(False)
    assert on == off and isinstance(on, bool)


def _precoded(grid: OFDMGrid, snr_db: float, b: int = 16, seed: int = 0, flat: bool = True):
    g = torch.Generator().manual_seed(seed)
    s = torch.complex(torch.randn(b, 1, 4, grid.num_data_symbols, generator=g),
                      torch.randn(b, 1, 4, grid.num_data_symbols, generator=g)) / 2 ** 0.5
    h = _flat_in_slot(b, 1, seed).expand(b, grid.num_subcarriers, 14, 4, 4) if flat else _flat_in_slot(b, grid.num_subcarriers, seed)
    n0 = torch.full((b,), 10 ** (-snr_db / 10))
    x = Precoder("rzf", alpha=1.0, normalization="grid")(grid.map(s)[:, 0].permute(0, 3, 2, 1), h, n0)
    y = (h @ x[..., None])[..., 0]
    noise = torch.complex(torch.randn(y.shape, generator=g), torch.randn(y.shape, generator=g))
    return s[:, 0], y + (n0[:, None, None, None] / 2).sqrt() * noise, n0


@pytest.mark.parametrize("mode", ["scalar", "lmmse"])
def test_pilot_receiver_recovers_the_data_and_improves_with_snr(mode: str) -> None:
    grid = OFDMGrid(32, pilot_symbols="li2025", num_streams=4)
    rx = MultiUserPilotReceiver(grid, mode)
    mse = []
    for snr in (0.0, 10.0, 40.0):
        s, y, n0 = _precoded(grid, snr)
        mse.append(float((rx(y, n0) - s).abs().pow(2).mean()))
    assert mse[0] > mse[1] > mse[2] and mse[2] < 1e-2  # near ZF at 40 dB on a frequency-flat channel


def test_pilot_receiver_undoes_the_precoder_gain_and_is_differentiable() -> None:
    grid = OFDMGrid(32, pilot_symbols="li2025", num_streams=4)
    rx = MultiUserPilotReceiver(grid)
    _, y, n0 = _precoded(grid, 10.0)
    y = y.requires_grad_()
    out = rx(y, n0)
    torch.testing.assert_close(rx(0.3 * y, n0), out)  # a scaled received grid gives the same symbols
    out.real.sum().backward()
    assert y.grad is not None and torch.isfinite(y.grad).all()
    with pytest.raises(SemcomError, match="expected received grids"):
        rx(y[..., :3], n0)
    with pytest.raises(SemcomError, match="receiver mode"):
        MultiUserPilotReceiver(grid, "mmse")


def test_djscc_baseline_decodes_equalized_symbols() -> None:
    s = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "djscc").eval()
    assert isinstance(s.receiver, MultiUserPilotReceiver)
    img, h = torch.rand(2, 4, 3, 32, 32), _flat_in_slot(2, 32)
    with torch.no_grad():
        out = s(img, 5.0, generator=torch.Generator().manual_seed(0), h=h)
    assert out["recon"].shape == (2, 4, 3, 32, 32) and torch.isfinite(out["recon"]).all()


def test_hybrid_zf_keeps_the_residual_and_holds_alpha_at_zero() -> None:
    s = MUMIMOSemanticSystem(MUMIMODownlinkChannel(None), 32, "full", precoder="hybrid_zf")
    pre = s.precoder
    assert isinstance(pre, HybridRZF) and pre.residual is not None and float(pre.alpha) == 0.0
    assert not pre.alpha_raw.requires_grad
    # the residual starts at zero: a fresh module is ZF, which nulls the other users' streams
    h = _flat_in_slot(2, 32)[:, :, :1]
    pre.eval()
    for k in range(4):
        st = torch.zeros(2, 32, 1, 4, dtype=torch.complex64)
        st[..., k] = 1.0  # stream k alone
        y = (h @ pre(st, h, torch.full((2,), 0.1))[..., None])[..., 0]
        others = torch.cat([y[..., :k], y[..., k + 1:]], -1)
        assert others.abs().max() < 1e-3 * y[..., k].abs().mean()  # float32 ZF; RZF would leak ~10 %
    with pytest.raises(SemcomError, match="alpha_fixed"):
        HybridRZF(alpha_fixed=-1.0)
    with pytest.raises(SemcomError, match="alpha_fixed"):
        HybridRZF(alpha_fixed=math.inf)
