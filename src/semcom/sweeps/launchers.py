"""Where a sweep's trials run: ``local`` (worker processes on this machine), ``ray`` (Ray Tune, a local instance or
an existing cluster) and ``slurm`` (submitit, one array job). Each launcher takes the trials that are not done
and runs :func:`semcom.sweeps.trial.run_trial` on each, one trial per worker; it returns the trials' states.

* ``local``: ``workers`` trials at a time, each trial's steps a ``python -m semcom`` process with ``threads``
  CPU threads; with ``gpus`` (e.g. ``[0, 1]``) worker ``i`` sees only GPU ``gpus[i % len(gpus)]``.
* ``ray``: one Ray Tune trial per sweep trial (``tune.grid_search`` over them), with ``cpus_per_trial`` and
  ``gpus_per_trial`` (fractions allowed: 0.25 puts four trials on a GPU) as its resources, at most ``workers``
  at a time; ``address`` joins an existing cluster (``ray start --head`` on one node, ``ray start
  --address=HEAD:6379`` on the others; the sweep folder must be on a file system every node sees), otherwise
  a local instance with ``workers`` CPUs is started and stopped. Needs ``pip install 'semcom[ray]'``.
* ``slurm``: one job array (``sbatch --array=0-(N-1)%parallelism``) through submitit, a task per trial, with the
  partition, time limit, CPUs and GPUs per task given; ``wait`` polls until the array ends, otherwise the
  command returns once it is queued and ``semcom sweep FILE --merge-only`` merges later. Needs
  ``pip install 'semcom[slurm]'``.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from semcom.errors import SemcomError
from semcom.sweeps.spec import Trial
from semcom.sweeps.trial import run_trial

__all__ = ["LAUNCHERS", "LocalLauncher", "RayLauncher", "SlurmLauncher", "make_launcher"]

Log = Callable[[str], Any]


def _report(state: dict[str, Any], log: Log | None) -> None:
    if log is None:
        return
    if state.get("skipped"):
        log(f"skipped {state['name']} (done)")
    elif state["status"] == "done":
        log(f"done {state['name']} ({state.get('wall_s', 0):.1f} s)")
    else:
        log(f"FAILED {state['name']}: {state.get('error')}")


@dataclass
class LocalLauncher:
    """``workers`` trials at a time on this machine (see the module docstring)."""

    workers: int = 1
    gpus: list[str] = field(default_factory=list)
    name: str = "local"

    def describe(self) -> dict[str, Any]:
        return {"launcher": self.name, **asdict(self)}

    def launch(self, trials: list[Trial], log: Log | None = print) -> list[dict[str, Any]]:
        slots = list(range(max(1, self.workers)))
        free = list(slots)
        lock = threading.Lock()

        def work(trial: Trial) -> dict[str, Any]:
            with lock:
                slot = free.pop(0)
            try:
                env = {"CUDA_VISIBLE_DEVICES": str(self.gpus[slot % len(self.gpus)])} if self.gpus else None
                return run_trial(trial, env=env)
            finally:
                with lock:
                    free.append(slot)

        states: dict[str, dict[str, Any]] = {}
        with ThreadPoolExecutor(max_workers=len(slots)) as pool:
            futures = {pool.submit(work, t): t for t in trials}
            for fut in as_completed(futures):
                trial = futures[fut]
                try:
                    state = fut.result()
                except Exception as exc:  # an error of the launcher itself (disk full, ...), not of the trial
                    state = {"name": trial.name, "status": "failed", "error": f"launcher: {type(exc).__name__}: {exc}"}
                states[trial.name] = state
                _report(state, log)
        return [states[t.name] for t in trials]


def _ray_trainable(config: dict[str, Any], trials: list[Trial]) -> dict[str, Any]:
    """A Ray Tune function trainable: run one sweep trial; its state is the trial's only reported result."""
    state = run_trial(trials[int(config["trial"])])
    return {"failed": int(state["status"] != "done"), "status": state["status"], "error": state.get("error") or "",
            "skipped": bool(state.get("skipped"))}


@dataclass
class RayLauncher:
    """Ray Tune over the trials (see the module docstring)."""

    workers: int = 1
    address: str | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    name: str = "ray"

    def describe(self) -> dict[str, Any]:
        return {"launcher": self.name, **asdict(self)}

    def launch(self, trials: list[Trial], log: Log | None = print, storage: str | None = None) -> list[dict[str, Any]]:
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the legacy reporter honours verbose=0 (no tables)
        try:
            import ray
            from ray import tune
        except ImportError:
            raise SemcomError("--launcher ray needs Ray Tune: pip install 'semcom[ray]'") from None
        from semcom.sweeps.trial import read_state

        started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=max(1, int(self.workers * self.cpus_per_trial + 0.999)), **kwargs)
            started = True
        try:
            store = Path(storage or Path(trials[0].run_dir).parent.parent / "ray").resolve()
            resources = {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial}
            trainable = tune.with_resources(tune.with_parameters(_ray_trainable, trials=trials), resources)
            tuner = tune.Tuner(
                trainable, param_space={"trial": tune.grid_search(list(range(len(trials))))},
                tune_config=tune.TuneConfig(max_concurrent_trials=max(1, self.workers)),
                run_config=tune.RunConfig(storage_path=str(store), name=f"sweep_{int(time.time())}", verbose=0,
                                          failure_config=tune.FailureConfig(max_failures=0)))
            grid = tuner.fit()
            results = [grid[i] for i in range(len(grid))]
            errors = {int(r.config["trial"]): str(r.error).splitlines()[0] for r in results if r.error and r.config}
        finally:
            if started:
                ray.shutdown()
        states = []
        for i, t in enumerate(trials):  # the trial folders are the record; Ray's is only used for its own errors
            state = read_state(t) or {"name": t.name, "status": "failed", "error": None}
            if i in errors:
                state = {**state, "status": "failed", "error": f"ray: {errors[i]}"}
            states.append(state)
            _report(state, log)
        return states


@dataclass
class SlurmLauncher:
    """A SLURM job array through submitit (see the module docstring)."""

    workers: int = 256  # array parallelism: tasks running at once
    partition: str | None = None
    time_min: int = 60
    cpus_per_task: int = 1
    gpus_per_node: int = 0
    mem_gb: float | None = None
    account: str | None = None
    qos: str | None = None
    setup: list[str] = field(default_factory=list)
    wait: bool = False
    name: str = "slurm"

    def describe(self) -> dict[str, Any]:
        return {"launcher": self.name, **asdict(self)}

    def executor(self, folder: str | Path, job_name: str) -> Any:
        try:
            import submitit
        except ImportError:
            raise SemcomError("--launcher slurm needs submitit: pip install 'semcom[slurm]'") from None
        try:
            ex = submitit.SlurmExecutor(folder=str(folder), python=shlex.quote(sys.executable))
        except RuntimeError as exc:  # no srun on this machine
            raise SemcomError(f"--launcher slurm: {exc} (run the sweep on a SLURM login node)") from None
        params: dict[str, Any] = {"job_name": job_name, "time": int(self.time_min), "cpus_per_task": self.cpus_per_task,
                                  "array_parallelism": max(1, self.workers), "nodes": 1, "ntasks_per_node": 1,
                                  "setup": [f"export OMP_NUM_THREADS={self.cpus_per_task}", *self.setup]}
        if self.gpus_per_node:
            params["gpus_per_node"] = self.gpus_per_node
        for key in ("partition", "account", "qos"):
            if getattr(self, key):
                params[key] = getattr(self, key)
        if self.mem_gb:
            params["mem"] = f"{int(self.mem_gb * 1024)}MB"
        ex.update_parameters(**params)
        return ex

    def launch(self, trials: list[Trial], log: Log | None = print) -> list[dict[str, Any]]:
        import json

        from semcom.data import atomic_write
        from semcom.sweeps.trial import read_state

        folder = Path(trials[0].run_dir).parent.parent / "slurm"
        ex = self.executor(folder, f"semcom_{Path(trials[0].run_dir).parent.parent.name}")
        jobs = ex.map_array(run_trial, trials)
        ids = {t.name: j.job_id for t, j in zip(trials, jobs)}
        atomic_write(folder / "jobs.json", lambda p: p.write_text(json.dumps(ids, indent=1) + "\n"))
        if log:
            log(f"submitted {len(jobs)} trials as SLURM array {jobs[0].job_id.split('_')[0]} (logs: {folder})")
        if not self.wait:
            return [{"name": t.name, "status": "queued", "job_id": ids[t.name], "error": None} for t in trials]
        states = []
        for t, j in zip(trials, jobs):
            try:
                j.result()
                state = read_state(t) or {"name": t.name, "status": "failed", "error": "no trial.json written"}
            except Exception as exc:  # the job died (time limit, node failure): submitit raises its error
                state = {**(read_state(t) or {"name": t.name}), "status": "failed",
                         "error": f"slurm job {j.job_id}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else exc}"}
            states.append(state)
            _report(state, log)
        return states


LAUNCHERS = {"local": LocalLauncher, "ray": RayLauncher, "slurm": SlurmLauncher}


def make_launcher(name: str, **options: Any) -> Any:
    """A launcher by name with its options (those it does not take are refused with one line)."""
    from dataclasses import fields

    if name not in LAUNCHERS:
        raise SemcomError(f"--launcher {name!r}; expected one of: {', '.join(LAUNCHERS)}")
    cls = LAUNCHERS[name]
    allowed = {f.name for f in fields(cls)} - {"name"}
    given = {k: v for k, v in options.items() if v is not None}
    bad = sorted(set(given) - allowed)
    if bad:
        raise SemcomError(f"--launcher {name} does not take {bad[0].replace('_', '-')!r}; it takes: "
                          f"{', '.join(sorted(a.replace('_', '-') for a in allowed))}")
    return cls(**given)


def default_workers(threads: int) -> int:
    """CPU cores over threads per trial (at least 1)."""
    return max(1, (os.cpu_count() or 1) // max(1, threads))
