"""`thinksafe check`: the preflight of every model of a run (or of one spec), one line per model."""

from __future__ import annotations

import argparse

from thinksafe import config as tsconfig
from thinksafe import io
from thinksafe.commands.specs import json_object
from thinksafe.errors import ThinksafeError
from thinksafe.models import lock
from thinksafe.models.preflight import check


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", nargs="+", help="config files (later ones overlay)")
    src.add_argument("--spec", help="one resolved registry entry as JSON (what the preflight rule passes)")
    p.add_argument("--model", action="append", help="only these models of the run")
    p.add_argument("--limits", default="null", help="JSON: gpu_memory_gib, usable_fraction, prompt_tokens")
    p.add_argument("--out", help="with --spec: a JSON summary, written only when the model passes")


def _run_models(config: dict, only: list[str] | None) -> list[str]:
    names = dict.fromkeys(tsconfig.registry_name(n) for n in tsconfig.evaluated_models(config))
    for name in only or []:
        if name not in config["models"]:
            raise ThinksafeError(f"--model: unknown model '{name}'")
    return list(only) if only else list(names)


def run(args: argparse.Namespace) -> int:
    limits = json_object(args.limits, "--limits", nullable=True)
    if args.spec:
        specs = [json_object(args.spec)]
    else:
        config = lock.load_locked(tsconfig.load(*args.config))
        limits = limits or config.get("preflight")
        specs = [tsconfig.resolve_model(config, n) for n in _run_models(config, args.model)]
    results = [check(spec, limits) for spec in specs]
    for result in results:
        print(result.line())
    failed = [r for r in results if not r.ok]
    if args.out and not failed:
        io.write_json(args.out, [{"model": r.model, "message": r.message} for r in results])
    if failed:
        raise ThinksafeError(f"{len(failed)} of {len(results)} model(s) failed the preflight: "
                             + ", ".join(r.model for r in failed))  # fmt: skip
    return 0
