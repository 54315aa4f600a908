"""Rebuild TiS as the paper's pipeline did (paper.md §7.4), from normalized source items.

safety topics (items of VLGuard train, SPA-VL harm sub-categories, or the demo pool) → a caption per
image (any generation backend, or the offline `template` captioner) → a teacher (any backend; an
R1-class model over an API by default; the offline `template` teacher for the demo) writes a
safety-oriented thought that assigns Allowed / Disallowed / Safe Completion against
prompts.SAFETY_POLICY, then the answer → filters (filters.py) → records with per-record lineage.

Captions and teacher outputs are appended to `.partial` logs beside the output, so a killed build
resumes without paying for the same API calls twice; the logs go once the set is written. Each log is
claimed with the fingerprint of what wrote it (io.claim): the captioner or teacher, its spec and prompt,
the seed, and the sha256 of the source items files; teacher outputs also depend on the captions'
fingerprint. A log left by another captioner, teacher or source data is discarded with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from thinksafe.dataset import filters, prompts
from thinksafe.dataset.baselines import inside
from thinksafe.dataset.categories import category_of_thought
from thinksafe.dataset.output import BuiltSet
from thinksafe.dataset.sharegpt import BadRecord, check_image, format_target, make_record, split_target
from thinksafe.dataset.template_teacher import template_caption, template_teacher
from thinksafe.errors import ThinksafeError, located
from thinksafe.io import PartialFile, fingerprint, partial_path, read_jsonl, release, result_spec
from thinksafe.progress import Progress
from thinksafe.records import sha256_file

log = logging.getLogger("thinksafe")
TEMPLATE = "template"
CHUNK = 16  # items per backend call: progress and the partial log advance this often


def load_items(spec: dict, items_root: Path) -> list[dict]:
    items: list[dict] = []
    for source in spec.get("sources", []):
        path = items_root / f"{source}.jsonl"
        if not path.is_file():
            raise located(path, f"items of source '{source}' not found (datasets.{spec['name']}.sources)")
        items += [dict(it, _source=source) for it in read_jsonl(path, kind="item")]
    if not items:
        raise ThinksafeError(f"config key datasets.{spec['name']}.sources: no source items")
    return items


def select_topics(
    items: list[dict], topics: list[str] | dict[str, list[str]] | None, key: str = "topics"
) -> list[dict]:
    """Keep the items whose category (or subset) names one of the topics.

    `topics` is a list for every source, or a mapping source → list (a source not named keeps all
    its items: TiS kept VLGuard train whole and chose SPA-VL harm sub-categories, paper.md §7.3).
    A topic that selects no item of its source stops with one line naming it (`key` is its config key).
    """
    if not topics:
        return items

    def wanted_for(source: str) -> list[str] | None:
        return topics.get(source) if isinstance(topics, dict) else topics

    def where(it: dict) -> str:
        return f"{it.get('category', '')}/{it.get('subset', '')}".lower()

    sources = list(dict.fromkeys(it["_source"] for it in items))
    if isinstance(topics, dict):
        for name in topics:
            if name not in sources:
                raise ThinksafeError(
                    f"config key {key}.{name}: not one of the sources ({', '.join(sources)})"
                )
    for source in sources:
        wanted = wanted_for(source)
        if wanted is None:
            continue
        have = [where(it) for it in items if it["_source"] == source]
        for i, topic in enumerate(wanted):
            if not any(topic.lower() in w for w in have):
                at = f"{key}.{source}[{i}]" if isinstance(topics, dict) else f"{key}[{i}]"
                raise ThinksafeError(
                    f"config key {at}: '{topic}' selects no item of source '{source}' "
                    f"({len(have)} items; categories like '{have[0] if have else ''}')"
                )

    def keep(it: dict) -> bool:
        wanted = wanted_for(it["_source"])
        return wanted is None or any(t.lower() in where(it) for t in wanted)

    return [it for it in items if keep(it)]


def image_path(item: dict, raw_root: Path) -> Path | None:
    if not item.get("image"):
        return None
    p = Path(item["image"])
    if p.is_absolute() or p.exists():
        return p
    return raw_root / item["_source"] / p


def _backend_texts(spec: dict | None, role: str, requests: list[dict]) -> list[dict]:
    """Generation records for a model-backed captioner or teacher, in the order of `requests`."""
    from thinksafe.models.backends import get_backend

    if spec is None:
        raise ThinksafeError(f"config key datasets: the {role} model has no registry entry")
    by_id = {g["id"]: g for g in get_backend(spec).generate(requests)}  # backends return as they finish
    return [by_id.get(r["id"]) or {"id": r["id"], "error": f"no {role} output"} for r in requests]


def _request(item: dict, prompt: str, image: str | None) -> dict:
    return {**{k: v for k, v in item.items() if not k.startswith("_")}, "prompt": prompt, "image": image}


def _cached(
    cache: PartialFile, items: list[dict], make: Callable[[list[dict]], list[dict]], label: str
) -> dict[str, dict]:
    todo = [it for it in items if it["id"] not in cache.done]
    progress = Progress(label, len(items), already=len(items) - len(todo))
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        for rec in make(chunk):
            cache.append(rec)
        progress.update(len(chunk))
    return cache.records


class Rebuild:
    def __init__(
        self, spec: dict, teacher_spec: dict | None, raw_root: Path, items_root: Path, out: Path, seed: int
    ):
        self.spec, self.teacher_spec, self.seed = spec, teacher_spec, seed
        self.raw_root, self.items_root, self.out = raw_root, items_root, out
        self.warnings: dict[str, int] = {}
        self.teacher = spec.get("teacher") or (teacher_spec or {}).get("name")
        self.captioner = spec.get("captioner", TEMPLATE)
        if not self.teacher:
            raise ThinksafeError(f"config key datasets.{spec['name']}.teacher: a rebuild needs a teacher")
        self.built = BuiltSet(name=spec["name"], kind=spec["kind"])

    # -- model-backed or template steps ---------------------------------------------------------------
    def fingerprint(self, step: str) -> str:
        """What the `step` log (captions or teacher) was produced by: a change discards the log."""
        sources = {s: sha256_file(self.items_root / f"{s}.jsonl") for s in self.spec.get("sources", [])}
        captions = fingerprint(
            "captions",
            self.captioner,
            result_spec(self.spec.get("captioner_spec")),
            prompts.CAPTION_PROMPT,
            sources,
        )
        if step == "captions":
            return captions
        return fingerprint(
            "teacher",
            self.teacher,
            result_spec(self.teacher_spec),
            prompts.TEACHER_PROMPT,
            prompts.REFERENCE_BLOCK,
            prompts.policy_sha256(),
            self.seed,
            captions,
        )

    def captions(self, items: list[dict]) -> dict[str, str]:
        def make(chunk: list[dict]) -> list[dict]:
            if self.captioner == TEMPLATE:
                return [
                    {"id": it["id"], "text": template_caption(it["_image"]), "error": None} for it in chunk
                ]
            reqs = [
                _request(it, prompts.CAPTION_PROMPT, str(it["_image"]) if it["_image"] else None)
                for it in chunk
            ]
            gens = _backend_texts(self.spec.get("captioner_spec"), "captioner", reqs)
            return [
                {"id": it["id"], "text": g.get("answer") or "", "error": g.get("error")}
                for it, g in zip(chunk, gens, strict=True)
            ]

        cache = PartialFile(
            log_path(self.out, "captions"), fingerprint=self.fingerprint("captions"), what="captions"
        )
        recs = _cached(cache, items, make, "captions")
        cache.close()
        return {i: r["text"] for i, r in recs.items()}

    def teach(self, items: list[dict], captions: dict[str, str]) -> dict[str, dict]:
        def make(chunk: list[dict]) -> list[dict]:
            if self.teacher == TEMPLATE:
                return [
                    {
                        "id": it["id"],
                        "raw": template_teacher(it, captions[it["id"]], self.seed),
                        "thought": None,
                        "answer": None,
                        "error": None,
                    }
                    for it in chunk
                ]
            reqs = []
            for it in chunk:
                ref = (it.get("reference") or {}).get("response") or (it.get("reference") or {}).get("answer")
                reqs.append(_request(it, prompts.teacher_prompt(captions[it["id"]], it["prompt"], ref), None))
            gens = _backend_texts(self.teacher_spec, "teacher", reqs)
            return [
                {"id": it["id"], **{k: g.get(k) for k in ("raw", "thought", "answer", "error")}}
                for it, g in zip(chunk, gens, strict=True)
            ]

        self.teacher_cache = PartialFile(
            log_path(self.out, "teacher"), fingerprint=self.fingerprint("teacher"), what="teacher outputs"
        )
        recs = _cached(self.teacher_cache, items, make, "teacher")
        self.teacher_cache.close()
        return recs

    def judge(self, candidates: list[dict]) -> list[dict]:
        from thinksafe.judges import get_judge

        name = self.spec.get("judge")
        judge_spec = self.spec.get("judge_spec") or {"kind": name, "name": name}
        judge = get_judge(judge_spec)
        progress = Progress("judge", len(candidates))
        verdicts = []
        for c in candidates:
            verdicts.append(
                judge.judge_text(
                    _request(c["item"], c["item"]["prompt"], c["item"].get("image")),
                    c["answer"],
                    "answer",
                    f"teacher:{self.teacher}",
                )
            )
            progress.update()
        return verdicts

    # -- the pipeline -----------------------------------------------------------------------------
    def drop(self, stage: str, reason: str, detail: str, item: dict, **extra: object) -> None:
        self.built.drop(stage, reason, detail, {**self.lineage(item), **extra})

    def lineage(self, item: dict) -> dict:
        return {
            "source": item["_source"],
            "item_id": item["id"],
            "image_sha256": item.get("image_sha256"),
            "teacher": self.teacher,
            "captioner": self.captioner,
        }

    def run(self) -> BuiltSet:
        b = self.built
        items = load_items(self.spec, self.items_root)
        b.stage("source items", len(items))
        items = select_topics(items, self.spec.get("topics"), f"datasets.{self.spec['name']}.topics")
        b.stage("safety topics", len(items))
        usable = []
        for it in items:
            it["_image"] = image_path(it, self.raw_root)
            try:
                if it["_image"] is not None:
                    check_image(it["_image"])
            except BadRecord as e:
                self.drop("images", e.reason, e.detail, it)
                continue
            usable.append(it)
        b.stage("images present", len(usable))
        captions = self.captions(usable)
        teacher = self.teach(usable, captions)
        candidates = self.parse(usable, captions, teacher)
        b.stage("teacher output well-formed", len(candidates))
        candidates = self.clean(candidates)
        candidates = self.screen(candidates)
        self.emit(candidates)
        b.meta = {
            "sources": list(self.spec.get("sources", [])),
            "teacher": self.teacher
            + (" (offline templates, not a model)" if self.teacher == TEMPLATE else ""),
            "captioner": self.captioner
            + (" (image size and colour, not a model)" if self.captioner == TEMPLATE else ""),
            "judge": self.spec.get("judge") or "none",
            "policy_sha256": prompts.policy_sha256(),
            "topics": self.spec.get("topics"),
            "warnings": self.warnings,
        }
        if not b.records:
            raise ThinksafeError(f"dataset {b.name}: every record was filtered out ({b.drop_counts()})")
        return b

    def parse(self, items: list[dict], captions: dict[str, str], teacher: dict[str, dict]) -> list[dict]:
        out = []
        for it in items:
            t = teacher[it["id"]]
            if t.get("error"):
                self.drop("teacher", "teacher_error", str(t["error"]), it)
                continue
            try:
                if t.get("thought") and t.get("answer"):  # an API that returns reasoning on its own
                    thought, answer = t["thought"].strip(), t["answer"].strip()
                else:
                    thought, answer = split_target(t.get("raw") or "")
            except BadRecord as e:
                self.drop("teacher", e.reason, e.detail, it, raw=(t.get("raw") or "")[-300:])
                continue
            out.append(
                {"item": it, "thought": thought or "", "answer": answer, "caption": captions[it["id"]]}
            )
        return out

    def clean(self, candidates: list[dict]) -> list[dict]:
        """Strip reference mentions, bound lengths, drop duplicates."""
        limits = self.spec.get("filters", {})
        bounded = []
        for c in candidates:
            c["thought"], n_t = filters.strip_reference_mentions(c["thought"])
            c["answer"], n_a = filters.strip_reference_mentions(c["answer"])
            if n_t or n_a:
                key = "reference mentions stripped"
                self.warnings[key] = self.warnings.get(key, 0) + 1
            problem = filters.length_problem(c["thought"], c["answer"], limits)
            if problem:
                detail = (
                    f"{filters.words(c['thought'])} thought words, {filters.words(c['answer'])} answer words"
                )
                self.drop("lengths", problem, detail, c["item"])
                continue
            bounded.append(c)
        self.built.stage("reference mentions stripped, lengths bounded", len(bounded))
        kept, seen = [], set()
        for c in bounded:
            key = filters.duplicate_key(c["item"])
            if key in seen:
                self.drop("duplicates", "duplicate", "same normalized prompt and image", c["item"])
                continue
            seen.add(key)
            kept.append(c)
        self.built.stage("duplicates dropped", len(kept))
        return kept

    def screen(self, candidates: list[dict]) -> list[dict]:
        """The answer judged safe, and the thought's category agreeing with the answer."""
        for c in candidates:
            c["category"] = category_of_thought(c["thought"])
        if not self.spec.get("judge"):
            return candidates
        safe = []
        for c, v in zip(candidates, self.judge(candidates), strict=True):
            c["verdict"] = {k: v.get(k) for k in ("label", "status", "refusal", "judge", "raw")}
            problem = filters.verdict_problem(v)
            if problem:
                self.drop(
                    "judge",
                    problem,
                    str(v.get("raw", ""))[:200],
                    c["item"],
                    verdicts={"answer": c["verdict"]},
                )
                continue
            safe.append(c)
        self.built.stage("answer judged safe", len(safe))
        kept = []
        for c in safe:
            problem = filters.category_agrees(c["category"], c["verdict"])
            if problem:
                detail = f"thought says {c['category']}, answer refusal={c['verdict'].get('refusal')}"
                self.drop("category", problem, detail, c["item"], verdicts={"answer": c["verdict"]})
                continue
            kept.append(c)
        self.built.stage("category agrees with answer", len(kept))
        return kept

    def emit(self, candidates: list[dict]) -> None:
        for c in candidates:
            it = c["item"]
            images = []
            if it["_image"] is not None:
                rel = f"images/{it['_source']}/{inside(Path(it['_image']), self.raw_root / it['_source'])}"
                self.built.files[rel] = Path(it["_image"])
                images.append(rel)
            lineage = {
                **self.lineage(it),
                "category": c.get("category") or category_of_thought(c["thought"]),
                "caption": c["caption"],
                "verdicts": {"answer": c.get("verdict")},
            }
            target = format_target(c["thought"], c["answer"], "full")
            self.built.records.append(make_record(it["prompt"], target, images, lineage))


def rebuild(
    spec: dict, teacher_spec: dict | None, raw_root: Path, items_root: Path, out: Path, seed: int
) -> BuiltSet:
    return Rebuild(spec, teacher_spec, raw_root, items_root, out, seed).run()


def log_path(out: Path, step: str) -> Path:
    """The output whose `.partial` holds the `step` log (captions or teacher) of the set at `out`."""
    return out.with_name(f".{out.name}.{step}.jsonl")


def cleanup_partials(out: Path) -> None:
    """Remove the caption and teacher logs, and their fingerprints, once the set is written."""
    for step in ("captions", "teacher"):
        release(partial_path(log_path(out, step)))
