"""Run summaries (``summary.json``): reading them as whole-run records, and repairing the old ones.

A run's summary says how many training images it saw (``train_images``), over how many epochs, and how
long it took. Since 2026-12-02 ``semcom train --resume`` merges the earlier summary with the new segment
(``resumes`` counts the merges). Before that, a resumed run's summary covered only its last segment: its
``epochs`` and ``global_step`` were the whole run's (read from the checkpoint) but ``train_images``,
``wall_time_s`` and ``epoch_seconds`` were the segment's. Such a summary is recognised by having been
resumed, no ``resumes`` count and fewer timed epochs than epochs; :func:`whole_run` turns it into a record
of the whole run:

* ``train_images`` = images per timed epoch x ``epochs`` (every epoch of a run draws the same number of
  images: the recipe's ``data.limit_train`` or the training split);
* the segment's own figures are kept as ``timed_epochs`` ([first, last], 1-based), ``timed_train_images``
  and ``timed_wall_time_s``; ``wall_time_s`` becomes None (the earlier segment's time was not recorded);
  ``train_images_per_s`` is the speed measured over the timed epochs;
* ``repaired`` says what was done.

    python -m semcom.training.summary results/robust/train/*.summary.json   # rewrite old summaries in place
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.errors import SemcomError, exit_status

__all__ = ["is_segment_only", "read_summary", "repair_files", "wall_time_text", "whole_run"]

REPAIR_NOTE = ("a resumed run's summary that recorded only the resumed segment (a resume of semcom before 2026-12-02, "
               "or one whose earlier segment was stopped before it wrote a summary); train_images = images per timed "
               "epoch x epochs; the earlier segment's wall time was not recorded")


def is_segment_only(summary: Mapping[str, Any]) -> bool:
    """True for a summary of a resumed run that covers only the run's last segment (see the module doc)."""
    timed = len(summary.get("epoch_seconds") or [])
    return (bool(summary.get("resumed_from")) and "resumes" not in summary and "timed_epochs" not in summary
            and 0 < timed < int(summary.get("epochs") or 0))


def whole_run(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary as a record of the whole run (a copy; unchanged unless :func:`is_segment_only`)."""
    out = dict(summary)
    if not is_segment_only(summary):
        return out
    epochs, timed = int(summary["epochs"]), len(summary["epoch_seconds"])
    images = int(summary["train_images"])
    if images % timed:
        raise SemcomError(f"summary of run {summary.get('name')!r}: {images} training images over {timed} timed "
                          "epochs is not a whole number per epoch; cannot repair it")
    out.update({
        "train_images": images // timed * epochs,
        "timed_epochs": [epochs - timed + 1, epochs], "timed_train_images": images,
        "timed_wall_time_s": summary.get("wall_time_s"), "wall_time_s": None, "repaired": REPAIR_NOTE,
    })
    return out


def read_summary(path: Path) -> dict[str, Any]:
    """``summary.json`` at ``path`` as a whole-run record (:func:`whole_run`)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SemcomError(f"run summary {path}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict) or "train_images" not in data or "epochs" not in data:
        raise SemcomError(f"run summary {path}: expected a JSON object with 'epochs' and 'train_images'")
    return whole_run(data)


def wall_time_text(summary: Mapping[str, Any]) -> str:
    """The wall time (min) of a summary for a table: "9.3", or "9.3 (epochs 6-15)" when only some epochs
    were timed, or "-" when none were."""
    if summary.get("wall_time_s") is not None:
        return f"{summary['wall_time_s'] / 60:.1f}"
    if summary.get("timed_wall_time_s") is not None:
        first, last = summary["timed_epochs"]
        return f"{summary['timed_wall_time_s'] / 60:.1f} (epochs {first}-{last})"
    return "-"


def repair_files(paths: list[Path]) -> list[Path]:
    """Rewrite each segment-only summary among ``paths`` as its whole-run record; returns those rewritten."""
    done = []
    for p in paths:
        raw = json.loads(Path(p).read_text())
        if is_segment_only(raw):
            text = json.dumps(whole_run(raw), indent=2) + "\n"

            def write(tmp: Path, text: str = text) -> None:
                tmp.write_text(text)

            atomic_write(Path(p), write)
            done.append(Path(p))
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m semcom.training.summary FILE...``: 0 done, 2 a bad file (one ``error:`` line), 130 Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv

    def repair() -> None:
        if not args:
            raise SemcomError("usage: python -m semcom.training.summary SUMMARY.json ...")
        for a in args:
            read_summary(Path(a))  # every file readable as a summary before any is rewritten
        for f in repair_files([Path(a) for a in args]):
            print(f"repaired {f}")

    return exit_status(repair)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
