# thinksafe: the Think-in-Safety reproduction DAG.
#   download -> normalize -> generate -> judge -> aggregate -> report
#   build_dataset -> contamination_guard -> finetune -> (tuned model re-enters generate)
# All logic lives in src/thinksafe; rules call the `thinksafe` CLI.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/download.smk"
include: "rules/generate.smk"
include: "rules/judge.smk"
include: "rules/dataset.smk"
include: "rules/finetune.smk"
include: "rules/aggregate.smk"


rule all:
    default_target: True
    input:
        all_targets(),
