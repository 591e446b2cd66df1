"""The robust-JSCC survey reproduction report from the ``semcom mismatch`` results of ``scripts/robust_cpu.sh``.

    semcom report robust results/robust

Reads ``adjscc_vs_dedicated.json``, ``pilot_snr.json``, ``true_snr.json``, ``classification.json`` and
``robust_training.json`` (whichever exist) and the training summaries in ``train/``; writes
``claims.json`` and ``README.md`` (generated, do not edit).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.evaluation.results import read_results
from semcom.reports.facts import dig, epoch_images, one, render, run_summaries, sweep_recipes, training_facts
from semcom.training.summary import read_summary, wall_time_text


def _curve(res: dict[str, Any], model: str, channel: str = "awgn", csi: str = "-", key: str = "psnr") -> dict[float, float]:
    return {float(r["snr_db"]): r[key] for r in res["rows"]
            if r["model"] == model and r["channel"] == channel and r["csi"] == csi and r.get(key) is not None}


def _table(res: dict[str, Any], models: list[str], snrs: list[float], channel: str = "awgn", csi: str = "-",
           key: str = "psnr", fmt: str = ".2f") -> list[str]:
    lines = ["| model | " + " | ".join(f"{s:g} dB" for s in snrs) + " |", "|---|" + "---:|" * len(snrs)]
    for m in models:
        c = _curve(res, m, channel, csi, key)
        lines.append(f"| {m} | " + " | ".join(format(c[s], fmt) if s in c else "-" for s in snrs) + " |")
    return lines + [""]


RESULTS = ("adjscc_vs_dedicated", "pilot_snr", "true_snr", "classification", "robust_training", "seed_spread")


def seed_spread(folder: Path) -> dict[str, Any] | None:
    """The training-seed spread of the short-schedule models, from ``seed_spread.json`` (other seeds of some
    runs of ``adjscc_vs_dedicated.json``, named ``RUN_seedN``, evaluated the same way) and the seed-0 runs.

    Returns the pooled standard deviation of PSNR across seeds (dB; each family's sample variance at each
    test SNR, pooled over families with their degrees of freedom, then averaged over SNRs), the degrees of
    freedom, the t quantile and ``half_width``: the 95 % half-width of a difference between two single-seed
    models, t * sqrt(2) * sigma. None when the files are missing."""
    import math
    import statistics

    from scipy.stats import t as student_t

    fs, fa = folder / "seed_spread.json", folder / "adjscc_vs_dedicated.json"
    if not (fs.exists() and fa.exists()):
        return None
    seeds, base = read_results(fs), read_results(fa)
    families: dict[str, list[str]] = {}
    for m in (x["label"] for x in seeds["models"]):
        if (hit := re.fullmatch(r"(.+)_seed(\d+)", m)) and hit.group(1) in {x["label"] for x in base["models"]}:
            families.setdefault(hit.group(1), []).append(m)
    if not families:
        return None
    snrs = sorted({float(r["snr_db"]) for r in seeds["rows"]})
    per_snr, dof = {}, sum(len(v) for v in families.values())  # (seeds + seed 0) - 1 per family
    curves = {fam: [_curve(base, fam)] + [_curve(seeds, m) for m in members] for fam, members in families.items()}
    spread: dict[str, dict[str, float]] = {}
    for s in snrs:
        ss = 0.0
        for fam, family in curves.items():
            vals = [c[s] for c in family]
            ss += statistics.variance(vals) * (len(vals) - 1)
            spread.setdefault(fam, {})[f"{s:g}"] = round(max(vals) - min(vals), 3)
        per_snr[f"{s:g}"] = round(math.sqrt(ss / dof), 4)
    sigma = math.sqrt(statistics.fmean(v * v for v in per_snr.values()))
    q = float(student_t.ppf(0.975, dof))
    return {"families": {f: [f] + m for f, m in families.items()}, "sigma_db": round(sigma, 4),
            "sigma_by_snr_db": per_snr, "range_by_family_db": spread, "dof": dof, "t975": round(q, 3),
            "half_width_db": round(q * math.sqrt(2.0) * sigma, 3)}


def _status(gap: float, h: float) -> str:
    """'+' resolved above zero, '-' below, '~' inside the interval gap +- h."""
    return "+" if gap - h > 0 else "-" if gap + h < 0 else "~"


def setup_facts(folder: Path, sweep: Path = Path("configs/sweeps/robust.yaml"),
                adjscc_recipe: Path = Path("configs/robust/adjscc_awgn.yaml")) -> dict[str, str]:
    """The settings the report states: the trials of ``sweep`` (the sweep file ``scripts/robust_cpu.sh`` runs),
    the summaries and the result headers (see :mod:`semcom.reports.facts`)."""
    from semcom.training.recipe import load_recipe, to_dict

    runs = sweep_recipes(sweep)
    summaries = run_summaries(folder)
    facts = training_facts(runs)
    known = {k: epoch_images(s) for k, s in summaries.items()}
    facts["images_per_epoch"] = one({k: v for k, v in known.items() if v is not None}, "{:,}")
    facts["image_passes"] = one({k: v * int(summaries[k]["epochs"]) for k, v in known.items() if v is not None}, "{:,}")
    facts["epochs"] = one({k: s["epochs"] for k, s in summaries.items()})
    facts["resumed_runs"] = ", ".join(k for k, s in summaries.items() if s.get("resumed_from")) or "none"
    heads = {n: read_results(folder / f"{n}.json") for n in RESULTS if (folder / f"{n}.json").exists()}
    head = next(iter(heads.values()), {})
    adj = next((r for r in runs.values() if dig(r, "model.name") == "adjscc"), {})
    paper = to_dict(load_recipe(adjscc_recipe)) if adjscc_recipe.exists() else {}
    others = {k: r for k, r in runs.items() if dig(r, "model.name") != "adjscc"}
    facts.update(
        batch_size=one({k: dig(r, "train.batch_size") for k, r in runs.items()}),
        lr=one({k: dig(r, "train.lr") for k, r in others.items()}, "{:g}"),
        adjscc_width=str(dig(adj, "model.width")), adjscc_lr=f"{dig(adj, 'train.lr') or float('nan'):g}",
        adjscc_paper_width=str(dig(paper, "model.width")), adjscc_paper_lr=f"{dig(paper, 'train.lr') or float('nan'):g}",
        dataset_note=str(dig(head, "dataset.note")), psnr_reduction=str(head.get("psnr_reduction")),
        snr_convention=str(head.get("snr_convention")),
        eval_images=one({n: dig(h, "dataset.num_images") for n, h in heads.items()}, "{:,}"),
        eval_seed=one({n: h.get("eval_seed") for n, h in heads.items()}),
    )
    return facts


def report(folder: Path) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    md = render("robust", setup_facts(folder)) + [""]
    summaries = sorted((folder / "train").glob("*.summary.json")) if (folder / "train").exists() else []
    if summaries:
        md += ["| run | epochs | images/epoch | wall time (min) | images/s | hardware |", "|---|---:|---:|---:|---:|---|"]
        for f in summaries:
            s = read_summary(f)
            per = epoch_images(s)
            md.append(f"| {s['name']} | {s['epochs']} | {'-' if per is None else per} | {wall_time_text(s)} | "
                      f"{s['train_images_per_s']} | {s['hardware']} |")
        md.append("")
    f = folder / "adjscc_vs_dedicated.json"
    if f.exists():
        res = read_results(f)
        ded = {int(m.group(1)): lab for lab in (x["label"] for x in res["models"])
               if (m := re.fullmatch(r"djscc_k512_snr(\d+)dB", lab))}
        others = [x["label"] for x in res["models"] if x["label"] not in ded.values()]
        snrs = sorted({float(r["snr_db"]) for r in res["rows"]})
        md += ["## ADJSCC against SNR-dedicated DJSCC (Xu et al. 2022), k/n = 1/6, AWGN", "",
               "![grid](adjscc_vs_dedicated.png)", "",
               *_table(res, list(ded.values()) + others, [s for s in snrs if s in (0, 1, 4, 7, 10, 13, 16, 19, 20)])]
        a: dict[str, Any] = {}
        for other in others:
            oc = _curve(res, other)
            a[other] = {f"{s}dB": round(oc[float(s)] - _curve(res, lab)[float(s)], 3) for s, lab in sorted(ded.items())
                        if float(s) in oc}
        claims["single_model_minus_dedicated_at_its_snr_db"] = a
        md += ["Single model minus the dedicated model at the dedicated model's own SNR (dB; >= 0 means the single",
               "model matches or beats it there):", "", "| model | " + " | ".join(f"{s} dB" for s in sorted(ded)) + " |",
               "|---|" + "---:|" * len(ded)]
        for other, gaps in a.items():
            md.append(f"| {other} | " + " | ".join(f"{v:+.2f}" for v in gaps.values()) + " |")
        md.append("")
        sp = seed_spread(folder)
        claims["seed_spread"] = sp
        h = sp["half_width_db"] if sp else None
        if sp:
            fam = ", ".join(" / ".join(v) for v in sp["families"].values())
            md += [f"**Seed spread.** The same recipes trained with other seeds ({fam}; `seed_spread.json`, same",
                   f"evaluation) give a pooled standard deviation of {sp['sigma_db']:.2f} dB across seeds (per test SNR "
                   f"{min(sp['sigma_by_snr_db'].values()):.2f} to {max(sp['sigma_by_snr_db'].values()):.2f} dB, {sp['dof']} degrees "
                   f"of freedom), so the 95 % interval of a difference between two single-seed models is +-{h:.2f} dB "
                   f"(t = {sp['t975']:.2f} x sqrt 2 x sigma; the evaluation noise of 2,000 paired images is far smaller). "
                   "Every model here is a single seed; ADJSCC's own seed spread is assumed the same as DJSCC's.", ""]

        def verdict(g: dict[str, float], want: str) -> tuple[str, dict[str, str]]:
            """'holds' / 'does not hold' / 'not resolved' for "gap > 0 at every SNR" (want '+') or "< 0" ('-')."""
            if h is None:
                return ("not resolved (no seed spread measured)", {})
            st = {k: _status(v, h) for k, v in g.items()}
            against = "-" if want == "+" else "+"
            if any(x == against for x in st.values()):
                return "does not hold", st
            return ("holds", st) if all(x == want for x in st.values()) else ("not resolved", st)

        words = {"+": "above", "-": "below", "~": "inside the noise"}
        if "adjscc_k512_w64" in a:
            g = a["adjscc_k512_w64"]
            v, st_ = verdict(g, "+")
            claims["adjscc_matches_or_beats_every_dedicated"] = v
            md.append(f"* **Xu et al.'s claim** (one ADJSCC model matches or beats each dedicated model at its SNR): "
                      f"**{v}** here; gaps " + ", ".join(f"{k}: {x:+.2f}" + (f" ({words[st_[k]]})" if st_ else "")
                                                       for k, x in g.items())
                      + (f" dB, each +-{h:.2f} dB." if h else " dB.")
                      + (" A gap inside the noise is consistent with matching but does not show it." if v == "not resolved" else ""))
        if "djscc_k512_mixture" in a:
            g = a["djscc_k512_mixture"]
            v, st_ = verdict(g, "-")
            claims["mixture_loses_to_dedicated_at_matched_snr"] = v
            md.append(f"* **The survey's claim** (a mixture-trained model loses to a dedicated one at matched SNR): "
                      f"**{v}** here; mixture minus dedicated " + ", ".join(
                          f"{k}: {x:+.2f}" + (f" ({words[st_[k]]})" if st_ else "") for k, x in g.items())
                      + (f" dB, each +-{h:.2f} dB." if h else " dB."))
        md.append("")
    fp, ft = folder / "pilot_snr.json", folder / "true_snr.json"
    if fp.exists():
        rp = read_results(fp)
        rt = read_results(ft) if ft.exists() else None
        md += ["## SNR at the receiver: pilot estimate (64 pilots) against the true SNR", "",
               "| model | channel | test SNR | PSNR, true SNR | PSNR, pilot estimate | mean estimate (dB) | std (dB) |",
               "|---|---|---:|---:|---:|---:|---:|"]
        bias = []
        for r in rp["rows"]:
            t = next((x for x in (rt or {"rows": []})["rows"] if (x["model"], x["channel"], x["csi"], x["snr_db"]) ==
                      (r["model"], r["channel"], r["csi"], r["snr_db"])), None)
            if r["snr_db"] in (0.0, 10.0, 20.0):
                md.append(f"| {r['model']} | {r['channel']} | {r['snr_db']:g} | {t['psnr'] if t else float('nan'):.2f} | "
                          f"{r['psnr']:.2f} | {r.get('snr_est_mean_db', float('nan')):.2f} | {r.get('snr_est_std_db', float('nan')):.2f} |")
            if r["channel"] == "awgn" and "snr_est_mean_db" in r:
                bias.append(r["snr_est_mean_db"] - r["snr_db"])
        if bias:
            claims["pilot_snr_bias_awgn_db"] = [round(min(bias), 3), round(max(bias), 3)]
            md += ["", f"Over AWGN the mean estimate is off by {min(bias):+.2f} to {max(bias):+.2f} dB across the test SNRs. "
                   "Over block fading the estimate is of the effective SNR after equalization, |h|^2 Es/N0, which is what the",
                   "decoder should see; its mean over fades is below the nominal SNR.", ""]
    fc = folder / "classification.json"
    if fc.exists():
        res = read_results(fc)
        models = [m["label"] for m in res["models"]]
        snrs = sorted({float(r["snr_db"]) for r in res["rows"]})
        md += ["## Classification accuracy: task only (lambda 0), joint (0.5), reconstruction only (1.0, head as probe)", "",
               "K = 64 (k/n = 1/48), DLPS training over [0, 20] dB on AWGN. Accuracy over AWGN:", "",
               *_table(res, models, snrs, key="accuracy", fmt=".3f"), "Over block Rayleigh (perfect CSI):", "",
               *_table(res, models, snrs, "rayleigh", "perfect", key="accuracy", fmt=".3f"), "PSNR over AWGN:", "",
               *_table(res, models, snrs)]
        acc = {m: _curve(res, m, key="accuracy") for m in models}
        claims["classification_accuracy_awgn"] = {m: {f"{s:g}": round(v, 4) for s, v in c.items()} for m, c in acc.items()}
    fr = folder / "robust_training.json"
    if fr.exists():
        res = read_results(fr)
        models = [m["label"] for m in res["models"]]
        snrs = sorted({float(r["snr_db"]) for r in res["rows"]})
        md += ["## Robust training (trained at 10 dB, nothing known about the channel at inference)", "",
               "![robust](robust_training.png)", "", "PSNR over AWGN:", "", *_table(res, models, snrs),
               "PSNR over block Rayleigh, pilot CSI:", "", *_table(res, models, snrs, "rayleigh", "pilot")]
        base = next((m for m in models if "plain" in m), None)
        if base:
            claims["robust_minus_plain_awgn_db"] = {
                m: {f"{s:g}": round(_curve(res, m)[s] - _curve(res, base)[s], 3) for s in snrs}
                for m in models if m != base}
            sp = claims.get("seed_spread") or seed_spread(folder)
            h = sp["half_width_db"] if sp else None
            words = {"+": "above", "-": "below", "~": "not resolved"}
            md += ["Robust minus plain training (dB, AWGN): " + "; ".join(
                f"{m}: " + ", ".join(f"{k} dB {v:+.2f}" + (f" ({words[_status(v, h)]})" if h else "")
                                     for k, v in d.items() if float(k) in (0, 4, 10, 16, 20))
                for m, d in claims["robust_minus_plain_awgn_db"].items()) + "."
                + (f" Each difference is of two single-seed models, +-{h:.2f} dB (the seed spread above, measured"
                   " on the 15-epoch DJSCC recipes; these 5-epoch models may spread more)." if h else ""), ""]
    atomic_write(folder / "claims.json", lambda p: p.write_text(json.dumps(claims, indent=1) + "\n"))
    atomic_write(folder / "README.md", lambda p: p.write_text("\n".join(md) + "\n"))
    return claims
