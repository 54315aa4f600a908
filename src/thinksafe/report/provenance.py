"""Where every number in the report comes from: library versions, seeds, judges and their prompt hashes
(read off the verdicts), model revisions and decoding (generation .meta.json), benchmark revisions
(item.source), and the judge audits. Versions come from package metadata, so torch is never imported."""

from __future__ import annotations

import json
import platform
from collections import Counter
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from thinksafe import io
from thinksafe.metrics.load import item_path, read_columns, verdict_paths

LIBRARIES = (
    "thinksafe",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "vllm",
    "snakemake",
    "dvc",
)
JUDGE_SCHEMA = pa.schema(
    [("judge", pa.string()), ("judge_revision", pa.string()), ("prompt_sha256", pa.string())]
)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def judge_hashes(spec: dict, root: Path) -> list[dict]:
    """Distinct (judge, revision, prompt hash) over every verdict, with how many verdicts used each."""
    counts: Counter = Counter()
    for judge in spec["judges"]:
        for model in spec["models"]:
            for bench in spec["benchmarks"]:
                for path in verdict_paths(root, judge, model, bench, spec["shards"][model][bench]):
                    if not path.exists():
                        continue
                    t = read_columns(path, JUDGE_SCHEMA, "verdict")
                    keys = pc.binary_join_element_wise(
                        pc.fill_null(t["judge"], judge),
                        pc.fill_null(t["judge_revision"], "—"),
                        pc.fill_null(t["prompt_sha256"], "—"),
                        "\x1f",
                    )
                    vc = pc.value_counts(keys)
                    for entry in vc.to_pylist():
                        counts[entry["values"]] += entry["counts"]
    return [
        dict(zip(("judge", "judge_revision", "prompt_sha256"), k.split("\x1f"), strict=True), verdicts=n)
        for k, n in sorted(counts.items())
    ]


def _distinct(metas: list[dict], key: str) -> list[str]:
    return sorted({json.dumps(m.get(key), sort_keys=True) for m in metas})


def _locked(entry: dict, metas: list[dict]) -> str:
    """The commit the lock pinned (with the branch it named), flagged when a shard loaded another."""
    if not entry.get("revision_ref"):
        return "not locked" if entry.get("hf_id") and not entry.get("path") else "—"
    locked = entry["revision"]
    loaded = {str(m.get("model_revision")) for m in metas if m.get("model_revision")}
    text = f"{locked[:12]} ({entry['revision_ref']})"
    if loaded - {locked}:
        text += " ≠ loaded " + ", ".join(sorted(r[:12] for r in loaded - {locked})) + " ⚠"
    return text


def shard_metas(spec: dict, root: Path, model: str) -> list[dict]:
    """Every generation shard's .meta.json of `model` in the run (those that exist)."""
    metas = []
    for bench in spec["benchmarks"]:
        for shard in spec["shards"][model][bench]:
            path = root / "results" / "generations" / model / bench / f"{shard}.meta.json"
            if path.exists():
                metas.append(io.read_json(path))
    return metas


def generation_meta(spec: dict, root: Path) -> list[dict]:
    """One row per model: its revision, backend, decoding and seeds, from every shard's .meta.json."""
    rows = []
    for model in spec["models"]:
        metas = shard_metas(spec, root, model)
        rows.append(
            {
                "model": model,
                "shards with meta": len(metas),
                "hf_id / path": ", ".join(sorted({str(m.get("hf_id") or m.get("path")) for m in metas}))
                or "—",
                "revision": ", ".join(json.loads(v) or "—" for v in _distinct(metas, "model_revision"))
                or "—",
                "locked": _locked(spec["models"].get(model, {}), metas),
                "adapter": ", ".join(sorted({str(m.get("adapter")) for m in metas if m.get("adapter")}))
                or "—",
                "backend": ", ".join(sorted({str(m.get("backend")) for m in metas if m.get("backend")}))
                or "—",
                "decoding": "; ".join(_distinct(metas, "decoding")) or "—",
                "recipe": "; ".join(sorted({str(m["recipe"]) for m in metas if m.get("recipe")})) or "—",
                "seeds": ", ".join(sorted({str(m.get("seed")) for m in metas})) or "—",
                "git commit": ", ".join(
                    sorted({str(m.get("git_commit"))[:12] for m in metas if m.get("git_commit")})
                )
                or "—",
                "truncated / errors": f"{sum(m.get('counts', {}).get('truncated', 0) for m in metas)} / "
                f"{sum(m.get('counts', {}).get('errors', 0) for m in metas)}",
            }
        )
    return rows


def benchmark_sources(spec: dict, root: Path) -> list[dict]:
    """Distinct item.source (repo, revision) per benchmark, with item counts."""
    rows = []
    for bench in spec["benchmarks"]:
        path = item_path(root, bench)
        if not path.exists():
            continue
        counts = Counter()
        for rec in io.read_jsonl(path, kind="item"):
            src = rec.get("source") or {}
            counts[(str(src.get("repo", "—")), str(src.get("revision", "—")))] += 1
        for (repo, revision), n in sorted(counts.items()):
            rows.append({"benchmark": bench, "repo": repo, "revision": revision, "items": n})
    return rows


SIGNATURES = ("llm", "classifier:llama-guard", "rule")  # judge kinds, as protocols name them


def judge_protocols(spec: dict, root: Path) -> list[dict]:
    """Per benchmark: its judge protocol, where upstream scores it, and for each judge `own` or the named
    stand-in (from the protocol every item carries; items without one say so)."""
    from thinksafe.judges.protocols import fidelity

    rows = []
    for bench in spec["benchmarks"]:
        path = item_path(root, bench)
        if not path.exists():
            continue
        seen: dict[str, dict] = {}
        for rec in io.read_jsonl(path):
            protocol = rec.get("protocol") or {}
            seen.setdefault(
                json.dumps([protocol.get("name"), (protocol.get("llm") or {}).get("name")]), protocol
            )
        for protocol in seen.values():
            if not protocol:
                rows.append({"benchmark": bench, "protocol": "— (items carry none: normalize again)"})
                continue
            row = {
                "benchmark": bench,
                "protocol": protocol["name"],
                "upstream source": protocol["upstream"],
                "upstream judge": protocol["own"],
            }
            for signature in SIGNATURES:
                row[f"{signature} judge"] = fidelity(protocol, signature)
            rows.append(row)
    return rows


def stand_ins(spec: dict, root: Path, judge: str | None = None) -> dict[str, str]:
    """benchmark -> the stand-in that scored it, for the tables' judge (the first of the run), read off the
    verdicts themselves (extra.fidelity); benchmarks scored by their own protocol are absent."""
    judge = judge or spec["judges"][0]
    out: dict[str, str] = {}
    for bench in spec["benchmarks"]:
        for model in spec["models"]:
            for path in verdict_paths(root, judge, model, bench, spec["shards"][model][bench]):
                fidelity = _first_fidelity(path)
                if fidelity:
                    if fidelity.startswith("stand-in"):
                        out[bench] = fidelity
                    break
            if bench in out:
                break
    return out


def _first_fidelity(path: Path) -> str | None:
    """extra.fidelity of the first verdict in a judgment file that has one."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                fidelity = (json.loads(line).get("extra") or {}).get("fidelity")
                if fidelity:
                    return fidelity
    return None


def audits(root: Path) -> list[dict]:
    """Every judge audit (results/audit/*.json) as written by `thinksafe audit`; each names its file
    (`file`), so a damaged one can be named."""
    folder = root / "results" / "audit"
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [{**io.read_json(p), "file": str(p)} for p in paths]
