"""Ctrl-C: a result set is never left half old, half new, and the CLI exits 130 with one line at any point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semcom.evaluation.results import _signals_held, write_results

G = str(Path(__file__).with_name("golden") / "tiny_djscc.ckpt")
SEMCOM = [sys.executable, "-c", "import sys; from semcom.cli import main; sys.exit(main())"]

# A child that replaces the set {json, csv, md} of stem "res" (each writer slow), with the tag it is given.
WRITER = """
import sys, time
from semcom.evaluation.results import write_results
tag, out = sys.argv[1], sys.argv[2]
def slow(text):
    def write(p):
        time.sleep(0.05)
        p.write_text(text)
    return write
res = {"tag": tag, "rows": [{"model": tag, "snr_db": 0.0, "psnr": 1.0}]}
print("ready", flush=True)
try:
    write_results(res, out, "res", plot=False, extra={"md": slow(tag), "txt": slow(tag)})
except KeyboardInterrupt:
    sys.exit(130)
"""


def _tags(out: Path) -> set[str]:
    """The tags of the files of the set on disk."""
    tags = {json.loads((out / "res.json").read_text())["tag"], (out / "res.md").read_text(),
            (out / "res.txt").read_text()}
    tags.add((out / "res.csv").read_text().splitlines()[1].split(",")[0])
    return tags


def test_signals_are_held_while_a_set_is_renamed() -> None:
    with pytest.raises(KeyboardInterrupt):
        with _signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            reached = True  # the interrupt waits for the end of the block
    assert reached


@pytest.mark.parametrize("delay", [0.02, 0.06, 0.09, 0.11, 0.14, 0.2])
def test_ctrl_c_while_writing_leaves_the_old_set_or_the_new_one(tmp_path: Path, delay: float) -> None:
    out = tmp_path / "out"
    write_results({"tag": "old", "rows": [{"model": "old", "snr_db": 0.0, "psnr": 1.0}]}, out, "res", plot=False,
                  extra={"md": lambda p: p.write_text("old"), "txt": lambda p: p.write_text("old")})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    child = subprocess.Popen([sys.executable, "-c", WRITER, "new", str(out)], env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    time.sleep(delay)  # into the 0.1 s of slow writers, their renames, or after them
    child.send_signal(signal.SIGINT)
    rc = child.wait(timeout=60)
    tags = _tags(out)
    assert len(tags) == 1, f"a mixed set after Ctrl-C: {tags}"
    # the old set: interrupted before the switch (exit 130); the new one: the switch completed, and the
    # signal came during it (held, then raised: 130), after it (exit 0) or during interpreter exit (-SIGINT)
    assert rc == 130 if tags == {"old"} else rc in (0, 130, -signal.SIGINT), (tags, rc)
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def _run_and_interrupt(args: list[str], after: float) -> tuple[int, str]:
    child = subprocess.Popen(SEMCOM + args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    time.sleep(after)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    return child.returncode, err


@pytest.mark.parametrize("after", [0.5, 3.0, 8.0])
def test_ctrl_c_in_start_up_or_compute_exits_130_with_one_line(tmp_path: Path, after: float) -> None:
    """0.5 s: importing torch and the CLI; later: evaluating (a long SNR grid on the embedded images)."""
    out = tmp_path / "out"
    rc, err = _run_and_interrupt(["eval", G, "--dataset", "embedded", "--snr", "-10:30:0.05", "--out", str(out),
                                  "--name", "x", "--no-plot"], after)
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc == 130, err
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: interrupted"), err
    assert not out.exists() or not list(out.iterdir()), "an interrupted evaluation wrote something"
