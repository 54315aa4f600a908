"""Judges: rule (offline default), llm (OpenAI-compatible), classifier (local HF safety classifier).

`get_judge(spec).judge(items_by_id, generations)` gives two verdicts per generation, thought and answer.
"""

from thinksafe.judges.registry import get_judge, judge_fingerprint

__all__ = ["get_judge", "judge_fingerprint"]
