"""``semcom rate``: rate-adaptive deep JSCC over compression ratio x SNR, learned rate policies, PSNR oracles and
the fixed-rate models of the same bandwidths, with paired intervals (the robust-JSCC survey, Section III-B).

Each checkpoint is evaluated by its kind (:mod:`semcom.systems.rate_adaptive`):

* ``zhang2023_padc`` (variable length): one row per CR of ``cr_grid`` x channel x SNR (``policy: fixed``);
* ``yang2022_rate`` (learned policy): the policy (``policy: learned``, with the histogram of groups sent) and
  the same network at every whole number of groups (``policy: fixed``);
* ``point_to_point`` (a fixed-rate deep JSCC): one row per channel x SNR (``policy: dedicated``).

From the per-image PSNR of the ``fixed`` rows of one network (the same images and, per SNR, the same noise
realizations: every point draws from a generator seeded with the evaluation seed), two oracles, each the best
any rate policy of that network could do with the rates it can choose:

* ``oracle_target`` (the "PSNR oracle", the upper bound of PADC's predictor): per image, the smallest rate
  whose PSNR reaches the target (the largest rate when none does); rows give the mean channel uses, the mean
  PSNR and the fraction of images that met the target;
* ``oracle_hull``: per image, the rate maximising PSNR - mu * K_sent / K, for mu over :data:`HULL_MU_DB`: the
  upper hull of mean PSNR against mean channel uses of per-image rate choices, the bound every policy of that
  network sits under (the target oracle is not: it spends the most channel uses on the images that cannot
  reach the target);
* ``oracle_lagrangian`` (policy models): per image, the rate minimising MSE + lam * K_sent / K, the policy's
  own training objective, at its lam; the learned policy's ``objective`` beside the oracle's measures how far
  it is from the best choice.

``comparisons`` in the result: paired per-image PSNR differences (mean and 95 % normal interval over images)
of (a) each learned policy against the fixed-rate curve of its own network, its hull oracle and the dedicated
models, all interpolated per image to the policy's mean channel uses, (a') each oracle against the fixed-rate
curve at its mean channel uses, and (b) the variable-length model at each CR
whose K_sent a dedicated model has, against that dedicated model (what one model for all rates costs).
Interpolation between the two bracketing rates is linear in channel uses, image by image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from semcom.checkpoint import read_checkpoint
from semcom.data import evaluation_images
from semcom.errors import SemcomError
from semcom.evaluation.point_to_point import channel_points
from semcom.evaluation.results import dataset_info, header
from semcom.evaluation.sweep import ChannelPoint, run_batches, sweep
from semcom.metrics import psnr_per_image
from semcom.metrics.intervals import mean_interval
from semcom.systems.rate_adaptive import RatePolicyJSCC, VariableLengthJSCC, check_cr
from semcom.systems.registry import spec_for
from semcom.training.base import to_float

KINDS = ("zhang2023_padc", "yang2022_rate", "point_to_point")


@dataclass
class Network:
    """One evaluated checkpoint: its system, kind and the per-image values of its points."""

    label: str
    kind: str
    system: Any
    path: str
    #: (channel, csi, snr_db, setting) -> per-image tensors; setting: the CR of a fixed row, None for the learned
    #: policy, -1.0 for a dedicated model
    per_image: dict[tuple[str, str, float, float | None], dict[str, torch.Tensor]] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.system.k)

    @property
    def lam(self) -> float | None:
        return float(self.system.recipe["model"].get("lam", 2.0e-3)) if self.kind == "yang2022_rate" else None


def load_network(path: str | Path, label: str | None = None) -> Network:
    """The system of a checkpoint of a kind ``semcom rate`` evaluates (eval mode); another gets one line."""
    info = read_checkpoint(path)
    spec = spec_for(info["recipe"])
    if spec.name not in KINDS:
        raise SemcomError(f"checkpoint {path} holds a {spec.name!r} system; `semcom rate` evaluates "
                          f"{', '.join(KINDS)} (evaluate it with `{spec.evaluate_with}`)")
    system = spec.load(info, path)
    if spec.name == "point_to_point" and system.head is not None:
        raise SemcomError(f"checkpoint {path}: a fixed-rate baseline must be a reconstruction model (it has a task head)")
    return Network(label or info["recipe"]["name"], spec.name, system, str(path))


class RateAdapter:
    """One (network, rate setting) of the sweep: ``setting`` a CR (fixed), None (the learned policy) or
    ``"dedicated"``; records per-image PSNR and channel uses in ``network.per_image``."""

    def __init__(self, net: Network, setting: float | str | None, loader: DataLoader[Any], device: str) -> None:
        self.net, self.setting, self.loader, self.device = net, setting, loader, device
        self.label = net.label

    @property
    def policy(self) -> str:
        if self.setting == "dedicated":
            return "dedicated"
        return "learned" if self.setting is None else "fixed"

    def point(self, channel: ChannelPoint, snr_db: float, generator: torch.Generator) -> dict[str, Any]:
        system = self.net.system
        system.channel = channel.value
        if isinstance(system, VariableLengthJSCC):
            system.use_rate(None if self.setting is None else float(self.setting))
        snr = torch.tensor(snr_db, device=self.device)

        def step(batch: tuple[torch.Tensor, Any]) -> dict[str, torch.Tensor | None]:
            x = to_float(batch[0].to(self.device))
            out = system.run(x, snr, generator)
            b = x.shape[0]
            k_sent = out.get("k_sent")
            return {"psnr": psnr_per_image(out["recon"], x).double(),
                    "k_sent": (k_sent.double() if k_sent is not None
                               else torch.full((b,), float(system.k), dtype=torch.float64)),
                    "n_src": torch.full((b,), float(x[0].numel()), dtype=torch.float64)}

        v = run_batches(self.loader, step)
        cr = None if self.setting is None or self.setting == "dedicated" else float(self.setting)
        setting_key = -1.0 if self.policy == "dedicated" else cr  # None: the learned policy
        self.net.per_image[(channel.label, channel.csi, snr_db, setting_key)] = v
        row = point_row(v["psnr"], v["k_sent"], float(v["n_src"][0]), self.policy, cr)
        if self.policy == "learned":
            assert isinstance(system, RatePolicyJSCC)
            groups = torch.round(v["k_sent"] / system.group_size).long()
            row["groups_histogram"] = {str(g): int((groups == g).sum())
                                       for g in range(system.always_sent, system.groups + 1)}
            row["lam"] = self.net.lam
            row["objective"] = objective(v["psnr"], v["k_sent"], self.net.k, float(self.net.lam or 0.0))
        return row


def point_row(psnr: torch.Tensor, k_sent: torch.Tensor, n_src: float, policy: str, cr: float | None) -> dict[str, Any]:
    """The row tail of one rate point: mean PSNR (of per-image values) with its 95 % half width, mean channel
    uses and bandwidth ratio, the policy and the CR (None for learned/dedicated/oracle rows)."""
    n = int(psnr.numel())
    half = None
    if n > 1:
        mean, _, high = mean_interval(psnr.tolist())
        half = high - mean
    k = float(k_sent.mean())
    return {"psnr": float(psnr.mean()), "ssim": None, "ms_ssim": None, "num_images": n, "eval_seed": None,
            "k": int(k) if bool((k_sent == k_sent[0]).all()) else k, "bandwidth_ratio": k / n_src,
            "policy": policy, "cr": cr, "psnr_ci95": half}


def objective(psnr: torch.Tensor, k_sent: torch.Tensor, k: int, lam: float) -> float:
    """Mean over images of MSE + lam * K_sent / K (MSE = 10^(-PSNR/10) for images in [0, 1])."""
    return float((10.0 ** (-psnr / 10.0) + lam * k_sent / k).mean())


def fixed_curve(net: Network, channel: str, csi: str, snr: float) -> tuple[list[float], torch.Tensor, torch.Tensor]:
    """(CRs ascending, per-image PSNR [R, N], channel uses [R, N]) of a network's fixed rows at one point."""
    keys = sorted((key for key in net.per_image if key[:3] == (channel, csi, snr) and key[3] is not None
                   and key[3] >= 0), key=lambda t: float(t[3]))  # type: ignore[arg-type]
    if not keys:
        return [], torch.empty(0), torch.empty(0)
    return ([float(k[3]) for k in keys], torch.stack([net.per_image[k]["psnr"] for k in keys]),  # type: ignore[arg-type]
            torch.stack([net.per_image[k]["k_sent"] for k in keys]))


def oracle_target(psnr: torch.Tensor, k_sent: torch.Tensor, target: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per image the smallest rate (rows of ``psnr`` [R, N] sorted by rate) with PSNR >= ``target``, else the
    largest. Returns (chosen PSNR [N], chosen channel uses [N], target met bool [N])."""
    met = psnr >= target
    first = torch.where(met.any(0), met.float().argmax(0), torch.full_like(met[0], psnr.shape[0] - 1, dtype=torch.long))
    cols = torch.arange(psnr.shape[1])
    return psnr[first, cols], k_sent[first, cols], met.any(0)


def oracle_lagrangian(psnr: torch.Tensor, k_sent: torch.Tensor, k: int, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image the rate minimising MSE + lam * K_sent / K: (chosen PSNR [N], chosen channel uses [N])."""
    cost = 10.0 ** (-psnr / 10.0) + lam * k_sent / k
    best = cost.argmin(0)
    cols = torch.arange(psnr.shape[1])
    return psnr[best, cols], k_sent[best, cols]


def oracle_hull(psnr: torch.Tensor, k_sent: torch.Tensor, k: int, mu: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image the rate maximising PSNR - mu * K_sent / K (mu in dB per K): (chosen PSNR [N], channel uses [N]).
    Over mu these trace the upper hull of mean PSNR against mean channel uses that per-image rate choices of
    one network reach: no policy choosing among these rates does better at the same mean channel uses."""
    best = (psnr - mu * k_sent / k).argmax(0)
    cols = torch.arange(psnr.shape[1])
    return psnr[best, cols], k_sent[best, cols]


HULL_MU_DB = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0)


def interpolate(psnr: torch.Tensor, ks: list[float], k: float) -> torch.Tensor | None:
    """Per-image PSNR [N] at ``k`` channel uses, linear between the two bracketing rates of ``ks`` (ascending,
    rows of ``psnr`` [R, N]); None when ``k`` is outside them."""
    if not ks or k < ks[0] - 1e-9 or k > ks[-1] + 1e-9:
        return None
    for i in range(len(ks) - 1):
        if ks[i] - 1e-9 <= k <= ks[i + 1] + 1e-9:
            w = (k - ks[i]) / (ks[i + 1] - ks[i]) if ks[i + 1] > ks[i] else 0.0
            return (1 - w) * psnr[i] + w * psnr[i + 1]
    return psnr[0]


def paired(diff: torch.Tensor) -> dict[str, Any]:
    """Mean of paired per-image differences with its 95 % normal interval."""
    m, lo, hi = mean_interval(diff.tolist())
    return {"diff_db": m, "ci95": [lo, hi], "num_images": int(diff.numel())}


def oracle_rows(nets: list[Network], targets: list[float]) -> list[dict[str, Any]]:
    rows = []
    for net in nets:
        if net.kind == "point_to_point":
            continue
        for ch, csi, snr in dict.fromkeys(key[:3] for key in net.per_image):
            crs, psnr, ks = fixed_curve(net, ch, csi, snr)
            if len(crs) < 2:
                continue
            n_src = 3 * 32 * 32
            for t in targets:
                p, k, met = oracle_target(psnr, ks, t)
                rows.append({"model": net.label, "channel": ch, "csi": csi, "snr_db": snr,
                             **point_row(p, k, n_src, "oracle_target", None), "target_psnr": t,
                             "target_met": float(met.double().mean())})
            for mu in HULL_MU_DB:
                p, k = oracle_hull(psnr, ks, net.k, mu)
                rows.append({"model": net.label, "channel": ch, "csi": csi, "snr_db": snr,
                             **point_row(p, k, n_src, "oracle_hull", None), "mu_db": mu})
            if net.lam is not None:
                p, k = oracle_lagrangian(psnr, ks, net.k, net.lam)
                rows.append({"model": net.label, "channel": ch, "csi": csi, "snr_db": snr,
                             **point_row(p, k, n_src, "oracle_lagrangian", None), "lam": net.lam,
                             "objective": objective(p, k, net.k, net.lam)})
    return rows


def comparisons(nets: list[Network], targets: list[float] = []) -> list[dict[str, Any]]:
    """Paired per-image PSNR differences (see the module docstring)."""
    out: list[dict[str, Any]] = []
    dedicated = [n for n in nets if n.kind == "point_to_point"]
    for net in nets:
        for ch, csi, snr in dict.fromkeys(key[:3] for key in net.per_image):
            crs, psnr, ks = fixed_curve(net, ch, csi, snr)
            if len(crs) < 2:
                continue
            curve_k = [float(k) for k in ks[:, 0]]
            chosen: list[tuple[str, str, float | None, torch.Tensor, torch.Tensor]] = [
                (f"PSNR oracle (target {t:g} dB)", "target", t, *oracle_target(psnr, ks, t)[:2]) for t in targets]
            chosen += [(f"hull oracle (mu {mu:g} dB)", "hull", mu, *oracle_hull(psnr, ks, net.k, mu)) for mu in HULL_MU_DB]
            if net.lam is not None:
                chosen.append((f"Lagrangian oracle (lam {net.lam:g})", "lagrangian", net.lam,
                               *oracle_lagrangian(psnr, ks, net.k, net.lam)))
            for what, kind, value, p, k in chosen:
                ref = interpolate(psnr, curve_k, float(k.mean()))
                if ref is not None and float(k.mean()) < curve_k[-1] - 1e-9:
                    out.append({"model": net.label, "reference": f"{net.label} at fixed rates (interpolated)",
                                "what": f"{what} - the fixed-rate curve at equal mean K", "channel": ch, "csi": csi,
                                "snr_db": snr, "oracle": kind, "value": value, "k": float(k.mean()), **paired(p - ref)})
        for key, v in net.per_image.items():
            ch, csi, snr, cr = key
            ded = sorted(((d.k, d.per_image[(ch, csi, snr, -1.0)]["psnr"]) for d in dedicated
                          if (ch, csi, snr, -1.0) in d.per_image), key=lambda t: t[0])
            ded_k, ded_p = [float(k) for k, _ in ded], (torch.stack([p for _, p in ded]) if ded else torch.empty(0))
            point = {"channel": ch, "csi": csi, "snr_db": snr}
            if cr is None and net.kind == "yang2022_rate":  # the learned policy
                k_mean = float(v["k_sent"].mean())
                crs, psnr, ks = fixed_curve(net, ch, csi, snr)
                own = interpolate(psnr, [float(k) for k in ks[:, 0]], k_mean) if crs else None
                if own is not None:
                    out.append({"model": net.label, "reference": f"{net.label} at fixed rates (interpolated)",
                                "what": "learned policy - its network's fixed-rate curve at equal mean K",
                                **point, "k": k_mean, **paired(v["psnr"] - own)})
                hull = [oracle_hull(psnr, ks, net.k, mu) for mu in HULL_MU_DB] if crs else []
                hull_pts = sorted({float(k.mean()): p for p, k in hull}.items())
                if len(hull_pts) > 1:
                    upper = interpolate(torch.stack([p for _, p in hull_pts]), [k for k, _ in hull_pts], k_mean)
                    if upper is not None:
                        out.append({"model": net.label, "reference": f"{net.label} hull oracle (interpolated)",
                                    "what": "learned policy - the upper hull of per-image rate choices at equal mean K",
                                    **point, "k": k_mean, **paired(v["psnr"] - upper)})
                other = interpolate(ded_p, ded_k, k_mean) if ded else None
                if other is not None:
                    out.append({"model": net.label, "reference": "dedicated models (interpolated)",
                                "what": "learned policy - dedicated fixed-rate models at equal mean K",
                                **point, "k": k_mean, **paired(v["psnr"] - other)})
            elif cr is not None and cr >= 0 and net.kind == "zhang2023_padc":
                k_fixed = float(v["k_sent"][0])
                for dk, dp in zip(ded_k, ded_p):
                    if abs(dk - k_fixed) < 1e-9:
                        out.append({"model": net.label, "reference": f"dedicated K = {int(dk)}",
                                    "what": "variable-length model at CR - the dedicated model of that K",
                                    **point, "cr": cr, "k": k_fixed, **paired(v["psnr"] - dp)})
    out += pooled_comparisons(nets)
    return out


def per_image(diff: torch.Tensor, num_snr: int) -> torch.Tensor:
    """[S * N] differences (SNR-major) -> [N], each image's mean over the S SNRs: the samples of a pooled
    interval are the images (one image's values at different SNRs are not independent)."""
    return diff.reshape(num_snr, -1).mean(0)


def pooled_comparisons(nets: list[Network]) -> list[dict[str, Any]]:
    """Over the whole SNR grid at once (every (image, SNR) pair one sample, the SNRs equally likely): a policy
    may spend more channel uses at some SNRs than at others. The learned policy and the hull oracle (one mu for
    all SNRs) against the network's fixed-rate curve at the same overall mean K (the same CR at every SNR)."""
    out: list[dict[str, Any]] = []
    for net in nets:
        if net.kind != "yang2022_rate":
            continue
        for ch, csi in dict.fromkeys(key[:2] for key in net.per_image):
            snrs = sorted({key[2] for key in net.per_image if key[:2] == (ch, csi)})
            curves = [fixed_curve(net, ch, csi, s) for s in snrs]
            learned = [net.per_image.get((ch, csi, s, None)) for s in snrs]
            if len(snrs) < 2 or any(len(c[0]) < 2 for c in curves) or any(v is None for v in learned):
                continue
            psnr = torch.cat([c[1] for c in curves], 1)  # [R, S * N]
            ks = torch.cat([c[2] for c in curves], 1)
            curve_k = [float(k) for k in curves[0][2][:, 0]]
            pol_p = torch.cat([v["psnr"] for v in learned if v is not None])
            pol_k = torch.cat([v["k_sent"] for v in learned if v is not None])
            point = {"channel": ch, "csi": csi, "snr_db": None, "snr_grid_db": snrs}
            ref = interpolate(psnr, curve_k, float(pol_k.mean()))
            if ref is not None:
                out.append({"model": net.label, "reference": f"{net.label} at one fixed rate for all SNRs",
                            "what": "learned policy over the SNR grid - the same network at one fixed CR of equal mean K",
                            **point, "k": float(pol_k.mean()), **paired(per_image(pol_p - ref, len(snrs)))})
            for mu in HULL_MU_DB:
                p, k = oracle_hull(psnr, ks, net.k, mu)
                ref = interpolate(psnr, curve_k, float(k.mean()))
                if ref is not None and float(k.mean()) < curve_k[-1] - 1e-9:
                    out.append({"model": net.label, "reference": f"{net.label} at one fixed rate for all SNRs",
                                "what": f"hull oracle (mu {mu:g} dB) over the SNR grid - one fixed CR of equal mean K",
                                **point, "oracle": "hull", "value": mu, "k": float(k.mean()),
                                **paired(per_image(p - ref, len(snrs)))})
    return out


def evaluate_rate(checkpoints: list[str | Path], snr_db: list[float], cr_grid: list[float],
                  targets: list[float], channel_names: list[str] = ["awgn"], csi: list[str] = ["perfect"],
                  dataset: str = "cifar10", split: str = "test", root: str | Path | None = None,
                  limit: int | None = None, seed: int = 0, batch_size: int = 500, labels: list[str] | None = None,
                  device: str = "cpu") -> dict[str, Any]:
    """Evaluate rate-adaptive checkpoints (and fixed-rate baselines); returns the result dict (one schema)."""
    if not checkpoints:
        raise SemcomError("no checkpoint to evaluate")
    for cr in cr_grid:
        check_cr(cr, "--cr value")
    if not cr_grid:
        raise SemcomError("--cr needs at least one compression ratio")
    for c in csi:
        if c not in ("perfect", "pilot"):
            raise SemcomError(f"csi={c!r} is not supported; expected 'perfect' or 'pilot'")
    if labels and len(labels) != len(checkpoints):
        raise SemcomError(f"{len(labels)} labels for {len(checkpoints)} checkpoints; give one label per checkpoint")
    points = channel_points(channel_names, csi)
    nets = [load_network(p, labels[i] if labels else None) for i, p in enumerate(checkpoints)]
    names = [n.label for n in nets]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SemcomError(f"two checkpoints are labelled {dup[0]!r}; give --label per checkpoint")
    ds, selection = evaluation_images(dataset, split=split, root=root, limit=limit)
    loader: DataLoader[Any] = DataLoader(ds, batch_size=batch_size, shuffle=False)
    adapters: list[RateAdapter] = []
    meta = []
    for net in nets:
        net.system.to(device)
        if net.kind == "zhang2023_padc":
            settings: list[float | str | None] = list(dict.fromkeys(float(c) for c in cr_grid))
        elif net.kind == "yang2022_rate":
            s = net.system
            settings = [None, *(g / s.groups for g in range(s.always_sent, s.groups + 1))]
        else:
            settings = ["dedicated"]
        adapters += [RateAdapter(net, st, loader, device) for st in settings]
        meta.append({"label": net.label, "checkpoint": net.path, "kind": net.kind, "recipe_name": net.system.recipe["name"],
                     "model": net.system.recipe["model"], "sampler": net.system.recipe["sampler"],
                     "train_channel": net.system.recipe["channel"], "k": net.k,
                     "bandwidth_ratio": net.system.bandwidth_ratio})
    with torch.no_grad():
        rows = sweep(adapters, points, snr_db, seed, log=None)
    rows += oracle_rows(nets, targets)
    return {
        **header(None, None),
        "title": "rate-adaptive deep JSCC",
        "dataset": dataset_info(dataset, split, len(ds), selection), "eval_seed": seed,
        "channels": [f"{c.label}" + (f" ({c.csi} CSI)" if c.csi != "-" else "") for c in points],
        "cr_grid": [float(c) for c in cr_grid], "targets_db": [float(t) for t in targets],
        "interval": "95 % normal interval of the mean over images (psnr_ci95: half width; comparisons: paired)",
        "models": meta, "rows": rows, "comparisons": comparisons(nets, targets),
    }


def plot_rate(results: dict[str, Any], path: str | Path, snr_db: list[float] | None = None) -> Path:
    """PSNR over mean channel uses, one panel per channel and a colour per SNR (default: the first, middle and last
    of the grid): the variable-length models' fixed-CR curves (lines) and target oracles (dashed), learned
    policies (stars), dedicated models (squares)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["rows"]
    kinds = {m["label"]: m.get("kind") for m in results["models"]}
    panels = list(dict.fromkeys((r["channel"], r["csi"]) for r in rows))
    grid = sorted({r["snr_db"] for r in rows})
    snrs = sorted({grid[0], grid[len(grid) // 2], grid[-1]}) if snr_db is None else snr_db
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, (ch, csi) in zip(axes[0], panels):
        for i, s in enumerate(snrs):
            colour = cmap(i / max(1, len(snrs) - 1))
            at = [r for r in rows if (r["channel"], r["csi"], r["snr_db"]) == (ch, csi, s)]
            for model in dict.fromkeys(r["model"] for r in at):
                mine = [r for r in at if r["model"] == model]
                for policy, style in (("fixed", "-"), ("oracle_target", "--")):
                    if kinds.get(model) == "yang2022_rate":  # a policy network's own fixed rates: not drawn
                        continue
                    pts = sorted((r["k"], r["psnr"]) for r in mine if r["policy"] == policy)
                    if pts:
                        ax.plot(*zip(*pts), style, color=colour, lw=1.2 if policy == "fixed" else 0.9, alpha=0.9)
                for r in mine:
                    if r["policy"] == "learned":
                        ax.plot(r["k"], r["psnr"], "*", color=colour, ms=10, mec="k", mew=0.5)
            ded = sorted((r["k"], r["psnr"]) for r in at if r["policy"] == "dedicated")
            if ded:
                ax.plot(*zip(*ded), "s:", color=colour, ms=5, lw=0.8)
            ax.plot([], [], color=colour, label=f"{s:g} dB")
        ax.plot([], [], "k-", label="variable length, fixed CR")
        ax.plot([], [], "k--", label="PSNR oracle (targets)")
        ax.plot([], [], "k*", label="learned policy")
        ax.plot([], [], "ks:", label="dedicated models")
        ax.set_xlabel("mean complex channel uses per image")
        ax.set_ylabel("PSNR (dB, mean of per-image PSNR)")
        ax.set_title(f"{ch}" + (f", {csi} CSI" if csi != "-" else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110, format="png")
    plt.close(fig)
    return out


def summary(results: dict[str, Any]) -> str:
    """Text tables: per model and SNR, PSNR at each fixed rate, the learned policy and the oracles."""
    lines = []
    rows = results["rows"]
    for (ch, csi) in dict.fromkeys((r["channel"], r["csi"]) for r in rows):
        lines.append(f"PSNR (dB, mean of per-image PSNR) over {ch}" + (f" with {csi} CSI" if csi != "-" else ""))
        for model in dict.fromkeys(r["model"] for r in rows):
            mine = [r for r in rows if (r["model"], r["channel"], r["csi"]) == (model, ch, csi)]
            for s in sorted({r["snr_db"] for r in mine}):
                at = [r for r in mine if r["snr_db"] == s]
                parts = []
                for r in at:
                    k = f"K={r['k']:.0f}" if isinstance(r["k"], float) else f"K={r['k']}"
                    tag = {"fixed": "", "dedicated": "dedicated ", "learned": "policy ",
                           "oracle_lagrangian": "lagrangian oracle "}.get(r["policy"], "")
                    if r["policy"] == "oracle_hull":
                        continue
                    if r["policy"] == "oracle_target":
                        tag = f"oracle>={r['target_psnr']:g} "
                    parts.append(f"{tag}{k}:{r['psnr']:.2f}")
                lines.append(f"  {model} {s:g} dB: " + "  ".join(parts))
        lines.append("")
    lines.append("paired PSNR differences, mean over images [95 % interval]:")
    for c in results.get("comparisons", []):
        if c.get("oracle") == "hull":
            continue
        lo, hi = c["ci95"]
        where = "all SNRs" if c["snr_db"] is None else f"{c['snr_db']:g} dB"
        lines.append(f"  {c['model']}, {c['channel']} {where}, K = {c['k']:.0f}: {c['what']}: "
                     f"{c['diff_db']:+.2f} dB [{lo:+.2f}, {hi:+.2f}]")
    return "\n".join(lines)
