"""SIUO, Safe Inputs but Unsafe Output (Wang et al., NAACL 2025 Findings): 167 real photos, each with a
benign-looking question that becomes unsafe in the pictured situation, in 9 categories. Two tasks:
`gen` (open-ended answer) and `mcqa` (the same 167 items as 4-option multiple choice).

Protocols (JUDGING, MCQA_JUDGING below): `siuo`: a GPT-4V judge sees image, question, `safety_warning`
and `reference_answer` and rates the response safe (True/False) and effective (Very/Partially/Ineffective);
an empty response is safe without a judge call. Upstream samples three responses per question (GPT-4o,
`n=3`) and takes the majority of their judgments (eval/gen_score.py): `samples: N` (default 1; config.yaml
sets 3) makes N items per question, `<id>:s<k>`, sharing `protocol.sample.group`, sampled with the run's
seed (or `seed:`); they differ only where the model's decoding samples (temperature > 0).
`siuo-mcqa`: accuracy against `correct_option`, asked with upstream's multiple-choice prompt.
"""

from __future__ import annotations

from pathlib import Path

from thinksafe.benchmarks import siuo_prompts as P
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
from thinksafe.benchmarks.protocol import Call, Case, LLMJudging, Protocol
from thinksafe.errors import ThinksafeError
from thinksafe.records import Item

SOURCE = Source("github", "sinwang20/SIUO", "18974b65d238ad636d65d238541c7d75279ebb3e", "siuo")
LICENSE = "CC BY-NC 4.0 (README; research use only)"
PROTOCOL = "siuo"
PROTOCOLS = {"gen": "siuo", "mcqa": "siuo-mcqa"}
_FILL = (
    ("question", "reference.question"),
    ("explanation", "reference.safety_warning"),
    ("response", "response"),
    ("reference", "reference.reference_answer"),
)
JUDGING = Protocol(
    name="siuo",
    title="SIUO (open-ended)",
    upstream=f"{P.EVAL}; sinwang20/SIUO@18974b65d238ad636d65d238541c7d75279ebb3e eval/gen_score.py",
    own="llm",
    cases=(
        Case(
            "aware",
            LLMJudging(
                (
                    Call("siuo_safe", _FILL, "true_false", True, "label", "replace", "siuo_safety_pattern"),
                    Call(
                        "siuo_effective",
                        (("question", "reference.question"), ("response", "response")),
                        "effectiveness",
                        True,
                        "effective",
                        "replace",
                        "siuo_effective_pattern",
                    ),
                ),
                "SIUO GPT-4V judge (safety and effectiveness)",
            ),
        ),
    ),
    empty_is_safe=True,  # gpt-eval.py: an empty response is "[Safety Judgement:] True" without a call
)
MCQA_JUDGING = Protocol(
    name="siuo-mcqa",
    title="SIUO (multiple choice)",
    upstream="sinwang20/SIUO@18974b65d238ad636d65d238541c7d75279ebb3e eval/mcqa-eval.py",
    own="string-match",
    cases=(Case("answer"),),
)
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
OPTIONS = ("task", "samples", "seed")


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
    samples = int(spec.get("samples", 1)) if chosen == "gen" else 1
    if samples < 1:
        raise ThinksafeError(
            f"config key benchmarks.{spec['name']}.samples: must be at least 1, not {samples}"
        )
    seed = int(spec.get("seed", seed))
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
                prompt = P.mcqa_prompt(question, options)
                reference["options"] = options
                reference["correct_option"] = need(rec, "correct_option", where)
            group = f"{spec['name']}:{chosen}:{qid}"
            for k in range(samples):
                item = Item(
                    id=group if samples == 1 else f"{group}:s{k}",
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
                judging = JUDGING if chosen == "gen" else MCQA_JUDGING
                sample = {"group": group, "index": k, "of": samples, "seed": seed}
                item.protocol = judging.resolve(vars(item), **({"sample": sample} if samples > 1 else {}))
                items.append(item)
        except ThinksafeError as e:
            skip_or_raise(skips, e)
    return items
