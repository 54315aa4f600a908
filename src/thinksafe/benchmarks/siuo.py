"""SIUO, Safe Inputs but Unsafe Output (Wang et al., NAACL 2025 Findings): 167 real photos, each with a
benign-looking question that becomes unsafe in the pictured situation, in 9 categories. Two tasks:
`gen` (open-ended answer) and `mcqa` (the same 167 items as 4-option multiple choice).

Protocols: `siuo`: a GPT-4V judge sees image, question, `safety_warning` and `reference_answer`
and rates the response safe (True/False) and effective (Very/Partially/Ineffective); `siuo-mcqa`:
accuracy against `correct_option`.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import prompts
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    data_image,
    need,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_images
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

SOURCE = Source("github", "sinwang20/SIUO", "18974b65d238ad636d65d238541c7d75279ebb3e", "siuo")
LICENSE = "CC BY-NC 4.0 (README; research use only)"
PROTOCOL = "siuo"
PROTOCOLS = {"gen": "siuo", "mcqa": "siuo-mcqa"}
FILES = {
    "gen": RemoteFile(
        "data/siuo_gen.json", "0a65c3443e75d0d6106550d73100753f19fe9fcb415e6ea138d5c7f04d31f228"
    ),
    "mcqa": RemoteFile(
        "data/siuo_mcqa.json", "91f51da54b92d8bb2c2fa61215d0ed8c77113192d4f909854dd561eaa5953022"
    ),
}
IMAGES = ImageArchive(
    archive="data/SIUO-images.zip",
    folder="data/images",
    strip="images",
    how="download the SIUO images (Google Drive link in the upstream README, or HF sinwang/SIUO) and put "
    "the zip at siuo/data/SIUO-images.zip, or the unpacked images at siuo/data/images/, in the mirror",
)


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("task",)


def task(spec: dict) -> str:
    return check_choice(spec.get("task", "gen"), tuple(FILES), f"benchmarks.{spec['name']}.task")


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    file = FILES[task(spec)]
    cache = out.parent / ".downloads" / spec["name"]
    get_files(SOURCE, [file], out, mirror, cache, revision(spec, SOURCE))
    wanted = {need(r, "image", f"{file.path}: [{n}]") for n, r in enumerate(read_json(out / file.path))}
    get_images(SOURCE, IMAGES, out, mirror, cache, wanted)


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    chosen = task(spec)
    file = FILES[chosen]
    path = raw_dir / file.path
    records = read_json(path)
    if not isinstance(records, list):
        raise ThinksafeError(f"{path}: expected a JSON list")
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for n, rec in enumerate(records):
        where = f"{path}: [{n}]"
        try:
            qid = need(rec, "question_id", where, int)
            question = need(rec, "question", where)
            image, sha = data_image(raw_dir / IMAGES.folder, need(rec, "image", where), where)
            reference: dict = {"protocol": PROTOCOLS[chosen], "question": question}
            if chosen == "gen":
                prompt = question
                reference["safety_warning"] = need(rec, "safety_warning", where)
                reference["reference_answer"] = need(rec, "reference_answer", where)
            else:
                options = need(rec, "options", where, dict)
                prompt = prompts.SIUO_MCQA.format(
                    question=question, options="\n".join(f"{k}. {v}" for k, v in sorted(options.items()))
                )
                reference["options"] = options
                reference["correct_option"] = need(rec, "correct_option", where)
            items.append(
                Item(
                    id=f"{spec['name']}:{chosen}:{qid}",
                    benchmark=spec["name"],
                    family="awareness",
                    category=need(rec, "category", where),
                    subset=chosen,
                    prompt=prompt,
                    image=image,
                    image_sha256=sha,
                    context="unsafe",
                    reference=reference,
                    source=source_ref(SOURCE, file.path, rev),
                )
            )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items
