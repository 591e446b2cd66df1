"""Keep Sionna away from PyTorch's global random state.

Sionna's ``sionna.phy.config`` reseeds ``torch.default_generator`` (and the CUDA default generators): at
random when it is first imported (its seed defaults to None), and with the given seed whenever
``config.seed`` is set. A training seeds that global generator first (``lightning.seed_everything``) and
then builds its system, whose OFDM grid or 3GPP channel imports Sionna: without a guard, the network's
initial weights then came from an unseeded generator, and two processes given the same recipe (two runs,
or the ranks of a DDP run) started from different weights.

Every semcom wrapper therefore imports Sionna through :func:`import_sionna` and seeds it through
:func:`seed_sionna`; both leave the caller's global torch random state exactly as it was. Sionna's own
generators (``config.torch_rng``, ``config.np_rng``) are unaffected: seeding them is the point of
:func:`seed_sionna`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["global_rng_preserved", "import_sionna", "seed_sionna", "sionna_draws_seeded"]


@contextmanager
def global_rng_preserved() -> Iterator[None]:
    """Restore torch's global CPU (and, where CUDA is initialised, CUDA) random state on exit."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        yield


def import_sionna() -> None:
    """Import ``sionna.phy`` (once per process) without touching torch's global random state."""
    if "sionna.phy.config" in sys.modules:
        return
    with global_rng_preserved():
        import sionna.phy  # noqa: F401


def seed_sionna(seed: int | None) -> None:
    """Set Sionna's seed (its own generators, for reproducible 3GPP drops) without reseeding torch's global one."""
    import_sionna()
    from sionna.phy import config

    with global_rng_preserved():
        config.seed = seed


@contextmanager
def sionna_draws_seeded(seed: int) -> Iterator[None]:
    """Sionna's CPU generator seeded with ``seed`` inside the block and restored on exit (torch's global state
    untouched): for what Sionna draws once at construction, such as the random QPSK pilots of a
    ``KroneckerPilotPattern``, which would otherwise differ between two builds of the same system (a trained model
    and its reloaded copy, or two DDP ranks)."""
    import_sionna()
    from sionna.phy import config

    with global_rng_preserved():
        gen = config.torch_rng("cpu")
        state = gen.get_state()
        gen.manual_seed(seed)
        try:
            yield
        finally:
            gen.set_state(state)
