"""`semcom sweep`: a grid of tiny trainings + evaluations on the local launcher, a local Ray instance and SLURM
(submitit with stand-in sbatch/srun), equal to the same trials run one by one; skipping, failures, refusals;
multi-node DDP of one training through torchrun with 2 local processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from semcom.cli import main
from semcom.errors import SemcomError
from semcom.sweeps.spec import load_sweep, option_argv, override
from semcom.sweeps.trial import error_line

RECIPE = ("name: tiny\nmodel: {{name: djscc, k: 16, hidden: [4, 8]}}\n"
          "data: {{dataset: embedded, limit_train: 64, limit_val: 32}}\n"
          "train: {{epochs: 1, batch_size: 16, out_dir: {out}, progress_bar: false, accelerator: cpu}}\n")
EVAL = {"dataset": "embedded", "snr": "0,10", "limit": 32, "metrics": "psnr", "no_plot": True}
GRID = [("dlps", 0), ("dlps", 1), ("blps", 0), ("blps", 1)]


def sweep_file(tmp: Path, out: Path, broken: bool = True, axes: str | None = None, evaluate: str | None = None) -> Path:
    recipe = tmp / "tiny.yaml"
    recipe.write_text(RECIPE.format(out=tmp / "unused"))
    text = (f"name: tiny\nrecipe: {recipe}\nout: {out}\n"
            + (axes or "axes:\n  sampler.name: [dlps, blps]\n  train.seed: [0, 1]\n")
            + "trial_name: 'tiny_{sampler.name}_seed{train.seed}'\n"
            + ("include:\n  - {name: broken, data.dataset: cifar10, data.root: /nonexistent/cifar10}\n" if broken else "")
            + (evaluate or f"evaluate:\n  - name: ev\n    command: eval\n    options: {json.dumps(EVAL)}\n"))
    path = tmp / "sweep.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    tmp = tmp_path_factory.mktemp("sweep")
    out = tmp / "out"
    rc = main(["sweep", str(sweep_file(tmp, out)), "--launcher", "local", "--workers", "2"])
    return tmp, out, rc


def test_spec_expands_grid_in_order_with_precedence(tmp_path: Path) -> None:
    path = sweep_file(tmp_path, tmp_path / "out")
    sweep = load_sweep(path, ["train.epochs=3", "sampler.name=lvlps"])
    assert [t.name for t in sweep.trials] == [f"tiny_{m}_seed{s}" for m, s in GRID] + ["broken"]
    first = sweep.trials[0]
    # the command line's key=value for every trial; axis values win over it
    assert first.recipe["train"]["epochs"] == 3 and first.recipe["sampler"]["name"] == "dlps"
    assert first.recipe["train"]["out_dir"] == str((tmp_path / "out" / "runs").resolve())
    assert first.run_dir == str((tmp_path / "out" / "runs" / "tiny_dlps_seed0").resolve())
    assert first.overrides[-2:] == ("name=tiny_dlps_seed0", f"train.out_dir={(tmp_path / 'out' / 'runs').resolve()}")
    assert sweep.trials[-1].recipe["data"]["root"] == "/nonexistent/cifar10"
    assert [e.name for e in first.evaluations] == ["ev"]
    assert len({t.recipe_hash for t in sweep.trials}) == 5


def test_option_argv_and_overrides() -> None:
    assert option_argv({"snr": "-5:25:1", "channel": ["awgn", "rayleigh"], "no_plot": True, "grid": False,
                        "limit": 10}, "x") == ("--snr=-5:25:1", "--channel=awgn", "--channel=rayleigh", "--no-plot",
                                               "--limit=10")
    with pytest.raises(SemcomError, match="set by the sweep"):
        option_argv({"out": "x"}, "where")
    assert override("sampler.name", "dlps") == "sampler.name=dlps"
    assert override("data.root", None) == "data.root=null"
    assert override("model.hidden", [4, 8]) == "model.hidden=[4, 8]"
    assert override("name", "true") == 'name="true"'  # would read back as a boolean
    assert error_line("Traceback\n  ...\nerror: CIFAR-10 not found at /x\n", 2) == "CIFAR-10 not found at /x"
    assert error_line("Traceback\nValueError: bad\n", 1) == "ValueError: bad"
    assert error_line("", 137) == "exited with status 137"


def test_unknown_axis_key_refused_before_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    path = sweep_file(tmp_path, out, axes="axes:\n  sampler.nme: [dlps, blps]\n")
    assert main(["sweep", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "axis 'sampler.nme'" in err[0] and "unknown recipe key" in err[0], err
    assert not out.exists()


def test_bad_evaluation_option_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    bad = "evaluate:\n  - {name: ev, command: eval, options: {snrr: '0,10'}}\n"
    assert main(["sweep", str(sweep_file(tmp_path, out, evaluate=bad))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "evaluation 'ev'" in err[0] and "snrr" in err[0], err
    bad_grid = "evaluate:\n  - {name: ev, command: eval, options: {snr: '10:0:1'}}\n"
    assert main(["sweep", str(sweep_file(tmp_path, out, evaluate=bad_grid))]) == 2
    assert "10:0:1" in capsys.readouterr().err
    dup = "axes:\n  sampler.name: [dlps, blps]\n"  # trial_name uses {train.seed}: both trials named tiny_*_seed0
    path = sweep_file(tmp_path, out, broken=False, axes=dup + "  sampler.snr_max_db: [10, 20]\n")
    assert main(["sweep", str(path)]) == 2
    assert "two trials are named 'tiny_dlps_seed0'" in capsys.readouterr().err
    assert main(["sweep", str(path), "--launcher", "local", "--ray-address", "x:1"]) == 2  # before reading the file
    assert "--ray-address is an option of --launcher ray" in capsys.readouterr().err
    assert not out.exists()


def test_local_sweep_runs_merges_and_lists_the_failed_trial(local_sweep: tuple[Path, Path, int]) -> None:
    tmp, out, rc = local_sweep
    assert rc == 3  # some trials failed
    merged = json.loads((out / "ev.json").read_text())
    assert [m["label"] for m in merged["models"]] == [f"tiny_{m}_seed{s}" for m, s in GRID]
    assert len(merged["rows"]) == 8 and merged["dataset"]["num_images"] == 32
    assert merged["sweep"]["launcher"]["launcher"] == "local" and merged["sweep"]["spec"]["name"] == "tiny"
    assert merged["sweep"]["evaluation"]["missing"] == ["broken"]
    table = json.loads((out / "sweep.json").read_text())
    broken = table["states"]["broken"]
    assert broken["status"] == "failed" and broken["error"].startswith("training: ") and "/nonexistent" in broken["error"]
    assert all(table["states"][f"tiny_{m}_seed{s}"]["status"] == "done" for m, s in GRID)
    state = json.loads((out / "runs" / "tiny_dlps_seed0" / "trial.json").read_text())
    assert state["train"]["command"].startswith("semcom train ") and "--resume auto" in state["train"]["command"]
    assert (out / "runs" / "tiny_dlps_seed0" / "summary.json").exists()


def test_merged_results_equal_trials_run_one_by_one(local_sweep: tuple[Path, Path, int], tmp_path: Path) -> None:
    _, out, _ = local_sweep
    recipe = tmp_path / "tiny.yaml"
    recipe.write_text(RECIPE.format(out=tmp_path / "runs"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    py = [sys.executable, "-m", "semcom"]
    procs = []
    for m, s in GRID:  # by hand: two at a time
        name = f"tiny_{m}_seed{s}"
        procs.append(subprocess.Popen(
            [*py, "train", str(recipe), f"sampler.name={m}", f"train.seed={s}", f"name={name}"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        if len(procs) == 2:
            for p in procs:
                assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
            procs = []
    ckpts = [str(tmp_path / "runs" / f"tiny_{m}_seed{s}" / "checkpoints" / "last.ckpt") for m, s in GRID]
    args = ["eval", *ckpts, *option_argv(EVAL, "test"), f"--out={tmp_path}", "--name=byhand"]
    assert subprocess.run([*py, *args], env=env, capture_output=True).returncode == 0
    by_hand = json.loads((tmp_path / "byhand.json").read_text())
    merged = json.loads((out / "ev.json").read_text())
    assert merged["rows"] == by_hand["rows"]


def test_relaunch_skips_finished_trials(local_sweep: tuple[Path, Path, int], capsys: pytest.CaptureFixture[str]) -> None:
    tmp, out, _ = local_sweep
    state = out / "runs" / "tiny_dlps_seed0" / "trial.json"
    before = state.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["sweep", str(tmp / "sweep.yaml"), "--workers", "2"]) == 3  # the broken trial is tried again
    text = capsys.readouterr()
    assert "4 of 5 trials already done, skipped" in text.out
    assert "trial broken failed" in text.err
    assert state.stat().st_mtime_ns == before
    # a finished trial with other settings is refused, not skipped or mixed
    assert main(["sweep", str(tmp / "sweep.yaml"), "train.batch_size=8"]) == 2
    assert "was run with another recipe (train.batch_size: 16 there, 8 now)" in capsys.readouterr().err
    # more epochs: allowed (the trials resume from their last checkpoint)
    from semcom.sweeps import check_reruns, pending

    longer = load_sweep(tmp / "sweep.yaml", ["train.epochs=2"])
    check_reruns(longer)
    assert [t.name for t in pending(longer)] == [t.name for t in longer.trials]


def test_ray_launcher_equals_local(local_sweep: tuple[Path, Path, int], tmp_path: Path) -> None:
    pytest.importorskip("ray.tune")
    _, out, _ = local_sweep
    ray_out = tmp_path / "ray"
    rc = main(["sweep", str(sweep_file(tmp_path, ray_out)), "--launcher", "ray", "--workers", "2"])
    assert rc == 3
    merged = json.loads((ray_out / "ev.json").read_text())
    assert merged["rows"] == json.loads((out / "ev.json").read_text())["rows"]
    assert merged["sweep"]["launcher"]["launcher"] == "ray"
    table = json.loads((ray_out / "sweep.json").read_text())
    assert table["states"]["broken"]["status"] == "failed" and "/nonexistent" in table["states"]["broken"]["error"]


def test_slurm_launcher_renders_an_array_and_its_task_runs_a_trial(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("submitit")
    from semcom.sweeps.launchers import SlurmLauncher

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(f'#!/bin/sh\ncp "$1" {tmp_path}/submitted.sh\necho "Submitted batch job 4242"\n')
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    sweep = load_sweep(sweep_file(tmp_path, tmp_path / "out", broken=False))
    launcher = SlurmLauncher(workers=2, partition="gpu", time_min=30, cpus_per_task=1, gpus_per_node=1,
                             mem_gb=4, setup=["source .venv/bin/activate"])
    states = launcher.launch(list(sweep.trials), log=None)
    assert [s["status"] for s in states] == ["queued"] * 4
    assert [s["job_id"] for s in states] == [f"4242_{i}" for i in range(4)]
    script = (tmp_path / "submitted.sh").read_text()
    for line in ("#SBATCH --array=0-3%2", "#SBATCH --partition=gpu", "#SBATCH --time=30", "#SBATCH --cpus-per-task=1",
                 "#SBATCH --gpus-per-node=1", "#SBATCH --mem=4096MB", "#SBATCH --job-name=semcom_out",
                 "#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=1", "export OMP_NUM_THREADS=1",
                 "source .venv/bin/activate"):
        assert line in script.splitlines(), (line, script)
    command = script.strip().splitlines()[-1]
    assert command.startswith("srun --unbuffered") and f"{sys.executable} -u -m submitit.core._submit" in command
    assert json.loads((tmp_path / "out" / "slurm" / "jobs.json").read_text())["tiny_blps_seed1"] == "4242_3"
    # run array task 2 as SLURM would (its environment), without srun: the trial trains and evaluates
    folder = command.split("submitit.core._submit", 1)[1].strip().strip("'")
    env = {**os.environ, "SUBMITIT_EXECUTOR": "slurm", "SLURM_JOB_ID": "4244", "SLURM_ARRAY_JOB_ID": "4242",
           "SLURM_ARRAY_TASK_ID": "2", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_NTASKS": "1",
           "SLURM_JOB_NUM_NODES": "1", "SLURM_NODEID": "0", "SLURM_JOB_NODELIST": "localhost", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-u", "-m", "submitit.core._submit", folder], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    state = json.loads((tmp_path / "out" / "runs" / "tiny_blps_seed0" / "trial.json").read_text())
    assert state["status"] == "done" and (tmp_path / "out" / "runs" / "tiny_blps_seed0" / "eval" / "ev.json").exists()
    assert main(["sweep", str(tmp_path / "sweep.yaml"), "--merge-only"]) == 0
    merged = json.loads((tmp_path / "out" / "ev.json").read_text())
    assert [m["label"] for m in merged["models"]] == ["tiny_blps_seed0"]
    assert merged["sweep"]["evaluation"]["missing"] == ["tiny_dlps_seed0", "tiny_dlps_seed1", "tiny_blps_seed1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_multi_node_ddp_through_torchrun_equals_one_node(tmp_path: Path) -> None:
    """Two 'nodes' of one process each (torchrun's rendezvous, as on two machines) train the same weights as one
    node with two devices (Lightning's own launcher)."""
    recipe = tmp_path / "mn.yaml"
    recipe.write_text(RECIPE.format(out=tmp_path / "runs").replace("epochs: 1", "epochs: 2").replace("limit_train: 64",
                                                                                                    "limit_train: 128"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    port = _free_port()
    node = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1",
            "--master-addr=127.0.0.1", f"--master-port={port}"]
    train = ["-m", "semcom", "train", str(recipe), "name=two_nodes", "train.num_nodes=2", "train.strategy=ddp"]
    procs = [subprocess.Popen([*node, f"--node-rank={r}", *train], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][1][-2000:] + outs[1][1][-2000:]
    summary = json.loads(outs[0][0][outs[0][0].index('{\n  "name"'):])
    assert summary["world_size"] == 2 and summary["train_images"] == 256 and summary["global_step"] == 8
    one = subprocess.run([sys.executable, "-m", "semcom", "train", str(recipe), "name=one_node", "--devices", "2",
                          "train.strategy=ddp"], env=env, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    a = torch.load(tmp_path / "runs" / "two_nodes" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    b = torch.load(tmp_path / "runs" / "one_node" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


ROOT = Path(__file__).resolve().parents[1]


def _flat(d: dict, prefix: str = "") -> dict:
    out: dict = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v})
    return out


def test_ported_sweeps_train_what_the_committed_results_were_trained_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """configs/sweeps/robust.yaml has a trial per committed run of results/robust with its image passes, and
    configs/sweeps/dlps_fig3.yaml trains each committed Fig. 3 checkpoint's recipe (seed 0 named _seed0)."""
    from semcom.checkpoint import read_checkpoint

    monkeypatch.chdir(ROOT)
    for var in ("SEMCOM_ROBUST_EPOCHS", "SEMCOM_ROBUST_EPOCHS_CORE", "SEMCOM_EVAL_LIMIT", "SEMCOM_DEVICE"):
        monkeypatch.delenv(var, raising=False)
    robust = {t.name: t.recipe for t in load_sweep("configs/sweeps/robust.yaml").trials}
    committed = {p.name.removesuffix(".summary.json"): json.loads(p.read_text())
                 for p in (ROOT / "results" / "robust" / "train").glob("*.summary.json")}
    assert set(robust) == set(committed)
    for name, summary in committed.items():
        r = robust[name]
        assert r["train"]["epochs"] * r["data"]["limit_train"] == summary["train_images"], name
    fig3 = {t.name: t.recipe for t in load_sweep("configs/sweeps/dlps_fig3.yaml").trials}
    assert len(fig3) == 12
    for ckpt in sorted((ROOT / "results" / "dlps" / "checkpoints").glob("fig3_k88_*.ckpt")):
        old = read_checkpoint(ckpt)["recipe"]
        seed = old["train"]["seed"]
        new = fig3[f"fig3_k88_{old['sampler']['name']}_seed{seed}"]
        a, b = _flat(old), _flat(new)
        ignore = ("name", "train.out_dir", "train.progress_bar", "train.accelerator", "train.num_nodes")
        # keys the recipe schema gained after these checkpoints were trained hold their defaults: compare the rest
        diff = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k) and k not in ignore}
        assert not diff, (ckpt.name, diff)


def test_committed_sweep_benchmark_records_each_launcher() -> None:
    res = json.loads((ROOT / "results" / "benchmarks" / "sweep_cpu.json").read_text())
    assert res["trials"] == 4 and res["by_hand_s"] > 0
    for launcher in ("local", "ray"):
        one, two = res[f"{launcher}_1_workers"], res[f"{launcher}_2_workers"]
        assert one["rows_equal_by_hand"] and two["rows_equal_by_hand"]
        assert one["overhead_per_trial_s"] == pytest.approx((one["wall_s"] - res["by_hand_s"]) / 4, abs=0.01)
        assert two["speedup_over_sequential_by_hand"] == pytest.approx(res["by_hand_s"] / two["wall_s"], abs=1e-3)
    assert res["local_2_workers"]["speedup_over_sequential_by_hand"] > 1.0


@pytest.mark.parametrize("name", ["dlps_fig3", "dlps_fig3x", "robust"])
def test_committed_sweep_files_load_and_their_evaluations_parse(name: str, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["sweep", f"configs/sweeps/{name}.yaml", "--dry-run", "--out", "/tmp/semcom-no-such-sweep"]) == 0
    assert "trials to run" in capsys.readouterr().out
