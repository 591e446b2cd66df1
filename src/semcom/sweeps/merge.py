"""The sweep's results: each evaluation's per-trial results merged into one file of the one result schema.

For every evaluation ``E`` of the sweep, the ``<trial>/eval/E.json`` of the trials that finished are merged
(:func:`semcom.evaluation.results.merge_results`: same dataset, seed and settings, one model per trial) into
``<results>/E.json`` (the sweep's ``results`` folder, default its ``out``; + ``.csv``; ``.png`` for ``eval`` unless ``no_plot``; ``.md`` and the heat map for
``mismatch``, recomputed over all the merged models), with a ``sweep`` entry recording the sweep file (its path
and content), the command-line overrides, the launcher and every trial's name, overrides, status and error.
``<out>/sweep.json`` is the table of trials. Since every point of every evaluation draws its noise from a
generator seeded with the evaluation seed, a merged file equals one evaluation of all the checkpoints together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.errors import SemcomError
from semcom.evaluation.results import merge_results, read_results, write_results
from semcom.sweeps.spec import Sweep
from semcom.sweeps.trial import read_state

__all__ = ["merge_sweep", "sweep_record"]


def sweep_record(sweep: Sweep, launcher: dict[str, Any] | None, states: dict[str, dict[str, Any]],
                 command: str | None = None) -> dict[str, Any]:
    """What a merged result records about the sweep that made it."""
    return {
        "name": sweep.name, "file": sweep.file, "spec": sweep.raw, "cli_overrides": list(sweep.cli_overrides),
        "out": sweep.out, "results": sweep.results, "launcher": launcher, "command": command,
        "trials": [{"name": t.name, "values": t.values, "recipe": t.recipe_file, "overrides": list(t.overrides),
                    "status": (states.get(t.name) or {}).get("status", "not run"),
                    "error": (states.get(t.name) or {}).get("error")} for t in sweep.trials]}


def merge_sweep(sweep: Sweep, launcher: dict[str, Any] | None = None, command: str | None = None,
                log: Any = print) -> dict[str, Any]:
    """Merge every evaluation over the trials that finished it; write ``sweep.json``. Returns
    ``{"states": {trial: state}, "files": {evaluation: [paths]}, "missing": {evaluation: [trials]}}``."""
    out = Path(sweep.results)
    states = {t.name: (read_state(t) or {"name": t.name, "status": "not run", "error": None}) for t in sweep.trials}
    record = sweep_record(sweep, launcher, states, command)
    files: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for e in sweep.evaluations:
        members = [t for t in sweep.trials if e.applies(t.name)]
        have = [t for t in members if t.eval_path(e).exists()
                and (states[t.name].get("evaluations", {}).get(e.name, {}).get("status") == "done")]
        missing[e.name] = [t.name for t in members if t not in have]
        if not have:
            continue
        try:
            res = merge_results([read_results(t.eval_path(e)) for t in have])
        except SemcomError as exc:
            raise SemcomError(f"sweep {sweep.name}: evaluation {e.name!r}: {exc}") from None
        res["sweep"] = {**record, "evaluation": {"name": e.name, "command": e.command, "options": e.options,
                                                 "trials": [t.name for t in have], "missing": missing[e.name]}}
        res["command"] = command
        if e.command == "mismatch":
            from semcom.evaluation import mismatch

            mismatch.write(res, out, e.name)
            paths = [out / f"{e.name}.{s}" for s in ("json", "csv", "md", "png")]
        else:
            plot = e.command == "eval" and not e.options.get("no_plot", e.options.get("no-plot", False))
            paths = list(write_results(res, out, e.name, plot=plot).values())
        files[e.name] = [str(p) for p in paths]
        if log:
            log(f"merged {e.name}: {len(have)} of {len(members)} trials -> {out / (e.name + '.json')}"
                + (f" (missing: {', '.join(missing[e.name])})" if missing[e.name] else ""))
    summary = {**record, "merged": files, "missing": missing,
               "states": {n: {k: s.get(k) for k in ("status", "error", "train", "evaluations", "wall_s", "host")}
                          for n, s in states.items()}}
    atomic_write(Path(sweep.out) / "sweep.json", lambda p: p.write_text(json.dumps(summary, indent=1, default=str) + "\n"))
    return {"states": states, "files": files, "missing": missing}
