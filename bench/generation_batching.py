"""CPU generation: the hf backend batched against one-by-one, on demo-base, same prompts and images.

    .venv/bin/python bench/generation_batching.py [--items 56] [--batch-size 8] [--max-new-tokens 64]
    .venv/bin/python bench/generation_batching.py --kernel torch   # torch's own linear (MKL) instead
    .venv/bin/python bench/generation_batching.py --demo     # time the demo's own generation jobs

Builds data/models/demo-base with the CLI when it is absent. Prints one table: seconds, output tokens,
tokens/s and the speed-up over one-by-one, for fixed batches (`model.generate`) and for the backend's
continuous batching; and how many outputs are identical to one-by-one greedy. By default all 56 demo
items: with few items the last batch's stragglers dominate.
`--demo` times demo-base and demo-reasoner on all 56 demo items with config/demo.yaml's decoding, the
figure that sizes the demo's generation budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "data" / "models" / "demo-base"
DEMO_ITEMS = ROOT / "src" / "thinksafe" / "benchmarks" / "demo_items.json"


def ensure_model() -> None:
    if not (MODEL_DIR / "config.json").exists():
        print(f"building {MODEL_DIR} (about a minute)", file=sys.stderr)
        cli = Path(sys.executable).parent / "thinksafe"
        subprocess.run([str(cli), "build-model", "--kind", "demo-base", "--out", str(MODEL_DIR)], check=True)


def card(text: str, folder: Path, name: str) -> str:
    """A typographic card like the demo's (white, black text); what matters here is its token cost."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (336, 336), "white")
    ImageDraw.Draw(im).multiline_text((12, 12), text, fill="black")
    path = folder / f"{name}.png"
    im.save(path)
    return str(path)


def demo_items(folder: Path, n: int | None = None) -> list[dict]:
    """The demo benchmark's prompts, each with a card of its image text (images: 16 tokens each)."""
    records = json.loads(DEMO_ITEMS.read_text())["items"][:n]
    return [{"id": r["key"], "prompt": r["prompt"], "image": card(r["image_text"], folder, r["key"])}
            for r in records]  # fmt: skip


def model_spec(name: str, **decoding) -> dict:
    from thinksafe import config

    cfg = config.load(ROOT / "config.yaml", ROOT / "config" / "demo.yaml")
    spec = config.resolve_model(cfg, name)
    spec["path"] = str(MODEL_DIR)
    spec["decoding"] = {**spec.get("decoding", {}), **decoding}
    return spec


def timed(backend, items: list[dict]) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    records = backend.generate(items)
    return time.perf_counter() - t0, sorted(records, key=lambda r: r["id"])


def row(label: str, seconds: float, records: list[dict], base: float | None = None) -> str:
    tokens = sum(r["n_output_tokens"] for r in records)
    ratio = f"{base / seconds:6.2f}x" if base else "  1.00x"
    rate = tokens / seconds
    return f"| {label:<28} | {len(records):5d} | {seconds:8.1f} | {tokens:7d} | {rate:8.1f} | {ratio} |"


HEADER = (
    "| run                          | items | seconds |  tokens |  tok/s   | speed-up |\n"
    "|------------------------------|-------|---------|---------|----------|----------|"
)


def batching(args: argparse.Namespace, folder: Path) -> None:
    from thinksafe.models.backends.hf import HFBackend

    items = demo_items(folder, args.items)
    args.batch_size = args.batch_size or 8
    spec = model_spec("demo-base", max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
    backend = HFBackend(spec)
    backend.generate(items[:1])  # warm-up: first-call allocations are not part of any figure
    runs = {}
    for label, batch_size, continuous in (
        ("one-by-one (batch 1)", 1, True),
        (f"fixed batches of {args.batch_size}", args.batch_size, False),
        (f"continuous, batch {args.batch_size}", args.batch_size, True),
    ):
        backend.batch_size, backend.continuous = batch_size, continuous
        runs[label] = timed(backend, items)
    (base_label, (t_single, single)), *batched = runs.items()
    print(HEADER)
    print(row(base_label, t_single, single))
    for label, (seconds, records) in batched:
        print(row(label, seconds, records, base=t_single))
    kernel = backend.linear_kernel
    print(f"\nmax_new_tokens={args.max_new_tokens}; dtype={backend.lm.dtype}; linear kernel: {kernel}")
    for label, (_, records) in batched:
        same = sum(a["raw"] == b["raw"] for a, b in zip(single, records, strict=True))
        print(f"identical greedy outputs, {label} vs one-by-one: {same}/{len(items)}")
        for a, b in zip(single, records, strict=True):
            if a["raw"] != b["raw"]:
                print(f"  differs: {a['id']}: {a['raw'][:60]!r} vs {b['raw'][:60]!r}")


def demo(folder: Path, batch_size: int | None) -> None:
    from thinksafe.models.backends.hf import HFBackend

    items = demo_items(folder)
    print(HEADER)
    total = 0.0
    for name in ("demo-base", "demo-reasoner"):
        spec = model_spec(name, **({"batch_size": batch_size} if batch_size else {}))
        t_load = time.perf_counter()
        backend = HFBackend(spec)
        t_load = time.perf_counter() - t_load
        seconds, records = timed(backend, items)
        total += seconds + t_load
        d = backend.decoding
        label = f"{name} ({d['max_new_tokens']} tok, b{backend.batch_size})"
        print(row(label, seconds, records))
        print(f"  load {t_load:.1f} s; truncated {sum(r['truncated'] for r in records)}/{len(records)}")
    print(f"\ntotal with loads, two models: {total:.0f} s (the tuned model adds a job like demo-base's)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=56)
    parser.add_argument("--batch-size", type=int, help="8; with --demo the config's (16)")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the demo's jobs use 1)")
    parser.add_argument("--demo", action="store_true", help="time the demo's generation jobs instead")
    parser.add_argument("--kernel", choices=("onednn", "torch"), default="onednn",
                        help="linear layers on packed oneDNN (the CPU default) or torch's own")  # fmt: skip
    args = parser.parse_args()
    import torch

    from thinksafe.models import cpu_linear

    if args.kernel == "torch":
        cpu_linear.available = lambda: False  # the backend then leaves nn.Linear as it is

    torch.set_num_threads(args.threads)

    ensure_model()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        demo(Path(tmp), args.batch_size) if args.demo else batching(args, Path(tmp))


if __name__ == "__main__":
    main()
