"""Human-labelled judge-validation rows in the audit's one schema, and the two upstream sets read into it.

The schema (docs/judges.md, "Audit data"), one row per judged response, as UTF-8 CSV columns or JSONL keys:

    request           what was asked (the behaviour or question)                    required
    response          the text judged                                              required
    human_label       safe | unsafe: the human majority or adjudicated label       required
    expectation       harm (complying is unsafe, default) | answer (not answering is unsafe)
    id                a row id (default: row-<n>, the row's number)
    annotator_1 …     each annotator's safe | unsafe
    jailbreak_prompt  the prompt actually sent, when it wrapped the request
    image_description what the image shows, for multimodal rows
    source            where the row comes from (the model that wrote it, a subset)
    request_harmful   true | false: whether the request itself is harmful, when the set says so
    judge:<name>      a published judge's safe | unsafe on the same row

Four upstream sets convert into it (each checked against real upstream files in tests):
- JailbreakBench judge-comparison (HF JailbreakBench/JBB-Behaviors, config judge_comparison; MIT): 300
  responses to harmful behaviours, human_majority 1 (jailbroken) is `unsafe`. It ships with the package as
  judges/validation/jbb-judge-comparison.jsonl (see NOTICE there).
- XSTest v2 completions (GitHub paul-rottger/exaggerated-safety @ d7bb5bd7, model_completions/): 2,250
  responses. Prompts whose type starts with `contrast_` are unsafe requests (`harm`: full compliance is
  unsafe); the others are safe requests that only look unsafe (`answer`: anything but full compliance is
  an over-refusal, unsafe). A partial refusal is not full compliance on either side. The completions carry
  the licenses of the models that wrote them, so they are not shipped: they are fetched pinned (XSTEST).
- HarmBench's classifier validation sets, `harmbench-text` (602) and `harmbench-multimodal` (220)
  (GitHub centerforaisafety/HarmBench, MIT): three annotators, majority `unsafe` when the behaviour was
  exhibited; fetched pinned, converted by `from_harmbench` (judges/harmbench_val.py says how).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from thinksafe.errors import ThinksafeError, located
from thinksafe.judges import harmbench_val
from thinksafe.judges.harmbench_val import from_harmbench

__all__ = ["from_harmbench", "from_jbb", "from_xstest", "load", "load_set"]

LABELS = ("safe", "unsafe")
EXPECTATIONS = ("harm", "answer")
REQUIRED = ("request", "response", "human_label")
OPTIONAL = ("id", "expectation", "jailbreak_prompt", "image_description", "source")
SHIPPED_DIR = Path(__file__).parent / "validation"
SHIPPED = {"jbb-judge-comparison": SHIPPED_DIR / "jbb-judge-comparison.jsonl"}

# XSTest v2, pinned: GitHub paul-rottger/exaggerated-safety, commit below, sha256 of the shared copies.
XSTEST_REPO = "paul-rottger/exaggerated-safety"
XSTEST_COMMIT = "d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d"
XSTEST_MIRROR_DIR = "judge-validation/xstest-v2"
XSTEST_FILES = {  # model_completions/<name>: sha256
    # fmt: off
    "xstest_v2_completions_gpt4.csv": "71af323af8ecdec0efae23992317721441d2cfedddedeef3248f842f4e15c9ca",
    "xstest_v2_completions_llama2new.csv": "6365cc55ce0a593c7ab8785853d02784be027d97199d4077912b4313cd010099",  # noqa: E501
    "xstest_v2_completions_llama2orig.csv": "cbc52550e8ba8197a3e3d97a5af078d27bae4766737cd62df80270126a87ffc6",  # noqa: E501
    "xstest_v2_completions_mistralguard.csv": "0ac03817b65e019a8f5b4b3eed805086f9f7fafe538ac9ebd156f80210af6903",  # noqa: E501
    "xstest_v2_completions_mistralinstruct.csv": "6a146b65a5b96ec8249729bc2db459697175125998d7cbbcc88f7688ecf31dad",  # noqa: E501
    # fmt: on
}
XSTEST_URL = "https://raw.githubusercontent.com/{repo}/{commit}/model_completions/{name}"
XSTEST_COMPLIANCE = "1_full_compliance"
XSTEST_LABELS = ("1_full_compliance", "2_full_refusal", "3_partial_refusal")
JBB_PUBLISHED = {
    "harmbench_cf": "harmbench-cls",
    "gpt4_cf": "gpt-4-jbb",
    "llamaguard2_cf": "llama-guard-2",
    "llama3_cf": "llama-3-70b-jbb",
}
PUBLISHED_TITLES = {
    "harmbench-cls": "HarmBench classifier",
    "gpt-4-jbb": "GPT-4 (JailbreakBench prompt)",
    "llama-guard-2": "Llama Guard 2",
    "llama-3-70b-jbb": "Llama-3-70B (JailbreakBench prompt)",
    **harmbench_val.TITLES,
}
PINNED_SETS = ("xstest-v2", *harmbench_val.SETS)  # fetched pinned (--mirror or download), never shipped
NAMED_SETS = (*SHIPPED, *PINNED_SETS)
DOWNLOADS = Path("data/raw/.downloads")


# -- the schema ------------------------------------------------------------------------------------
def check_row(row: dict, path: object, line: int) -> dict:
    """One row in the schema, its keys and labels checked; an error names file, line and key."""
    for key in REQUIRED:
        if not isinstance(row.get(key), str) or (key != "response" and not row[key].strip()):
            raise located(path, "missing or empty (a string is required)", line=line, key=key)
    out = {k: row[k] for k in REQUIRED}
    out["id"] = str(row.get("id") or "")  # load() numbers the rows that have none
    out["line"] = line
    for key in OPTIONAL[1:]:
        value = row.get(key)
        if value not in (None, ""):
            out[key] = str(value)
    out.setdefault("expectation", "harm")
    harmful = row.get("request_harmful")
    if harmful not in (None, ""):
        if str(harmful).lower() not in ("true", "false"):
            raise located(path, f"must be true or false, not {harmful!r}", line=line, key="request_harmful")
        out["request_harmful"] = str(harmful).lower() == "true"
    if out["expectation"] not in EXPECTATIONS:
        raise located(
            path, f"must be one of {EXPECTATIONS}, not {out['expectation']!r}", line=line, key="expectation"
        )
    for key, value in row.items():
        if key == "human_label" or key.startswith(("annotator_", "judge:")):
            if value in (None, "") and key != "human_label":
                continue
            if value not in LABELS:
                raise located(path, f"must be safe or unsafe, not {value!r}", line=line, key=key)
            out[key] = value
    return out


def load(path: str | Path, encoding: str = "utf-8") -> list[dict]:
    """Rows of a CSV (header line) or JSONL file in the schema; a name in SHIPPED reads the shipped copy."""
    path = SHIPPED.get(str(path), Path(path))
    if not path.is_file():
        raise located(path, "file not found")
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as e:
        line = path.read_bytes()[: e.start].count(b"\n") + 1
        raise located(
            path, f"not {encoding} ({e.reason}); pass --encoding (e.g. mac_roman)", line=line
        ) from None
    except LookupError:
        raise ThinksafeError(f"--encoding: unknown encoding {encoding!r}") from None
    if path.suffix == ".jsonl":
        raw = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    raw.append((n, json.loads(line)))
                except json.JSONDecodeError as e:
                    raise located(path, f"malformed JSON ({e.msg})", line=n) from None
    elif path.suffix == ".csv":
        reader = csv.DictReader(text.splitlines(keepends=True))
        raw = [(reader.line_num, r) for r in reader]
    else:
        raise located(path, "audit data must be .csv or .jsonl")
    rows = [check_row(r, path, n) for n, r in raw if isinstance(r, dict) or _not_object(path, n)]
    if not rows:
        raise located(path, "no rows")
    for k, r in enumerate(rows, 1):
        r["id"] = r["id"] or f"row-{k}"
    return rows


def _not_object(path: object, line: int) -> bool:
    raise located(path, "each line must be a JSON object", line=line)


def content_sha256(rows: list[dict]) -> str:
    """What a head was fit on, by content: request, response and label of every row, order-free."""
    import hashlib

    keys = sorted(
        hashlib.sha256(json.dumps([r["request"], r["response"], r["human_label"]]).encode()).hexdigest()
        for r in rows
    )
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()


def row_sha256(row: dict) -> str:
    import hashlib

    return hashlib.sha256(
        json.dumps([row["request"], row["response"], row["human_label"]]).encode()
    ).hexdigest()


def request_sha256(request: str) -> str:
    """A request by content, case and outer spaces aside (how leakage between sets is checked)."""
    import hashlib

    return hashlib.sha256(request.strip().lower().encode()).hexdigest()


def fitted(meta: dict, rows: list[dict]) -> list[bool]:
    """Which rows a learned part saw, by its head file's meta: the row itself (`fit_rows`), or its request
    (`fit_requests`: a head that learns from requests has seen every response's request)."""
    seen = set(meta.get("fit_rows", []))
    asked = set(meta.get("fit_requests", []))
    return [row_sha256(r)[:16] in seen or request_sha256(r["request"])[:16] in asked for r in rows]


# -- upstream sets ---------------------------------------------------------------------------------
def from_jbb(path: str | Path, encoding: str = "mac_roman") -> list[dict]:
    """The JailbreakBench judge-comparison CSV (columns Index, goal, prompt, target_response, human1..3,
    human_majority, *_cf) in the schema. The shared copy is Mac-Roman (its SOURCE.md)."""
    path = Path(path)
    with path.open(encoding=encoding, newline="") as f:
        reader = csv.DictReader(f)
        out = []
        for row in reader:
            if row.get("human_majority") not in ("0", "1"):
                raise located(
                    path,
                    f"must be 0 or 1, not {row.get('human_majority')!r}",
                    line=reader.line_num,
                    key="human_majority",
                )
            label = {"0": "safe", "1": "unsafe"}
            rec = {
                "id": f"jbb-{row['Index']}",
                "request": row["goal"],
                "response": row["target_response"],
                "human_label": label[row["human_majority"]],
                "expectation": "harm",
                "jailbreak_prompt": row["prompt"],
                "source": "jbb-judge-comparison",
            }
            for k in ("human1", "human2", "human3"):
                if row.get(k) in label:
                    rec[f"annotator_{k[-1]}"] = label[row[k]]
            for column, name in JBB_PUBLISHED.items():
                if row.get(column) in label:
                    rec[f"judge:{name}"] = label[row[column]]
            out.append(rec)
    return out


def xstest_label(annotation: str, expectation: str) -> str:
    complied = annotation == XSTEST_COMPLIANCE
    return ("unsafe" if complied else "safe") if expectation == "harm" else ("safe" if complied else "unsafe")


def from_xstest(path: str | Path) -> list[dict]:
    """One XSTest v2 completions CSV (id, type, prompt, completion, annotation_1, annotation_2, agreement,
    final_label) in the schema; `source` is the model named in the file name."""
    path = Path(path)
    model = path.stem.removeprefix("xstest_v2_completions_")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        out = []
        for row in reader:
            for key in ("annotation_1", "annotation_2", "final_label"):
                if row.get(key) not in XSTEST_LABELS:
                    raise located(path, f"unknown label {row.get(key)!r}", line=reader.line_num, key=key)
            how = "harm" if row["type"].startswith("contrast_") else "answer"
            out.append(
                {
                    "id": f"xstest-{model}-{row['id']}",
                    "request": row["prompt"],
                    "response": row["completion"],
                    "human_label": xstest_label(row["final_label"], how),
                    "expectation": how,
                    "annotator_1": xstest_label(row["annotation_1"], how),
                    "annotator_2": xstest_label(row["annotation_2"], how),
                    "source": f"xstest-{model}",
                    "request_harmful": how == "harm",
                }
            )
    return out


def pinned_file(
    mirror: Path | None, folder: str, rel: str, url: str, cache: Path, accepted: tuple[str, ...]
) -> Path:
    """One pinned file, verified: `mirror/folder/rel` when a mirror is given, else downloaded once (checked
    against the first accepted sha256) to `cache/rel`. A missing or changed file is one error naming it."""
    from thinksafe.benchmarks.fetch import fetch
    from thinksafe.records import sha256_file

    if mirror is not None:
        path = Path(mirror) / folder / rel
        if not path.is_file():
            raise ThinksafeError(f"mirror {mirror} lacks {folder}/{rel}")
    else:
        path = fetch(url, Path(cache) / rel, accepted[0])
    actual = sha256_file(path)
    if actual not in accepted:
        raise ThinksafeError(f"{path}: checksum mismatch (sha256 {actual}, expected {' or '.join(accepted)})")
    return path


def xstest_files(mirror: Path | None, cache: Path) -> list[Path]:
    """The five completion files, verified: from `mirror/judge-validation/xstest-v2/` when given, else
    downloaded once at the pinned commit into `cache`."""
    return [
        pinned_file(
            mirror,
            XSTEST_MIRROR_DIR,
            name,
            XSTEST_URL.format(repo=XSTEST_REPO, commit=XSTEST_COMMIT, name=name),
            Path(cache) / XSTEST_COMMIT[:12],
            (sha,),
        )
        for name, sha in XSTEST_FILES.items()
    ]


def load_set(name: str, mirror: Path | None = None, cache: Path | None = None) -> list[dict]:
    """A named set (`jbb-judge-comparison`, shipped; `xstest-v2`, `harmbench-text`,
    `harmbench-multimodal`, pinned) or a file in the schema."""
    if name == "xstest-v2":
        return [r for path in xstest_files(mirror, cache or DOWNLOADS / name) for r in from_xstest(path)]
    if name in harmbench_val.SETS:
        return harmbench_val.load(name, mirror, cache or DOWNLOADS / "harmbench")
    return load(name)


def write_jsonl(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({k: v for k, v in r.items() if k != "line"}, ensure_ascii=False) + "\n")
