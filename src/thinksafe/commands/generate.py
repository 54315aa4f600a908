"""`thinksafe generate`: shard k of N of one model on one or more benchmarks, one model load, resumable.

Each `--items` file pairs with the `--out` at the same position (the rule passes every benchmark of the
run, so one job loads its model once). The shard is a contiguous slice of each items file (shard k of N:
items[k*n//N : (k+1)*n//N]), so it is the same on every run of the same file. Finished records are
appended to the undeclared `<out>.partial`; a restarted job skips the ids already there. At the end the
sidecar `.meta.json` is written, then the partial is promoted to `<out>` in item order (both atomically).
The partial is claimed with the fingerprint of the spec, the items file's sha256, the shard and the seed
(io.claim): one left by a different spec, items file or seed is discarded with a log line, never mixed
in. The same fingerprint is recorded in the .meta.json: an output whose fingerprint still matches is
kept as it is (the rule's outputs are update(), so a job rerun because a benchmark was added keeps
the shards it already wrote, and generates only the new benchmark's).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe.commands.specs import json_object
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import PartialFile, fingerprint, read_jsonl, result_spec
from thinksafe.models import recipes
from thinksafe.progress import Progress, summary
from thinksafe.records import sha256_file

log = logging.getLogger("thinksafe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="model spec: JSON or @file (config.resolve_model)")
    parser.add_argument("--items", required=True, nargs="+", help="items (JSONL), one per benchmark")
    parser.add_argument("--shard", required=True, help="shard index, e.g. 00")
    parser.add_argument("--n-shards", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", required=True, nargs="+", help="results/generations/M/B/00.jsonl, one per --items, in order"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (the rule's threads)")


@dataclass
class ShardTask:
    """One benchmark's shard of the job: its items, its output and the fingerprint that owns both."""

    items_file: str
    out: Path
    items: list[dict]
    items_sha: str
    fingerprint: str
    label: str
    partial: PartialFile | None = None
    todo: list[dict] = field(default_factory=list)

    def current(self) -> bool:
        """The output exists and was written for this very fingerprint: nothing to do."""
        meta = meta_path(self.out)
        if not (self.out.exists() and meta.exists()):
            return False
        try:
            return json.loads(meta.read_text(encoding="utf-8")).get("fingerprint") == self.fingerprint
        except (OSError, ValueError):
            return False


def shard_slice(items: list[dict], shard: int, n_shards: int) -> list[dict]:
    """Contiguous, balanced, stable: the same file always gives the same shard."""
    n = len(items)
    return items[shard * n // n_shards : (shard + 1) * n // n_shards]


def meta_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".meta.json")


def parse_spec(text: str) -> dict:
    spec = json_object(text)
    if not spec.get("name"):
        raise ThinksafeError("--spec: a model spec object with a `name` is required")
    return spec


def read_items(path: str) -> list[dict]:
    items = read_jsonl(path, kind="item")  # a missing file, a bad line or field: one located error
    seen: set[str] = set()
    for lineno, item in enumerate(items, 1):
        if item["id"] in seen:
            raise located(path, f"duplicate item id {item['id']!r}", line=lineno)
        seen.add(item["id"])
    return items


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def set_threads(n: int) -> None:
    """Use exactly the job's cores: torch's OpenMP threads wait on each other at every op, and on a busy
    machine more threads than cores made batched CPU decoding over 10x slower (docs/models.md)."""
    import torch

    torch.set_num_threads(n)


def run(args: argparse.Namespace) -> int:
    from thinksafe.models.backends import get_backend

    spec = parse_spec(args.spec)
    try:
        shard = int(args.shard)
    except ValueError:
        raise ThinksafeError(f"--shard: not a number: {args.shard!r}") from None
    if args.n_shards < 1 or not 0 <= shard < args.n_shards:
        raise ThinksafeError(f"--shard {args.shard} / --n-shards {args.n_shards}: shard out of range")
    if len(args.items) != len(args.out):
        raise ThinksafeError(
            f"--items gives {len(args.items)} file(s), --out {len(args.out)}: one --out per --items, in order"
        )
    seed = int(spec.get("decoding", {}).get("seed", args.seed))
    pairs = zip(args.items, args.out, strict=True)
    tasks = [shard_task(spec, items, out, args, shard, seed) for items, out in pairs]
    pending = []
    for task in tasks:
        if task.current():
            log.info("%s: kept: written for the same spec, items, shard and seed", task.out)
            continue
        task.partial = PartialFile(task.out, fingerprint=task.fingerprint, what="generations")
        task.todo = [it for it in task.items if it["id"] not in task.partial.done]
        pending.append(task)
    if args.threads and any(t.todo for t in pending):
        set_threads(args.threads)
    try:
        # One model load serves every benchmark of the job.
        backend = get_backend(spec, seed=seed) if any(t.todo for t in pending) else None
        for task in pending:
            finish(task, spec, backend, args, seed)
    finally:
        for task in pending:
            task.partial.close()
    return 0


def shard_task(
    spec: dict, items_file: str, out: str, args: argparse.Namespace, shard: int, seed: int
) -> ShardTask:
    every = read_items(items_file)
    if args.n_shards > len(every):
        log.warning(
            "%s: %d shards for %d items: %d shard(s) get no item (lower run.shards or models.%s.shards)",
            items_file, args.n_shards, len(every), args.n_shards - len(every), spec["name"],
        )  # fmt: skip
    items_sha = sha256_file(items_file)
    return ShardTask(
        items_file=items_file,
        out=Path(out),
        items=shard_slice(every, shard, args.n_shards),
        items_sha=items_sha,
        fingerprint=fingerprint("generations", result_spec(spec), items_sha, shard, args.n_shards, seed),
        label=f"generate {spec['name']} {Path(items_file).stem} shard {args.shard}",
    )


def finish(task: ShardTask, spec: dict, backend, args: argparse.Namespace, seed: int) -> None:
    """Generate what the task still lacks, then write its .meta.json and promote its partial."""
    from thinksafe.models.backends.base import decoding

    partial, items = task.partial, task.items
    started = _now()
    progress = Progress(task.label, total=len(items), already=len(items) - len(task.todo))

    def on_done(rec: dict) -> None:
        partial.append(rec)
        progress.update()

    if task.todo:
        backend.generate(task.todo, on_done=on_done)
    records = [partial.records[it["id"]] for it in items if it["id"] in partial.records]
    counts = {
        "items": len(items),
        "generated_now": len(task.todo),
        "resumed": len(items) - len(task.todo),
        "errors": sum(1 for r in records if r.get("error")),
        "truncated": sum(1 for r in records if r.get("truncated")),
        "prompt_tokens": sum(r["n_prompt_tokens"] for r in records),
        "output_tokens": sum(r["n_output_tokens"] for r in records),
    }
    info = backend.info() if backend is not None else {"backend": spec.get("backend")}
    meta = {
        "model": spec["name"],
        "items_file": task.items_file,
        "items_sha256": task.items_sha,
        "shard": args.shard,
        "n_shards": args.n_shards,
        "seed": seed,
        "fingerprint": task.fingerprint,
        "decoding": decoding(spec),
        "model_revision": info.pop("revision", None) or spec.get("revision"),
        "hf_id": spec.get("hf_id"),
        "path": spec.get("path"),
        "adapter": spec.get("adapter"),
        "reasoning": spec.get("reasoning", "none"),
        "recipe": recipes.provenance(spec),
        "git_commit": git_commit(),
        "started": started,
        "ended": _now(),
        "seconds": round(progress.seconds, 2),
        **info,
        "counts": counts,
    }
    # Shard and meta are written as one set, meta renamed in first: if the job dies between the two
    # renames, the missing output makes Snakemake rerun it, and the rerun resumes from the partial.
    meta_text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    partial.promote(order=[it["id"] for it in items], sidecars={meta_path(task.out): meta_text})
    tokens_per_s = counts["output_tokens"] / progress.seconds if progress.seconds > 0 and task.todo else 0.0
    seconds = f"{progress.seconds:.1f}"
    summary(task.label, **counts, seconds=seconds, output_tokens_per_s=f"{tokens_per_s:.1f}")
