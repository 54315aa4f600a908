"""Load, validate and resolve the workflow config.

The Snakefile and the CLI both go through here, so a bad config stops with the same one-line error
naming the key before any job runs. Overlays merge like Snakemake's `--configfile`: mappings merge
recursively, anything else (lists included) is replaced.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from thinksafe.errors import ThinksafeError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "config" / "schema.yaml"
TUNED_SEP = "+"


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
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ThinksafeError(f"{path}: config file not found") from None
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ThinksafeError(f"{path}{line}: malformed YAML ({getattr(e, 'problem', e)})") from None
        if not isinstance(data, dict):
            raise ThinksafeError(f"{path}: the top level must be a mapping")
        config = merge(config, data)
    validate(config)
    return config


def _key_path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top>"


def validate(config: dict) -> None:
    """Schema first, then cross-references (run lists name registry entries). One line per error."""
    import jsonschema

    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    # The shallowest error first: it names the key a user wrote, not a detail inside it.
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        e = errors[0]
        raise ThinksafeError(f"config key {_key_path(e.absolute_path)}: {e.message}")
    _check_references(config)


def _check_references(config: dict) -> None:
    run = config["run"]
    for i, name in enumerate(run["models"]):
        if TUNED_SEP in name:
            model, dataset = name.split(TUNED_SEP, 1)
            if model not in config["models"]:
                raise ThinksafeError(f"config key run.models[{i}]: unknown model '{model}' in '{name}'")
            if dataset not in config.get("datasets", {}):
                raise ThinksafeError(f"config key run.models[{i}]: unknown dataset '{dataset}' in '{name}'")
        elif name not in config["models"]:
            raise ThinksafeError(f"config key run.models[{i}]: unknown model '{name}'")
    for i, name in enumerate(run["benchmarks"]):
        if name not in config["benchmarks"]:
            raise ThinksafeError(f"config key run.benchmarks[{i}]: unknown benchmark '{name}'")
    for i, name in enumerate(run["judges"]):
        if name not in config["judges"]:
            raise ThinksafeError(f"config key run.judges[{i}]: unknown judge '{name}'")
    tuning = run.get("tuning", {})
    for i, name in enumerate(tuning.get("models", [])):
        if name not in config["models"]:
            raise ThinksafeError(f"config key run.tuning.models[{i}]: unknown model '{name}'")
    for i, name in enumerate(tuning.get("datasets", [])):
        if name not in config.get("datasets", {}):
            raise ThinksafeError(f"config key run.tuning.datasets[{i}]: unknown dataset '{name}'")
    for name, entry in config["models"].items():
        base = entry.get("base")
        if base and base not in config["models"]:
            raise ThinksafeError(f"config key models.{name}.base: unknown model '{base}'")


def tuned_models(config: dict) -> list[str]:
    tuning = config["run"].get("tuning", {})
    return [f"{m}{TUNED_SEP}{d}" for m in tuning.get("models", []) for d in tuning.get("datasets", [])]


def evaluated_models(config: dict) -> list[str]:
    """Every model that goes through generate/judge/aggregate: the run list, its bases, the tuned models."""
    names: list[str] = []
    for name in [*config["run"]["models"], *tuned_models(config)]:
        if name not in names:
            names.append(name)
        base = config["models"].get(name, {}).get("base")
        if base and base not in names:
            names.append(base)
    return names


def resolve_model(config: dict, name: str) -> dict:
    """The entry for `name` over model_defaults; a tuned `<model>+<dataset>` is its parent + adapter."""
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
