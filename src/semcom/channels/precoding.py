"""Linear MU-MIMO precoders (MRT, ZF, RZF) and SVD precoding for single-user MIMO.

Layout: channel matrices ``H`` have shape [..., K, M] (K single-antenna users or receive antennas,
M transmit antennas), e.g. [batch, N_f, 14, users, bs_antennas] for an OFDM grid: every leading
dimension is a resource element and is precoded independently (batched). Precoding matrices have
shape [..., M, K]; ``x = V @ s`` maps K unit-power streams s to the M antennas.

Power constraint (one, everywhere in semcom): the **total transmit power over the resource grid** is
P = ``power``: the mean over the grid's resource elements of E||x||^2 summed over the M antennas equals P
(the E|X|^2 = P of Li et al. 2025, the MU-MIMO OFDM paper), and the SNR is Es/N0 = P / N0 per resource
element. Two normalisations meet it (``normalization=``):

* ``"resource_element"``: trace(V V^H) = P at every resource element (Sionna's column normalisation and a
  scale), so E||x||^2 = P at every RE for unit-power independent streams: what the digital link uses,
  whose QAM streams are unit power;
* ``"grid"``: V unnormalised, and each sample's precoded grid x [B, F, T, M] scaled so that its mean
  ||x||^2 over the F x T resource elements is exactly P (power may move between REs): what the
  end-to-end semantic system uses, whose streams are learned.

Both radiate the same energy per resource grid on average (tested), so the digital baseline and the
semantic system are compared at equal transmit power and equal N0.

MRT and RZF come from Sionna (``cbf_precoding_matrix``, ``rzf_precoding_matrix``); ZF is RZF with
alpha = 0, guarded against singular channels; SVD uses ``torch.linalg.svd`` (Sionna has none).
All are differentiable with respect to H. Registry: :data:`PRECODERS` (``create(name, ...)``); learned
precoders (``semcom.models.precoders``) are built on these functions.

Contract of a precoder module: ``forward(s, h, noise_var) -> x`` with streams s [..., K] (complex, unit
power), channel h [..., K, M], N0 ``noise_var`` (scalar or one per sample [B]) and x [..., M] meeting the
power constraint above.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor, nn

from semcom.channels.sionna_rng import import_sionna
from semcom.errors import SemcomError
from semcom.registry import Registry

Normalization = Literal["resource_element", "grid"]
NORMALIZATIONS = ("resource_element", "grid")


def _check_h(h: Tensor, who: str) -> None:
    if not torch.is_complex(h) or h.ndim < 2:
        raise SemcomError(f"{who} expects a complex channel matrix [..., K, M], got {h.dtype} {list(h.shape)}")
    if not bool(torch.isfinite(h).all()):
        bad = int((~torch.isfinite(h)).any(dim=-1).any(dim=-1).sum())
        raise SemcomError(f"{who}: the channel H holds NaN or infinite entries at {bad} resource element(s); "
                          "check the channel source (bank, estimator) before precoding")


def _precision(h: Tensor) -> str:
    return "double" if h.dtype == torch.complex128 else "single"


def normalize_precoder(v: Tensor, power: float = 1.0) -> Tensor:
    """Scale [..., M, K] precoders so that trace(V V^H) = ``power`` at every resource element."""
    fro = v.abs().pow(2).sum(dim=(-2, -1), keepdim=True)
    return v * torch.sqrt(power / fro.clamp_min(1e-30))


def total_power_normalize(x: Tensor, power: float = 1.0) -> Tensor:
    """Scale each sample's precoded grid x [B, F, T, M] so that the mean over (F, T) of sum_m |x|^2 is ``power``."""
    p = x.abs().pow(2).sum(-1).mean(dim=(1, 2), keepdim=True)[..., None]
    return x * torch.sqrt(power / p.clamp_min(1e-30))


def per_sample(v: Tensor | float, h: Tensor) -> Tensor:
    """A scalar or per-sample [B] value shaped to broadcast over h's resource elements [B, F, T] (h [B, F, T, K, M])."""
    t = torch.as_tensor(v, dtype=h.real.dtype, device=h.device)
    return t.reshape(-1, *([1] * (h.ndim - 3))) if t.ndim else t


#: Relative tolerance (of max |H|) under which a resource grid's channel h [B, F, T, K, M] counts as constant
#: over the slot's T OFDM symbols. The 3GPP banks vary by about 5e-7 of max |H| over a slot (float rounding of
#: Sionna's time evolution), so RZF is solved once per subcarrier and broadcast over the slot, where solving it
#: for every symbol gave the same matrix 14 times.
SLOT_STATIC_RTOL = 1e-5


def static_over_slot(h: Tensor, reg: Tensor) -> bool:
    """True when h [..., F, T, K, M] (T > 1) and ``reg`` (broadcastable to [..., F, T]) do not vary over T,
    to :data:`SLOT_STATIC_RTOL` of max |H|."""
    if h.ndim < 5 or h.shape[-3] < 2 or (reg.ndim > 0 and reg.shape[-1] != 1):
        return False
    with torch.no_grad():  # one reduction pair and one host sync per call
        return bool((h - h[..., :1, :, :]).abs().amax() <= SLOT_STATIC_RTOL * h.abs().amax())


def rzf_matrix(h: Tensor, reg: Tensor | float) -> Tensor:
    """The unnormalised V = H^H (H H^H + reg I)^-1 per resource element (Sionna); h [..., K, M], reg
    broadcastable to [...]. No guard: reg = 0 on a singular H gives inf/NaN.

    For a grid h [..., F, T, K, M] that is constant over the slot (:func:`static_over_slot`), V is solved on
    the first OFDM symbol and broadcast over the T symbols (a view; ``reg``'s gradient is the sum over them)."""
    import_sionna()
    from sionna.phy.mimo import rzf_precoding_matrix

    r = torch.as_tensor(reg, dtype=h.real.dtype, device=h.device)
    if static_over_slot(h, r):
        v = rzf_precoding_matrix(h[..., :1, :, :], r, precision=_precision(h))
        return v.expand(*h.shape[:-2], h.shape[-1], h.shape[-2])
    return rzf_precoding_matrix(h, r, precision=_precision(h))


def mrt(h: Tensor, power: float = 1.0) -> Tensor:
    """Maximum-ratio transmission (conjugate beamforming) V = H^H, normalised. [..., K, M] -> [..., M, K]."""
    import_sionna()
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
    import_sionna()
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
    """A classical precoder as a module: ``forward(s, h, noise_var=1.0)`` -> precoded antenna signals.

    Inputs:
        s: complex streams [..., K] (unit power); for ``normalization="grid"`` the layout is [B, F, T, K].
        h: channel [..., K, M] (e.g. [B, F, T, K, M]), complex.
        noise_var: N0 (for RZF), a scalar or one per sample [B].
    Output:
        x [..., M] = V s, meeting the total power constraint (module docstring) with ``normalization``.

    Args:
        kind: ``"mrt"``, ``"zf"``, ``"rzf"`` or ``"svd"`` (the right singular vectors of each H, one
            stream per singular value: single-user MIMO); ``alpha`` for RZF (0 is ZF without the guard).
        power: P. normalization: ``"resource_element"`` or ``"grid"``.
    """

    def __init__(self, kind: str = "rzf", alpha: float = 1.0, power: float = 1.0,
                 normalization: Normalization = "resource_element") -> None:
        super().__init__()
        if kind not in ("mrt", "zf", "rzf", "svd"):
            raise SemcomError(f"precoder {kind!r} is not supported; expected 'mrt', 'zf', 'rzf' or 'svd'")
        if normalization not in NORMALIZATIONS:
            raise SemcomError(f"precoder normalization {normalization!r}; expected one of: {', '.join(NORMALIZATIONS)}")
        if not alpha >= 0:
            raise SemcomError(f"alpha={alpha} must be >= 0 (0 is ZF)")
        self.kind, self.alpha, self.power, self.normalization = kind, float(alpha), float(power), normalization

    def matrix(self, h: Tensor, noise_var: float | Tensor = 1.0) -> Tensor:
        """V [..., M, K] normalised per resource element (trace(V V^H) = power)."""
        if self.kind == "mrt":
            return mrt(h, self.power)
        if self.kind == "zf":
            return zf(h, self.power)
        if self.kind == "svd":
            return svd_precoding(h, power=self.power)[0]
        return rzf(h, self.alpha, per_sample(noise_var, h), self.power)

    def raw_matrix(self, h: Tensor, noise_var: float | Tensor = 1.0) -> Tensor:
        """V [..., M, K] before any power normalisation (what ``normalization="grid"`` scales afterwards)."""
        if self.kind == "rzf":
            _check_h(h, "rzf")
            return rzf_matrix(h, self.alpha * per_sample(noise_var, h))
        if self.kind == "mrt":
            _check_h(h, "mrt")
            return h.mH
        return self.matrix(h, noise_var)  # zf (guarded) and svd: per-RE normalised; the grid scale follows

    def forward(self, s: Tensor, h: Tensor, noise_var: float | Tensor = 1.0) -> Tensor:
        if self.normalization == "resource_element":
            return (self.matrix(h, noise_var) @ s[..., None])[..., 0]
        return total_power_normalize((self.raw_matrix(h, noise_var) @ s[..., None])[..., 0], self.power)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, alpha={self.alpha:g}, power={self.power:g}, normalization={self.normalization!r}"


PRECODERS: Registry[Any] = Registry("precoder", entry_points="semcom.precoders")
for _kind in ("mrt", "zf", "rzf", "svd"):
    PRECODERS.register(_kind)(lambda _k=_kind, **options: Precoder(_k, **options))


def create(name: str, **options: Any) -> nn.Module:
    """A registered precoder module by name (``mrt``, ``zf``, ``rzf``, ``svd``, or a learned one that
    :mod:`semcom.models.precoders` or an entry point registers) with its options."""
    factory = PRECODERS.get(name)
    try:
        return factory(**options)
    except TypeError as exc:
        raise SemcomError(f"precoder {name!r} does not take these options {sorted(options)}: {exc}") from None
