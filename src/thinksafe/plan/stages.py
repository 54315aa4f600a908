"""Which stage each rule's jobs belong to, for the plan and for the report's cost section (no imports: the
report reads it without the planner). A rule not listed counts under `other`."""

STAGES = ("download/normalize", "generate", "judge", "dataset", "finetune", "aggregate/report", "other")
RULE_STAGE = {
    "download": "download/normalize",
    "normalize": "download/normalize",
    "build_demo_model": "generate",
    "preflight": "generate",
    "generate": "generate",
    "judge": "judge",
    "judge_audit": "judge",
    "build_dataset": "dataset",
    "contamination_guard": "dataset",
    "finetune": "finetune",
    "aggregate": "aggregate/report",
    "figures": "aggregate/report",
    "report": "aggregate/report",
    "all": "aggregate/report",
}


def stage_of(rule: str) -> str:
    return RULE_STAGE.get(rule, "other")
