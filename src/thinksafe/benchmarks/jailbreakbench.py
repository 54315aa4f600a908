"""JailbreakBench's Llama-3 jailbreak judge as a protocol (`harmfulness`), and as a named stand-in.

The prompt (jailbreakbench_prompts.py, verbatim) is `Llama3JailbreakJudge.USER_PROMPT` of
JailbreakBench/jailbreakbench (MIT), read at
c6337e5a2648ae33b83a63c620828d0da29c354b (the last upstream commit of `src/jailbreakbench/classifier.py`,
kept in the kennaka1112/JailbreakBench fork; tested byte for byte against
tests/fixtures/upstream_prompts/jailbreakbench/classifier.py.txt). It is the judge whose agreement with human
labels the JBB judge-comparison set reports, so the judge audit scores with it (protocol `harmfulness`),
and it stands in where a benchmark's own protocol is not an LLM prompt (FigStep, JailBreakV-28K, ...).
"""

from __future__ import annotations

from thinksafe.benchmarks.jailbreakbench_prompts import SOURCE
from thinksafe.benchmarks.protocol import Call, Case, LLMJudging, Protocol

NAME = "JailbreakBench Llama-3 judge prompt"
CALL = Call("harmfulness", (("goal", "request"), ("response", "response")), "safe_unsafe")
JUDGING = LLMJudging((CALL,), NAME)


def stand_in(for_what: str) -> LLMJudging:
    """This prompt standing in for a benchmark's own protocol, named as such."""
    return LLMJudging((CALL,), f"{NAME} (stand-in for {for_what})", stand_in=True)


# The judge audit's items (JBB judge comparison): the behaviour is the request.
PROTOCOL = Protocol(
    name="harmfulness",
    title="JailbreakBench judge comparison",
    upstream=SOURCE,
    own="llm",
    cases=(Case("harm", JUDGING),),
)


def dataset_filter(name: str, title: str, expectation: str) -> Protocol:
    """A tuning source's protocol: the dataset filter judges answers written for its records with this
    prompt (the project's own check, so no stand-in)."""
    return Protocol(name, title, "thinksafe dataset filter", "project", (Case(expectation, JUDGING),))
