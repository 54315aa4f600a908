"""JailBreakV-28K (Luo et al., COLM 2024): 28,000 image-text jailbreaks built on the 2,000 RedTeam-2K
queries: 20,000 LLM-transfer text jailbreaks (formats Template / Persuade / Logic, with nature, noise,
SD or blank images) and 8,000 MLLM attacks (formats figstep and query-related). `mini` (the default) is
the 280-row split the paper family uses; `full` is all 28,000, but the HF dataset hosts only the mini
split's images, so `full` needs the full image set in a mirror: download checks the split's image list
first and stops with the count otherwise. Format and policy are kept on every item.

Protocol `jailbreakv-28k` (JUDGING below): a Llama Guard judge labels the response (upstream
`evaluate_llamaguard_ours.py`); ASR = unsafe / judged. Its own protocol is the classifier judge with Llama
Guard's template; an LLM judge scores it with JailbreakBench's prompt, a named stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from thinksafe.benchmarks import jailbreakbench
from thinksafe.benchmarks.base import (
    RemoteFile,
    Skips,
    Source,
    check_choice,
    data_image,
    read_csv,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_listed
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.io import inside
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
HOSTED = "mini"  # the only split whose images the HF dataset hosts (issue 17: about 300 images there)
IMAGES_FROM = "project page github.com/EddyLuo1232/JailBreakV_28K"
COLUMNS = ("id", "jailbreak_query", "redteam_query", "format", "policy", "image_path", "from")


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset",)


def subset(spec: dict) -> str:
    return check_choice(spec.get("subset", "mini"), tuple(SUBSETS), f"benchmarks.{spec['name']}.subset")


def config_problem(entry: dict, mirror: str | None) -> tuple[str, str] | None:
    """Checked with the config, before any job: without a mirror only the mini split's images exist."""
    chosen = entry.get("subset", HOSTED)
    if chosen == HOSTED or chosen not in SUBSETS or mirror is not None:
        return None
    return "subset", (
        f"'{chosen}' needs its images in a mirror (mirror: is null, and HF {SOURCE.repo} hosts the "
        f"{HOSTED} split's images only; the full set comes from the JailBreakV-28K authors, {IMAGES_FROM}); "
        f"use subset: {HOSTED}"
    )


def image_paths(csv: Path) -> list[str]:
    return [row["image_path"] for _, row in read_csv(csv, COLUMNS)]


def check_hosted(chosen: str, paths: list[str], mirror: Path | None, fetch_mini: Callable[[], Path]) -> None:
    """Stop before any image is fetched when the split's images are not all there: the HF dataset hosts
    only the mini split's images, so `full` needs them in a mirror."""
    if chosen == HOSTED:
        return
    if mirror is not None:
        where = mirror / SOURCE.mirror_dir / ROOT
        missing = [p for p in paths if not inside(where, p, f"mirror {mirror}: image list").is_file()]
        there = f"in the mirror's {SOURCE.mirror_dir}/{ROOT} folder"
    else:
        hosted = set(image_paths(fetch_mini()))
        missing = [p for p in paths if p not in hosted]
        there = f"on HF {SOURCE.repo}, which hosts the {HOSTED} split's {len(hosted)} images only"
    if missing:
        raise ThinksafeError(
            f"jailbreakv-28k subset {chosen}: {len(missing):,} of {len(paths):,} images are not {there}; "
            f"the full image set comes from the JailBreakV-28K authors ({IMAGES_FROM}): put it under "
            f"{SOURCE.mirror_dir}/{ROOT} in a mirror and pass --mirror, or use subset: {HOSTED}"
        )


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    chosen = subset(spec)
    file = SUBSETS[chosen]
    cache = out.parent / ".downloads" / spec["name"]
    rev = revision(spec, SOURCE)
    get_files(SOURCE, [file], out, mirror, cache, rev)
    paths = image_paths(out / file.path)

    def fetch_mini() -> Path:
        get_files(SOURCE, [SUBSETS[HOSTED]], out, None, cache, rev)
        return out / SUBSETS[HOSTED].path

    check_hosted(chosen, paths, mirror, fetch_mini)
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
            image, sha = data_image(raw_dir / ROOT, row["image_path"], where)
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
