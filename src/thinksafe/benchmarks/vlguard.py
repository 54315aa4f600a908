"""VLGuard (Zong et al., ICML 2024). `train` (2,000 images) is a tuning baseline; `test` (1,000 images)
splits into `safe_safes` (558 safe images with a safe instruction: helpfulness, and over-refusal),
`safe_unsafes` (the same 558 safe images with an unsafe instruction) and `unsafes` (442 unsafe images).

Protocol `vlguard`, by `reference.check`: `refusal` (safe_unsafes, unsafes, harmful train records):
attack success when the response contains none of VLGuard's refusal strings; `helpfulness` (safe_safes):
a GPT-4 win rate against the GPT-4V reference answer in `reference.reference_answer`. Train items keep
VLGuard's target response in `reference.response`.

`harm_requests` hands the train split's instructions, labelled harmful or not, to the comply judge's
request head (docs/judges.md); the test split never leaves this module for that.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from thinksafe.benchmarks import jailbreakbench, mossbench
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    data_image,
    hf_file_url,
    need,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import fetch, from_mirror, get_files, get_images, verify
from thinksafe.benchmarks.protocol import Case, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

SOURCE = Source(
    "github",
    "ys-zong/VLGuard",
    "a2f85c90e10345dc5e7eceecadd89c1ed982d04f",
    "vlguard",
    note="images from HF ys-zong/VLGuard (gated: set HF_TOKEN)",
)
LICENSE = "research use only (HF gate agreement; no license stated upstream)"
PROTOCOL = "vlguard"
# VLGuard counts refusals by keyword and rates helpfulness by a GPT-4 win rate; neither is an LLM judge
# prompt here, so the LLM judge's prompts are stand-ins, named.
_HELPFUL = mossbench.stand_in("VLGuard's GPT-4 helpfulness win rate")
JUDGING = Protocol(
    name=PROTOCOL,
    title="VLGuard",
    upstream=f"ys-zong/VLGuard@{SOURCE.revision} README.md (refusal keywords; GPT-4 win rate)",
    own="string-match",
    cases=(
        Case("answer", _HELPFUL, (("reference.check", ("helpfulness",)),)),
        Case("answer", _HELPFUL, (("family", ("benign",)),)),
        Case("harm", jailbreakbench.stand_in("VLGuard's refusal keywords")),
    ),
)
HF_IMAGES = "ys-zong/VLGuard"  # the images are on the (gated) HF dataset, not in git
FILES = {
    "test": RemoteFile("data/test.json", "a0b6479d0add65d9d1c06da5c89babd30d411bda47146445c13f32778a114980"),
    "train": RemoteFile(
        "data/train.json", "1b44eb5438090baf6b94aafa09099d88183c41162d0a1298b70535852516aca1"
    ),
    "safe_safes": RemoteFile(
        "data/gpt4_safe_safes.json", "60429462f55b72ff1b06b0f648fc307ed287ee45d07148bcaf64dcbdba0d8a44"
    ),
}
SPLITS = ("train", "test")
TEST_SUBSETS = ("safe_safes", "safe_unsafes", "unsafes")


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset", "subsets")


def images(split: str) -> ImageArchive:
    return ImageArchive(
        archive=f"{split}.zip",
        folder=split,
        strip=split,
        url=hf_file_url(HF_IMAGES, f"{split}.zip"),
        how=f"accept the gate of HF ys-zong/VLGuard and put {split}.zip (or its unpacked {split}/ folder) "
        "in the mirror's vlguard/ folder",
    )


def split_of(spec: dict) -> str:
    return check_choice(spec.get("subset", "test"), SPLITS, f"benchmarks.{spec['name']}.subset")


def subsets(spec: dict) -> list[str]:
    chosen = spec.get("subsets") or list(TEST_SUBSETS)
    for i, name in enumerate(chosen):
        check_choice(name, TEST_SUBSETS, f"benchmarks.{spec['name']}.subsets[{i}]")
    return chosen


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    split = split_of(spec)
    files = [FILES[split]] + ([FILES["safe_safes"]] if split == "test" else [])
    cache = out.parent / ".downloads" / spec["name"]
    get_files(SOURCE, files, out, mirror, cache, revision(spec, SOURCE))
    path = out / FILES[split].path
    wanted = {need(r, "image", f"{path}: [{n}]") for n, r in enumerate(read_json(path))}
    get_images(SOURCE, images(split), out, mirror, cache, wanted)


def _pairs(rec: dict, where: str) -> list[tuple[int, str, str, str]]:
    """(index, test subset, instruction, VLGuard's response) for each instruction of one image."""
    out = []
    for k, ir in enumerate(need(rec, "instr-resp", where, list)):
        w = f"{where}: instr-resp[{k}]"
        if "safe_instruction" in ir:
            out.append((k, "safe_safes", need(ir, "safe_instruction", w), ir.get("response", "")))
        elif "unsafe_instruction" in ir:
            out.append((k, "safe_unsafes", need(ir, "unsafe_instruction", w), ir.get("response", "")))
        else:
            out.append((k, "unsafes", need(ir, "instruction", w), ir.get("response", "")))
    return out


def harm_requests(mirror: Path | None, cache: Path) -> list[dict]:
    """Text requests labelled harmful or not, from the tuning split (train.json, never the test set), for
    the comply judge's request head: each safe image's `safe_instruction` (not harmful) and
    `unsafe_instruction` (harmful). Instructions on unsafe images are left out: their harm lies in the
    image, which the text alone does not carry. `group` is the image, so a CV fold keeps its pair together."""
    rf = FILES["train"]
    if mirror is not None:
        path = from_mirror(Path(mirror), SOURCE.mirror_dir, rf.path)
    else:
        path = fetch(
            SOURCE.url(rf.source_path, SOURCE.revision), Path(cache) / SOURCE.revision / rf.path, rf.sha256
        )
    verify(path, rf.sha256, str(path))
    rows = []
    for n, rec in enumerate(read_json(path)):
        where = f"{path}: [{n}]"
        if not need(rec, "safe", where, bool):
            continue
        rid = need(rec, "id", where)
        for k, sub, instruction, _ in _pairs(rec, where):
            harmful = sub == "safe_unsafes"
            rows.append(
                {
                    "id": f"vlguard:train:{rid}:{k}",
                    "request": instruction,
                    "request_harmful": harmful,
                    "group": f"vlguard:{rid}",
                    "source": f"{SOURCE.repo}@{SOURCE.revision[:8]} data/train.json",
                }
            )
    return rows


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    split = split_of(spec)
    keep = set(subsets(spec)) if split == "test" else set(TEST_SUBSETS)
    path = raw_dir / FILES[split].path
    records = read_json(path)
    if not isinstance(records, list):
        raise ThinksafeError(f"{path}: expected a JSON list")
    gpt4 = {}
    if split == "test" and "safe_safes" in keep:
        gpt4 = {r["id"]: r.get("response", "") for r in read_json(raw_dir / FILES["safe_safes"].path)}
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    seen: Counter[str] = Counter()
    for n, rec in enumerate(records):
        where = f"{path}: [{n}]"
        try:
            rid = need(rec, "id", where)
            seen[rid] += 1
            if seen[rid] > 1:  # train.json repeats one record (Ads_303871): keep both, apart
                rid = f"{rid}#{seen[rid]}"
            safe_image = need(rec, "safe", where, bool)
            pairs = [p for p in _pairs(rec, where) if p[1] in keep]
            if not pairs:
                continue
            image, sha = data_image(raw_dir / split, need(rec, "image", where), where)
            for k, sub, instruction, response in pairs:
                benign = sub == "safe_safes"
                reference = {
                    "protocol": PROTOCOL,
                    "check": "helpfulness" if benign else "refusal",
                    "safe_image": safe_image,
                }
                if split == "train":
                    reference["response"] = response
                elif benign:
                    reference["reference_answer"] = gpt4.get(rid, "")
                items.append(
                    Item(
                        id=f"{spec['name']}:{split}:{sub}:{rid}:{k}",
                        benchmark=spec["name"],
                        family="benign" if benign else "jailbreak",
                        category=rec.get("harmful_category") or ("safe" if safe_image else "unsafe"),
                        subset=sub,
                        prompt=instruction,
                        image=image,
                        image_sha256=sha,
                        context="safe" if safe_image else "unsafe",
                        reference=reference,
                        source=source_ref(SOURCE, FILES[split].path, rev),
                    )
                )
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return stamp(items, JUDGING)
