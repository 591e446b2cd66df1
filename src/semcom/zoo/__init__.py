"""The pretrained zoo: converged point-to-point models, loadable by name, with hashed weights and golden numbers.

Each entry of :data:`MANIFEST` (``manifest.json`` beside this file, written by :mod:`semcom.zoo.publish`, never by
hand) names one trained system and holds its recipe, its training record (commit, hardware, wall time, image
passes, final validation PSNR, the convergence decision), the SHA-256 of its weights file and its golden numbers
(PSNR on the embedded CIFAR-10 test images over AWGN, which ``tests/test_zoo.py`` reproduces) and its PSNR on the
full CIFAR-10 test split (JPEG-decoded copy, quality 75).

Weights are looked up in this order, and every file found is hash-checked (a mismatch is one clear error, never
a silent fallback):

1. the user cache directory: ``$SEMCOM_ZOO_CACHE``, else ``pooch.os_cache("semcom") / "zoo"``
   (``~/.cache/semcom/zoo`` on Linux);
2. a path: the ``path=`` argument (the file itself, or a folder holding ``FILE``), else each folder of
   ``$SEMCOM_ZOO_PATH`` (``os.pathsep``-separated);
3. the package's own committed slim (float16) files, ``semcom/zoo/weights/FILE``;
4. a URL, for users with internet: the entry's ``url``, else ``$SEMCOM_ZOO_URL/FILE`` (a mirror of the
   weights folder), fetched with pooch into the cache directory and checked against the SHA-256.

Usage::

    import semcom.zoo
    system = semcom.zoo.load("bourtsoulatze2019-cifar10-k512-awgn-snr0-20")   # eval mode, on CPU
    x_hat = system(images, snr_db)            # images [B, 3, 32, 32] float32 in [0, 1]; snr_db [], [B]

``semcom zoo list`` prints the entries; ``semcom zoo eval NAME ...`` evaluates them like ``semcom eval``.
Names are case-insensitive and ``_`` equals ``-`` (the recipe names in ``configs/zoo`` use ``_``).
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from semcom.errors import SemcomError

__all__ = ["MANIFEST", "WEIGHTS", "ZooEntry", "cache_dir", "canonical", "entries", "get", "load", "locate",
           "sha256_file"]

MANIFEST = Path(__file__).with_name("manifest.json")
WEIGHTS = Path(__file__).with_name("weights")


@dataclass(frozen=True)
class ZooEntry:
    """One zoo model.

    Attributes:
        name: the zoo name (lower case, ``-`` separated: paper, dataset, k, channel, training SNR).
        paper: the system's paper (authors, year, venue).
        system: the systems-registry kind that loads it (``point_to_point``).
        model: the recipe's model name (``djscc``, ``adjscc``).
        dataset: the training data.
        k: complex channel symbols per image; ``bandwidth_ratio`` = k / n (n = 3,072 values of a 32 x 32 x 3 image).
        channel: the training channel (``awgn``, ``rayleigh`` block fading with perfect CSI).
        train_snr_db: the training SNR: ``[lo, hi]`` uniform per image, or one value.
        recipe: the recipe file in the repository (the recipe itself is inside the weights file too).
        file: the weights file name; ``sha256`` its hash; ``size_bytes`` its size.
        url: where users with internet can fetch it (None: only ``$SEMCOM_ZOO_URL`` or the package).
        training: the training record (``commit``, ``hardware``, ``torch``, ``epochs``, ``image_passes``,
            ``wall_time_s``, ``final_val_psnr_db``, ``converged``, ...).
        golden: PSNR at ``snr_db`` on the embedded images (``dataset``, ``split``, ``num_images``, ``eval_seed``,
            ``channel``, ``psnr`` mean of per-image PSNR, ``psnr_of_mean_mse``), reproduced by the tests.
        test: the same on the full CIFAR-10 test split (None when not measured).
    """

    name: str
    paper: str
    system: str
    model: str
    dataset: str
    k: int
    bandwidth_ratio: float
    channel: str
    train_snr_db: list[float]
    recipe: str
    file: str
    sha256: str
    size_bytes: int
    url: str | None
    training: dict[str, Any] = field(default_factory=dict)
    golden: dict[str, Any] = field(default_factory=dict)
    test: dict[str, Any] | None = None

    @property
    def train_snr(self) -> str:
        """The training SNR as text: ``0-20 dB`` or ``13 dB``."""
        s = self.train_snr_db
        return f"{s[0]:g}-{s[1]:g} dB" if len(s) == 2 and s[0] != s[1] else f"{s[0]:g} dB"


def canonical(name: str) -> str:
    """The zoo spelling of a name: lower case, ``_`` -> ``-``."""
    return name.strip().lower().replace("_", "-")


def entries(manifest: str | Path = MANIFEST) -> dict[str, ZooEntry]:
    """All entries of the manifest, by name."""
    try:
        raw = json.loads(Path(manifest).read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as exc:
        raise SemcomError(f"zoo manifest {manifest} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return {e["name"]: ZooEntry(**e) for e in raw.get("models", [])}


def get(name: str, manifest: str | Path = MANIFEST) -> ZooEntry:
    """The entry called ``name``; an unknown name is one line listing the close ones (or all)."""
    known = entries(manifest)
    key = canonical(name)
    if key in known:
        return known[key]
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known) or 'none'}"
    raise SemcomError(f"no zoo model {name!r}; {hint} (`semcom zoo list` lists them)")


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file, hex (pooch's hashing, the one its downloads are checked with)."""
    import pooch

    return str(pooch.file_hash(str(path), alg="sha256"))


def cache_dir() -> Path:
    """The user cache folder of zoo weights: ``$SEMCOM_ZOO_CACHE``, else pooch's OS cache for semcom + ``zoo``."""
    env = os.environ.get("SEMCOM_ZOO_CACHE")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("semcom")) / "zoo"


def _checked(entry: ZooEntry, path: Path, where: str) -> Path:
    got = sha256_file(path)
    if got != entry.sha256:
        raise SemcomError(
            f"zoo model {entry.name}: {path} ({where}) has SHA-256 {got[:16]}..., expected {entry.sha256[:16]}...: "
            "the file is corrupt, truncated or another model's; delete it or replace it with the right file"
        )
    return path


def _path_candidates(entry: ZooEntry, path: str | Path | None) -> list[tuple[Path, str]]:
    if path is not None:
        p = Path(path).expanduser()
        if not p.exists():
            raise SemcomError(f"zoo model {entry.name}: path {p} does not exist; give the weights file or its folder")
        return [(p / entry.file if p.is_dir() else p, "the given path")]
    env = os.environ.get("SEMCOM_ZOO_PATH", "")
    return [(Path(d).expanduser() / entry.file, "$SEMCOM_ZOO_PATH") for d in env.split(os.pathsep) if d]


def locate(name: str, path: str | Path | None = None, download: bool = True,
           manifest: str | Path = MANIFEST, package_dir: str | Path = WEIGHTS) -> Path:
    """The hash-checked weights file of zoo model ``name`` (lookup order in the module docstring).

    ``download=False`` never touches the network. Raises :class:`SemcomError` with one line naming where it
    looked and what to do when no file is found, and when a file found has the wrong hash.
    """
    entry = get(name, manifest)
    cache = cache_dir()
    looked: list[str] = []
    candidates = [(cache / entry.file, "the user cache"), *_path_candidates(entry, path),
                  (Path(package_dir) / entry.file, "the package")]
    for p, where in candidates:
        looked.append(str(p))
        if p.is_file():
            return _checked(entry, p, where)
    base = os.environ.get("SEMCOM_ZOO_URL")
    url = entry.url or (f"{base.rstrip('/')}/{entry.file}" if base else None)
    if url is None or not download:
        why = "downloads are off" if url is not None else "no URL is known (the entry has none and $SEMCOM_ZOO_URL is unset)"
        raise SemcomError(
            f"no weights for zoo model {entry.name}: looked for {entry.file} in {', '.join(looked)}; {why}; "
            f"put the file (sha256 {entry.sha256[:16]}...) in {cache} or pass its path"
        )
    import pooch

    try:
        fetched = pooch.retrieve(url, known_hash=f"sha256:{entry.sha256}", fname=entry.file, path=cache,
                                 progressbar=False)
    except ValueError as exc:  # pooch: hash mismatch of the downloaded file (it deletes the file)
        raise SemcomError(f"zoo model {entry.name}: {url} gave a file with the wrong hash ({' '.join(str(exc).split())[:160]})") from None
    except Exception as exc:  # network errors of requests/ftplib/...: one line
        raise SemcomError(f"zoo model {entry.name}: cannot fetch {url} ({exc.__class__.__name__}: "
                          f"{' '.join(str(exc).split())[:160]}); put {entry.file} in {cache} instead") from None
    return Path(fetched)  # pooch has checked it against known_hash


def load(name: str, path: str | Path | None = None, download: bool = True, **options: Any) -> nn.Module:
    """The system of zoo model ``name`` in eval mode (through :func:`semcom.systems.load`; ``options`` go to the
    system's loader, e.g. ``snr_source=``). Its float16 weights are cast back to float32."""
    from semcom.systems import load as load_system

    return load_system(locate(name, path=path, download=download), **options)
