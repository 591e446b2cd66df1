"""The physical layer: channels taking complex symbols and an SNR tensor.

See :mod:`semcom.channels.core` for the convention (SNR = Es/N0 per complex symbol, noise
CN(0, N0), N0/2 per real dimension, SNR tensors aligned with the symbols from the left).
"""

from __future__ import annotations

from typing import Any

from semcom.channels.awgn import AWGNChannel
from semcom.channels.core import (
    Channel,
    PowerNormalize,
    complex_noise,
    complex_to_real,
    expand_snr,
    normalize_power,
    real_to_complex,
    snr_db_to_noise_var,
)
from semcom.channels.fading import BlockFadingChannel
from semcom.registry import Registry

CHANNELS: Registry[Any] = Registry("channel")
CHANNELS.register("awgn")(AWGNChannel)
CHANNELS.register("rayleigh")(BlockFadingChannel)


@CHANNELS.register("rician")
def _rician(k_factor: float = 1.0, **kwargs: Any) -> BlockFadingChannel:
    return BlockFadingChannel(k_factor=k_factor, **kwargs)


def create(name: str, **kwargs: Any) -> Channel:
    """Build a registered channel by name (``awgn``, ``rayleigh``, ``rician``)."""
    from semcom.errors import SemcomError

    factory = CHANNELS.get(name)
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise SemcomError(f"channel {name!r} does not take these options {sorted(kwargs)}: {exc}") from None


__all__ = [
    "AWGNChannel", "BlockFadingChannel", "CHANNELS", "Channel", "PowerNormalize", "complex_noise",
    "complex_to_real", "create", "expand_snr", "normalize_power", "real_to_complex", "snr_db_to_noise_var",
]
