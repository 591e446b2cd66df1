"""Sweeps: grids of trainings and evaluations (models x SNR ranges x seeds ...) from one file, run on this machine,
a Ray cluster or SLURM, merged into one result file (``semcom sweep``).

* :mod:`semcom.sweeps.spec`: the sweep file and its expansion into trials (every recipe checked up front);
* :mod:`semcom.sweeps.trial`: one trial = ``semcom train ... --resume auto`` + its evaluations, state in
  ``trial.json`` (finished trials are skipped, failed ones resumed, errors recorded);
* :mod:`semcom.sweeps.launchers`: ``local``, ``ray`` (Ray Tune), ``slurm`` (submitit job array);
* :mod:`semcom.sweeps.merge`: per-trial results -> one file per evaluation, with the sweep and launcher recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from semcom.errors import SemcomError
from semcom.sweeps.spec import Evaluation, Sweep, Trial, load_sweep
from semcom.sweeps.trial import is_done, read_state, run_trial

__all__ = ["Evaluation", "Sweep", "Trial", "check_reruns", "load_sweep", "pending", "run_sweep", "run_trial"]


def _flat(d: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(d, dict):
        return {prefix: d}
    out: dict[str, Any] = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def check_reruns(sweep: Sweep) -> None:
    """Refuse (one line, before anything runs) a sweep whose trial folder holds a run made with another recipe:
    skipping it would merge a result of other settings, re-running it would mix two runs. Only more epochs are
    allowed: the trial then continues from its last checkpoint (exact resume) and its evaluations run again."""
    for t in sweep.trials:
        state = read_state(t)
        stored = Path(t.run_dir) / "recipe.yaml"
        if state is None and not stored.exists():
            continue
        if state is not None and state.get("recipe_hash") == t.recipe_hash:
            continue
        if not stored.exists():
            continue
        old = _flat(yaml.safe_load(stored.read_text()) or {})
        new = _flat(t.recipe)
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if diff == ["train.epochs"] and isinstance(old.get(k := "train.epochs"), int) \
                and int(new[k]) > int(old[k]):
            continue  # a longer schedule: the trial resumes from its last checkpoint and is evaluated again
        if diff:
            k = diff[0]
            raise SemcomError(f"sweep {sweep.name}: trial {t.name!r} in {t.run_dir} was run with another recipe "
                              f"({k}: {old.get(k)!r} there, {new.get(k)!r} now{', and ' + str(len(diff) - 1) + ' more' if len(diff) > 1 else ''}); "
                              "give the sweep another --out, or remove that folder")


def pending(sweep: Sweep) -> list[Trial]:
    """The trials that are not done (in the sweep's order)."""
    return [t for t in sweep.trials if not is_done(t)]


def run_sweep(sweep: Sweep, launcher: Any, command: str | None = None, log: Any = print) -> dict[str, Any]:
    """Check, launch what is not done, merge. Returns the merge summary plus ``launched`` and ``skipped``."""
    from semcom.sweeps.merge import merge_sweep

    check_reruns(sweep)
    todo = pending(sweep)
    skipped = [t.name for t in sweep.trials if t not in todo]
    if log and skipped:
        log(f"{len(skipped)} of {len(sweep.trials)} trials already done, skipped: {', '.join(skipped)}")
    launched = launcher.launch(todo, log=log) if todo else []
    info = launcher.describe()
    summary = merge_sweep(sweep, info, command, log=log)
    summary.update(launched=[s["name"] for s in launched], skipped=skipped,
                   queued=[s["name"] for s in launched if s.get("status") == "queued"])
    return summary
