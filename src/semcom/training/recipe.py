"""YAML recipes, read through OmegaConf structured configs, with ``key=value`` overrides.

A recipe (see ``configs/``)::

    name: fig3_k88_dlps
    model: {name: djscc, k: 88}            # any registered model and its options
    channel: {name: awgn}                  # any registered channel and its options
    sampler: {name: dlps, snr_min_db: 0, snr_max_db: 20}
    data: {dataset: cifar10, root: null}
    train: {epochs: 20, batch_size: 256, lr: 1.0e-3, seed: 0}

Unknown keys and wrong types are rejected with one line naming the key and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from semcom.errors import SemcomError


@dataclass
class SamplerCfg:
    name: str = "dlps"  # dedicated | blps | dlps | lvlps
    snr_min_db: float = 0.0
    snr_max_db: float = 20.0
    distribution: str = "uniform_db"  # uniform_db | uniform_linear
    snr_db: Optional[float] = None  # the training SNR of "dedicated"


@dataclass
class DataCfg:
    dataset: str = "cifar10"  # cifar10 | embedded | folder | kodak
    root: Optional[str] = None  # default: $SEMCOM_CIFAR10 or ../shared/data/cifar10
    train_split: str = "train"
    val_split: str = "test"
    limit_train: Optional[int] = None
    limit_val: Optional[int] = 1000
    crop: Optional[int] = None  # square crop for image folders
    download: bool = False
    num_workers: int = 0


@dataclass
class TrainCfg:
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    accelerator: str = "auto"  # cpu | gpu | auto
    devices: Any = 1  # int, list or "auto"; several -> DDP
    strategy: str = "auto"
    precision: str = "32-true"
    val_snr_db: list[float] = field(default_factory=lambda: [0.0, 10.0, 20.0])
    out_dir: str = "runs"
    log_every_n_steps: int = 20
    limit_train_batches: Optional[int] = None  # for smoke runs
    progress_bar: bool = True


@dataclass
class Recipe:
    name: str = "run"
    model: dict[str, Any] = field(default_factory=lambda: {"name": "djscc", "k": 88})
    channel: dict[str, Any] = field(default_factory=lambda: {"name": "awgn"})
    sampler: SamplerCfg = field(default_factory=SamplerCfg)
    data: DataCfg = field(default_factory=DataCfg)
    train: TrainCfg = field(default_factory=TrainCfg)


def _explain(exc: OmegaConfBaseException, origin: str) -> SemcomError:
    key = getattr(exc, "full_key", None) or ""
    msg = str(exc).splitlines()[0]
    if "not in" in msg or "Key" in type(exc).__name__:
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        schema = OmegaConf.structured(Recipe)
        try:
            allowed = list(OmegaConf.select(schema, parent).keys()) if parent else list(schema.keys())
        except Exception:
            allowed = []
        return SemcomError(f"{origin}: unknown recipe key {key!r}; expected one of: {', '.join(map(str, allowed))}")
    return SemcomError(f"{origin}: bad value for recipe key {key!r}: {msg}")


def load_recipe(source: str | Path | dict[str, Any] | None = None, overrides: list[str] | None = None) -> DictConfig:
    """Merge a YAML file (or a dict) and ``key=value`` overrides onto the :class:`Recipe` schema."""
    schema = OmegaConf.structured(Recipe)
    origin = "recipe"
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            origin = str(path)
            if not path.is_file():
                raise SemcomError(f"recipe {path} does not exist")
            try:
                raw = yaml.safe_load(path.read_text())
            except yaml.YAMLError as exc:
                raise SemcomError(f"recipe {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
            if raw is None:
                raw = {}
            if not isinstance(raw, dict):
                raise SemcomError(f"recipe {path} must be a mapping of keys to values, got {type(raw).__name__}")
            cfg = OmegaConf.merge(schema, OmegaConf.create(raw))
        elif isinstance(source, dict):
            cfg = OmegaConf.merge(schema, OmegaConf.create(source))
        else:
            cfg = schema
        for item in overrides or []:
            if "=" not in item:
                raise SemcomError(f"override {item!r} is not of the form key=value (e.g. train.epochs=2)")
        if overrides:
            origin = f"{origin} + overrides"
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides)))
        OmegaConf.to_container(cfg, resolve=True)  # resolve interpolations now, not mid-training
    except OmegaConfBaseException as exc:
        raise _explain(exc, origin) from None
    for section in ("model", "channel"):
        if not cfg[section].get("name"):
            raise SemcomError(f"{origin}: recipe key '{section}.name' is missing or empty")
    return cfg


def to_dict(cfg: DictConfig) -> dict[str, Any]:
    out = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(out, dict)
    return out  # type: ignore[return-value]
