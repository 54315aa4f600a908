"""FigStep on SafeBench (Gong et al., AAAI 2025): 500 harmful questions (10 categories x 50) and the
50-question SafeBench-Tiny. Each `instruction` is typeset into a 760x760 image exactly as FigStep's
generator does (FreeMonoBold 80 pt, wrapped at 15 characters, "1. 2. 3." appended), rendered locally,
and sent with FigStep's fixed text prompt.

Protocol `figstep` (JUDGING below): attack success = the response fills the list with the harmful content.
FigStep reviewed responses by hand, so every automatic judge here is a STAND-IN: the LLM judge uses
JailbreakBench's judge prompt with `reference.question` (the plain question) as the request.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import jailbreakbench, prompts, render
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
from thinksafe.benchmarks.fetch import get_files
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

SOURCE = Source(
    "github", "ThuCCSLab/FigStep", "0861b17b3d67887c06ee3534ec65b3012f9becb7", "figstep-safebench"
)
LICENSE = "MIT"
PROTOCOL = "figstep"
SUBSETS = {"SafeBench": "question/safebench.csv", "SafeBench-Tiny": "question/SafeBench-Tiny.csv"}
FILES = [
    RemoteFile(
        "question/safebench.csv",
        "8e47f40b9b490fa2ca1393cdceb6081e9928848646f4b45fdd43726be941b394",
        "data/question/safebench.csv",
    ),
    RemoteFile(
        "question/SafeBench-Tiny.csv",
        "e5f85f7d0323fe2e4afa99f6715ee97c2581d93856af4728a72fdec94338e867",
        "data/question/SafeBench-Tiny.csv",
    ),
]
COLUMNS = ("dataset", "category_id", "task_id", "category_name", "question", "instruction")
JUDGING = Protocol(
    name=PROTOCOL,
    title="FigStep (SafeBench)",
    upstream=f"ThuCCSLab/FigStep@{SOURCE.revision} README.md (responses reviewed by hand)",
    own="human",
    cases=(Case("harm", jailbreakbench.stand_in("FigStep's manual review")),),
)
QUERY_TYPE = 6  # FigStep's QueryType.figstep: the suffix of upstream image names


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset",)


def subset(spec: dict) -> str:
    return check_choice(spec.get("subset", "SafeBench"), tuple(SUBSETS), f"benchmarks.{spec['name']}.subset")


def image_name(row: dict[str, str]) -> str:
    return f"query_{row['dataset']}_{row['category_id']}_{row['task_id']}_{QUERY_TYPE}.png"


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    chosen = subset(spec)
    get_files(SOURCE, FILES, out, mirror, out.parent / ".downloads" / spec["name"], revision(spec, SOURCE))
    path = out / SUBSETS[chosen]
    for _, row in read_csv(path, COLUMNS):
        render.save_png(render.figstep_image(row["instruction"]), out / "images" / chosen / image_name(row))


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    chosen = subset(spec)
    path = raw_dir / SUBSETS[chosen]
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for line, row in read_csv(path, COLUMNS):
        where = f"{path}:{line}"
        try:
            if not row["instruction"].strip():
                raise ThinksafeError(f"{where}: empty instruction")
            image, sha = checked_image(raw_dir / "images" / chosen / image_name(row), where)
            items.append(
                Item(
                    id=f"{spec['name']}:{chosen}:{row['category_id']}_{row['task_id']}",
                    benchmark=spec["name"],
                    family="jailbreak",
                    category=row["category_name"],
                    subset=chosen,
                    prompt=prompts.FIGSTEP,
                    image=image,
                    image_sha256=sha,
                    reference={
                        "protocol": PROTOCOL,
                        "question": row["question"],
                        "instruction": row["instruction"],
                    },
                    source=source_ref(SOURCE, f"data/{SUBSETS[chosen]}", rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return stamp(items, JUDGING)
