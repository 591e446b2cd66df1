"""Linear MU-MIMO precoders (MRT, ZF, RZF) and SVD precoding for single-user MIMO.

Layout: channel matrices ``H`` have shape [..., K, M] (K single-antenna users or receive antennas,
M transmit antennas), e.g. [batch, N_f, 14, users, bs_antennas] for an OFDM grid: every leading
dimension is a resource element and is precoded independently (batched). Precoding matrices have
shape [..., M, K]; ``x = V @ s`` maps K unit-power streams s to the M antennas.

Power: every precoder is normalised **per resource element** to a total transmit power ``power``:
trace(V V^H) = P, with equal power per stream (Sionna's column normalisation, then a scale of
sqrt(P/K)), so E||x||^2 = P for unit-power independent streams.

MRT and RZF come from Sionna (``cbf_precoding_matrix``, ``rzf_precoding_matrix``); ZF is RZF with
alpha = 0, guarded against singular channels; SVD uses ``torch.linalg.svd`` (Sionna has none).
All are differentiable with respect to H.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from semcom.errors import SemcomError


def _check_h(h: Tensor, who: str) -> None:
    if not torch.is_complex(h) or h.ndim < 2:
        raise SemcomError(f"{who} expects a complex channel matrix [..., K, M], got {h.dtype} {list(h.shape)}")


def _precision(h: Tensor) -> str:
    return "double" if h.dtype == torch.complex128 else "single"


def normalize_precoder(v: Tensor, power: float = 1.0) -> Tensor:
    """Scale [..., M, K] precoders so that trace(V V^H) = ``power`` at every resource element."""
    fro = v.abs().pow(2).sum(dim=(-2, -1), keepdim=True)
    return v * torch.sqrt(power / fro.clamp_min(1e-30))


def mrt(h: Tensor, power: float = 1.0) -> Tensor:
    """Maximum-ratio transmission (conjugate beamforming) V = H^H, normalised. [..., K, M] -> [..., M, K]."""
    from sionna.phy.mimo import cbf_precoding_matrix

    _check_h(h, "mrt")
    return normalize_precoder(cbf_precoding_matrix(h, precision=_precision(h)), power)


def rzf(h: Tensor, alpha: float | Tensor, noise_var: float | Tensor = 1.0, power: float = 1.0) -> Tensor:
    """Regularised ZF: V = H^H (H H^H + alpha * sigma^2 I)^-1, normalised.

    Args:
        h: channel [..., K, M], complex.
        alpha: regulariser (>= 0), scalar or broadcastable to the leading dimensions.
        noise_var: sigma^2 = N0 in the same units as H H^H (unit-power H: N0 = 10^(-SNR/10)).
        power: total transmit power per resource element.
    """
    from sionna.phy.mimo import rzf_precoding_matrix

    _check_h(h, "rzf")
    reg = torch.as_tensor(alpha, dtype=h.real.dtype, device=h.device) * torch.as_tensor(
        noise_var, dtype=h.real.dtype, device=h.device)
    if (reg < 0).any():
        raise SemcomError(f"rzf needs alpha * noise_var >= 0, got {reg.flatten()[:3].tolist()}")
    return normalize_precoder(rzf_precoding_matrix(h, reg, precision=_precision(h)), power)


def zf(h: Tensor, power: float = 1.0, on_singular: Literal["raise", "regularize"] = "raise",
       tol: float = 1e-2) -> Tensor:
    """Zero forcing V = H^H (H H^H)^-1, normalised: H V is diagonal (no multi-user interference).

    A rank-deficient or numerically singular H (two users with the same channel, a nulled
    subcarrier) makes ZF undefined; Sionna then returns NaN silently. Here the result is checked
    (finite, and residual interference ``max |offdiag(H V)| <= tol * min |diag(H V)|``, i.e. at least
    -40 dB for the default tol; in float32 a condition number of ~10^3 already leaves ~-55 dB):
    ``on_singular="raise"`` names the resource
    elements that fail, ``"regularize"`` recomputes those with RZF at alpha = 1e-6 * mean |h|^2.
    """
    _check_h(h, "zf")
    v = rzf(h, 0.0, power=power)
    bad = _zf_failures(h, v, tol)
    if bad.any():
        if on_singular == "raise":
            idx = bad.nonzero()[0].tolist()
            raise SemcomError(
                f"zf: H is singular or ill-conditioned at {int(bad.sum())} of {bad.numel()} resource elements "
                f"(first at index {idx}); users with (nearly) identical channels cannot be separated. "
                "Use rzf with alpha > 0, or zf(..., on_singular='regularize')"
            )
        eps = 1e-6 * h.abs().pow(2).mean().clamp_min(1e-30)
        v = torch.where(bad[..., None, None], rzf(h, eps, power=power), v)
    return v


def _zf_failures(h: Tensor, v: Tensor, tol: float) -> Tensor:
    g = h @ v
    diag = torch.diagonal(g, dim1=-2, dim2=-1).abs()
    off = (g - torch.diag_embed(torch.diagonal(g, dim1=-2, dim2=-1))).abs().amax(dim=(-2, -1))
    finite = torch.isfinite(v).all(dim=-1).all(dim=-1)
    return ~finite | (off > tol * diag.amin(dim=-1)) | (diag.amin(dim=-1) == 0)


def svd_precoding(h: Tensor, num_streams: int | None = None, power: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """SVD precoding for single-user MIMO, H = U S V^H.

    Args:
        h: [..., N_r, N_t].
        num_streams: streams N_s <= min(N_r, N_t) (default min).

    Returns:
        ``(V, W, s)``: precoder V [..., N_t, N_s] (normalised to ``power``), combiner W = U^H
        [..., N_s, N_r], singular values s [..., N_s]. ``W @ H @ V`` is diagonal with entries
        ``s * sqrt(power / N_s)``: parallel channels.
    """
    _check_h(h, "svd_precoding")
    n = min(h.shape[-2], h.shape[-1])
    ns = n if num_streams is None else num_streams
    if not 1 <= ns <= n:
        raise SemcomError(f"num_streams={num_streams} is not in 1..{n} for a {h.shape[-2]}x{h.shape[-1]} channel")
    u, s, vh = torch.linalg.svd(h, full_matrices=False)
    v = vh.mH[..., :ns]
    return normalize_precoder(v, power), u[..., :ns].mH, s[..., :ns]


class Precoder(nn.Module):
    """Module form: ``forward(s, h, noise_var=1.0)`` -> precoded antenna signals.

    Inputs:
        s: complex streams [..., K] (unit power), h: channel [..., K, M], noise_var: N0 (for RZF).
    Output:
        x [..., M] = V s with trace(V V^H) = ``power`` per resource element.

    Args:
        kind: ``"mrt"``, ``"zf"`` or ``"rzf"``; ``alpha`` for RZF.
    """

    def __init__(self, kind: Literal["mrt", "zf", "rzf"] = "rzf", alpha: float = 1.0, power: float = 1.0) -> None:
        super().__init__()
        if kind not in ("mrt", "zf", "rzf"):
            raise SemcomError(f"precoder {kind!r} is not supported; expected 'mrt', 'zf' or 'rzf'")
        self.kind, self.alpha, self.power = kind, alpha, power

    def matrix(self, h: Tensor, noise_var: float | Tensor = 1.0) -> Tensor:
        if self.kind == "mrt":
            return mrt(h, self.power)
        if self.kind == "zf":
            return zf(h, self.power)
        return rzf(h, self.alpha, noise_var, self.power)

    def forward(self, s: Tensor, h: Tensor, noise_var: float | Tensor = 1.0) -> Tensor:
        return (self.matrix(h, noise_var) @ s[..., None])[..., 0]
