"""The one sweep driver: systems x channels x SNR -> result rows.

Every evaluation in semcom (point-to-point, mismatch, LDM receiver, MU-MIMO, digital baseline) runs through
:func:`sweep`. It owns what must be the same everywhere:

* the loop over (system, channel, SNR) points, in that order;
* the evaluation randomness: every point draws its channel noise and fading from a fresh CPU generator
  seeded with the evaluation ``seed`` (so every model and SNR sees the same realizations, on any device);
* the head of each row (``model``, ``channel``, ``csi``, ``snr_db``) and ``eval_seed``.

A system is evaluated through an adapter with one method, ``point(channel, snr_db, generator) -> dict``,
that returns the rest of its row (metrics, ``num_images``, ``k``, ...). :func:`run_batches` and
:func:`mean_row` help adapters that evaluate image batches: they collect per-image tensors and reduce
them to the mean of per-image values (the PSNR reduction of every results file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import Tensor


@dataclass(frozen=True)
class ChannelPoint:
    """One test channel of a sweep: the ``channel`` and ``csi`` written in rows, and what the adapters
    receive (``value``: a channel module, a scenario name, a link, ...)."""

    label: str
    csi: str
    value: Any


class Evaluated(Protocol):
    """An adapter of one system for :func:`sweep`."""

    label: str

    def point(self, channel: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]: ...


def sweep(systems: Sequence[Evaluated], channels: Sequence[ChannelPoint], snr_db: Sequence[float], seed: int,
          log: Callable[[str], Any] | None = print, metric: str = "psnr") -> list[dict[str, Any]]:
    """Evaluate every system on every channel at every SNR; one row per point (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    for system in systems:
        for ch in channels:
            done = []
            for s in snr_db:
                g = torch.Generator().manual_seed(seed)  # on the CPU: the same noise on any device
                tail = system.point(ch, float(s), g)
                row = {"model": system.label, "channel": ch.label, "csi": ch.csi, "snr_db": float(s), **tail}
                if row.get("eval_seed") is None:  # an adapter may reserve the key's place with None
                    row["eval_seed"] = seed
                rows.append(row)
                done.append(row)
            if log is not None and done:
                log(f"{system.label} {ch.label}" + (f" ({ch.csi} CSI)" if ch.csi != "-" else "") + ": "
                    + " ".join(f"{r['snr_db']:g}:{r[metric]:.2f}" for r in done if r.get(metric) is not None))
    return rows


def run_batches(batches: Iterable[Any], step: Callable[[Any], dict[str, Tensor | None]]) -> dict[str, Tensor]:
    """Run ``step`` on every batch and concatenate its per-image (or per-sample) tensors by key (None skipped)."""
    acc: dict[str, list[Tensor]] = {}
    for batch in batches:
        for key, value in step(batch).items():
            if value is not None:
                acc.setdefault(key, []).append(value.detach().cpu())
    return {k: torch.cat(v) for k, v in acc.items()}


def mean_row(values: dict[str, Tensor], keys: Sequence[str]) -> dict[str, float | None]:
    """The mean (float64) of each of ``keys`` over images; None for a key that was not measured."""
    return {k: (float(values[k].double().mean()) if k in values else None) for k in keys}
