"""3GPP TR 38.901 UMi / UMa / RMa downlink multi-user channels on an OFDM grid (Sionna), and a
channel bank that stores realizations on disk and streams random draws.

Geometry (Li et al. 2025): one BS with a 1x2 dual cross-polarized panel (4 ports, 38.901 element
pattern), ``num_users`` single-antenna users (omni, vertical polarization), dropped anew for every
sample by Sionna's ``gen_single_sector_topology``. The frequency response is

    H [batch, N_f, 14, users, bs_antennas]  (complex64)

computed from Sionna's CIR with an einsum (identical to ``cir_to_ofdm_channel``, 12-15x faster).
Sionna's 38.901 outputs carry no gradient; precoding and equalization applied to H do.

Normalisation (``normalization``), so that ``snr_db`` means what the channels' docstrings say:

* ``"per_user_grid"`` (default): each user's H of each sample is scaled to mean |h|^2 = 1 over its
  resource grid and BS antennas. Frequency and time selectivity and the spatial structure are kept;
  the SNR of every user and sample is then exactly the nominal SNR (path loss, shadowing and the
  sample-to-sample total-energy fluctuation are removed: users are equally strong);
* ``"mean"``: path loss and shadow fading disabled, H divided by one constant (the mean |h|^2 of a
  calibration draw of 256 drops, about 2 because of the 8 dBi element pattern), so the *average*
  SNR is the nominal SNR and the fading between samples and users is kept;
* ``"none"``: raw H with path loss (mean |h|^2 around 1e-11): SNRs are then per-user link budgets.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from semcom.channels.ofdm import OFDMGrid
from semcom.channels.sionna_rng import import_sionna, seed_sionna
from semcom.errors import SemcomError

SCENARIOS = ("umi", "uma", "rma")
NORMALIZATIONS = ("per_user_grid", "mean", "none")


def cir_to_h(frequencies: Tensor, a: Tensor, tau: Tensor) -> Tensor:
    """Sionna CIR a [B, K, 1, 1, Nt, P, T], tau [B, K, 1, P] -> H [B, F, T, K, Nt] (downlink)."""
    phase = -2 * math.pi * frequencies.to(tau.dtype) * tau[:, :, 0, :, None]  # [B, K, P, F]
    e = torch.polar(torch.ones_like(phase), phase)
    return torch.einsum("bknpt,bkpf->bftkn", a[:, :, 0, 0], e.to(a.dtype))


class TR38901Downlink:
    """Generator of 38.901 downlink MU-MISO channels (see the module docstring).

    Args:
        scenario: ``"umi"``, ``"uma"`` or ``"rma"``.
        grid: the OFDM grid (N_f, 14 symbols, 15 kHz, carrier frequency).
        num_users: single-antenna users (4).
        normalization: ``"per_user_grid"``, ``"mean"`` or ``"none"``.
        min_speed, max_speed: user speeds in m/s (0: static users, H constant over the slot).
        seed: Sionna's seed for reproducible drops (None: Sionna's current state).

    ``generate(batch_size)`` -> H [batch, N_f, T, num_users, 4], complex64, no gradient.
    """

    def __init__(self, scenario: str = "umi", grid: OFDMGrid | None = None, num_users: int = 4,
                 normalization: str = "per_user_grid", min_speed: float = 0.0, max_speed: float = 0.0,
                 seed: int | None = None) -> None:
        import_sionna()
        from sionna.phy.channel import subcarrier_frequencies
        from sionna.phy.channel.tr38901 import PanelArray, RMa, UMa, UMi

        if scenario not in SCENARIOS:
            raise SemcomError(f"unknown 38.901 scenario {scenario!r}; expected one of {', '.join(SCENARIOS)}")
        if normalization not in NORMALIZATIONS:
            raise SemcomError(f"normalization={normalization!r}; expected one of {', '.join(NORMALIZATIONS)}")
        if num_users < 1:
            raise SemcomError(f"num_users must be >= 1, got {num_users}")
        self.grid = grid or OFDMGrid(64)
        self.scenario, self.num_users, self.normalization = scenario, num_users, normalization
        self.min_speed, self.max_speed = min_speed, max_speed
        if seed is not None:
            seed_sionna(seed)
        fc = self.grid.carrier_frequency
        bs = PanelArray(num_rows_per_panel=1, num_cols_per_panel=2, polarization="dual",
                        polarization_type="cross", antenna_pattern="38.901", carrier_frequency=fc)
        ut = PanelArray(num_rows_per_panel=1, num_cols_per_panel=1, polarization="single",
                        polarization_type="V", antenna_pattern="omni", carrier_frequency=fc)
        loss = normalization != "mean"
        kw: dict[str, Any] = dict(carrier_frequency=fc, ut_array=ut, bs_array=bs, direction="downlink",
                                  enable_pathloss=loss, enable_shadow_fading=loss)
        self.model = {"umi": UMi, "uma": UMa}.get(scenario, RMa)(**({"o2i_model": "low"} if scenario != "rma" else {}),
                                                                 **kw)
        self.num_bs_antennas = bs.num_ant
        self.frequencies = subcarrier_frequencies(self.grid.num_subcarriers, self.grid.subcarrier_spacing)
        self._scale = 1.0
        if normalization == "mean":
            self._scale = float(self._raw(256).abs().pow(2).mean())

    def describe(self) -> dict[str, Any]:
        return {"model": "3GPP TR 38.901 (Sionna)", "scenario": self.scenario, "direction": "downlink",
                "num_users": self.num_users, "num_bs_antennas": self.num_bs_antennas,
                "bs_array": "1x2 dual cross-polarized panel, 38.901 element", "ut_array": "1 omni, V",
                "normalization": self.normalization, "min_speed": self.min_speed, "max_speed": self.max_speed,
                **self.grid.describe()}

    def _raw(self, batch_size: int) -> Tensor:
        import_sionna()
        from sionna.phy.channel import gen_single_sector_topology

        with torch.no_grad():
            self.model.reset_topology() if hasattr(self.model, "reset_topology") else None
            topo = gen_single_sector_topology(batch_size=batch_size, num_ut=self.num_users, scenario=self.scenario,
                                              min_ut_velocity=self.min_speed, max_ut_velocity=self.max_speed)
            self.model.set_topology(*topo)
            t_sym = (self.grid.num_subcarriers + self.grid.cyclic_prefix_length) / (
                self.grid.num_subcarriers * self.grid.subcarrier_spacing)
            a, tau = self.model(num_time_samples=self.grid.num_ofdm_symbols, sampling_frequency=1.0 / t_sym)
            return cir_to_h(self.frequencies, a, tau)

    def generate(self, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
        """``batch_size`` new drops; randomness comes from Sionna's seed (``generator`` is unused,
        accepted so that every source of H has the same signature)."""
        h = self._raw(batch_size)
        if self.normalization == "per_user_grid":
            energy = h.abs().pow(2).mean(dim=(1, 2, 4), keepdim=True)
            h = h / torch.sqrt(energy.clamp_min(1e-40))
        elif self.normalization == "mean":
            h = h / math.sqrt(self._scale)
        return h.to(torch.complex64)


class ChannelBank:
    """Channel realizations H [N, N_f, T, K, M] stored on disk and streamed by random draws.

    Folder layout: ``H.npy`` (complex64, read memory-mapped) and ``meta.json`` (the generator's
    parameters, N, seed, Sionna version). A bank whose parameters differ from what a run asks for
    is refused (:meth:`open` with ``expect``).
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not (path / "meta.json").exists() or not (path / "H.npy").exists():
            raise SemcomError(f"{path} is not a channel bank (expected H.npy and meta.json); "
                              "create one with `semcom channels generate`")
        self.path = path
        try:
            self.meta: dict[str, Any] = json.loads((path / "meta.json").read_text())
            if not isinstance(self.meta, dict) or not isinstance(self.meta.get("params"), dict):
                raise ValueError("no 'params' mapping")
        except (OSError, ValueError) as exc:
            raise SemcomError(f"channel bank {path}: meta.json is not a bank description ({exc}); "
                              "generate the bank again with `semcom channels generate`") from None
        try:
            self.h = np.load(path / "H.npy", mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise SemcomError(f"channel bank {path}: H.npy cannot be read ({exc}): truncated or not a numpy file; "
                              "generate the bank again") from None
        if self.h.ndim != 5 or self.h.dtype != np.complex64 or self.h.shape[0] < 1:
            raise SemcomError(f"channel bank {path}: H.npy holds {self.h.dtype} {list(self.h.shape)}; expected "
                              "complex64 [n >= 1, N_f, T, users, bs_antennas]")
        if list(self.meta.get("shape", self.h.shape)) != list(self.h.shape):
            raise SemcomError(f"channel bank {path}: meta.json says shape {self.meta.get('shape')} but H.npy holds "
                              f"{list(self.h.shape)}; generate the bank again")

    def __len__(self) -> int:
        return int(self.h.shape[0])

    @classmethod
    def open(cls, path: str | Path, expect: dict[str, Any] | None = None) -> ChannelBank:
        bank = cls(path)
        for key, want in (expect or {}).items():
            have = bank.meta["params"].get(key)
            if have != want:
                raise SemcomError(f"channel bank {path} was generated with {key}={have!r}, but the run asks for "
                                  f"{key}={want!r}; generate a matching bank")
        return bank

    def draw(self, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
        """``batch_size`` realizations at random indices (with replacement): [B, N_f, T, K, M]."""
        idx = torch.randint(0, len(self), (batch_size,), generator=generator).sort().values.numpy()
        return torch.from_numpy(np.ascontiguousarray(self.h[idx]))

    @staticmethod
    def generate(path: str | Path, generator: Any, n: int, batch_size: int = 64, seed: int = 0,
                 progress: bool = False) -> ChannelBank:
        """Generate ``n`` realizations of ``generator`` (a :class:`TR38901Downlink`, or any source with ``grid``,
        ``describe()``, ``generate(n, generator=)`` and ``bank_antennas``, such as
        :class:`~semcom.channels.linklevel.LinkLevelMIMO`) into a new bank folder ``path`` (written atomically)."""
        import_sionna()
        import sionna

        if n < 1:
            raise SemcomError(f"a channel bank needs n >= 1 realizations, got {n}")
        if batch_size < 1:
            raise SemcomError(f"batch_size must be >= 1, got {batch_size}")
        path = Path(path)
        if path.exists() and not (path.is_dir() and (path / "meta.json").exists() and (path / "H.npy").exists()):
            raise SemcomError(f"{path} exists and is not a channel bank; give a new folder (an existing bank is "
                              "replaced, nothing else is)")
        seed_sionna(seed)
        torch_gen = torch.Generator().manual_seed(seed)  # for what a source draws with torch (LinkLevelMIMO's spreads)
        g = generator.grid
        rx_tx = getattr(generator, "bank_antennas", None) or (generator.num_users, generator.num_bs_antennas)
        shape = (n, g.num_subcarriers, g.num_ofdm_symbols, *rx_tx)
        label = getattr(generator, "scenario", None) or generator.describe().get("model", "channel")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            out = np.lib.format.open_memmap(tmp / "H.npy", mode="w+", dtype=np.complex64, shape=shape)
            steps = range(0, n, batch_size)
            if progress:
                from tqdm import tqdm

                steps = tqdm(steps, desc=f"{label} N_f={g.num_subcarriers}", unit="batch")
            for start in steps:
                b = min(batch_size, n - start)
                out[start:start + b] = generator.generate(b, generator=torch_gen).numpy()
            out.flush()
            del out
            meta = {"params": generator.describe(), "n": n, "seed": seed, "shape": list(shape),
                    "dtype": "complex64", "layout": "[n, N_f, T, users, bs_antennas]",
                    "sionna": getattr(sionna, "__version__", "unknown")}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
            if path.exists():
                shutil.rmtree(path)
            tmp.rename(path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return ChannelBank(path)


class MUMIMODownlinkChannel(torch.nn.Module):
    """Applies a (multi-user) MIMO OFDM channel: y = H x + n per resource element.

    The same class serves the MU-MISO downlink (K single-antenna users: y [B, N_f, T, K]) and
    point-to-point MIMO links (N_r receive antennas: y [B, N_f, T, N_r]); ``OFDMMIMOChannel`` is its alias.

    Args:
        source: anything with ``generate(batch_size, generator)`` returning H [B, N_f, T, K, M]
            (:class:`TR38901Downlink`, :class:`semcom.channels.linklevel.LinkLevelMIMO`) or a
            :class:`ChannelBank` (or None: pass ``h``).

    ``forward(x, snr_db, h=None, *, return_info=False, generator=None)``:
        x: precoded antenna signals [B, N_f, T, M] (complex; a precoder normalised to total power 1
            per resource element gives Es = 1 per user stream before the channel);
        snr_db: Es/N0 per resource element in dB, [] / [B] / ... aligned from the left with y;
        h: channel [B, N_f, T, K, M]; drawn from ``source`` when None (use :meth:`draw` first when
            the transmitter needs H for precoding).
    Returns y [B, N_f, T, K] (noise CN(0, N0) per user and resource element), and with
    ``return_info`` the dict ``{"h", "noise_var"}``.
    """

    def __init__(self, source: TR38901Downlink | ChannelBank | None = None) -> None:
        super().__init__()
        self.source = source

    def draw(self, batch_size: int, generator: torch.Generator | None = None) -> Tensor:
        if self.source is None:
            raise SemcomError("this channel has no source of H; pass h= or build it with a generator or a bank")
        if isinstance(self.source, ChannelBank):
            return self.source.draw(batch_size, generator)
        return self.source.generate(batch_size, generator)

    def forward(self, x: Tensor, snr_db: Tensor | float, h: Tensor | None = None, *, return_info: bool = False,
                generator: torch.Generator | None = None) -> Tensor | tuple[Tensor, dict[str, Tensor]]:
        from semcom.channels.core import complex_noise, expand_snr, snr_db_to_noise_var

        if h is None:
            h = self.draw(x.shape[0], generator).to(x.device)
        if x.shape[:3] != h.shape[:3] or x.shape[-1] != h.shape[-1]:
            raise SemcomError(f"antenna signals {list(x.shape)} do not match the channel {list(h.shape)} "
                              "([B, N_f, T, M] against [B, N_f, T, K, M])")
        r = (h.to(x.dtype) @ x[..., None])[..., 0]
        n0 = snr_db_to_noise_var(expand_snr(snr_db, r))
        y = r + complex_noise(r.shape, n0, dtype=r.dtype, device=r.device, generator=generator)
        return (y, {"h": h, "noise_var": n0}) if return_info else y


OFDMMIMOChannel = MUMIMODownlinkChannel


SCENARIOS = ("umi", "uma", "rma")


def downlink_channel(scenario: str, num_subcarriers: int, bank: str | Path | None = None, num_users: int = 4,
                     seed: int = 0, source: bool = True) -> MUMIMODownlinkChannel:
    """The one factory of "channel bank or live 38.901 generator": a :class:`MUMIMODownlinkChannel` whose H
    comes from the bank at ``bank`` (checked to hold ``scenario`` with ``num_subcarriers``), else from Sionna's
    TR 38.901 generator seeded with ``seed`` (slow on a CPU), or from nowhere with ``source=False`` (then H
    must be given to every call)."""
    from semcom.channels.ofdm import OFDMGrid
    from semcom.errors import SemcomError

    if scenario not in SCENARIOS:
        raise SemcomError(f"scenario {scenario!r}; expected one of: {', '.join(SCENARIOS)}")
    if not source:
        return MUMIMODownlinkChannel(None)
    if bank:
        return MUMIMODownlinkChannel(ChannelBank.open(bank, expect={"scenario": scenario,
                                                                    "num_subcarriers": num_subcarriers}))
    return MUMIMODownlinkChannel(TR38901Downlink(scenario, OFDMGrid(num_subcarriers), num_users=num_users, seed=seed))
