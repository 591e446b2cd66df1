"""One trial of a sweep: an ordinary ``semcom train`` of its recipe (resumed where it stopped), then each of its
evaluations, every step a separate ``python -m semcom`` process. Every launcher runs trials through
:func:`run_trial`, so a trial is the same computation whichever launcher ran it.

The trial's state is ``<run folder>/trial.json`` (written atomically after every step)::

    {name, recipe_hash, status: running | done | failed, error, train: {status, wall_s, command},
     evaluations: {NAME: {status, wall_s, command, result}}, host, threads, started, finished}

Its processes' output goes to ``<run folder>/sweep.log``. A trial whose training and evaluations are done with
the same recipe is skipped (:func:`is_done`); a failed or interrupted one starts again at the step that did
not finish (the training from its ``last.ckpt``). A failing step never raises: its error line (the ``error:``
line semcom prints, or the last line of a traceback) is recorded and returned.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.sweeps.spec import Trial

__all__ = ["error_line", "is_done", "read_state", "run_trial", "step_commands"]

STATE = "trial.json"
LOG = "sweep.log"


def read_state(trial: Trial) -> dict[str, Any] | None:
    path = Path(trial.run_dir) / STATE
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_done(trial: Trial, state: dict[str, Any] | None = None) -> bool:
    """Training and every evaluation of the trial finished with this very recipe, and their files exist."""
    state = read_state(trial) if state is None else state
    if not state or state.get("recipe_hash") != trial.recipe_hash or state.get("train", {}).get("status") != "done":
        return False
    if not Path(trial.checkpoint).exists():
        return False
    evals = state.get("evaluations", {})
    return all(evals.get(e.name, {}).get("status") == "done" and trial.eval_path(e).exists() for e in trial.evaluations)


def step_commands(trial: Trial, python: str | None = None) -> dict[str, list[str]]:
    """The commands of the trial's steps (``train`` and one per evaluation), as ``semcom`` would be typed."""
    py = [python or sys.executable, "-m", "semcom"]
    cmds = {"train": [*py, "train", trial.recipe_file, *trial.overrides, "--resume", "auto"]}
    for e in trial.evaluations:
        cmds[f"eval:{e.name}"] = [*py, e.command, trial.checkpoint, *e.argv, f"--out={Path(trial.run_dir) / 'eval'}",
                                  f"--name={e.name}"]
    return cmds


def error_line(stderr: str, returncode: int) -> str:
    """The line that says why a step failed: semcom's ``error: ...`` line, else the last line of the output."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("error:"):
            return ln[len("error:"):].strip()
    if lines:
        return lines[-1]
    return f"exited with status {returncode}"


def _write(trial: Trial, state: dict[str, Any]) -> None:
    atomic_write(Path(trial.run_dir) / STATE, lambda p: p.write_text(json.dumps(state, indent=1) + "\n"))


def _env(trial: Trial, extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    n = str(trial.threads)
    env.update({"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def _run(cmd: list[str], trial: Trial, env: dict[str, str]) -> tuple[int, str, float]:
    log = Path(trial.run_dir) / LOG
    start = time.perf_counter()
    with open(log, "a") as f:
        f.write(f"\n[{time.strftime('%Y-%m-%d %H:%M:%S')}] $ {' '.join(cmd)}\n")
        f.flush()
        proc = subprocess.run(cmd, cwd=trial.cwd, env=env, stdout=f, stderr=subprocess.PIPE, text=True)
        f.write(proc.stderr)
    return proc.returncode, proc.stderr, time.perf_counter() - start


def run_trial(trial: Trial, env: dict[str, str] | None = None, python: str | None = None) -> dict[str, Any]:
    """Run what is left of ``trial`` (see the module docstring); returns its final state (with ``skipped``)."""
    Path(trial.run_dir).mkdir(parents=True, exist_ok=True)
    prev = read_state(trial)
    if is_done(trial, prev):
        assert prev is not None
        return {**prev, "skipped": True}
    same = prev is not None and prev.get("recipe_hash") == trial.recipe_hash
    state: dict[str, Any] = {
        "name": trial.name, "recipe_hash": trial.recipe_hash, "status": "running", "error": None,
        "train": prev.get("train", {}) if same and prev else {}, "evaluations": prev.get("evaluations", {}) if same and prev else {},
        "host": socket.gethostname(), "pid": os.getpid(), "threads": trial.threads,
        "cuda_visible_devices": (env or {}).get("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES")),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"), "finished": None, "values": trial.values}
    _write(trial, state)
    full_env = _env(trial, env)
    cmds = step_commands(trial, python)
    wall = 0.0
    by_name = {e.name: e for e in trial.evaluations}
    for step, cmd in cmds.items():
        evaluation = step.split(":", 1)[1] if step.startswith("eval:") else None
        record = state["evaluations"].get(evaluation, {}) if evaluation else state["train"]
        if record.get("status") == "done" and (evaluation is None or trial.eval_path(by_name[evaluation]).exists()):
            continue
        rc, stderr, seconds = _run(cmd, trial, full_env)
        wall += seconds
        record = {"status": "done" if rc == 0 else "failed", "wall_s": round(seconds, 3), "returncode": rc,
                  "command": "semcom " + " ".join(cmd[3:])}
        if evaluation:
            record["result"] = str(trial.eval_path(by_name[evaluation]))
            state["evaluations"][evaluation] = record
        else:
            state["train"] = record
        if rc != 0:
            what = "training" if evaluation is None else f"evaluation {evaluation!r}"
            state.update(status="failed", error=f"{what}: {error_line(stderr, rc)}",
                         finished=time.strftime("%Y-%m-%d %H:%M:%S"))
            if rc == 130:
                state["error"] = f"{what}: interrupted"
            _write(trial, state)
            return state
        _write(trial, state)
    state.update(status="done", finished=time.strftime("%Y-%m-%d %H:%M:%S"), wall_s=round(wall, 3))
    _write(trial, state)
    return state


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - used by job scripts written by hand
    """``python -m semcom.sweeps.trial SWEEP_FILE TRIAL_NAME [key=value ...]``: run one trial (e.g. from a
    scheduler's array task); exits 0 when it is done, 1 when it failed."""
    from semcom.sweeps.spec import load_sweep

    args = list(sys.argv[1:] if argv is None else argv)
    sweep = load_sweep(args[0], args[2:])
    state = run_trial(sweep.trial(args[1]))
    print(json.dumps({k: state.get(k) for k in ("name", "status", "error")}))
    return 0 if state["status"] == "done" else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
