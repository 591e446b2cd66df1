"""A run folder (``train.out_dir/name``) belongs to one training at a time, and keeps its whole history.

* :class:`RunLock`: ``.lock`` (process id, host, start time) created exclusively when a training starts and
  removed when it ends; a second training of the same run is refused while the first is alive. A lock left
  by a process that no longer exists (killed) is taken over, with a note.
* :func:`keep_metrics` / :func:`merge_metrics`: Lightning's CSV logger starts ``logs/metrics.csv`` afresh when a
  run resumes. Before the resumed fit the rows already logged for the epochs the checkpoint holds are kept in
  ``logs/metrics.previous.csv``; after it they are put back in front of the new rows (columns united), so the
  log of a run resumed any number of times is the log of the run. A fit killed in between leaves the kept
  file, which the next resume merges first.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from semcom.data import atomic_write
from semcom.errors import SemcomError

__all__ = ["RunLock", "is_rank_zero_process", "keep_metrics", "merge_metrics"]


def is_rank_zero_process() -> bool:
    """True in the process that launched the training (Lightning's DDP children have LOCAL_RANK > 0 or
    NODE_RANK > 0 set before they import anything)."""
    return os.environ.get("LOCAL_RANK", "0") == "0" and os.environ.get("NODE_RANK", "0") == "0" \
        and os.environ.get("RANK", "0") == "0"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """Exclusive ownership of a run folder for the lifetime of a ``with`` block (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / ".lock"
        self.owned = False

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    other = json.loads(self.path.read_text() or "{}")
                except (OSError, ValueError):
                    other = {}
                pid, host = other.get("pid"), other.get("host")
                if isinstance(pid, int) and (host != me["host"] or _alive(pid)):
                    raise SemcomError(
                        f"run folder {self.path.parent} is in use by another training (process {pid} on {host}, "
                        f"started {other.get('started')}); wait for it, or give this run another name=") from None
                print(f"note: taking over the run folder {self.path.parent} from a training that no longer runs "
                      f"(process {pid})")
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self.owned = True
            return self
        raise SemcomError(f"could not lock the run folder {self.path.parent}")

    def __exit__(self, *exc: Any) -> None:
        if self.owned:
            self.path.unlink(missing_ok=True)
            self.owned = False


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    def write(p: Path) -> None:
        with open(p, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)

    atomic_write(path, write)


def _union(*field_lists: list[str]) -> list[str]:
    out: list[str] = []
    for fields in field_lists:
        out += [f for f in fields if f not in out]
    return out


def _epoch(row: dict[str, str]) -> float:
    try:
        return float(row.get("epoch") or "nan")
    except ValueError:
        return float("nan")


def keep_metrics(run: Path, last_epoch: int) -> None:
    """Before a resumed fit: keep the logged rows of epochs ``<= last_epoch`` (those the checkpoint holds) in
    ``logs/metrics.previous.csv``."""
    logs = Path(run) / "logs"
    kept_fields, kept = _read(logs / "metrics.previous.csv")
    cur_fields, cur = _read(logs / "metrics.csv")
    rows = [r for r in kept + cur if _epoch(r) <= last_epoch]
    if rows:
        _write(logs / "metrics.previous.csv", _union(kept_fields, cur_fields), rows)


def merge_metrics(run: Path) -> None:
    """After a resumed fit: the kept rows, then the new ones, in ``logs/metrics.csv``."""
    logs = Path(run) / "logs"
    prev = logs / "metrics.previous.csv"
    if not prev.exists():
        return
    prev_fields, prev_rows = _read(prev)
    cur_fields, cur = _read(logs / "metrics.csv")
    _write(logs / "metrics.csv", _union(prev_fields, cur_fields), prev_rows + cur)
    prev.unlink()
