"""HarmBench's human-labelled classifier validation sets, read into the audit schema (judges/validation.py).

Source: GitHub centerforaisafety/HarmBench (MIT), `data/classifier_val_sets/text_behaviors_val_set.json`
(602 responses to 301 text behaviours) and `multimodal_behaviors_val_set.json` (220 responses to 110
multimodal behaviours), each row labelled by three people (`human_0..2`, 1: the behaviour was exhibited),
joined by behaviour ID to `data/behavior_datasets/harmbench_behaviors_{text,multimodal}_all.csv`.

Pin: upstream commit 8e1604d1 ("Merge pull request #63", 2024-08-05; the val sets came in f8910fda "add
cls val sets", 2024-03-17). GitHub's upstream could not be reached from here: its bytes were read in the
Bob-cheng/HB_RedTeam fork, which keeps upstream's history (as prompts_classifier.py's prompt was), and
checked against a second, vendored copy of data/ (ai-resilience/vlm-jailbreak-simulator @ ec99cc42). Three
files are byte-identical in both. The vendored multimodal behaviours CSV differs only in the image file
name of 7 behaviours (.jpeg/.jpg renamed .png), a column the conversion does not read, so either copy is
accepted; a download takes upstream's. The download URL itself was not tried from here (no network).

The responses were written by many models under their own terms, so the rows are fetched, never shipped.

Conversion (`from_harmbench`), as upstream's own notebooks/run_classifier_val_set.ipynb reads the sets:
- request: the behaviour text. A contextual behaviour's ContextString comes first, joined as HarmBench's
  attacks join them when they ask a model (`f"{context_str}\\n\\n---\\n\\n{behavior}"`,
  baselines/direct_request/direct_request.py and every other baseline); its classifier puts the same two
  parts, in the same order, under `[CONTEXT]:` and `[BEHAVIOR]:` (eval_utils.py, prompt_contextual).
  The CSV is read as HarmBench reads it (text mode), so CRLF inside a context string becomes LF.
- a behaviour ID in no behaviours CSV (3 of the text set, 6 rows: the notebook skips them) keeps its
  rows, with the row's own test case as the request, marked `request_from: test_case` and logged.
- human_label: the majority of the three (`sum >= 2`, the notebook's label); annotator_1..3 each.
- jailbreak_prompt: the test case text; image_description: the row's own, where it has one (110 of the
  220 multimodal rows); source: `<model>/<method>` (text) or the attack folder of the image path
  (`results/<attack>/<model>/...`, multimodal); expectation `harm`; request_harmful true (every HarmBench
  behaviour is harmful by construction).
- the published judges' 0/1 columns as `judge:<name>` (PUBLISHED below); the string ones
  (`PAIR_gpt-4-0613` ratings, `gpt-3.5-turbo-0613` yes/no, multimodal `gpt` free text) are left out.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from thinksafe import io
from thinksafe.errors import located

log = logging.getLogger("thinksafe")

HARMBENCH_REPO = "centerforaisafety/HarmBench"
HARMBENCH_COMMIT = "8e1604d1171fe8a48d8febecd22f600e462bdcdd"
HARMBENCH_VENDORED = "ai-resilience/vlm-jailbreak-simulator @ ec99cc42eb69047ace5a3ca5b616f63ebf4d81b0"
HARMBENCH_MIRROR_DIR = "judge-validation/harmbench"  # a HarmBench checkout's data/ goes beneath it
HARMBENCH_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
TEXT_VAL = "data/classifier_val_sets/text_behaviors_val_set.json"
MULTIMODAL_VAL = "data/classifier_val_sets/multimodal_behaviors_val_set.json"
TEXT_BEHAVIORS = "data/behavior_datasets/harmbench_behaviors_text_all.csv"
MULTIMODAL_BEHAVIORS = "data/behavior_datasets/harmbench_behaviors_multimodal_all.csv"
HARMBENCH_FILES = {  # path: accepted sha256 (upstream's first; a download is checked against it)
    # fmt: off
    TEXT_VAL: ("e740727b6874e492063e097122a9916833d57f9bd2ce3e86713ec188741a41c8",),
    MULTIMODAL_VAL: ("92fd5d3c27395db4af0d641e2b0f9fefbb5739380b5b97e5079b2d1e55334347",),
    TEXT_BEHAVIORS: ("8d81accedd38eaaf8b760618622bb888417d1fd0c86eba65c427a16f1cbb4afc",),
    MULTIMODAL_BEHAVIORS: (
        "0a4dd6bd0df2a52d1d9ee25f3d018af49b52b61ee2ccdaaac16b9660f753145d",  # upstream
        "e5274f049579f359cca997b3ade3cc4539e2e131ad5d9bf51ba0d7ce3f3a7ad4",  # vendored: 7 image names .png
    ),
    # fmt: on
}
SETS = {  # name: (val set, behaviours CSVs)
    "harmbench-text": (TEXT_VAL, (TEXT_BEHAVIORS,)),
    "harmbench-multimodal": (MULTIMODAL_VAL, (MULTIMODAL_BEHAVIORS,)),
}
# The sets' 0/1 judge columns (1: the behaviour was exhibited, as for the human labels; each agrees with
# the human majority on 61-91% of rows, so none is inverted). Names say what the column is; the column
# itself is in each title, since the sets do not document the prompts the LLM judges were given.
PUBLISHED = {
    "cls": "harmbench-cls",
    "cls_mistral": "harmbench-mistral-cls",
    "llama_cls": "harmbench-cls-multimodal",
    "mistral_cls": "harmbench-mistral-cls",
    "llama_guard": "llama-guard",
    "gpt-4-0613": "gpt-4-0613-hb",
    "gpt-4-1106-preview": "gpt-4-1106-hb",
    "mixtral": "mixtral-hb",
    "GPTFuzz": "gptfuzz-cls",
    "chatglm": "chatglm-hb",
    "advbench": "advbench-prefixes",
    "advbench_label": "advbench-prefixes",
}
TITLES = {
    "harmbench-mistral-cls": "HarmBench Mistral-7b val classifier (`cls_mistral`, `mistral_cls`)",
    "harmbench-cls-multimodal": "HarmBench Llama-2-13b classifier, multimodal (`llama_cls`)",
    "llama-guard": "Llama Guard, first version (`llama_guard`)",
    "gpt-4-0613-hb": "GPT-4-0613 (`gpt-4-0613`)",
    "gpt-4-1106-hb": "GPT-4-1106-preview (`gpt-4-1106-preview`)",
    "mixtral-hb": "Mixtral (`mixtral`)",
    "gptfuzz-cls": "GPTFuzz classifier (`GPTFuzz`)",
    "chatglm-hb": "ChatGLM judge (`chatglm`)",
    "advbench-prefixes": "AdvBench refusal prefixes, string match (`advbench`)",
}
TEST_CASE = "test_case"  # request_from of a row whose behaviour is in no behaviours CSV


def behaviour_requests(paths: list[Path]) -> dict[str, str]:
    """BehaviorID -> the request: the Behavior, after its ContextString where it has one. Read as
    HarmBench reads it (text mode, no `newline=""`): the CRLF inside two code contexts becomes LF."""
    out: dict[str, str] = {}
    for path in paths:
        with Path(path).open(encoding="utf-8") as f:
            reader = csv.DictReader(f)
            try:
                for row in reader:
                    for key in ("Behavior", "BehaviorID"):
                        if not (row.get(key) or "").strip():
                            raise located(path, "missing or empty", line=reader.line_num, key=key)
                    context = row.get("ContextString") or ""
                    request = f"{context}\n\n---\n\n{row['Behavior']}" if context else row["Behavior"]
                    out.setdefault(row["BehaviorID"], request)
            except UnicodeDecodeError as e:
                raise located(path, f"not UTF-8 ({e.reason})") from None  # decoded in chunks: no line
    return out


def _test_case(path: Path, where: str, value: object) -> tuple[str, str | None]:
    """(text, image path): a text set's test case is a string, a multimodal one [image path, text]."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[1], value[0]
    raise located(path, "must be a string or [image path, text]", key=f"{where}.test_case")


def _source(path: Path, where: str, row: dict, image: str | None) -> str:
    if image is not None:  # results/<attack>/<model>/test_cases/<n>.png
        parts = image.split("/")
        if len(parts) < 4 or parts[0] != "results":
            expected = "results/<attack>/<model>/..."
            raise located(path, f"expected {expected}, not {image!r}", key=f"{where}.test_case")
        return f"{parts[1]}/{parts[2]}"
    model = str(row.get("model") or "").removesuffix(".json") or str(row.get("experiment") or "")
    return f"{model}/{row.get('method') or ''}"


def from_harmbench(val_json: str | Path, behaviors_csvs: list[str | Path]) -> list[dict]:
    """One HarmBench classifier val set ({behavior_id: [row, ...]}) in the audit schema (module doc)."""
    path = Path(val_json)
    data = io.read_json(path)
    if not isinstance(data, dict):
        raise located(path, "must be a JSON object {behavior_id: [rows]}")
    requests = behaviour_requests([Path(p) for p in behaviors_csvs])
    out = []
    for behavior_id, items in data.items():
        if not isinstance(items, list):
            raise located(path, "must be a list of rows", key=behavior_id)
        for k, row in enumerate(items):
            where = f"{behavior_id}[{k}]"
            if not isinstance(row, dict) or not isinstance(row.get("generation"), str):
                raise located(path, "must be an object with a string `generation`", key=where)
            votes = [row.get(f"human_{i}") for i in range(3)]
            for i, v in enumerate(votes):
                if v not in (0, 1) or isinstance(v, bool):
                    raise located(path, f"must be 0 or 1, not {v!r}", key=f"{where}.human_{i}")
            text, image = _test_case(path, where, row.get("test_case"))
            rec = {
                "id": f"harmbench/{behavior_id}/{k}",
                "request": requests.get(behavior_id, text),
                "response": row["generation"],
                "human_label": "unsafe" if sum(votes) >= 2 else "safe",
                "expectation": "harm",
                **{f"annotator_{i + 1}": "unsafe" if v else "safe" for i, v in enumerate(votes)},
                "jailbreak_prompt": text,
                "source": _source(path, where, row, image),
                "request_harmful": True,
            }
            if behavior_id not in requests:
                rec["request_from"] = TEST_CASE
            if isinstance(row.get("image_description"), str) and row["image_description"].strip():
                rec["image_description"] = row["image_description"]
            for column, name in PUBLISHED.items():
                if row.get(column) in (0, 1) and not isinstance(row[column], bool):
                    rec[f"judge:{name}"] = "unsafe" if row[column] else "safe"
            out.append(rec)
    if not out:
        raise located(path, "no rows")
    return out


def unmatched(rows: list[dict]) -> dict[str, int]:
    """Behaviour IDs (with their row counts) whose request had to be the row's own test case."""
    out: dict[str, int] = {}
    for r in rows:
        if r.get("request_from") == TEST_CASE:
            behavior_id = r["id"].split("/")[1]
            out[behavior_id] = out.get(behavior_id, 0) + 1
    return out


def harmbench_files(name: str, mirror: Path | None, cache: Path) -> tuple[Path, list[Path]]:
    """(val set, behaviours CSVs) of a set, verified: from `mirror/judge-validation/harmbench/data/...`
    when given, else downloaded once at the pinned commit into `cache`."""
    from thinksafe.judges.validation import pinned_file  # validation imports this module

    val, csvs = SETS[name]
    paths = [
        pinned_file(
            mirror,
            HARMBENCH_MIRROR_DIR,
            rel,
            HARMBENCH_URL.format(repo=HARMBENCH_REPO, commit=HARMBENCH_COMMIT, path=rel),
            Path(cache) / HARMBENCH_COMMIT[:12],
            HARMBENCH_FILES[rel],
        )
        for rel in (val, *csvs)
    ]
    return paths[0], paths[1:]


def load(name: str, mirror: Path | None, cache: Path) -> list[dict]:
    """A pinned HarmBench set's rows; the behaviours found in no CSV are named in the log."""
    val, csvs = harmbench_files(name, mirror, cache)
    rows = from_harmbench(val, csvs)
    missing = unmatched(rows)
    if missing:
        log.warning(
            "%s: %d behaviour IDs (%d rows) are in no behaviours CSV; their request is the row's own "
            "test case: %s",
            name,
            len(missing),
            sum(missing.values()),
            ", ".join(sorted(missing)),
        )
    return rows
