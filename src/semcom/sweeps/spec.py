"""Sweep files: a base recipe, the axes of a grid, extra trials, and the evaluations run after each training.

A sweep file (YAML, read with the recipes' configuration library, OmegaConf)::

    name: dlps_fig3                              # the sweep (default: the file's stem)
    recipe: configs/dlps/fig3_k88_dlps.yaml      # the base recipe (paths relative to the working folder)
    overrides: {train.progress_bar: false}       # recipe keys set for every trial
    axes:                                        # the grid: every combination, first axis outermost
      sampler.name: [dlps, blps, lvlps]          # any recipe key (or `recipe`: several recipe files)
      train.seed: [0, 1, 2, 3]
    include:                                     # extra trials beside the grid (recipe keys, `recipe`, `name`)
      - {recipe: configs/dlps/fig4_k264_dlps.yaml}
    trial_name: "fig3_k88_{sampler.name}_seed{train.seed}"   # Python format over the trial's whole recipe
    out: runs/sweeps/dlps_fig3                   # sweep folder: runs/<trial>/ per trial, sweep.json
    results: results/dlps                        # where the merged results go (default: out)
    threads: 1                                   # CPU threads per trial (OMP_NUM_THREADS)
    evaluate:                                    # after each training, on its last.ckpt
      - name: fig3                               # -> <trial>/eval/fig3.json, merged into out/fig3.json
        command: eval                            # eval | mismatch | mumimo (the usual verbs and options)
        trials: ["fig3_*"]                       # fnmatch patterns over trial names (default: every trial)
        options: {snr: "-5:25:1", channel: [awgn, rayleigh], limit: 1000, no_plot: true}

Precedence, lowest first: the recipe file, ``overrides``, the command line's ``key=value``, the axis values,
an ``include`` entry's values. A trial is an ordinary ``semcom train RECIPE OVERRIDES... --resume auto`` with
``name=<trial>`` and ``train.out_dir=<out>/runs``. Every trial's recipe is resolved (and so checked) here,
before anything runs: an unknown key, a bad value, an unknown top-level sweep key or a duplicate trial name
is one :class:`~semcom.errors.SemcomError` line naming the sweep file and the axis or trial.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from semcom.errors import SemcomError

__all__ = ["EVAL_COMMANDS", "Evaluation", "Sweep", "Trial", "load_sweep", "option_argv"]

#: the evaluation verbs a sweep can run on a trial's checkpoint (each takes checkpoints as arguments and
#: writes ``--out/--name`` .json in the one result schema)
EVAL_COMMANDS = ("eval", "mismatch", "mumimo")
TOP_KEYS = ("name", "recipe", "overrides", "axes", "include", "trial_name", "out", "results", "threads", "evaluate")
EVAL_KEYS = ("name", "command", "trials", "options")
#: options the sweep sets itself on every evaluation
RESERVED_OPTIONS = ("out", "name")


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of a sweep: ``semcom COMMAND <trial>/checkpoints/last.ckpt ARGV --out <trial>/eval
    --name NAME`` on every trial whose name matches one of ``trials``."""

    name: str
    command: str
    argv: tuple[str, ...]
    trials: tuple[str, ...] = ("*",)
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    def applies(self, trial_name: str) -> bool:
        return any(fnmatch.fnmatchcase(trial_name, p) for p in self.trials)


@dataclass(frozen=True)
class Trial:
    """One training of a sweep and the evaluations of its checkpoint (paths absolute; picklable, so Ray and
    submitit can ship it to another process or machine with the same file system)."""

    name: str
    index: int
    recipe_file: str
    overrides: tuple[str, ...]
    run_dir: str
    cwd: str
    threads: int
    evaluations: tuple[Evaluation, ...]
    recipe: dict[str, Any] = field(compare=False, hash=False)
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def recipe_hash(self) -> str:
        return recipe_hash(self.recipe)

    @property
    def checkpoint(self) -> str:
        return str(Path(self.run_dir) / "checkpoints" / "last.ckpt")

    def eval_path(self, evaluation: Evaluation) -> Path:
        return Path(self.run_dir) / "eval" / f"{evaluation.name}.json"


@dataclass(frozen=True)
class Sweep:
    """A loaded sweep file: its trials (in order) and evaluations, where it writes, what it was read from."""

    name: str
    file: str
    out: str
    results: str
    trials: tuple[Trial, ...]
    evaluations: tuple[Evaluation, ...]
    raw: dict[str, Any]
    cli_overrides: tuple[str, ...] = ()

    def trial(self, name: str) -> Trial:
        for t in self.trials:
            if t.name == name:
                return t
        raise SemcomError(f"sweep {self.file}: no trial named {name!r}")


def recipe_hash(recipe: dict[str, Any]) -> str:
    """SHA-256 of a resolved recipe (keys sorted), the identity of a trial across launches."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()


def override(key: str, value: Any) -> str:
    """``key=value`` in the dot-list form ``semcom train`` takes: a string that reads back as itself plainly,
    anything else as JSON (which OmegaConf reads as YAML)."""
    if isinstance(value, str) and value and not value.startswith(("[", "{", "$")) and yaml.safe_load(value) == value \
            and not any(c.isspace() for c in value):
        return f"{key}={value}"  # plain, as it would be typed
    return f"{key}={json.dumps(value)}"


def option_argv(options: dict[str, Any], where: str) -> tuple[str, ...]:
    """A mapping of CLI options to arguments: ``{snr: "-5:25:1", channel: [awgn, rayleigh], no_plot: true}`` ->
    ``--snr=-5:25:1 --channel=awgn --channel=rayleigh --no-plot`` (``_`` and ``-`` alike; a list repeats the
    option; true is a flag, false leaves it out)."""
    argv: list[str] = []
    for key, value in options.items():
        flag = "--" + str(key).replace("_", "-")
        if str(key).replace("-", "_") in RESERVED_OPTIONS:
            raise SemcomError(f"{where}: option {key!r} is set by the sweep itself (each trial writes into its own "
                              "run folder); leave it out")
        if isinstance(value, bool):
            if value:
                argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [f"{flag}={v}" for v in value]
        elif value is None:
            continue
        elif isinstance(value, dict):
            raise SemcomError(f"{where}: option {key!r} has a mapping as value; expected a value or a list")
        else:
            argv.append(f"{flag}={value}")
    return tuple(argv)


class _Attr(dict):  # type: ignore[type-arg]
    """A dict whose keys read as attributes, so ``"{train.seed}".format_map(recipe)`` works."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return _Attr(value) if isinstance(value, dict) else value

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _sanitize(text: str) -> str:
    return re.sub(r"[^\w.+=@-]", "-", text).strip("-.") or "trial"


def _load_file(path: Path) -> dict[str, Any]:
    from semcom.training.recipe import read_yaml_mapping

    raw = read_yaml_mapping(path, "sweep file", "(name, recipe, axes, ...)")
    try:  # through OmegaConf like recipes: interpolations such as ${name} resolve here
        resolved = OmegaConf.to_container(OmegaConf.create(raw), resolve=True)
    except OmegaConfBaseException as exc:
        raise SemcomError(f"sweep file {path}: {str(exc).splitlines()[0]}") from None
    assert isinstance(resolved, dict)
    unknown = [k for k in resolved if k not in TOP_KEYS]
    if unknown:
        raise SemcomError(f"sweep file {path}: unknown key {unknown[0]!r}; expected one of: {', '.join(TOP_KEYS)}")
    return {str(k): v for k, v in resolved.items()}


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SemcomError(f"{what} must be a mapping of recipe keys to values, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _resolve_path(p: Any, cwd: Path, what: str) -> str:
    path = Path(str(p)).expanduser()
    path = path if path.is_absolute() else cwd / path
    if not path.is_file():
        raise SemcomError(f"{what}: recipe {p} does not exist")
    return str(path.resolve())


def _evaluations(raw: Any, file: Path) -> tuple[Evaluation, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    out: list[Evaluation] = []
    for i, item in enumerate(items):
        where = f"sweep file {file}: evaluate[{i}]"
        if not isinstance(item, dict):
            raise SemcomError(f"{where} must be a mapping (name, command, trials, options)")
        bad = [k for k in item if k not in EVAL_KEYS]
        if bad:
            raise SemcomError(f"{where}: unknown key {bad[0]!r}; expected one of: {', '.join(EVAL_KEYS)}")
        command = str(item.get("command", "eval"))
        if command not in EVAL_COMMANDS:
            raise SemcomError(f"{where}: command {command!r}; expected one of: {', '.join(EVAL_COMMANDS)}")
        name = str(item.get("name") or command)
        from semcom import checks

        checks.safe_name(name, f"{where}: name")
        trials = item.get("trials", ["*"])
        trials = [trials] if isinstance(trials, str) else list(trials)
        options = _mapping(item.get("options"), f"{where}: options")
        out.append(Evaluation(name, command, option_argv(options, where), tuple(map(str, trials)), options))
    names = [e.name for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SemcomError(f"sweep file {file}: two evaluations are named {dup[0]!r}; give each its own name")
    return tuple(out)


def load_sweep(path: str | Path, overrides: list[str] | None = None, out: str | Path | None = None,
               threads: int | None = None, cwd: str | Path | None = None, results: str | Path | None = None) -> Sweep:
    """Read and expand a sweep file; every trial's recipe is loaded (so checked) before this returns.

    Args:
        path: the sweep file.
        overrides: ``key=value`` recipe overrides for every trial (the command line's).
        out: the sweep folder (default: the file's ``out``, else ``runs/sweeps/<name>``).
        results: the folder of the merged results (default: the file's ``results``, else ``out``).
        threads: CPU threads per trial (default: the file's ``threads``, else 1).
        cwd: the folder relative paths are read from (default: the current one).
    """
    from semcom import checks
    from semcom.training.recipe import load_recipe, to_dict

    file = Path(path)
    raw = _load_file(file)
    base = Path(cwd or os.getcwd()).resolve()
    name = checks.safe_name(raw.get("name") or file.stem, f"sweep file {file}: name")
    if "recipe" not in raw:
        raise SemcomError(f"sweep file {file} has no 'recipe' (the base recipe of every trial)")
    base_recipe = _resolve_path(raw["recipe"], base, f"sweep file {file}")
    fixed = [override(k, v) for k, v in _mapping(raw.get("overrides"), f"sweep file {file}: overrides").items()]
    for item in overrides or []:
        if "=" not in item:
            raise SemcomError(f"override {item!r} is not of the form key=value (e.g. train.epochs=2)")
    fixed += list(overrides or [])
    out_dir = Path(out or raw.get("out") or Path("runs") / "sweeps" / name).expanduser()
    out_dir = (out_dir if out_dir.is_absolute() else base / out_dir).resolve()
    res_dir = Path(results or raw.get("results") or out_dir).expanduser()
    res_dir = (res_dir if res_dir.is_absolute() else base / res_dir).resolve()
    n_threads = checks.positive_int(threads if threads is not None else raw.get("threads", 1),
                                    f"sweep file {file}: threads")
    axes = _mapping(raw.get("axes"), f"sweep file {file}: axes")
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise SemcomError(f"sweep file {file}: axis {key!r} must be a non-empty list of values, got {values!r}")
        if key in ("name", "train.out_dir"):
            raise SemcomError(f"sweep file {file}: axis {key!r} is set by the sweep (use trial_name for the names)")
        if key != "recipe":  # an unknown key or a bad value, named by its axis, before anything starts
            for v in values:
                try:
                    load_recipe(base_recipe, fixed + [override(key, v)])
                except SemcomError as exc:
                    raise SemcomError(f"sweep file {file}: axis {key!r} value {v!r}: {exc}") from None
    include = raw.get("include") or []
    if not isinstance(include, list) or not all(isinstance(x, dict) for x in include):
        raise SemcomError(f"sweep file {file}: include must be a list of mappings (recipe keys, recipe, name)")
    combos: list[dict[str, Any]] = []
    if axes:
        keys = list(axes)
        combos += [dict(zip(keys, vals)) for vals in itertools.product(*(axes[k] for k in keys))]
    combos += [{str(k): v for k, v in x.items()} for x in include]
    if not combos:
        combos = [{}]
    evaluations = _evaluations(raw.get("evaluate"), file)
    template = raw.get("trial_name")
    trials: list[Trial] = []
    for index, values in enumerate(combos):
        where = f"sweep file {file}, trial {index}" + (f" ({values})" if values else "")
        recipe_file = _resolve_path(values["recipe"], base, where) if "recipe" in values else base_recipe
        keyed = {k: v for k, v in values.items() if k not in ("recipe", "name")}
        try:
            resolved = to_dict(load_recipe(recipe_file, fixed + [override(k, v) for k, v in keyed.items()]))
        except SemcomError as exc:
            raise SemcomError(f"{where}: {exc}") from None
        if "name" in values:
            trial_name = str(values["name"])
        elif template:
            try:
                trial_name = str(template).format_map(_Attr(resolved, recipe_stem=Path(recipe_file).stem))
            except (AttributeError, KeyError, IndexError, ValueError) as exc:
                raise SemcomError(f"sweep file {file}: trial_name {template!r} does not format for trial {index}: "
                                  f"{type(exc).__name__} {exc}; use recipe keys such as {{train.seed}}") from None
        else:
            trial_name = "_".join([resolved["name"], *(f"{k.rsplit('.', 1)[-1]}{v}" if k != "recipe" else Path(str(v)).stem
                                                         for k, v in values.items() if k != "name")])
            trial_name = _sanitize(trial_name)
        checks.safe_name(trial_name, f"{where}: trial name")
        run_dir = out_dir / "runs" / trial_name
        trial_over = tuple(fixed + [override(k, v) for k, v in keyed.items()]
                           + [override("name", trial_name), override("train.out_dir", str(out_dir / "runs"))])
        resolved["name"], resolved["train"]["out_dir"] = trial_name, str(out_dir / "runs")
        trials.append(Trial(trial_name, index, recipe_file, trial_over, str(run_dir), str(base), n_threads,
                            tuple(e for e in evaluations if e.applies(trial_name)), resolved, values))
    names = [t.name for t in trials]
    dup = [n for n in names if names.count(n) > 1]  # the first one in trial order
    if dup:
        raise SemcomError(f"sweep file {file}: two trials are named {dup[0]!r}; make trial_name tell them apart "
                          "(e.g. add {train.seed})")
    for e in evaluations:
        if not any(e.applies(n) for n in names):
            raise SemcomError(f"sweep file {file}: evaluation {e.name!r} matches no trial (trials: {list(e.trials)})")
    return Sweep(name, str(file.resolve()), str(out_dir), str(res_dir), tuple(trials), evaluations, raw, tuple(overrides or []))
