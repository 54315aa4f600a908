"""Per stage: jobs and cluster submissions (Snakemake's dry run), GPU-hours, API calls, tokens, dollars and
disk (the config's work over the throughput table). Every figure is for the jobs the dry run says still
have to run; the work of a job is read off its wildcards (model, benchmark, shard, judge, dataset), so a job
that covers a model's whole shard across benchmarks, or a judge job per (judge, model), is counted right.

Budgets, not forecasts: every response is taken at its max_new_tokens (every turn of a dialogue), so
GPU-hours, tokens and disk are upper bounds on generation (ASSUMPTIONs below and in docs/plan.md).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe import config as tsconfig
from thinksafe.benchmarks.protocol import prompt, protocols
from thinksafe.plan import throughput
from thinksafe.plan.dag import DagPlan, Job
from thinksafe.plan.items import Count, count_lines, item_count
from thinksafe.plan.stages import JUDGE_RULES, RULE_STAGE, STAGES

# ASSUMPTIONs (docs/plan.md): OpenAI's rule of thumb of about 4 characters per token; a judge reply of
# 128 tokens (capped by the judge's max_tokens); an image sent to the judge costs 765 tokens (OpenAI's
# vision pricing example: 1024x1024 at high detail); record overheads measured on the demo's files.
CHARS_PER_TOKEN = 4
JUDGE_REPLY_TOKENS = 128
IMAGE_TOKENS = 765
BYTES_PER_GENERATION = 600  # id, model, counts, finish_reason, ... besides the text
BYTES_PER_VERDICT = 700  # label, status, protocol provenance, prompt_sha256, ...
BYTES_PER_ITEM = 1000  # a normalized item without its image
TARGETS = 2  # thought and answer, judged apart


@dataclass
class Stage:
    name: str
    jobs: int = 0
    submissions: int = 0
    reserved_gpu_h: float = 0.0  # gpu × runtime the jobs ask the scheduler for (first attempt)
    gpu_h: float = 0.0  # estimated from the work over the throughput table
    cpu_h: float = 0.0  # estimated work of jobs that run on CPUs (the demo models)
    api_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    usd: float = 0.0
    disk_bytes: int = 0
    unpriced_calls: int = 0  # API calls whose entry has no price_per_1k_tokens


@dataclass
class ModelWork:
    model: str
    backend: str
    params_b: float | None
    gpus: int
    items: float
    tokens: float  # generated tokens, at the budget
    rate: str  # the throughput row it used
    hours: float | None  # decode at the budget plus one model load per job
    loads: int = 0
    runtime_min: float = 0.0  # the time limit its generate jobs ask for (first attempt)
    shards: int = 1  # its generate jobs in a whole run


@dataclass
class Plan:
    stages: dict[str, Stage]
    models: list[ModelWork] = field(default_factory=list)
    benchmarks: dict[str, Count] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    dag_seconds: float = 0.0
    device: str = "a100"
    gpus_by_benchmark: dict[str, float] = field(default_factory=dict)  # a GPU job's benchmark file -> gpu

    def total(self) -> Stage:
        out = Stage("total")
        for stage in self.stages.values():
            for name in vars(out):
                if name != "name":
                    setattr(out, name, getattr(out, name) + getattr(stage, name))
        return out


# ---- what one job covers ------------------------------------------------------------------------------


def n_shards(config: dict, model: str) -> int:
    return int(tsconfig.resolve_model(config, model).get("shards") or config["run"].get("shards", 1))


def covered(job: Job, config: dict) -> list[tuple[str, str, float]]:
    """(model, benchmark, fraction of its items) a generate or judge job works on."""
    wc = job.wildcards
    model = wc.get("model")
    if model is None:
        return []
    benchmarks = [wc["benchmark"]] if "benchmark" in wc else list(config["run"]["benchmarks"])
    fraction = 1 / n_shards(config, model) if "shard" in wc else 1.0
    return [(model, b, fraction) for b in benchmarks]


def turns(spec: dict) -> int:
    """Asks per item: one, or every turn of a multi-turn recipe (LlamaV-o1's four)."""
    dialogue = (spec.get("recipe") or {}).get("dialogue")
    if not dialogue:
        return 1
    from thinksafe.models.recipe_prompts import DIALOGUES

    return len(DIALOGUES[dialogue]["turns"]) + 1


def max_new_tokens(spec: dict) -> int:
    return int((spec.get("decoding") or {}).get("max_new_tokens") or 0)


# ---- the LLM judge's load per item of a benchmark --------------------------------------------------------


@dataclass(frozen=True)
class JudgeLoad:
    calls: float  # LLM calls per judged text
    prompt_chars: float  # template characters per call
    images: float  # images per call


def judge_load(name: str, spec: dict, project: Path) -> JudgeLoad:
    """From the items' own protocols when normalize has run; else the most any case of the adapter's
    protocols asks (an upper bound)."""
    path = project / "data" / "items" / f"{name}.jsonl"
    if path.is_file():
        from thinksafe import io

        calls = chars = images = 0
        items = io.read_jsonl(path, kind="item")
        for item in items:
            llm = (item.get("protocol") or {}).get("llm") or {"calls": []}
            calls += len(llm["calls"])
            chars += sum(len(prompt(c["prompt"]).text) for c in llm["calls"])
            images += sum(1 for c in llm["calls"] if c["image"])
        n = max(len(items), 1)
        per_call = max(calls, 1)
        return JudgeLoad(calls / n, chars / per_call, images / per_call)
    module = importlib.import_module(f"thinksafe.benchmarks.{spec['adapter']}")
    names = {getattr(module, "PROTOCOL", None), *getattr(module, "PROTOCOLS", {}).values()}
    cases = [c for name, p in protocols().items() if name in names for c in p.cases]
    calls = [c.llm.calls if c.llm else () for c in cases] or [()]
    most = max(calls, key=len)
    chars = max((len(prompt(c.prompt).text) for cs in calls for c in cs), default=0)
    return JudgeLoad(len(most), chars, float(any(c.image for c in most)))


def over_runtime(models: list[ModelWork]) -> list[str]:
    """Jobs sized by work: a model whose generate jobs would each need more than their time limit gets a
    note with the shard count that fits (the budget is an upper bound, so this errs on the safe side)."""
    notes = []
    for w in models:
        if not (w.hours and w.loads and w.runtime_min):
            continue
        per_job_h = w.hours / w.loads
        if per_job_h * 60 > w.runtime_min:
            fit = w.shards * math.ceil(per_job_h * 60 / w.runtime_min)
            notes.append(
                f"{w.model}: about {per_job_h:,.1f} h of work per generate job, over its "
                f"{w.runtime_min:g}-minute runtime: give it `shards: {fit}` (or a longer resources.runtime)"
            )
    return notes


# ---- the estimate -----------------------------------------------------------------------------------------


class Estimator:
    def __init__(self, config: dict, dag: DagPlan, project: Path, device: str):
        self.config, self.dag, self.project, self.device = config, dag, project, device
        self.plan = Plan({s: Stage(s) for s in STAGES}, dag_seconds=dag.seconds, device=device)
        self._loads: dict[str, JudgeLoad] = {}
        self._work: dict[str, ModelWork] = {}

    def items(self, name: str) -> float:
        if name not in self.plan.benchmarks:
            spec = tsconfig.source_spec(self.config, name)
            self.plan.benchmarks[name] = item_count(name, spec, self.project)
        return self.plan.benchmarks[name].n or 0

    def load(self, benchmark: str) -> JudgeLoad:
        if benchmark not in self._loads:
            spec = tsconfig.source_spec(self.config, benchmark)
            self._loads[benchmark] = judge_load(benchmark, spec, self.project)
        return self._loads[benchmark]

    def run(self) -> Plan:
        by_stage: dict[str, list[Job]] = {s: [] for s in STAGES}
        for job in self.dag.jobs:
            stage = RULE_STAGE.get(job.rule, "other")
            by_stage[stage].append(job)
            row = self.plan.stages[stage]
            row.jobs += 1
            row.reserved_gpu_h += job.resource("gpu") * job.resource("runtime") / 60
            if job.benchmark and job.resource("gpu"):
                self.plan.gpus_by_benchmark[job.benchmark] = job.resource("gpu")
            if job.rule == "generate":
                self.generate(job, row)
            elif job.rule in JUDGE_RULES:
                self.judge(job, row)
            elif job.rule == "normalize":
                row.disk_bytes += int(self.items(job.wildcards.get("benchmark", "")) * BYTES_PER_ITEM)
            elif job.rule == "build_dataset":
                self.dataset(job, row)
            elif job.rule == "finetune":
                self.finetune(job, row)
        for stage, jobs in by_stage.items():
            self.plan.stages[stage].submissions = self.dag.submissions(jobs)
        other = sorted({j.rule for j in by_stage["other"]})
        if other:
            self.plan.notes.append(f"rules with no stage here (counted as jobs only): {', '.join(other)}")
        self.plan.models = list(self._work.values())
        self.plan.notes.extend(over_runtime(self.plan.models))
        unknown = [f"{b} ({c.source})" for b, c in self.plan.benchmarks.items() if c.n is None]
        if unknown:
            self.plan.notes.append("item counts not known, left out: " + "; ".join(unknown))
        return self.plan

    # -- stages -------------------------------------------------------------------------------------------
    def _asks(self, spec: dict, n_items: float, row: Stage, who: str) -> float:
        """Generation by model `spec` of `n_items` items: hours on its GPUs (or CPUs), or API calls."""
        tokens = n_items * turns(spec) * max_new_tokens(spec)
        backend = spec.get("backend", "hf")
        gpus = int((spec.get("resources") or {}).get("gpus", 0))
        # raw holds thought and answer again: the text twice, at about CHARS_PER_TOKEN bytes a token
        row.disk_bytes += int(n_items * BYTES_PER_GENERATION + 2 * CHARS_PER_TOKEN * tokens)
        if backend == "openai":
            self._api(row, spec, n_items * turns(spec), 0, tokens)
            return 0.0
        size = throughput.params_b(spec)
        work = self._work.setdefault(who, ModelWork(who, backend, size, gpus, 0, 0, "", 0.0))
        work.items += n_items
        work.tokens += tokens
        if size is None:
            work.hours, work.rate = None, "no size in the entry's name or hf_id (set params_b)"
            return 0.0
        rate = throughput.decode_rate(backend, size, gpus, self.device)
        hours = tokens / rate.tokens_per_s / 3600
        work.rate = f"{rate.tokens_per_s:,.0f} tok/s ({rate.source})"
        work.hours = (work.hours or 0.0) + hours
        if gpus:
            row.gpu_h += hours * gpus
        else:
            row.cpu_h += hours
        return hours

    def generate(self, job: Job, row: Stage) -> None:
        loaded: set[str] = set()
        for model, benchmark, fraction in covered(job, self.config):
            spec = tsconfig.resolve_model(self.config, model)
            self._asks(spec, self.items(benchmark) * fraction, row, model)
            if model not in loaded and model in self._work:  # one load per job and model
                loaded.add(model)
                self._load(self._work[model], row)
                self._work[model].runtime_min = job.resource("runtime")
                self._work[model].shards = n_shards(self.config, model)

    def _load(self, work: ModelWork, row: Stage) -> None:
        if work.params_b is None or work.hours is None:
            return
        hours = throughput.load_hours(work.params_b)
        work.hours += hours
        work.loads += 1
        if work.gpus:
            row.gpu_h += hours * work.gpus
        else:
            row.cpu_h += hours

    def judge(self, job: Job, row: Stage) -> None:
        spec = self.config["judges"][job.wildcards["judge"]]
        for model, benchmark, fraction in covered(job, self.config):
            n = self.items(benchmark) * fraction
            gen = tsconfig.resolve_model(self.config, model)
            row.disk_bytes += int(n * TARGETS * BYTES_PER_VERDICT)
            if spec["kind"] != "llm":
                continue
            load = self.load(benchmark)
            calls = n * TARGETS * load.calls
            # The two texts of an item together are at most its generation budget.
            response = turns(gen) * max_new_tokens(gen) / TARGETS
            per_call_in = load.prompt_chars / CHARS_PER_TOKEN + response + load.images * IMAGE_TOKENS
            reply = min(JUDGE_REPLY_TOKENS, int(spec.get("max_tokens", 512)))
            self._api(row, spec, calls, calls * per_call_in, calls * reply)
            row.disk_bytes += int(calls * reply * CHARS_PER_TOKEN)

    def dataset(self, job: Job, row: Stage) -> None:
        name = job.wildcards.get("dataset", "")
        spec = self.config["datasets"].get(name, {})
        n = sum(self.items(s) for s in spec.get("sources", []))
        for role in ("captioner", "teacher"):
            model = spec.get(role)
            if model in self.config["models"]:  # `template` is the offline stand-in: no model, no call
                self._asks(tsconfig.resolve_model(self.config, model), n, row, f"{model} ({name} {role})")
        judge = self.config["judges"].get(spec.get("judge") or "")
        if judge and judge["kind"] == "llm":  # the answer filter: one text per candidate (upper bound: all)
            reply = min(JUDGE_REPLY_TOKENS, int(judge.get("max_tokens", 512)))
            self._api(row, judge, n, n * 1000 / CHARS_PER_TOKEN, n * reply)

    def finetune(self, job: Job, row: Stage) -> None:
        parent, dataset = job.wildcards.get("model", ""), job.wildcards.get("dataset", "")
        if parent not in self.config["models"]:
            return
        ft = self.config.get("finetune", {})
        examples = self.examples(dataset)
        gpus = int((ft.get("resources") or {}).get("gpus", 1))
        batch = int(ft.get("batch_size", 1)) * int(ft.get("grad_accum", 1))
        steps = ft.get("max_steps") or examples * float(ft.get("epochs", 1)) / max(batch, 1)
        size = throughput.params_b(tsconfig.resolve_model(self.config, parent)) or 0.0
        table = throughput.table()["finetune"]
        if gpus == 0:
            row.cpu_h += steps * table["cpu_seconds_per_step"] / 3600
        else:
            tokens = steps * batch * table["tokens_per_example"]
            method = ft.get("method", "lora")
            row.gpu_h += tokens / throughput.train_tokens_per_s(size, method, self.device) / 3600
        row.disk_bytes += checkpoint_bytes(size, ft)

    def examples(self, dataset: str) -> float:
        built = self.project / "data" / "sft" / dataset / "train.json"
        if built.is_file():
            from thinksafe import io

            return len(io.read_json(built))
        spec = self.config["datasets"].get(dataset, {})
        return sum(self.items(s) for s in spec.get("sources", []))  # before filters: an upper bound

    def _api(self, row: Stage, spec: dict, calls: float, tokens_in: float, tokens_out: float) -> None:
        row.api_calls += round(calls)
        row.tokens_in += round(tokens_in)
        row.tokens_out += round(tokens_out)
        price = spec.get("price_per_1k_tokens")
        if price:
            row.usd += (tokens_in * price.get("input", 0) + tokens_out * price.get("output", 0)) / 1000
        else:
            row.unpriced_calls += round(calls)


def checkpoint_bytes(size_b: float, ft: dict) -> int:
    """The fine-tune's declared output. Full SFT: bf16 weights, 2 bytes a parameter. LoRA: interpolated
    log-log between the adapter measured here (9.8 MB, 0.135 B, r 8: notes/feasibility.md §4) and the one
    computed for Qwen2.5-7B's shapes (r 8 on q,k,v,o,gate,up,down of 28 layers: 20.2 M parameters, 40 MB
    bf16), times r/8 (ASSUMPTION for other architectures)."""
    if ft.get("method") == "full":
        return int(size_b * 1e9 * 2)
    r = int((ft.get("lora") or {}).get("r", 8))
    exponent = 0.349  # ln(40 / 9.8) / ln(7.6 / 0.135)
    return int(9.8e6 * (max(size_b, 0.135) / 0.135) ** exponent * r / 8)


def estimate(config: dict, dag: DagPlan, project: Path = Path("."), device: str = "a100") -> Plan:
    return Estimator(config, dag, project, device).run()


__all__ = ["Plan", "Stage", "ModelWork", "estimate", "count_lines", "covered"]
