"""YAML recipes, read through OmegaConf structured configs, with ``key=value`` overrides.

A recipe (see ``configs/``)::

    name: fig3_k88_dlps
    model: {name: djscc, k: 88}            # a registered model and its options, or {class_path: pkg.Cls, ...}
    channel: {name: awgn}                  # any registered channel and its options
    sampler: {name: dlps, snr_min_db: 0, snr_max_db: 20}
    data: {dataset: cifar10, root: null}
    train: {epochs: 20, batch_size: 256, lr: 1.0e-3, seed: 0}

Unknown keys and wrong types are rejected with one line naming the key and what was expected. The
``model`` section is typed by the recipe's system kind (:func:`semcom.systems.check_section`): the
MU-MIMO and LDM kinds have dataclass sections; a point-to-point model's options are checked against
its constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, cast

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
    dataset: str = "cifar10"  # cifar10 | embedded | folder | kodak | camvid | bdd100k
    root: Optional[str] = None  # default: $SEMCOM_CIFAR10 or ../shared/data/cifar10
    train_split: str = "train"
    val_split: str = "test"
    limit_train: Optional[int] = None
    limit_val: Optional[int] = 1000
    crop: Optional[int] = None  # square crop for image folders
    classes: Optional[Any] = None  # CIFAR-10 classes to keep: names, indices or "animals" / "vehicles"
    size: Optional[Any] = None  # camvid / bdd100k: frame resolution, an int (square) or [H, W]; default 128
    download: bool = False
    num_workers: int = 0


@dataclass
class ScheduleCfg:
    """The learning-rate schedule: ``none``; ``plateau`` (multiply by ``factor`` when ``monitor`` has not risen by
    ``threshold`` for ``patience`` epochs; torch's ReduceLROnPlateau, absolute threshold); ``step`` (multiply by
    ``factor`` every ``step_epochs`` epochs). Never below ``min_lr``."""

    name: str = "none"  # none | plateau | step
    monitor: str = "val_psnr"
    factor: float = 0.5
    patience: int = 10
    threshold: float = 0.01
    step_epochs: int = 100
    min_lr: float = 1e-6


@dataclass
class ConvergeCfg:
    """Stop when converged: after at least ``min_epochs``, when ``monitor`` (a validation metric, higher is better)
    gained less than ``min_gain`` over the last ``window`` fraction of the epochs run so far (mean of that window
    minus the mean of the one before; the zoo's rule: less than 0.05 dB over the last 10 % of the image passes);
    ``train.epochs`` stays the upper bound."""

    enabled: bool = False
    monitor: str = "val_psnr"
    min_gain: float = 0.05
    window: float = 0.1
    min_epochs: int = 20


@dataclass
class TrainCfg:
    epochs: int = 20
    batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    accelerator: str = "auto"  # cpu | gpu | auto
    devices: Any = 1  # int, list or "auto"; several -> DDP
    num_nodes: int = 1  # machines of one DDP training (torchrun or SLURM sets the ranks; README: multi-node)
    strategy: str = "auto"
    precision: str = "32-true"
    val_snr_db: list[float] = field(default_factory=lambda: [0.0, 10.0, 20.0])
    out_dir: str = "runs"
    log_every_n_steps: int = 20
    limit_train_batches: Optional[int] = None  # for smoke runs
    progress_bar: bool = True
    keep_checkpoints: Optional[int] = None  # keep only the newest N epoch checkpoints (+ last.ckpt); None: all
    lr_schedule: ScheduleCfg = field(default_factory=ScheduleCfg)
    converge: ConvergeCfg = field(default_factory=ConvergeCfg)


@dataclass
class ObjectiveCfg:
    """The robust-JSCC survey, eqs. 1-6: lam * L_rec + (1 - lam) * L_task, one encoder, separate heads."""

    recon: str = "mse"  # mse | ssim (the loss 1 - SSIM)
    lam: float = 1.0  # weight of the reconstruction loss, in [0, 1]; 1 - lam on the task loss
    task: Optional[str] = None  # None | classification (adds a classifier head on the received features)
    num_classes: int = 10
    head_hidden: int = 256


@dataclass
class RobustCfg:
    """Robust training with no channel knowledge at inference (the robust-JSCC survey, Section III)."""

    method: str = "none"  # none | kl | adversarial
    beta: float = 1.0  # kl: weight of (sigma^2 / 2) * Tr I(z)
    sigma: Optional[float] = None  # kl: noise std per real dimension; None = that of the sampled SNR
    recon_sigma: float = 0.1  # kl, reconstruction: std s of the Gaussian decoder N(g(z), s^2 I)
    probes: int = 1  # kl, reconstruction: Hutchinson probes
    eps: float = 0.1  # adversarial: budget ||delta||_2 <= eps * ||z||_2 per sample
    steps: int = 3  # adversarial: projected gradient steps
    adv_weight: float = 0.5  # adversarial: weight of the perturbed batch's loss (1 - weight on the clean one)


@dataclass
class SystemCfg:
    snr_source: str = "true"  # the SNR given to a conditioned decoder: true | pilot (estimated)
    num_pilots: int = 64


@dataclass
class Recipe:
    name: str = "run"
    model: dict[str, Any] = field(default_factory=lambda: {"name": "djscc", "k": 88})  # replaced, not merged, by a recipe's model
    channel: dict[str, Any] = field(default_factory=lambda: {"name": "awgn"})
    sampler: SamplerCfg = field(default_factory=SamplerCfg)
    data: DataCfg = field(default_factory=DataCfg)
    train: TrainCfg = field(default_factory=TrainCfg)
    objective: ObjectiveCfg = field(default_factory=ObjectiveCfg)
    robust: RobustCfg = field(default_factory=RobustCfg)
    system: SystemCfg = field(default_factory=SystemCfg)


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


def _merge(schema: DictConfig, raw: dict[str, Any], origin: str = "recipe") -> DictConfig:
    """Merge onto the schema; a recipe's ``model`` section replaces the default model (its options are
    model-specific, so the default's ``k`` must not leak into, say, an ADJSCC recipe). A recipe without a
    ``model`` section is refused (it would silently train the schema's default model)."""
    if isinstance(raw.get("model"), dict):
        schema = schema.copy()
        schema.model = {}
    merged = cast(DictConfig, OmegaConf.merge(schema, OmegaConf.create(raw)))  # unknown keys fail first
    if "model" not in raw:
        raise SemcomError(f"{origin}: the recipe has no 'model' section; name a model, e.g. model: {{name: djscc, "
                          "k: 88} (`semcom models` lists them)")
    return merged


def read_yaml_mapping(path: Path, what: str, expected: str = "of keys to values") -> dict[str, Any]:
    """The mapping in a YAML file (an empty file is {}), or one line naming the file: missing, not YAML, not a
    mapping (``what`` names the kind of file, e.g. ``recipe`` or ``sweep file``)."""
    if not path.is_file():
        raise SemcomError(f"{what} {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SemcomError(f"{what} {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SemcomError(f"{what} {path} must be a mapping {expected}, got {type(raw).__name__}")
    return raw


def load_recipe(source: str | Path | dict[str, Any] | None = None, overrides: list[str] | None = None) -> DictConfig:
    """Merge a YAML file (or a dict) and ``key=value`` overrides onto the :class:`Recipe` schema."""
    schema = OmegaConf.structured(Recipe)
    origin = "recipe"
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            origin = str(path)
            cfg = _merge(schema, read_yaml_mapping(path, "recipe", "of keys to values"), origin)
        elif isinstance(source, dict):
            cfg = _merge(schema, source, origin)
        else:
            cfg = schema
        for item in overrides or []:
            if "=" not in item:
                raise SemcomError(f"override {item!r} is not of the form key=value (e.g. train.epochs=2)")
        if overrides:
            origin = f"{origin} + overrides"
            cfg = cast(DictConfig, OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(overrides))))
        OmegaConf.to_container(cfg, resolve=True)  # resolve interpolations now, not mid-training
    except OmegaConfBaseException as exc:
        raise _explain(exc, origin) from None
    if not cfg.model.get("name") and not cfg.model.get("class_path"):
        raise SemcomError(f"{origin}: recipe key 'model.name' is missing or empty (or give 'model.class_path')")
    if cfg.model.get("name") and cfg.model.get("class_path"):
        raise SemcomError(f"{origin}: give 'model.name' or 'model.class_path', not both")
    if not cfg.channel.get("name"):
        raise SemcomError(f"{origin}: recipe key 'channel.name' is missing or empty")
    recipe = to_dict(cfg)
    validate(recipe, origin)
    from semcom.systems import check_section

    check_section(recipe, origin)
    return cfg


ROBUST_METHODS = ("none", "kl", "adversarial")


ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")


def _at(origin: str, key: str) -> str:
    return f"{origin}: recipe key {key}"


def validate(r: dict[str, Any], origin: str = "recipe") -> None:
    """Checks of every section's values (ranges, finiteness, names), one clear line per problem."""
    from semcom import checks

    t, d, smp = r.get("train") or {}, r.get("data") or {}, r.get("sampler") or {}
    checks.safe_name(r.get("name"), _at(origin, "name"))
    checks.positive_int(t.get("epochs"), _at(origin, "train.epochs"))
    checks.positive_int(t.get("batch_size"), _at(origin, "train.batch_size"))
    checks.in_range(t.get("lr"), _at(origin, "train.lr"), 0.0, None, low_open=True)
    checks.positive_int(t.get("seed"), _at(origin, "train.seed"), minimum=0)
    checks.positive_int(t.get("log_every_n_steps"), _at(origin, "train.log_every_n_steps"))
    checks.positive_int(t.get("num_nodes", 1), _at(origin, "train.num_nodes"))
    sch, conv = t.get("lr_schedule") or {}, t.get("converge") or {}
    checks.choice(sch.get("name", "none"), _at(origin, "train.lr_schedule.name"), ("none", "plateau", "step"))
    checks.in_range(sch.get("factor", 0.5), _at(origin, "train.lr_schedule.factor"), 0.0, 1.0, low_open=True, high_open=True)
    checks.positive_int(sch.get("patience", 10), _at(origin, "train.lr_schedule.patience"), minimum=0)
    checks.positive_int(sch.get("step_epochs", 100), _at(origin, "train.lr_schedule.step_epochs"))
    checks.in_range(sch.get("threshold", 0.01), _at(origin, "train.lr_schedule.threshold"), 0.0, None)
    checks.in_range(sch.get("min_lr", 1e-6), _at(origin, "train.lr_schedule.min_lr"), 0.0, None)
    checks.in_range(conv.get("min_gain", 0.05), _at(origin, "train.converge.min_gain"), 0.0, None)
    checks.in_range(conv.get("window", 0.1), _at(origin, "train.converge.window"), 0.0, 1.0, low_open=True)
    checks.positive_int(conv.get("min_epochs", 20), _at(origin, "train.converge.min_epochs"))
    if t.get("keep_checkpoints") is not None:
        checks.positive_int(t["keep_checkpoints"], _at(origin, "train.keep_checkpoints"))
    if t.get("limit_train_batches") is not None:
        checks.positive_int(t["limit_train_batches"], _at(origin, "train.limit_train_batches"))
    checks.choice(t.get("accelerator"), _at(origin, "train.accelerator"), ACCELERATORS)
    for v in t.get("val_snr_db") or []:
        checks.in_range(v, _at(origin, "train.val_snr_db[]"), -1000, 1000)
    if not str(t.get("out_dir") or "").strip():
        raise SemcomError(f"{_at(origin, 'train.out_dir')} is empty; expected a folder for the run")
    for key in ("limit_train", "limit_val", "crop"):
        if d.get(key) is not None:
            checks.positive_int(d[key], _at(origin, f"data.{key}"))
    checks.positive_int(d.get("num_workers", 0), _at(origin, "data.num_workers"), minimum=0)
    lo = checks.in_range(smp.get("snr_min_db"), _at(origin, "sampler.snr_min_db"), -1000, 1000)
    hi = checks.in_range(smp.get("snr_max_db"), _at(origin, "sampler.snr_max_db"), -1000, 1000)
    if hi < lo:
        raise SemcomError(f"{origin}: sampler.snr_max_db={hi:g} is below sampler.snr_min_db={lo:g}")
    if smp.get("snr_db") is not None:
        checks.in_range(smp["snr_db"], _at(origin, "sampler.snr_db"), -1000, 1000)
    o, rb, sy = r.get("objective") or {}, r.get("robust") or {}, r.get("system") or {}
    if o.get("recon", "mse") not in ("mse", "ssim"):
        raise SemcomError(f"{origin}: objective.recon={o['recon']!r}; expected 'mse' or 'ssim'")
    lam = checks.in_range(o.get("lam", 1.0), _at(origin, "objective.lam"), 0.0, 1.0)  # weight of the reconstruction loss
    checks.positive_int(o.get("num_classes", 10), _at(origin, "objective.num_classes"), minimum=2)
    checks.positive_int(o.get("head_hidden", 256), _at(origin, "objective.head_hidden"))
    if o.get("task") not in (None, "classification"):
        raise SemcomError(f"{origin}: objective.task={o['task']!r}; expected null or 'classification'")
    if lam < 1.0 and o.get("task") is None:  # lam = 1 with a task trains the head as a probe on detached features
        raise SemcomError(f"{origin}: objective.lam={lam} < 1 puts weight on a task, but objective.task is not set")
    if rb.get("method", "none") not in ROBUST_METHODS:
        raise SemcomError(f"{origin}: unknown robust.method {rb['method']!r}; expected one of: {', '.join(ROBUST_METHODS)}")
    checks.in_range(rb.get("eps", 0.1), _at(origin, "robust.eps"), 0.0, None)  # adversarial budget, a fraction of ||z||
    checks.in_range(rb.get("beta", 1.0), _at(origin, "robust.beta"), 0.0, None)
    checks.in_range(rb.get("recon_sigma", 0.1), _at(origin, "robust.recon_sigma"), 0.0, None, low_open=True)
    checks.in_range(rb.get("adv_weight", 0.5), _at(origin, "robust.adv_weight"), 0.0, 1.0)
    checks.positive_int(rb.get("steps", 3), _at(origin, "robust.steps"))
    checks.positive_int(rb.get("probes", 1), _at(origin, "robust.probes"))
    if rb.get("sigma") is not None:  # null: the noise std of the sampled SNR
        checks.in_range(rb["sigma"], _at(origin, "robust.sigma"), 0.0, None, low_open=True)
    checks.positive_int(sy.get("num_pilots", 64), _at(origin, "system.num_pilots"))
    if sy.get("snr_source", "true") not in ("true", "pilot"):
        raise SemcomError(f"{origin}: system.snr_source={sy['snr_source']!r}; expected 'true' or 'pilot'")


def to_dict(cfg: DictConfig) -> dict[str, Any]:
    out = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(out, dict)
    return out  # type: ignore[return-value]
