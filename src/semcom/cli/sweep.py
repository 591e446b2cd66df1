"""``semcom sweep``: a grid of trainings and evaluations from a sweep file, on this machine, Ray or SLURM."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from semcom.cli.common import app, command_line, quiet_lightning
from semcom.errors import SemcomError

#: exit status when every trial ran but some failed (listed, with their error lines)
TRIALS_FAILED = 3


def check_evaluations(sweep: Any) -> None:
    """Parse every evaluation's options with the verb's own parser (names, types, ranges, SNR grids) before
    anything runs, so a typo fails in a second, not after the trainings."""
    try:  # typer >= 0.20 vendors click as typer._click
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover
        from click.exceptions import ClickException  # type: ignore[assignment]

    from semcom.evaluation.results import parse_snr

    group = typer.main.get_command(app)
    for e in sweep.evaluations:
        cmd = group.commands[e.command]  # type: ignore[attr-defined]
        try:
            cmd.make_context(e.command, [str(Path(sweep.out) / "x.ckpt"), *e.argv], resilient_parsing=False)
        except ClickException as exc:
            raise SemcomError(f"sweep {sweep.name}: evaluation {e.name!r} ({e.command}): "
                              f"{' '.join(exc.format_message().split())}") from None
        for key in ("snr", "grid_snr", "structural_at"):
            if key in e.options:
                parse_snr(str(e.options[key]), f"sweep {sweep.name}: evaluation {e.name!r}: option {key}")


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="sweep file (YAML): base recipe, axes, include, evaluate")],
    overrides: Annotated[Optional[list[str]], typer.Argument(help="key=value recipe overrides for every trial")] = None,
    launcher: Annotated[str, typer.Option(help="local, ray or slurm")] = "local",
    workers: Annotated[Optional[int], typer.Option(min=1, help="trials at a time (local: default cores / threads; "
                                                                "ray: concurrent trials; slurm: array parallelism)")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="CPU threads per trial (default: the file's, else 1)")] = None,
    gpus: Annotated[Optional[str], typer.Option(help="local: GPUs to share out, e.g. 0,1 (worker i gets one of them)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="sweep folder (default: the file's `out`, else runs/sweeps/NAME)")] = None,
    results: Annotated[Optional[Path], typer.Option(help="folder of the merged results (default: the file's "
                                                         "`results`, else the sweep folder)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list the trials and their state; run nothing")] = False,
    merge_only: Annotated[bool, typer.Option("--merge-only", help="merge the finished trials' results; run nothing")] = False,
    ray_address: Annotated[Optional[str], typer.Option(help="ray: address of an existing cluster (default: a local instance)")] = None,
    cpus_per_trial: Annotated[Optional[float], typer.Option(min=0.0, help="ray: CPUs per trial")] = None,
    gpus_per_trial: Annotated[Optional[float], typer.Option(min=0.0, help="ray: GPUs per trial (fractions share a GPU)")] = None,
    partition: Annotated[Optional[str], typer.Option(help="slurm: partition")] = None,
    time_min: Annotated[Optional[int], typer.Option(min=1, help="slurm: time limit per trial, minutes")] = None,
    gpus_per_node: Annotated[Optional[int], typer.Option(min=0, help="slurm: GPUs per trial")] = None,
    mem_gb: Annotated[Optional[float], typer.Option(min=0.0, help="slurm: memory per trial, GB")] = None,
    account: Annotated[Optional[str], typer.Option(help="slurm: account")] = None,
    qos: Annotated[Optional[str], typer.Option(help="slurm: quality of service")] = None,
    setup: Annotated[Optional[list[str]], typer.Option(help="slurm: a shell line run before each trial (repeat), "
                                                             "e.g. 'source .venv/bin/activate'")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="slurm: wait for the array to finish, then merge")] = False,
) -> None:
    """Run a sweep: every trial is `semcom train` (resumable) plus its evaluations; finished trials are skipped,
    failed ones listed (exit status 3); each evaluation's results are merged into RESULTS/NAME.json."""
    from semcom.sweeps import check_reruns, pending, run_sweep
    from semcom.sweeps.launchers import default_workers, make_launcher
    from semcom.sweeps.merge import merge_sweep
    from semcom.sweeps.spec import load_sweep
    from semcom.sweeps.trial import read_state

    quiet_lightning()
    if dry_run and merge_only:
        raise SemcomError("give --dry-run or --merge-only, not both")
    given = {"--gpus": gpus, "--ray-address": ray_address, "--cpus-per-trial": cpus_per_trial,
             "--gpus-per-trial": gpus_per_trial, "--partition": partition, "--time-min": time_min,
             "--gpus-per-node": gpus_per_node, "--mem-gb": mem_gb, "--account": account, "--qos": qos,
             "--setup": setup or None, "--wait": wait or None}
    belongs = {"local": ("--gpus",), "ray": ("--ray-address", "--cpus-per-trial", "--gpus-per-trial"),
               "slurm": ("--partition", "--time-min", "--gpus-per-node", "--mem-gb", "--account", "--qos", "--setup",
                         "--wait")}
    if launcher not in belongs:
        raise SemcomError(f"--launcher {launcher!r}; expected one of: {', '.join(belongs)}")
    stray = [k for k, v in given.items() if v is not None and k not in belongs[launcher]]
    if stray:
        owner = next(n for n, opts in belongs.items() if stray[0] in opts)
        raise SemcomError(f"{stray[0]} is an option of --launcher {owner}, not of --launcher {launcher}")
    from semcom import checks

    for opt, value in (("--cpus-per-trial", cpus_per_trial), ("--gpus-per-trial", gpus_per_trial), ("--mem-gb", mem_gb)):
        if value is not None:
            checks.in_range(value, opt, 0.0, 1e6)
    spec = load_sweep(file, list(overrides or []), out=out, threads=threads, results=results)
    check_evaluations(spec)
    options: dict[str, Any] = {"workers": workers}
    if launcher == "local":
        options["gpus"] = [g.strip() for g in gpus.split(",") if g.strip()] if gpus else None
        options["workers"] = workers or default_workers(spec.trials[0].threads)
    elif launcher == "ray":
        options.update(address=ray_address, cpus_per_trial=cpus_per_trial if cpus_per_trial is not None else
                       float(spec.trials[0].threads), gpus_per_trial=gpus_per_trial)
    elif launcher == "slurm":
        options.update(partition=partition, time_min=time_min, gpus_per_node=gpus_per_node, mem_gb=mem_gb,
                       account=account, qos=qos, setup=list(setup) if setup else None, wait=wait or None,
                       cpus_per_task=spec.trials[0].threads)
    runner = make_launcher(launcher, **options)
    if dry_run:
        check_reruns(spec)
        todo = pending(spec)
        for t in spec.trials:
            state = read_state(t)
            status = "done" if t not in todo else (state or {}).get("status", "new")
            typer.echo(f"{t.name}: {status}; semcom train {Path(t.recipe_file).name} {' '.join(t.overrides)}"
                       + (f"; evaluations: {', '.join(e.name for e in t.evaluations)}" if t.evaluations else ""))
        typer.echo(f"{len(todo)} of {len(spec.trials)} trials to run with --launcher {launcher} into {spec.out}")
        return
    if merge_only:
        summary = merge_sweep(spec, runner.describe(), command_line(), log=typer.echo)
        summary.update(launched=[], skipped=[], queued=[])
    else:
        summary = run_sweep(spec, runner, command_line(), log=typer.echo)
    failed = [(n, s.get("error")) for n, s in summary["states"].items() if s.get("status") == "failed"]
    done = sum(1 for s in summary["states"].values() if s.get("status") == "done")
    typer.echo(f"sweep {spec.name}: {done} of {len(spec.trials)} trials done"
               + (f", {len(summary['queued'])} queued" if summary["queued"] else "")
               + (f", {len(failed)} failed" if failed else "") + f"; {Path(spec.out) / 'sweep.json'}")
    if summary["queued"]:
        typer.echo(f"when the jobs have finished: semcom sweep {file} --merge-only")
    if failed:
        for n, err in failed:
            typer.echo(f"error: trial {n} failed: {err}", err=True)
        raise typer.Exit(TRIALS_FAILED)
