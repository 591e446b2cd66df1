"""Fuzz of the CLI: bad values for the options of every verb end with exit 2, one `error:` line on stderr, no
traceback, and nothing written (the output folder stays absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcom.cli import main

G = str(Path(__file__).with_name("golden") / "tiny_djscc.ckpt")
SWEEP = str(Path(__file__).with_name("golden") / "tiny_sweep.yaml")
ZOO = "bourtsoulatze2019-cifar10-k512-awgn-snr0-20"  # a committed zoo entry

BAD = {
    # every verb: an option with a bad type, range, finiteness or existence
    "eval": [["--snr", "0:inf:1"], ["--snr", "0:1e12:1"], ["--snr", ""], ["--snr", "nan"], ["--batch-size", "0"],
             ["--device", "cuda"], ["--device", "tpu"], ["--limit", "0"], ["--name", "../x"], ["--channel", "mars"],
             ["--csi", "psychic"], ["--metrics", "lpips"], ["--dataset", "imagenet"], ["--structural-at", "x"]],
    "mismatch": [["--snr", "1:0:1"], ["--device", "cuda:7"], ["--limit", "-3"], ["--name", "a/b"]],
    "merge": [["--name", ".."]],
    "rate": [["--cr", "0:1:0.5"], ["--cr", "1.5"], ["--cr", "nan"], ["--targets", "x"], ["--snr", "inf"],
             ["--channel", "mars"], ["--limit", "0"], ["--device", "cuda"], ["--name", "a/b"]],
    "plot": [["--metric", "fid"]],
    "liu2025": [["--csi", "x"], ["--region", "9"], ["--variant", "x"], ["--grid-snr", "nan"], ["--snr", "inf"],
                ["--limit", "0"], ["--batch-size", "0"], ["--name", "a/b"]],
    "ldm": [["--snr", "inf"], ["--tile", "0"], ["--snr-estimate", "guess"], ["--ldm-power", "x"], ["--csi", "x"]],
    "mumimo": [["--limit", "3"], ["--batch-size", "0"], ["--scenario", "moon"], ["--grid-snr", "x"]],
    "channels generate": [["--n", "0"], ["--nf", "0"], ["--users", "0"], ["--scenario", "moon"], ["--batch-size", "0"],
                          ["--normalization", "x"]],
    "bler": [["--slots", "0"], ["--nf", "0"], ["--ebno", "x"], ["--csi", "x"], ["--precoder", "x"],
             ["--bank", "/nonexistent/bank"]],
    "baseline": [["--codec", "gif"], ["--outage", "1.5"], ["--channel-uses", "0"], ["--snr", "a:b:c"],
                 ["--limit", "0"], ["--channel", "x"]],
    "complexity": [["--repeats", "0"], ["--nf", "0"], ["--device", "cuda"]],
    "demo": [["--epochs", "0"], ["--k", "-1"]],
    "report": [["nosuchreport"]],
    "zoo eval": [[ZOO, "--snr", "inf"], [ZOO, "--batch-size", "0"], [ZOO, "--limit", "0"], [ZOO, "--channel", "mars"],
                 [ZOO, "--device", "cuda:9"], [ZOO, "--metrics", "lpips"], [ZOO, "--at", "/nonexistent/x.ckpt"],
                 ["bourtsoulatze2019-cifar10-k999"]],
    "zoo path": [["nosuchmodel"], [ZOO, "--at", "/nonexistent/x.ckpt"]],
    "sweep": [["--launcher", "mars"], ["--workers", "0"], ["--threads", "0"], ["--dry-run", "--merge-only"],
              ["train.epochs=0"], ["nokey"], ["sampler.nme=1"], ["--partition", "gpu"], ["--launcher", "ray",
              "--cpus-per-trial", "nan"], ["--launcher", "slurm", "--mem-gb", "inf"], ["--launcher", "slurm", "--time-min", "0"]],
}
NEEDS_CKPT = {"eval", "mismatch", "rate"}


def cases() -> list[tuple[str, list[str]]]:
    return [(verb, opts) for verb, options in BAD.items() for opts in options]


@pytest.mark.parametrize("verb,opts", cases(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_option_one_line_exit_2_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   verb: str, opts: list[str]) -> None:
    out = tmp_path / "out"
    argv = verb.split()
    if verb in NEEDS_CKPT:
        argv.append(G)
    if verb == "ldm":
        argv += ["--codec", G]
    if verb == "mumimo":
        argv.append(G)
    if verb == "liu2025":
        argv += ["--semantic", G]
    if verb == "sweep":
        argv.append(SWEEP)
    if verb in ("merge", "plot"):
        argv.append(str(tmp_path / "missing.json") if verb == "merge" else G)
    argv += opts
    if verb == "channels generate":
        argv += ["--out", str(out)]
    elif verb not in ("report", "complexity", "plot", "zoo path"):
        argv += ["--out", str(out)]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_files_and_recipes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("x")
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "meta.json").write_text("{not json")
    (bank / "H.npy").write_bytes(b"\x93NUMPY")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {name: djscc, k: 16}\n")
    for argv in (["eval", str(tmp_path / "nope.ckpt")],
                 ["eval", G, "--out", str(tmp_path / "f")],  # an output folder that is a file
                 ["export", G, str(tmp_path)],  # an existing folder as output
                 ["bler", "--bank", str(bank)],  # a corrupt bank
                 ["train", str(recipe), "train.lr=nan"], ["train", str(recipe), "train.lr=-1"],
                 ["train", str(recipe), "train.epochs=0"], ["train", str(recipe), "train.epochs=-1"],
                 ["train", str(recipe), "train.batch_size=0"], ["train", str(recipe), "name=../../x"],
                 ["train", str(recipe), "--accelerator", "gpu"] if not __import__("torch").cuda.is_available()
                 else ["train", str(recipe), "train.lr=inf"],
                 ["train", str(tmp_path / "empty.yaml")]):
        if argv[1].endswith("empty.yaml"):
            (tmp_path / "empty.yaml").write_text("name: x\n")
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, (argv, err)
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), (argv, err)
    assert not (tmp_path / "runs").exists()


# --- generated from the CLI itself: every int, float and input-path option of every verb -------------------
# Not a list of known mistakes: the options are read off the Typer app, so a verb or option added later is
# fuzzed too. Values that no such option may accept: not a number, NaN / infinities for floats, below the
# declared minimum for ints, a missing file for an input path.
OUTPUT_PATHS = {"--out", "--collect", "--results"}
BASE = {"eval": [G], "mismatch": [G], "rate": [G], "mumimo": [G], "ldm": ["--codec", G], "plot": [G], "merge": [G],
        "export": [G], "train": [], "report": ["dlps"], "sweep": [SWEEP],
        "liu2025": ["--semantic", G], "zoo eval": [ZOO], "zoo path": [ZOO]}


def _generated_cases() -> list[tuple[str, str, str]]:
    import typer

    import semcom.cli as cli

    root = typer.main.get_command(cli.app)
    cases: list[tuple[str, str, str]] = []

    def walk(cmd: object, prefix: str) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for n, sub in subs.items():
                walk(sub, f"{prefix}{n} ")
            return
        verb = prefix.strip()
        for p in getattr(cmd, "params", []):
            if p.param_type_name != "option":
                continue
            ann = p.type_descriptor.annotation
            base = getattr(ann, "__args__", (ann,))[0] if getattr(ann, "__origin__", None) is list else ann
            opt = p.opts[0]
            if base is int:
                bad = ["abc", "1.5"] + ([str(int(p.min) - 1)] if p.min is not None else [])
            elif base is float:
                bad = ["abc", "nan", "inf", "-inf"]
            elif base is Path and opt not in OUTPUT_PATHS:
                bad = ["/nonexistent/semcom-fuzz/x.ckpt"]
            else:
                continue
            cases.extend((verb, opt, v) for v in bad)

    walk(root, "")
    return cases


GENERATED = _generated_cases()


def test_the_generated_fuzz_reaches_every_verb_with_numeric_or_path_options() -> None:
    verbs = {v for v, _, _ in GENERATED}
    assert {"eval", "mismatch", "ldm", "mumimo", "bler", "baseline", "complexity", "demo", "channels generate",
            "zoo eval", "zoo path"} <= verbs, verbs
    assert len(GENERATED) >= 60


@pytest.mark.parametrize("verb,opt,value", GENERATED, ids=lambda x: str(x))
def test_generated_bad_value_one_line_exit_2_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           verb: str, opt: str, value: str) -> None:
    out = tmp_path / "out"
    recipe = tmp_path / "r.yaml"
    recipe.write_text("model: {name: djscc, k: 16}\n")
    argv = verb.split() + (BASE.get(verb, []) if verb != "train" else [str(recipe)]) + [f"{opt}={value}"]
    if verb not in ("report", "plot", "export", "train", "zoo path"):
        argv += [f"--out={out}"]
    if verb == "train":
        argv += [f"train.out_dir={out}"]
    if verb == "export":
        argv.insert(2, str(out / "x.ckpt"))
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, err)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, (argv, err)
    assert not out.exists(), argv


def _recipe_cases() -> list[tuple[str, str]]:
    """Every int and float key of the recipe schema (read off :class:`semcom.training.recipe.Recipe`), with
    values none of them may take: not a number, NaN / infinite for floats, -1 for ints (counts, sizes, seeds)."""
    import dataclasses
    import typing

    from semcom.training.recipe import Recipe

    out: list[tuple[str, str]] = []

    def walk(cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            t = hints[f.name]
            args = [a for a in typing.get_args(t) if a is not type(None)]
            base = args[0] if typing.get_origin(t) is typing.Union and len(args) == 1 else t
            if dataclasses.is_dataclass(base):
                walk(base, f"{prefix}{f.name}.")
            elif base is int:
                out.extend((f"{prefix}{f.name}", v) for v in ("abc", "-1"))
            elif base is float:
                out.extend((f"{prefix}{f.name}", v) for v in ("abc", "nan", "inf"))

    walk(Recipe, "")
    return out


RECIPE_CASES = _recipe_cases()


def test_the_recipe_fuzz_reaches_every_section() -> None:
    assert {k.split(".")[0] for k, _ in RECIPE_CASES} >= {"train", "data", "sampler", "objective", "robust", "system"}


@pytest.mark.parametrize("key,value", RECIPE_CASES, ids=lambda x: str(x))
def test_generated_bad_recipe_value_one_line_exit_2_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  key: str, value: str) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\nmodel: {name: djscc, k: 16}\ndata: {dataset: embedded}\n")
    out = tmp_path / "runs"
    code = main(["train", str(recipe), f"train.out_dir={out}", f"{key}={value}"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (key, value, err)
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, (key, value, err)
    assert not out.exists()
