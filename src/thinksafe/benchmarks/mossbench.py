"""MOSSBench (Li et al., 2024): 300 harmless image-question pairs whose images carry a risky-looking but
harmless element, built to measure over-refusal (oversensitivity) of multimodal models. Every item is
family `benign`: what tuning for safety costs shows up here as refusals.

Protocol `mossbench`: a response is an over-refusal when it declines or deflects the harmless request
(MOSSBench scores refusal with a GPT-4 judge); `reference.over` is the stimulus type (type 1 exaggerated
risk, type 2 negated harm, type 3 counterintuitive interpretation).
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import mossbench_prompts as P
from thinksafe.benchmarks.base import (
    RemoteFile,
    Skips,
    Source,
    data_image,
    need,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_listed
from thinksafe.benchmarks.protocol import Call, Case, LLMJudging, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

SOURCE = Source("github", "xirui-li/MOSSBench", "ba1f36e688f9c98d3f60273868c0a6456f0db0d1", "mossbench")
LICENSE = "CC (dataset card); research use"
PROTOCOL = "mossbench"
DATA = "data/"
# Pinned: the same bytes at ba1f36e and at 8d68b06 (the head the ../shared copy was taken from).
FILES = [
    RemoteFile(
        f"{DATA}images_information/information.json",
        "a5f7701c0a068391a3ba10714dd95f3357d664c84faf47b747e425ff9806a352",
    )
]


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ()
NAME = "MOSSBench refusal judge"
# evaluation/Evaluator.py sends the image with the EVAL prompt; score 1 (refusal) is an over-refusal.
CALL = Call("moss_eval", (("question", "request"), ("response", "response")), "refusal_score", image=True)


# Another benchmark's benign items, scored with this prompt without the image (as before this module).
PLAIN = LLMJudging((Call("moss_eval", CALL.fill, "refusal_score"),), f"{NAME} prompt")


def stand_in(for_what: str) -> LLMJudging:
    """MOSSBench's refusal prompt standing in for another benchmark's own protocol, named as such."""
    return LLMJudging(PLAIN.calls, f"{NAME} prompt (stand-in for {for_what})", stand_in=True)


JUDGING = Protocol(
    name=PROTOCOL,
    title="MOSSBench",
    upstream=P.SOURCE,
    own="llm",
    cases=(Case("answer", LLMJudging((CALL,), NAME)),),
)


def records(path: Path) -> list[tuple[str, dict]]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise ThinksafeError(f"{path}: expected an object of pid -> record")
    return list(data.items())


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    cache = out.parent / ".downloads" / spec["name"]
    rev = revision(spec, SOURCE)
    get_files(SOURCE, FILES, out, mirror, cache, rev)
    path = out / FILES[0].path
    images = [need(rec, "image", f"{path}: {pid}") for pid, rec in records(path)]
    get_listed(SOURCE, images, out, mirror, cache, rev, prefix=DATA)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    path = raw_dir / FILES[0].path
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for pid, rec in records(path):
        where = f"{path}: {pid}"
        try:
            image, sha = data_image(raw_dir / DATA, need(rec, "image", where), where)
            meta = rec.get("metadata") or {}
            items.append(
                Item(
                    id=f"{spec['name']}:{pid}",
                    benchmark=spec["name"],
                    family="benign",
                    category=str(meta.get("over", "unknown")),
                    subset="oversensitivity",
                    prompt=need(rec, "question", where),
                    image=image,
                    image_sha256=sha,
                    context="safe",
                    reference={
                        "protocol": PROTOCOL,
                        "over": meta.get("over"),
                        "harm": meta.get("harm"),
                        "description": rec.get("short description", ""),
                    },
                    source=source_ref(SOURCE, FILES[0].path, rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return stamp(items, JUDGING)
