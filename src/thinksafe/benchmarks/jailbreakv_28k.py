"""JailBreakV-28K (Luo et al., COLM 2024): 28,000 image-text jailbreaks built on the 2,000 RedTeam-2K
queries: 20,000 LLM-transfer text jailbreaks (formats Template / Persuade / Logic, with nature, noise,
SD or blank images) and 8,000 MLLM attacks (formats figstep and query-related). `mini` is the 280-row
split the paper family uses; `full` is all 28,000. Format and policy are kept on every item.

Protocol `jailbreakv-28k` (JUDGING below): a Llama Guard judge labels the response (upstream
`evaluate_llamaguard_ours.py`); ASR = unsafe / judged. Its own protocol is the classifier judge with Llama
Guard's template; an LLM judge scores it with JailbreakBench's prompt, a named stand-in.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
    RemoteFile,
    Skips,
    Source,
    check_choice,
    checked_image,
    read_csv,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_listed
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

# Not yet pinned to a commit: the first download records each file's sha256 in MANIFEST.json; set
# `revision:` in the config to a commit to pin it.
SOURCE = Source("hf", "JailbreakV-28K/JailBreakV-28k", "main", "jailbreakv-28k")
LICENSE = "MIT"
PROTOCOL = "jailbreakv-28k"
JUDGING = Protocol(
    name=PROTOCOL,
    title="JailBreakV-28K",
    # Not in the local index (no snapshot of EddyLuo/JailBreakV_28K could be had): cited from the README.
    upstream="EddyLuo/JailBreakV_28K evaluate_llamaguard_ours.py (Llama Guard)",
    own="classifier:llama-guard",
    cases=(Case("harm", jailbreakbench.stand_in("JailBreakV-28K's Llama Guard judge")),),
)
ROOT = "JailBreakV_28K/"
SUBSETS = {
    "mini": RemoteFile(f"{ROOT}mini_JailBreakV_28K.csv", None),
    "full": RemoteFile(f"{ROOT}JailBreakV_28K.csv", None),
}
FILES = list(SUBSETS.values())
COLUMNS = ("id", "jailbreak_query", "redteam_query", "format", "policy", "image_path", "from")


def subset(spec: dict) -> str:
    return check_choice(spec.get("subset", "mini"), tuple(SUBSETS), f"benchmarks.{spec['name']}.subset")


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    file = SUBSETS[subset(spec)]
    cache = out.parent / ".downloads" / spec["name"]
    rev = revision(spec, SOURCE)
    get_files(SOURCE, [file], out, mirror, cache, rev)
    paths = [row["image_path"] for _, row in read_csv(out / file.path, COLUMNS)]
    get_listed(SOURCE, paths, out, mirror, cache, rev, prefix=ROOT)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    chosen = subset(spec)
    file = SUBSETS[chosen]
    path = raw_dir / file.path
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for line, row in read_csv(path, COLUMNS):
        where = f"{path}:{line}"
        try:
            if not row["jailbreak_query"].strip():
                raise ThinksafeError(f"{where}: empty jailbreak_query")
            image, sha = checked_image(raw_dir / ROOT / row["image_path"], where)
            items.append(
                Item(
                    id=f"{spec['name']}:{chosen}:{row['id']}",
                    benchmark=spec["name"],
                    family="jailbreak",
                    category=row["policy"],
                    subset=chosen,
                    prompt=row["jailbreak_query"],
                    image=image,
                    image_sha256=sha,
                    reference={
                        "protocol": PROTOCOL,
                        "question": row["redteam_query"],  # the plain request, for the judge
                        "redteam_query": row["redteam_query"],
                        "format": row["format"],
                        "policy": row["policy"],
                        "from": row["from"],
                        "transfer_from_llm": row.get("transfer_from_llm", ""),
                    },
                    source=source_ref(SOURCE, file.path, rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return stamp(items, JUDGING)
