"""Load, validate and resolve the workflow config.

The Snakefile and the CLI both go through here, so a bad config stops with the same one-line error
naming the user's file, line and key before any job runs. Overlays merge like Snakemake's
`--configfile`: mappings merge recursively, anything else (lists included) is replaced, so a later file's
`run.models` replaces an earlier one's by design. Inside one file a key given twice is an error (PyYAML,
and so Snakemake, would let the second win in silence).
"""

from __future__ import annotations

import copy
import difflib
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from thinksafe.errors import ThinksafeError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "config" / "schema.yaml"
TUNED_SEP = "+"
DEFENSE_SEP = "@"  # `<model>@<defense>`: split_defense
Lines = dict[tuple, int]  # key path in one file -> its 1-based line


class ConfigError(ThinksafeError):
    """A bad value at a key path; `validate` adds the file and line that set it."""

    def __init__(self, key: tuple, message: str):
        super().__init__(f"config key {_key_path(key)}: {message}")
        self.key, self.message = key, message


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor` merges are overridden by explicit keys on purpose
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ThinksafeError(
                f"{key_node.start_mark.name}:{line}: duplicate key {key!r} (first at line {seen[key]}; "
                "YAML would keep only this one)"
            )
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _lines(node: yaml.Node, prefix: tuple, out: Lines) -> Lines:
    """The line of every key path in a composed YAML document."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            out[path] = key_node.start_mark.line + 1
            _lines(value_node, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            out[(*prefix, i)] = child.start_mark.line + 1
            _lines(child, (*prefix, i), out)
    return out


def read_file(path: str | Path) -> tuple[dict, Lines]:
    """One config file, strictly parsed (no duplicate keys), and the line of each of its keys."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ThinksafeError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ThinksafeError(f"{path}: is a directory, expected a config file") from None
    except UnicodeDecodeError as e:
        raise ThinksafeError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from None
    loader = _StrictLoader(text)
    loader.name = _display(path)  # marks (and so errors) name the user's file, never "<unicode string>"
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        if isinstance(e, yaml.MarkedYAMLError) and e.problem_mark is not None:
            line = e.problem_mark.line + 1
            raise ThinksafeError(f"{loader.name}:{line}: malformed YAML ({e.problem})") from None
        raise ThinksafeError(f"{loader.name}: malformed YAML ({e})") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ThinksafeError(f"{path}: the top level must be a mapping")
    return data, _lines(node, (), {})


def merge(base: dict, overlay: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load(*paths: str | Path) -> dict:
    """Read config files in order (later overlays earlier), validate, and return the merged dict."""
    config: dict = {}
    for path in paths:
        config = merge(config, read_file(path)[0])
    validate(config, sources=paths)
    return config


def sources(configfiles: Iterable[str | Path], overrides: Iterable[str | Path] = ()) -> list[Path]:
    """Snakemake's config files in the order they apply: the Snakefile's `configfile:` first, then the
    `--configfile` overlays (`workflow.configfiles` lists the overlays first)."""
    cli = [Path(p).absolute() for p in overrides]
    return [Path(p) for p in configfiles if Path(p).absolute() not in cli] + cli


def _key_path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top>"


def _where(key: tuple, files: list[tuple[Path, Lines]]) -> str:
    """`file:line: ` of the last file that sets `key` (or the nearest key above it); empty if none."""
    for n in range(len(key), 0, -1):
        for path, lines in reversed(files):
            if key[:n] in lines:
                return f"{_display(path)}:{lines[key[:n]]}: "
    return ""


def _display(path: Path) -> str:
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def validate(config: dict, sources: Iterable[str | Path] = ()) -> None:
    """Schema first, then what a schema cannot say (finite numbers, cross-references, adapter options).

    One line per error; with `sources` (the files the config came from) it starts with the file and line
    that set the key.
    """
    files = [(Path(p), read_file(p)[1]) for p in sources]
    try:
        _check_finite(config, ())
        _check_schema(config)
        _check_references(config)
        _check_run_lists(config)
        _check_adapter_options(config)
        _check_audit(config)
    except ConfigError as e:
        raise ThinksafeError(f"{_where(e.key, files)}{e}") from None


def _check_finite(value: Any, key: tuple) -> None:
    """NaN and infinity pass every `minimum` of a JSON schema (NaN compares false): refuse them first."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(key, f"{value} is not a finite number")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, (*key, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, (*key, i))


def _check_schema(config: dict) -> None:
    import jsonschema

    from thinksafe.benchmarks import ADAPTERS

    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    schema["$defs"]["adapter"] = {"enum": list(ADAPTERS)}  # the adapters are registered in one place
    validator = jsonschema.Draft202012Validator(schema)
    # The shallowest error first: it names the key a user wrote, not a detail inside it.
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    e = errors[0]
    key = tuple(e.absolute_path)
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        known = list(e.schema.get("properties", {}))
        extra = sorted(set(e.instance) - set(known))[0]
        raise ConfigError((*key, extra), f"unknown key{_did_you_mean(extra, known, list_known=True)}")
    raise ConfigError(key, e.message)


def _did_you_mean(word: str, known: Iterable[str], list_known: bool = False) -> str:
    """A hint for a misspelt key or name: the closest known one, or (for keys) the list of known ones."""
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known: {', '.join(sorted(known))})" if list_known else ""


def _check_references(config: dict) -> None:
    run = config["run"]
    models, datasets = config["models"], config.get("datasets", {})

    def unknown(kind: str, name: str, names: Mapping) -> str:
        return f"unknown {kind} '{name}'{_did_you_mean(name, names)}"

    def check_model(key: tuple, name: str) -> None:
        name, defense = split_defense(name)
        if defense is not None and defense not in config.get("defenses", {}):
            known = config.get("defenses", {})
            raise ConfigError(key, f"{unknown('defense', defense, known)} in '{name}{DEFENSE_SEP}{defense}'")
        if TUNED_SEP in name:
            model, dataset = name.split(TUNED_SEP, 1)
            if model not in models:
                raise ConfigError(key, f"{unknown('model', model, models)} in '{name}'")
            if dataset not in datasets:
                raise ConfigError(key, f"{unknown('dataset', dataset, datasets)} in '{name}'")
        elif name not in models:
            raise ConfigError(key, unknown("model", name, models))

    for i, name in enumerate(run["models"]):
        check_model(("run", "models", i), name)
    defended = run.get("defenses", {})
    for i, name in enumerate(defended.get("models", [])):
        if DEFENSE_SEP in name:
            raise ConfigError(("run", "defenses", "models", i), f"'{name}': list the undefended model")
        check_model(("run", "defenses", "models", i), name)
    for i, name in enumerate(defended.get("defenses", [])):
        if name not in config.get("defenses", {}):
            known = config.get("defenses", {})
            raise ConfigError(("run", "defenses", "defenses", i), unknown("defense", name, known))
    for i, name in enumerate(run["benchmarks"]):
        if name not in config["benchmarks"]:
            raise ConfigError(("run", "benchmarks", i), unknown("benchmark", name, config["benchmarks"]))
    for i, name in enumerate(run["judges"]):
        if name not in config["judges"]:
            raise ConfigError(("run", "judges", i), unknown("judge", name, config["judges"]))
    tuning = run.get("tuning", {})
    for i, name in enumerate(tuning.get("models", [])):
        if name not in models:
            raise ConfigError(("run", "tuning", "models", i), unknown("model", name, models))
    for i, name in enumerate(tuning.get("datasets", [])):
        if name not in datasets:
            raise ConfigError(("run", "tuning", "datasets", i), unknown("dataset", name, datasets))
    for name, entry in models.items():
        base = entry.get("base")
        if base and base not in models:
            raise ConfigError(("models", name, "base"), unknown("model", base, models))
    from thinksafe.defenses import DefenseError

    for name in evaluated_models(config):  # a defense entry, or one that cannot apply to its model
        if DEFENSE_SEP in name:
            try:
                resolve_model(config, name)
            except DefenseError as e:
                raise ConfigError(e.key, e.message) from None


def _check_run_lists(config: dict) -> None:
    """An empty run list would make a run that does nothing, or tunes for nothing, and says so nowhere."""
    run = config["run"]
    tuning = run.get("tuning", {})
    if not run["benchmarks"]:
        raise ConfigError(("run", "benchmarks"), "empty: nothing to evaluate")
    if not run["models"] and not tuned_models(config) and not defended_models(config):
        raise ConfigError(("run", "models"), "empty (and no tuning): nothing to evaluate")
    for key, other in (("models", "datasets"), ("datasets", "models")):
        if key in tuning and not tuning[key] and tuning.get(other):
            raise ConfigError(("run", "tuning", key), f"empty: the tuning {other} listed would never be used")


def _check_adapter_options(config: dict) -> None:
    """A benchmark or source entry may only set the options its adapter reads (benchmarks.OPTIONS), and a
    run's benchmark entry must be one its adapter can fetch (an adapter's `config_problem`)."""
    from thinksafe.benchmarks import get_adapter, unsupported_option

    for section in ("benchmarks", "sources"):
        for name, entry in config.get(section, {}).items():
            bad = unsupported_option(entry)
            if bad:
                option, message = bad
                raise ConfigError((section, name, option), message)
    for name in config["run"]["benchmarks"]:
        entry = config["benchmarks"][name]
        problem = getattr(get_adapter(entry.get("adapter")), "config_problem", None)
        bad = problem(entry, config.get("mirror")) if problem else None
        if bad:
            raise ConfigError(("benchmarks", name, bad[0]), bad[1])


def _check_audit(config: dict) -> None:
    """judge_audit.data is a named set or a file that exists (null: no audit), never dropped in silence; a
    mirror is a folder."""
    from thinksafe.judges.validation import NAMED_SETS

    audit = config.get("judge_audit") or {}
    data, mirror = audit.get("data"), audit.get("mirror")
    if data is not None and data not in NAMED_SETS and not Path(data).is_file():
        raise ConfigError(
            ("judge_audit", "data"),
            f"{data}: no such file and not a named set ({', '.join(NAMED_SETS)}); null runs without an audit",
        )
    if mirror is not None and not Path(mirror).is_dir():
        raise ConfigError(("judge_audit", "mirror"), f"{mirror}: not a folder")


def source_spec(config: dict, name: str) -> dict:
    """A benchmark or a tuning source entry with its name: both are downloaded and normalized alike."""
    for section in ("benchmarks", "sources"):
        if name in config.get(section, {}):
            return dict(config[section][name], name=name)
    raise ThinksafeError(f"config key benchmarks: unknown benchmark or source '{name}'")


def split_defense(name: str) -> tuple[str, str | None]:
    """(`model` or `model+dataset`, the defense or None) of an evaluated model's name."""
    if DEFENSE_SEP not in name:
        return name, None
    parent, defense = name.rsplit(DEFENSE_SEP, 1)
    return parent, defense


def registry_name(name: str) -> str:
    """The registry entry an evaluated model runs: `m` of `m`, `m+data`, `m@defense`, `m+data@defense`."""
    return name.split(DEFENSE_SEP, 1)[0].split(TUNED_SEP, 1)[0]


def defended_models(config: dict) -> list[str]:
    """`<model>@<defense>` for every model and defense `run.defenses` lists (the cross product)."""
    defended = config["run"].get("defenses", {})
    return [f"{m}{DEFENSE_SEP}{d}" for m in defended.get("models", []) for d in defended.get("defenses", [])]


def tuned_models(config: dict) -> list[str]:
    tuning = config["run"].get("tuning", {})
    return [f"{m}{TUNED_SEP}{d}" for m in tuning.get("models", []) for d in tuning.get("datasets", [])]


def evaluated_models(config: dict) -> list[str]:
    """Every model that goes through generate/judge/aggregate: the run list, its bases, the tuned models,
    the defended ones (each after the model it defends, which is evaluated too: its reference)."""
    names: list[str] = []
    for name in [*config["run"]["models"], *tuned_models(config), *defended_models(config)]:
        parent, defense = split_defense(name)
        for n in (parent if defense else None, name):
            if n and n not in names:
                names.append(n)
        base = config["models"].get(parent or name, {}).get("base")
        if base and base not in names:
            names.append(base)
    return names


def resolve_model(config: dict, name: str) -> dict:
    """The entry for `name` over model_defaults; a tuned `<model>+<dataset>` is its parent + adapter; a
    defended `<parent>@<defense>` is its parent's spec with the resolved defense on it (defenses/)."""
    parent, defense = split_defense(name)
    if defense is not None:
        from thinksafe import defenses

        return defenses.defended_spec(resolve_model(config, parent), name, defenses.resolve(config, defense))
    if TUNED_SEP not in name:
        if name not in config["models"]:
            raise ThinksafeError(f"config key models: unknown model '{name}'")
        entry = config["models"][name]
        # the authors' decoding (recipe) sits between the run's defaults and the entry's own settings
        recommended = {"decoding": (entry.get("recipe") or {}).get("decoding") or {}}
        spec = merge(merge(config.get("model_defaults", {}), recommended), entry)
        spec["name"] = name
        spec.setdefault("trust_remote_code", False)
        return spec
    parent, dataset = name.split(TUNED_SEP, 1)
    spec = resolve_model(config, parent)
    tuned = config.get("finetune", {})
    spec.update(
        name=name,
        base=parent,  # a tuned model is compared against the model it was tuned from
        tuned_from=parent,
        dataset=dataset,
        adapter=f"checkpoints/{name}",
    )
    if tuned.get("reasoning"):
        spec["reasoning"] = tuned["reasoning"]
    if tuned.get("method", "lora") == "full":
        # Full SFT writes the whole model into the checkpoint folder: read it from there, not base + adapter.
        for key in ("adapter", "build", "hf_id"):
            spec.pop(key, None)
        spec.update(path=f"checkpoints/{name}", revision="local")
    return spec


def spec_json(spec: Mapping) -> str:
    """A canonical JSON form, so a param only changes when the spec does."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))
