# Config lookups, target lists and resource helpers. Every rule's input and params go through here.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from thinksafe import config as tsconfig
from thinksafe.errors import ThinksafeError

try:
    # The files named, so that an error says which file and line set the key.
    tsconfig.validate(config, tsconfig.sources(workflow.configfiles, workflow.overwrite_configfiles))
except ThinksafeError as e:
    # One line naming the key, before any job runs.
    sys.stderr.write(f"thinksafe: {e}\n")
    sys.exit(2)


wildcard_constraints:
    model="[^/]+",
    benchmark="[^/]+",
    judge="[^/]+",
    dataset="[^/+]+",
    shard="[0-9]+",


TS = "thinksafe"  # the CLI, installed into the active environment by `make install`
MODELS = tsconfig.evaluated_models(config)
BENCHMARKS = config["run"]["benchmarks"]
JUDGES = config["run"]["judges"]
TUNED = tsconfig.tuned_models(config)


def model_spec(name):
    return tsconfig.resolve_model(config, name)


def model_spec_json(name):
    return tsconfig.spec_json(model_spec(name))


def n_shards(model, benchmark):
    return model_spec(model).get("shards", config["run"].get("shards", 1))


def shards(model, benchmark):
    return [f"{i:02d}" for i in range(n_shards(model, benchmark))]


def model_inputs(name):
    """Files a model needs before it can run: a locally built model, and the adapter of a tuned one."""
    spec = model_spec(name)
    inputs = []
    if spec.get("build"):
        inputs.append(spec["path"])
    if spec.get("tuned_from"):  # the fine-tune's output: an adapter, or the whole model after full SFT
        inputs.append(f"checkpoints/{name}")
    return inputs


def mirror_flag():
    return f"--mirror {config['mirror']}" if config.get("mirror") else ""


def source_spec(name):
    """A benchmark or a tuning source: both are downloaded and normalized the same way."""
    for section in ("benchmarks", "sources"):
        if name in config.get(section, {}):
            return dict(config[section][name], name=name)
    raise ThinksafeError(f"config key benchmarks: unknown benchmark or source '{name}'")


def judge_spec(name):
    from thinksafe.judges.registry import judge_fingerprint

    spec = dict(config["judges"][name], name=name)
    # The prompt hash is part of the params, so changing a judge prompt reruns only judge and aggregate.
    spec["fingerprint"] = judge_fingerprint(spec)
    return spec


def gpus(resources):
    return resources.get("gpus", 0)


def generation_files(model, benchmark):
    return [f"results/generations/{model}/{benchmark}/{s}.jsonl" for s in shards(model, benchmark)]


def judgment_files(judge, model, benchmark):
    return [f"results/judgments/{judge}/{model}/{benchmark}/{s}.jsonl" for s in shards(model, benchmark)]


def all_judgments():
    return [f for j in JUDGES for m in MODELS for b in BENCHMARKS for f in judgment_files(j, m, b)]


def all_generations():
    """Every generation shard and its .meta.json: the report's example browser and provenance read them."""
    files = [f for m in MODELS for b in BENCHMARKS for f in generation_files(m, b)]
    return files + [f.removesuffix(".jsonl") + ".meta.json" for f in files]


def aggregate_spec():
    models = {m: model_spec(m) for m in MODELS}
    return {
        "models": models,
        "benchmarks": {b: source_spec(b) for b in BENCHMARKS},
        "judges": JUDGES,
        "tuned": TUNED,
        "shards": {m: {b: shards(m, b) for b in BENCHMARKS} for m in MODELS},
        "seed": config.get("seed", 0),
        "report": config.get("report", {}),
    }


def audit_targets():
    data = config.get("judge_audit", {}).get("data")
    if not data or not Path(data).exists():
        return []
    return [f"results/audit/{j}.json" for j in JUDGES]


def all_targets():
    return [
        "results/tables/metrics.csv",
        "results/report.html",
        *audit_targets(),
    ]
