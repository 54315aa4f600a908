"""A scratch project directory in which the real CLI builds what a test needs (paths project-relative)."""

from __future__ import annotations

import json
from pathlib import Path

from reliability.procs import thinksafe

POOL = {"adapter": "demo_pool", "name": "demo-pool"}
TUNING_SET = {"kind": "tis_rebuild", "sources": ["demo-pool"], "teacher": "template", "captioner": "template",
              "name": "tis-tiny"}  # fmt: skip


def must(result) -> None:
    assert result.returncode == 0, result.stderr[-4000:]


def tuning_set(root: Path) -> Path:
    """data/sft/tis-tiny built by the real dataset code: the embedded tuning pool, downloaded, normalized,
    captioned and answered by the template teacher (48 records, one image each)."""
    spec = json.dumps(POOL)
    must(thinksafe("download", "--spec", spec, "--out", "data/raw/demo-pool", cwd=root))
    must(thinksafe("normalize", "--spec", spec, "--raw", "data/raw/demo-pool", "--seed", "0",
                   "--out", "data/items/demo-pool.jsonl", cwd=root))  # fmt: skip
    must(thinksafe("build-dataset", "--spec", json.dumps(TUNING_SET), "--raw-root", "data/raw", "--seed", "0",
                   "--out", "data/sft/tis-tiny", cwd=root))  # fmt: skip
    return root / "data" / "sft" / "tis-tiny"


def model_spec(model_dir: Path, name: str = "tiny", **over) -> dict:
    return {"name": name, "path": str(model_dir), "family": "qwen2_5_vl", "revision": "local",
            "reasoning": "think", "think_prefix": True, "system_prompt": "Think first.", "backend": "hf",
            "decoding": {"max_new_tokens": 8, "temperature": 0.0, "top_p": 1.0, "batch_size": 2},
            "resources": {"gpus": 0}, **over}  # fmt: skip


def items_file(root: Path, n: int, images: bool = True) -> Path:
    """n normalized-looking items (a third text-only, the rest with one of two small images)."""
    from PIL import Image

    folder = root / "data" / "raw" / "unit"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (56, 56), "red").save(folder / "red.png")
    Image.new("RGB", (84, 56), "blue").save(folder / "blue.png")
    path = root / "data" / "items" / "unit.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for i in range(n):
            image = [None, "data/raw/unit/red.png", "data/raw/unit/blue.png"][i % 3] if images else None
            family = ("jailbreak", "awareness", "benign")[i % 3]
            f.write(json.dumps({
                "id": f"unit-{i:03d}", "benchmark": "unit", "family": family, "category": "c", "subset": "s",
                "prompt": f"Request number {i}: " + "tell me about it. " * (1 + i % 3), "image": image,
                "image_sha256": None, "context": None, "pair_id": None,
                "reference": {"protocol": "demo", "expected": "refuse" if family != "benign" else "comply"},
                "source": {"repo": "unit", "revision": "v1", "path": "unit.jsonl"},
            }) + "\n")  # fmt: skip
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
