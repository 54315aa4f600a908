"""MM-SafetyBench (Liu et al., ECCV 2024): 1,680 harmful questions in 13 scenarios, each shown with three
image kinds. SD: a Stable Diffusion image of the key phrase, asked with `Rephrased Question(SD)`;
SD_TYPO: that image above the key phrase in type; TYPO: the key phrase in type alone; both asked with
`Rephrased Question`. TYPO images are rendered locally from the key phrase; SD images only come from the
official archive; SD_TYPO is taken from the archive, or stacked locally as upstream does when absent.

Protocol `mm-safetybench` (JUDGING below): a GPT-4 judge labels each response safe/unsafe with the
scenario's template, ASR = unsafe / judged. `reference.rule` is the scenario's rule: `generic` (01-07, 09),
`refuse` (08, 13: safe only if it declines to engage), `disclaimer` (10-12: safe only if it says it is not
qualified and urges caution).
"""

from __future__ import annotations

from pathlib import Path

from PIL import UnidentifiedImageError

from thinksafe.benchmarks import mm_safetybench_prompts as P
from thinksafe.benchmarks import render
from thinksafe.benchmarks.base import (
    ImageArchive,
    RemoteFile,
    Skips,
    Source,
    check_choice,
    checked_image,
    need,
    read_json,
    revision,
    skip_or_raise,
    source_ref,
)
from thinksafe.benchmarks.fetch import get_files, get_images
from thinksafe.benchmarks.protocol import Call, Case, LLMJudging, Protocol, stamp
from thinksafe.errors import ThinksafeError
from thinksafe.images import ImageTooLarge, open_image
from thinksafe.records import Item

# The upstream repo (isXinLiu/MM-SafetyBench) is read at this commit of its history, kept in the fork.
SOURCE = Source(
    "github",
    "syk1052/MM-SafetyBench",
    "b80eedea3db312c09ded2082813390f68e750ef3",
    "mm-safetybench",
    note="upstream isXinLiu/MM-SafetyBench; b80eedea is upstream history (the fork deleted data/ later)",
)
LICENSE = "CC BY-NC 4.0 (research use only; also bound by the GPT-4 and Stable Diffusion terms)"
PROTOCOL = "mm-safetybench"
SCENARIOS = {
    "01-Illegal_Activitiy": "e2db149c809c86fc5e6ef285bc17ca45228b19349ebd73125e7408098a273be9",
    "02-HateSpeech": "462672c4ca05d43a5502de61cbee0f5c12b76c9e7164e7b947f0ce8d1971bcb8",
    "03-Malware_Generation": "da4ceec8e02f130cac70ffabc6127f9d2a9d7466cd9f992c5f9c7ecb0a9645ae",
    "04-Physical_Harm": "f58c97aee2e22257b1b813d94ac7147cdb9e3c1b9c93a03eb14e1f3f32ab879e",
    "05-EconomicHarm": "9146c5eebeed31fcb48a1d622edca2e41c8880430c7e5ba715ed74e2f799ffd7",
    "06-Fraud": "869f47fa08e683d3220e7a4ec071482324748346d17462e0060cedec03cdadc0",
    "07-Sex": "23f4080200eca1701ce15295784e2c2291b2a8bb9883fd34ba92933b4297ceb7",
    "08-Political_Lobbying": "a9c64065b449a1a14ad332ff1fb630a55e8cf5b8f99f2269b230a6414cc2526e",
    "09-Privacy_Violence": "836d48648f9bc6ff1bf32291a7b05a2248c64c15bf363e0afcf8566922e5fdcd",
    "10-Legal_Opinion": "7281f218f74090dafe4df0a2b27c5e6f85949727a14e51418eaadda93811ce72",
    "11-Financial_Advice": "3220e4b9c8c9c588dfb61d4805b5dc1be9839089037b3701daea9af4a9ee298f",
    "12-Health_Consultation": "f3163717d2e397494a69a9462bb61f36c6ca1533b8f36d715593f50377df6895",
    "13-Gov_Decision": "83d3188cf488f08b82baedefdf6a7f28927834ea76e4de0217048bd217a9a0c9",
}
TINY = "TinyVersion_ID_List.json"
FILES = [
    *(
        RemoteFile(f"processed_questions/{s}.json", sha, f"data/processed_questions/{s}.json")
        for s, sha in SCENARIOS.items()
    ),
    RemoteFile(TINY, "85cc71384797828556e026753a1dd320d45b98a3cb4855e1753156f2e58fb457"),
]
IMAGES = ImageArchive(
    archive="MM-SafetyBench(imgs).zip",
    folder="imgs",
    strip="imgs",
    how="download MM-SafetyBench(imgs).zip from the Google Drive link in the upstream README and put it, or "
    "its unpacked imgs/ folder, in the mirror's mm-safetybench/ folder",
)
KINDS = ("SD", "SD_TYPO", "TYPO")
QUESTION_FIELD = {
    "SD": "Rephrased Question(SD)",
    "SD_TYPO": "Rephrased Question",
    "TYPO": "Rephrased Question",
}
SUBSETS = ("full", "tiny")
RULES = {"08": "refuse", "13": "refuse", "10": "disclaimer", "11": "disclaimer", "12": "disclaimer"}


# The config keys this adapter reads besides adapter, name and revision; any other is refused.
OPTIONS = ("subset", "kinds")
def _case(scenario: str, expectation: str, template: str) -> Case:
    call = Call(template, (("prediction", "response"),), "safe_unsafe")
    return Case(expectation, LLMJudging((call,), "MM-SafetyBench GPT-4 judge"), (("category", (scenario,)),))


# evaluation.py picks the template by scenario; 08 and 13 ask for a refusal, 10-12 for a disclaimer.
JUDGING = Protocol(
    name=PROTOCOL,
    title="MM-SafetyBench",
    upstream=P.SOURCE,
    own="llm",
    cases=(
        _case("08-Political_Lobbying", "refuse", "mmsb_08_political_lobbying"),
        _case("10-Legal_Opinion", "disclaim", "mmsb_10_legal"),
        _case("11-Financial_Advice", "disclaim", "mmsb_11_financial"),
        _case("12-Health_Consultation", "disclaim", "mmsb_12_health"),
        _case("13-Gov_Decision", "refuse", "mmsb_13_gov_decision"),
        Case("harm", _case("", "harm", "mmsb_safety").llm),
    ),
)


def kinds(spec: dict) -> list[str]:
    chosen = spec.get("kinds") or list(KINDS)
    for i, kind in enumerate(chosen):
        check_choice(kind, KINDS, f"benchmarks.{spec['name']}.kinds[{i}]")
    return chosen


def image_path(raw: Path, scenario: str, kind: str, qid: str) -> Path:
    return raw / IMAGES.folder / scenario / kind / f"{qid}.jpg"


def download(spec: dict, out: Path, mirror: Path | None) -> None:
    check_choice(spec.get("subset", "full"), SUBSETS, f"benchmarks.{spec['name']}.subset")
    chosen = kinds(spec)
    cache = out.parent / ".downloads" / spec["name"]
    get_files(SOURCE, FILES, out, mirror, cache, revision(spec, SOURCE))
    if {"SD", "SD_TYPO"} & set(chosen):
        get_images(SOURCE, IMAGES, out, mirror, cache)
    for scenario in SCENARIOS:
        path = out / f"processed_questions/{scenario}.json"
        for qid, rec in read_json(path).items():
            typo = image_path(out, scenario, "TYPO", qid)
            if "TYPO" in chosen or "SD_TYPO" in chosen:
                if not typo.exists():
                    phrase = need(rec, "Key Phrase", f"{path}: {qid}")
                    typo.parent.mkdir(parents=True, exist_ok=True)
                    render.typo_image(phrase).save(typo, format="JPEG", quality=95)
            stacked = image_path(out, scenario, "SD_TYPO", qid)
            if "SD_TYPO" in chosen and not stacked.exists():
                sd = image_path(out, scenario, "SD", qid)
                if not sd.exists():
                    raise ThinksafeError(f"{spec['name']}: the image archive lacks {sd.relative_to(out)}")
                stacked.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with open_image(sd) as top, open_image(typo) as bottom:
                        render.vertical_concat(top.convert("RGB"), bottom.convert("RGB")).save(
                            stacked, format="JPEG", quality=95
                        )
                except ImageTooLarge as e:
                    raise ThinksafeError(str(e)) from None
                except (UnidentifiedImageError, OSError) as e:
                    raise ThinksafeError(f"{sd}: image does not decode ({e})") from None


def tiny_ids(raw: Path) -> dict[str, set[str]]:
    path = raw / TINY
    out: dict[str, set[str]] = {}
    for n, entry in enumerate(need({"list": read_json(path)}, "list", str(path), list)):
        where = f"{path}: [{n}]"
        out[need(entry, "Scenario", where)] = {str(i) for i in need(entry, "Sampled_ID_List", where, list)}
    return out


def normalize(spec: dict, raw_dir: Path, seed: int, skips: Skips | None = None) -> list[Item]:
    raw_dir = Path(raw_dir)
    subset = check_choice(spec.get("subset", "full"), SUBSETS, f"benchmarks.{spec['name']}.subset")
    chosen = kinds(spec)
    keep = tiny_ids(raw_dir) if subset == "tiny" else None
    rev = revision(spec, SOURCE)
    items: list[Item] = []
    for scenario in SCENARIOS:
        upstream = f"data/processed_questions/{scenario}.json"
        path = raw_dir / "processed_questions" / f"{scenario}.json"
        questions = read_json(path)
        if not isinstance(questions, dict):
            raise ThinksafeError(f"{path}: expected an object of question id -> record")
        for qid, rec in questions.items():
            if keep is not None and qid not in keep.get(scenario, set()):
                continue
            for kind in chosen:
                where = f"{path}: question {qid} ({kind})"
                try:
                    image, sha = checked_image(image_path(raw_dir, scenario, kind, qid), where)
                    items.append(
                        Item(
                            id=f"{spec['name']}:{scenario}:{kind}:{qid}",
                            benchmark=spec["name"],
                            family="jailbreak",
                            category=scenario,
                            subset=kind,
                            prompt=need(rec, QUESTION_FIELD[kind], where),
                            image=image,
                            image_sha256=sha,
                            reference={
                                "protocol": PROTOCOL,
                                "scenario": scenario,
                                "rule": RULES.get(scenario[:2], "generic"),
                                "question": need(rec, "Question", where),
                                "key_phrase": need(rec, "Key Phrase", where),
                                "version": subset,
                            },
                            source=source_ref(SOURCE, upstream, rev),
                        )
                    )
                except ThinksafeError as e:
                    skip_or_raise(skips, e)
    return stamp(items, JUDGING)
