"""The LDM-receiver paper's closed forms (Theorems 1 and 2 of ../shared/notes/ldm-receiver-math.md)."""

import math

import pytest
import torch

from semcom.errors import SemcomError
from semcom.models import ldm_math as L


def test_linear_schedule_matches_ddpm() -> None:
    betas = L.linear_betas(1000)
    assert betas[0] == pytest.approx(1e-4) and betas[-1] == pytest.approx(0.02) and len(betas) == 1000
    abar = L.alphas_cumprod(betas)
    assert abar[0] == pytest.approx(1 - 1e-4) and 0 < abar[-1] < 1e-4 and (abar[1:] < abar[:-1]).all()
    try:
        from diffusers import DDPMScheduler
    except ImportError:
        return
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear").alphas_cumprod.double()
    assert torch.allclose(abar, ref, rtol=1e-5)


def test_theorem1_discrete_and_continuous() -> None:
    abar = L.alphas_cumprod(L.linear_betas())
    gammas = torch.logspace(-2, 3, 40, dtype=torch.float64)
    t_d = L.timestep_discrete(gammas, abar)
    t_c = L.timestep_continuous(gammas)
    # t* is the step whose abar is nearest abar*, so the SNR inside x_t* equals the channel's up to one step
    a_star = L.abar_star(gammas)
    err = (abar[t_d] - a_star).abs()
    for shift in (-1, 1):
        nb = (t_d + shift).clamp(0, 999)
        assert (err <= (abar[nb] - a_star).abs() + 1e-15).all()
    mid = (gammas > 0.05) & (gammas < 50)  # where the schedule is fine-grained, the SNRs agree closely
    snr_t = abar[t_d] / (1 - abar[t_d])
    assert torch.allclose(torch.log(snr_t[mid]), torch.log(gammas[mid]), atol=0.03)
    assert (t_d[1:] <= t_d[:-1]).all() and (t_c[1:] < t_c[:-1]).all()  # decreasing in gamma
    assert (t_c - t_d.double()).abs().max() < 3.0  # the continuous root is the discrete step, +- a few steps
    assert float(L.timestep_continuous(1e9)) < 1e-3 and float(L.timestep_continuous(1e-30)) == 1000.0
    assert L.abar_star(1.0) == pytest.approx(0.5) and L.abar_star(3.0, power=1.0) == pytest.approx(0.75)


def test_theorem2_scaling_puts_y_into_the_denoisers_distribution() -> None:
    g = torch.Generator().manual_seed(0)
    z = torch.randn(200_000, generator=g, dtype=torch.float64)  # latents with P = 1
    for gain, sigma2 in ((1.0, 0.1), (0.3, 0.5), (2.0, 1.0)):
        y = math.sqrt(gain) * z + math.sqrt(sigma2) * torch.randn(200_000, generator=g, dtype=torch.float64)
        p = y.pow(2).mean()
        gamma = L.received_snr(p, sigma2)
        assert float(gamma) == pytest.approx(gain / sigma2, rel=0.03)
        a = L.abar_star(gamma)
        s = L.scale(p, a)
        assert float(s) > 0
        assert float(s**2 * gain) == pytest.approx(float(a), rel=0.03)  # s^2 g = abar*
        assert float(s**2 * sigma2) == pytest.approx(float(1 - a), rel=0.03)  # s^2 sigma^2 = 1 - abar*
        assert float((s * y).pow(2).mean()) == pytest.approx(1.0, rel=1e-9)
    p1, p2 = 1.0 + 0.1, 1.0 + 1.0  # same gain, more noise -> smaller scale
    assert float(L.scale(p2, L.abar_star(L.received_snr(p2, 1.0)))) < float(L.scale(p1, L.abar_star(L.received_snr(p1, 0.1))))


def test_one_step_estimate_inverts_the_forward_process() -> None:
    x0 = torch.randn(4, 4, 8, 8)
    eps = torch.randn_like(x0)
    a = torch.tensor([0.9, 0.5, 0.1, 0.01])
    xt = a.sqrt()[:, None, None, None] * x0 + (1 - a).sqrt()[:, None, None, None] * eps
    assert torch.allclose(L.one_step_estimate(xt, eps, a), x0, atol=1e-4)


def test_bad_inputs() -> None:
    with pytest.raises(SemcomError, match="bad linear schedule"):
        L.linear_betas(1000, 0.02, 1e-4)
    with pytest.raises(SemcomError, match="linear, not dB"):
        L.abar_star(-3.0)
