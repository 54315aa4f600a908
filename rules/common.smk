# Config lookups, target lists, conda environments and the one resource helper. Every function the
# rules call lives here; the stage files hold rules only (snakemake --lint).
import functools
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from thinksafe import config as tsconfig
from thinksafe.commands.specs import write_spec
from thinksafe.errors import ThinksafeError
from thinksafe.judges.validation import NAMED_SETS

try:
    # The files named, so that an error says which file and line set the key.
    tsconfig.validate(config, tsconfig.sources(workflow.configfiles, workflow.overwrite_configfiles))
except ThinksafeError as e:
    # One line naming the key, before any job runs.
    sys.stderr.write(f"thinksafe: {e}\n")
    sys.exit(2)


try:
    # The revision lock: locked hub models run at their commits; an unpinned run warns once.
    from thinksafe.models import lock as tslock

    config.update(tslock.load_locked(config, workflow.basedir))
except ThinksafeError as e:
    sys.stderr.write(f"thinksafe: {e}\n")
    sys.exit(2)


# Names start with a letter or digit, so a wildcard is never `.` or `..`; `+` joins model and dataset,
# `@` a model and a defense.
wildcard_constraints:
    model="[A-Za-z0-9][A-Za-z0-9._+@-]*",
    benchmark="[A-Za-z0-9][A-Za-z0-9._-]*",
    judge="[A-Za-z0-9][A-Za-z0-9._-]*",
    dataset="[A-Za-z0-9][A-Za-z0-9._-]*",
    shard="[0-9]+",


MODELS = tsconfig.evaluated_models(config)
BENCHMARKS = config["run"]["benchmarks"]
JUDGES = config["run"]["judges"]
TUNED = tsconfig.tuned_models(config)


# ---- config lookups -------------------------------------------------------------------------------
# The config does not change once parsed, so the lookups every job repeats are cached by name (a plan of
# 2,000 jobs resolved each model ~50 times and hashed each judge's prompts once per job).


@functools.lru_cache(maxsize=None)
def model_spec(name):
    return tsconfig.resolve_model(config, name)


@functools.lru_cache(maxsize=None)
def _spec_file(kind, text):
    return f"@{write_spec('results/specs', kind, text)}"


def spec_file(kind, spec):
    """`@results/specs/<kind>/<sha256>.json` for the CLI's --spec: specs reach jobs as files, never as one
    huge argument (Linux's limit is 128 KB), and the content-addressed path, a param, changes exactly
    when the spec does, which is what reruns the job."""
    return _spec_file(kind, tsconfig.spec_json(spec))


def model_spec_file(name):
    return spec_file("models", model_spec(name))


def n_shards(model):
    """Generation jobs of one model, each across all of the run's benchmarks (docs/cluster.md)."""
    return model_spec(model).get("shards", config["run"].get("shards", 1))


@functools.lru_cache(maxsize=None)
def shards(model):
    return [f"{i:02d}" for i in range(n_shards(model))]


def model_inputs(name):
    """Files a model needs before it can run: a locally built model, and the adapter of a tuned one."""
    spec = model_spec(name)
    inputs = []
    if spec.get("build"):
        inputs.append(spec["path"])
    if spec.get("tuned_from"):  # the fine-tune's output: an adapter, or the whole model after full SFT
        inputs.append(spec.get("adapter") or spec["path"])  # `M+D@defense` runs checkpoints/M+D
    return inputs


def preflight_input(name, gpus):
    """The preflight report of a model's weights, which every GPU job of that model waits for (a tuned
    model is checked through its parent: the adapter does not exist before the fine-tune)."""
    parent = model_spec(name).get("tuned_from") or name
    spec = model_spec(parent)
    if not gpus or spec.get("backend") == "openai":
        return []
    return [f"results/preflight/{parent}.json"]


def preflight_limits():
    return spec_file("preflight", config.get("preflight", {}))


def mirror_args():
    """`--mirror DIR` as two arguments for `{params.mirror:q}`: the directory reaches the shell quoted."""
    return ["--mirror", str(config["mirror"])] if config.get("mirror") else []


def source_spec(name):
    return tsconfig.source_spec(config, name)


@functools.lru_cache(maxsize=None)
def judge_spec(name):
    from thinksafe.judges.registry import judge_fingerprint

    spec = dict(config["judges"][name], name=name)
    # The prompt hash is part of the params, so changing a judge prompt reruns only judge and aggregate.
    spec["fingerprint"] = judge_fingerprint(spec)
    return spec


def dataset_spec(name):
    """The datasets entry, plus the resolved captioner and judge specs a rebuild needs."""
    spec = dict(config["datasets"][name], name=name)
    if spec.get("captioner") in config["models"]:
        spec["captioner_spec"] = model_spec(spec["captioner"])
    if spec.get("judge") in config["judges"]:
        spec["judge_spec"] = judge_spec(spec["judge"])
    return spec


def dataset_models(name):
    """The registry models a tuning set is built with (captioner, teacher); templates are not models."""
    spec = config["datasets"][name]
    return [spec[r] for r in ("captioner", "teacher") if spec.get(r) in config["models"]]


def dataset_judge(name):
    judge = config["datasets"][name].get("judge")
    return judge if judge in config["judges"] else None


def teacher_spec_file(name):
    teacher = config["datasets"][name].get("teacher")
    return model_spec_file(teacher) if teacher in config["models"] else "null"


def dataset_raw(name):
    return [f"data/raw/{s}" for s in config["datasets"][name].get("sources", [])]


def dataset_items(name):
    """The rebuild reads its sources' normalized items; the other kinds read the raw files only."""
    spec = config["datasets"][name]
    if spec["kind"] != "tis_rebuild":
        return []
    return [f"data/items/{s}.jsonl" for s in spec.get("sources", [])]


def dataset_model_inputs(name):
    return [f for m in dataset_models(name) for f in model_inputs(m)]


def parent_dir(files):
    """The one folder holding `files` (a rule's input or output), for CLI flags that take a folder."""
    parents = {str(Path(f).parent) for f in ([files] if isinstance(files, str) else files)}
    if len(parents) != 1:
        raise ThinksafeError(f"expected files in one folder, got {sorted(parents)}")
    return parents.pop()


def finetune_spec_file():
    return spec_file("finetune", config.get("finetune", {}))


def audit_data():
    """The audit rows' file (a Snakemake input), or none for a named set (the command reads it)."""
    data = config["judge_audit"]["data"]
    return [] if data in NAMED_SETS else data


def audit_args():
    """--data and, for a pinned set, --mirror: a list, so the shell line quotes each (`:q`)."""
    audit = config["judge_audit"]
    mirror = audit.get("mirror")
    return ["--data", audit["data"], *(["--mirror", mirror] if mirror else [])]


# ---- targets ---------------------------------------------------------------------------------------


def generation_outputs(suffix):
    """One generate job's outputs: its shard of every benchmark of the run, in run.benchmarks order
    (the order of all_items(), so the CLI pairs --items and --out by position)."""
    return [f"results/generations/{{model}}/{b}/{{shard}}{suffix}" for b in BENCHMARKS]


@functools.lru_cache(maxsize=None)
def generation_files(model):
    """Every generation shard of a model (what one judge job reads), benchmark by benchmark."""
    return [f"results/generations/{model}/{b}/{s}.jsonl" for b in BENCHMARKS for s in shards(model)]


def judgment_files(judge, model):
    """The judgments one judge job writes, in the order of generation_files(model)."""
    return [f"results/judgments/{judge}/{model}/{b}/{s}.jsonl" for b in BENCHMARKS for s in shards(model)]


def judged_items(model):
    """The items file of each generation shard of the model, in the order of generation_files(model)."""
    return [f"data/items/{b}.jsonl" for b in BENCHMARKS for _ in shards(model)]


def all_judgments():
    """One folder per (judge, model): the output of its one judge job."""
    return [f"results/judgments/{j}/{m}" for j in JUDGES for m in MODELS]


def all_items():
    return [f"data/items/{b}.jsonl" for b in BENCHMARKS]


def aggregate_spec():
    models = {m: model_spec(m) for m in MODELS}
    return {
        "models": models,
        "benchmarks": {b: source_spec(b) for b in BENCHMARKS},
        "judges": JUDGES,
        "tuned": TUNED,
        "shards": {m: {b: shards(m) for b in BENCHMARKS} for m in MODELS},
        "seed": config.get("seed", 0),
        "report": config.get("report", {}),
    }


def aggregate_spec_file():
    return spec_file("aggregate", aggregate_spec())


def audit_targets():
    # config.validate stopped the run on a judge_audit.data that is neither a file nor a named set
    if not config.get("judge_audit", {}).get("data"):
        return []
    return [f"results/audit/{j}.json" for j in JUDGES]


def all_targets():
    return [
        "results/tables/metrics.csv",
        "results/report.html",
        *audit_targets(),
    ]


# ---- conda environments (envs/*.yaml, for --sdm conda) ----------------------------------------------

# Heaviest last: a job that runs several models takes the environment that holds all of them.
ENVS = ("cpu", "inference", "vllm")
BACKEND_ENV = {"hf": "inference", "vllm": "vllm", "openai": "cpu"}


def env_file(name):
    return f"../envs/{name}.yaml"  # relative to rules/, as Snakemake reads conda: paths


def model_env(name):
    return BACKEND_ENV.get(model_spec(name).get("backend"), "inference")


def judge_env(name):
    """The API and plain rule judges need no torch; a classifier, a head or embeddings do."""
    spec = config["judges"][name]
    if spec["kind"] == "llm" or (spec["kind"] == "rule" and not (spec.get("head") or spec.get("embed"))):
        return "cpu"
    return "inference"


def judge_place(name):
    """Where a judge's jobs run: `gpu` (a classifier, or any judge asking for GPUs) and `api` (an API
    judge, hours of rate-limited calls) go to the cluster; the offline CPU judges (rule, comply) take
    seconds per model and run on the submitting node."""
    spec = config["judges"][name]
    if spec["kind"] == "classifier" or spec.get("resources", {}).get("gpus", 0) > 0:
        return "gpu"
    return "api" if spec["kind"] == "llm" else "local"


def judges_at(place):
    """A wildcard constraint matching exactly the judges of `place` (a rule per place, since localrules
    and the profile's set-resources are per rule); `(?!)` matches nothing."""
    names = [re.escape(j) for j in config["judges"] if judge_place(j) == place]
    return "|".join(names) or "(?!)"


def dataset_env(name):
    envs = [model_env(m) for m in dataset_models(name)]
    if dataset_judge(name):
        envs.append(judge_env(dataset_judge(name)))
    return max(envs, key=ENVS.index, default="cpu")


# ---- resources: the one lookup every rule uses --------------------------------------------------------

# What a rule's job needs when no model, judge or training entry says more. runtime in minutes;
# mem_mb and runtime are multiplied by the attempt in the rules.
RULE_RESOURCES = {
    "build_demo_model": {"cpus": 2, "mem_mb": 4000, "runtime": 20},
    "preflight": {"cpus": 1, "mem_mb": 4000, "runtime": 15},
    "download": {"cpus": 1, "mem_mb": 2000, "runtime": 60},
    "normalize": {"cpus": 1, "mem_mb": 2000, "runtime": 30},
    "generate": {"cpus": 2, "mem_mb": 4000, "runtime": 60},
    "judge": {"cpus": 1, "mem_mb": 2000, "runtime": 60},
    "judge_audit": {"cpus": 1, "mem_mb": 2000, "runtime": 60},
    "build_dataset": {"cpus": 2, "mem_mb": 4000, "runtime": 120},
    "contamination_guard": {"cpus": 1, "mem_mb": 2000, "runtime": 30},
    "finetune": {"cpus": 2, "gpus": 1, "mem_mb": 64000, "runtime": 720},
    "aggregate": {"cpus": 2, "mem_mb": 4000, "runtime": 30},
    "figures": {"cpus": 1, "mem_mb": 2000, "runtime": 15},
    "report": {"cpus": 1, "mem_mb": 2000, "runtime": 15},
}


def judge_resources(name):
    spec = config["judges"][name]
    # One judge_api unit per job that calls the judge API: `--resources judge_api=N` caps them.
    return dict(spec.get("resources", {}), judge_api=int(spec["kind"] == "llm"))


def dataset_resources(name):
    """A tuning set is built by its captioner, then its teacher, then its judge's filter, one after
    another: the job needs the largest of their GPUs, memory and CPUs and the sum of their runtimes."""
    parts = [model_spec(m)["resources"] for m in dataset_models(name)]
    if dataset_judge(name):
        parts.append(judge_resources(dataset_judge(name)))
    need = dict(RULE_RESOURCES["build_dataset"])
    for part in parts:
        for key in ("cpus", "gpus", "mem_mb", "judge_api"):
            need[key] = max(need.get(key, 0), part.get(key, 0))
        need["runtime"] += part.get("runtime", 0)
    return need


def job_resources(rule_name, wc):
    """cpus, gpu, mem_mb, runtime and judge_api of one job of rule `rule_name`; the rule's defaults, replaced by
    the resources of the model, judge or training the job runs (build_dataset: all of its models)."""
    need = dict(RULE_RESOURCES[rule_name])
    if rule_name == "generate":
        need.update(model_spec(wc.model)["resources"])
    elif rule_name in ("judge", "judge_audit"):
        need.update(judge_resources(wc.judge))
    elif rule_name == "build_dataset":
        need = dataset_resources(wc.dataset)
    elif rule_name == "finetune":
        need.update(config.get("finetune", {}).get("resources", {}))
    return {
        "cpus": need.get("cpus", 1),
        "gpu": need.get("gpus", 0),
        "mem_mb": need["mem_mb"],
        "runtime": need["runtime"],
        "judge_api": need.get("judge_api", 0),
    }
