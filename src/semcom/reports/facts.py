"""The settings a report states, read from the files the runs left, and the templates they fill.

A report's prose (``templates/NAME.md``, :class:`string.Template` syntax: ``$name`` / ``${name}``, ``$$`` for a
dollar sign) names no number itself: training settings come from the recipes stored in the committed
checkpoints (or the recipe files the scripts train from), the training budget from the runs' summaries,
the evaluation settings (images, SNR grid, channels, seed, PSNR reduction) from the result headers. When runs
disagree on a setting the text says so (``256 (fig3_a), 128 (fig3_b)``) instead of picking one.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from semcom.errors import SemcomError

__all__ = ["checkpoint_recipes", "count", "dig", "epoch_images", "grid_text", "one", "render", "run_summaries",
           "script_recipes", "sweep_recipes", "training_facts"]


def render(name: str, facts: Mapping[str, Any]) -> list[str]:
    """The lines of template ``name`` (``semcom/reports/templates/NAME.md``) filled with ``facts``.

    A template field (``$name``) with no computed fact is an error naming it, so a report is never written
    with a setting missing."""
    text = resources.files("semcom.reports").joinpath("templates", f"{name}.md").read_text()
    try:
        return string.Template(text).substitute(facts).rstrip("\n").split("\n")
    except KeyError as exc:
        raise SemcomError(f"report template {name}.md needs the fact {exc.args[0]!r}, which its report did "
                          f"not compute (known: {', '.join(sorted(facts))})") from None


def checkpoint_recipes(folder: Path, pattern: str = "*.ckpt") -> dict[str, dict[str, Any]]:
    """{checkpoint stem: training recipe} of the checkpoints in ``folder`` matching ``pattern``."""
    from semcom.checkpoint import read_checkpoint

    return {p.stem: read_checkpoint(p)["recipe"] for p in sorted(Path(folder).glob(pattern))}


def run_summaries(folder: Path) -> dict[str, dict[str, Any]]:
    """{run name: summary.json} of ``folder/train/*.summary.json`` (what ``--collect`` copied), each as a
    whole-run record (:func:`semcom.training.summary.whole_run`)."""
    from semcom.training.summary import read_summary

    out = {}
    for f in sorted(Path(folder).glob("train/*.summary.json")):
        s = read_summary(f)
        out[s["name"]] = s
    return out


def epoch_images(summary: Mapping[str, Any]) -> int | None:
    """Training images per epoch of a run: images / epochs of its whole-run record
    (:func:`semcom.training.summary.whole_run`); None when the run trained no epoch, or was resumed by an old
    semcom that recorded neither its per-epoch timings nor the whole run."""
    from semcom.training.summary import whole_run

    s = whole_run(summary)
    if not int(s.get("epochs") or 0):
        return None
    if s.get("resumed_from") and "resumes" not in s and "timed_epochs" not in s and not s.get("epoch_seconds"):
        return None  # resumed by an old semcom that timed no epoch: its images cover an unknown segment
    return round(int(s["train_images"]) / int(s["epochs"]))


def script_recipes(script: Path) -> dict[str, dict[str, Any]]:
    """{run: recipe} of the ``train CONFIG.yaml key=value ...`` (or ``semcom train ...``) lines of a shell
    script: each config with the line's literal overrides (those holding a shell variable are left out, and
    a run whose ``name=`` holds one is named after its config). What the script trains, without retyping it."""
    import shlex

    from semcom.training.recipe import load_recipe, to_dict

    out: dict[str, dict[str, Any]] = {}
    if not Path(script).exists():
        return out
    for line in Path(script).read_text().splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        configs = [i for i, t in enumerate(tokens) if t.endswith(".yaml") and i > 0 and tokens[i - 1] == "train"]
        for i in configs:
            over = []
            for t in tokens[i + 1:]:
                if t in (";", "done", "&&", "||") or t.endswith(";"):
                    break
                if "=" in t and "$" not in t and not t.startswith("-"):
                    over.append(t)
            recipe = to_dict(load_recipe(tokens[i], over))
            name = recipe["name"] if any(o.startswith("name=") for o in over) else f"{Path(tokens[i]).stem} (loop)"
            out[name] = recipe
    return out


def sweep_recipes(path: Path) -> dict[str, dict[str, Any]]:
    """{trial: recipe} of a sweep file (:mod:`semcom.sweeps.spec`), with each trial's name and run folder
    as the sweep sets them; {} when the file does not exist."""
    from semcom.sweeps.spec import load_sweep

    if not Path(path).exists():
        return {}
    return {t.name: t.recipe for t in load_sweep(path).trials}


def dig(d: Mapping[str, Any], path: str) -> Any:
    """``d["a"]["b"]`` for ``path="a.b"`` (None where a level is missing)."""
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def count(n: float | int) -> str:
    """10000 -> '10,000'."""
    return f"{int(n):,}"


def one(values: Mapping[str, Any], fmt: str = "{}") -> str:
    """The one value every run shares, formatted; where runs differ, each distinct value with its runs."""
    distinct: dict[str, list[str]] = {}
    for run, v in values.items():
        distinct.setdefault("(not recorded)" if v is None else fmt.format(v), []).append(run)
    if not distinct:
        return "(no runs)"
    if len(distinct) == 1:
        return next(iter(distinct))
    return ", ".join(f"{v} ({', '.join(runs)})" for v, runs in distinct.items())


def grid_text(values: Iterable[float], unit: str = "dB") -> str:
    """-5, -4, ..., 25 -> '-5 to 25 dB in 1 dB steps'; an irregular grid is listed."""
    v = sorted({float(x) for x in values})
    if not v:
        return "(none)"
    if len(v) == 1:
        return f"{v[0]:g} {unit}"
    steps = {round(b - a, 9) for a, b in zip(v, v[1:])}
    if len(steps) == 1:
        return f"{v[0]:g} to {v[-1]:g} {unit} in {steps.pop():g} {unit} steps"
    return ", ".join(f"{x:g}" for x in v) + f" {unit}"


def training_facts(recipes: Mapping[str, Mapping[str, Any]],
                   summaries: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Optimiser, batch, epochs, learning rate, seeds, SNR range and images per epoch of a set of runs.

    Keys: ``optimizer``, ``lr``, ``batch_size``, ``epochs``, ``seeds``, ``snr_range``, ``num_runs`` and,
    with summaries, ``images_per_epoch`` and ``image_passes`` (from the runs' summaries, where they exist)."""
    if not recipes:
        missing = "(not recorded: no checkpoints)"
        return {k: missing for k in ("optimizer", "lr", "batch_size", "epochs", "seeds", "snr_range", "num_runs",
                                     "images_per_epoch", "image_passes")}
    facts = {
        "optimizer": "Adam",  # semcom.training.base.TrainModule.configure_optimizers
        "lr": one({k: dig(r, "train.lr") for k, r in recipes.items()}, "{:g}"),
        "batch_size": one({k: dig(r, "train.batch_size") for k, r in recipes.items()}),
        "epochs": one({k: dig(r, "train.epochs") for k, r in recipes.items()}),
        "seeds": ", ".join(str(s) for s in sorted({int(dig(r, "train.seed") or 0) for r in recipes.values()})),
        "snr_range": one({k: (dig(r, "sampler.snr_min_db"), dig(r, "sampler.snr_max_db")) for k, r in recipes.items()
                          if dig(r, "sampler.name") != "dedicated"}, "{0[0]:g}..{0[1]:g} dB"),
        "num_runs": str(len(recipes)),
    }
    if summaries:
        runs = {k: s for k, s in summaries.items() if k in recipes} or dict(summaries)
        per = {k: epoch_images(s) for k, s in runs.items()}
        known = {k: v for k, v in per.items() if v is not None}
        facts["images_per_epoch"] = one(known, "{:,}")
        facts["image_passes"] = one({k: v * int(runs[k]["epochs"]) for k, v in known.items()}, "{:,}")
    return facts
