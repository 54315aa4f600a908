"""Which stage each rule's jobs belong to, for the plan and for the report's cost section (no imports: the
report reads it without the planner). A rule not listed counts under `other`."""

STAGES = ("download/normalize", "generate", "judge", "dataset", "finetune", "aggregate/report", "other")
RULE_STAGE = {
    "download": "download/normalize",
    "normalize": "download/normalize",
    "build_demo_model": "generate",
    "preflight": "generate",
    "generate": "generate",
    "judge": "judge",  # offline CPU judges, on the submitting node
    "judge_api": "judge",  # the same rule for API judges
    "judge_gpu": "judge",  # and for classifier judges
    "judge_audit": "judge",
    "judge_audit_gpu": "judge",
    "build_dataset": "dataset",
    "contamination_guard": "dataset",
    "finetune": "finetune",
    "aggregate": "aggregate/report",
    "figures": "aggregate/report",
    "report": "aggregate/report",
    "all": "aggregate/report",
}


JUDGE_RULES = ("judge", "judge_api", "judge_gpu")  # one rule used three times (rules/judge.smk)


def stage_of(rule: str) -> str:
    return RULE_STAGE.get(rule, "other")
