"""Fuzz of the CLI: bad values for the options of every verb end with exit 2, one `error:` line on stderr, no
traceback, and nothing written (the output folder stays absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from semcom.cli import main

G = str(Path(__file__).with_name("golden") / "tiny_djscc.ckpt")

BAD = {
    # every verb: an option with a bad type, range, finiteness or existence
    "eval": [["--snr", "0:inf:1"], ["--snr", "0:1e12:1"], ["--snr", ""], ["--snr", "nan"], ["--batch-size", "0"],
             ["--device", "cuda"], ["--device", "tpu"], ["--limit", "0"], ["--name", "../x"], ["--channel", "mars"],
             ["--csi", "psychic"], ["--metrics", "lpips"], ["--dataset", "imagenet"], ["--structural-at", "x"]],
    "mismatch": [["--snr", "1:0:1"], ["--device", "cuda:7"], ["--limit", "-3"], ["--name", "a/b"]],
    "merge": [["--name", ".."]],
    "plot": [["--metric", "fid"]],
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
}
NEEDS_CKPT = {"eval", "mismatch"}


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
    if verb in ("merge", "plot"):
        argv.append(str(tmp_path / "missing.json") if verb == "merge" else G)
    argv += opts
    if verb == "channels generate":
        argv += ["--out", str(out)]
    elif verb not in ("report", "complexity", "plot"):
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
