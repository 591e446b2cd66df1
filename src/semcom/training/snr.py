"""SNR samplers for training: the four granularities of Kim et al., "Data-Level Parameter Sampling
for Channel-Adaptive Semantic Communications" (the DLPS paper).

Every sampler is called as ``sampler(batch_size, num_symbols, device=..., generator=...)`` and
returns SNRs in dB shaped for :mod:`semcom.channels` (aligned with the symbols [B, K] from the left):

=============  =========  =========================================================
sampler        shape      meaning
=============  =========  =========================================================
``dedicated``  []         one fixed SNR (SNR-dedicated training)
``blps``       []         batch level: one SNR drawn per mini-batch
``dlps``       [B]        data level: one SNR drawn per sample, shared by its K symbols
``lvlps``      [B, K]     latent-variable level: one SNR drawn per symbol
=============  =========  =========================================================

Draws are uniform over Gamma = [snr_min_db, snr_max_db] in dB (``distribution="uniform_db"``,
the default) or uniform in linear SNR between the same end points (``"uniform_linear"``).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
from torch import Tensor

from semcom.errors import SemcomError
from semcom.registry import Registry

Distribution = Literal["uniform_db", "uniform_linear"]
SAMPLERS: Registry[Any] = Registry("SNR sampler")


class SNRSampler:
    """Base class: draws SNRs (dB) over Gamma = [snr_min_db, snr_max_db].

    Attributes:
        level: ``"batch"``, ``"sample"`` or ``"symbol"``, the granularity of the draws.
    """

    level = "batch"

    def __init__(self, snr_min_db: float = 0.0, snr_max_db: float = 20.0,
                 distribution: Distribution = "uniform_db") -> None:
        for name, v in (("snr_min_db", snr_min_db), ("snr_max_db", snr_max_db)):
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SemcomError(f"{name} must be a finite number of dB, got {v!r}")
        if snr_min_db > snr_max_db:
            raise SemcomError(
                f"gamma_min > gamma_max: snr_min_db={snr_min_db} dB is above snr_max_db={snr_max_db} dB; "
                "expected snr_min_db <= snr_max_db"
            )
        if distribution not in ("uniform_db", "uniform_linear"):
            raise SemcomError(
                f"distribution={distribution!r} is not supported; expected 'uniform_db' or 'uniform_linear'"
            )
        self.snr_min_db = float(snr_min_db)
        self.snr_max_db = float(snr_max_db)
        self.distribution = distribution

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(snr_min_db={self.snr_min_db}, snr_max_db={self.snr_max_db}, "
                f"distribution={self.distribution!r})")

    def draw(self, shape: tuple[int, ...], *, device: torch.device | str = "cpu",
             generator: torch.Generator | None = None) -> Tensor:
        """Draw SNRs in dB of ``shape`` from Gamma."""
        u = torch.rand(shape, device=device, generator=generator)
        lo, hi = self.snr_min_db, self.snr_max_db
        if self.distribution == "uniform_db":
            return lo + (hi - lo) * u
        lo_lin, hi_lin = 10.0 ** (lo / 10.0), 10.0 ** (hi / 10.0)
        return 10.0 * torch.log10(lo_lin + (hi_lin - lo_lin) * u)

    def shape(self, batch_size: int, num_symbols: int) -> tuple[int, ...]:
        return ()

    def __call__(self, batch_size: int, num_symbols: int, *, device: torch.device | str = "cpu",
                 generator: torch.Generator | None = None) -> Tensor:
        return self.draw(self.shape(batch_size, num_symbols), device=device, generator=generator)


@SAMPLERS.register("blps", aliases=("batch",))
class BLPS(SNRSampler):
    """Batch-level parameter sampling: one SNR per mini-batch, shape []."""

    level = "batch"


@SAMPLERS.register("dlps", aliases=("data", "sample"))
class DLPS(SNRSampler):
    """Data-level parameter sampling (the DLPS paper's proposal): one SNR per sample, shape [B]."""

    level = "sample"

    def shape(self, batch_size: int, num_symbols: int) -> tuple[int, ...]:
        return (batch_size,)


@SAMPLERS.register("lvlps", aliases=("latent", "symbol"))
class LvLPS(SNRSampler):
    """Latent-variable-level parameter sampling: one SNR per complex symbol, shape [B, K]."""

    level = "symbol"

    def shape(self, batch_size: int, num_symbols: int) -> tuple[int, ...]:
        return (batch_size, num_symbols)


@SAMPLERS.register("dedicated", aliases=("fixed",))
class Dedicated(SNRSampler):
    """SNR-dedicated training: always ``snr_db``, shape []."""

    level = "batch"

    def __init__(self, snr_db: float = 10.0, **_: Any) -> None:
        super().__init__(snr_db, snr_db)
        self.snr_db = float(snr_db)

    def __repr__(self) -> str:
        return f"Dedicated(snr_db={self.snr_db})"

    def draw(self, shape: tuple[int, ...], *, device: torch.device | str = "cpu",
             generator: torch.Generator | None = None) -> Tensor:
        return torch.full(shape, self.snr_db, device=device)


def create_sampler(name: str, *, snr_min_db: float = 0.0, snr_max_db: float = 20.0,
                   distribution: Distribution = "uniform_db", snr_db: float | None = None) -> SNRSampler:
    """Build a sampler by name: ``dedicated`` (needs ``snr_db``), ``blps``, ``dlps``, ``lvlps``."""
    cls = SAMPLERS.get(name)
    if cls is Dedicated:
        if snr_db is None:
            raise SemcomError("sampler 'dedicated' needs snr_db (the training SNR in dB), got none")
        return Dedicated(snr_db)
    return cls(snr_min_db, snr_max_db, distribution)
