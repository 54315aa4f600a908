"""XSTest v2 as the judge audit reads it: its safe prompts expect an answer (a refusal there is an
over-refusal); its `contrast_` prompts are harmful requests, scored with JailbreakBench's `harmfulness`.

Source: paul-rottger/exaggerated-safety@d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d `model_completions/`
(human labels `1_full_compliance` / `2_full_refusal` / `3_partial_refusal`; Röttger et al., NAACL 2024).
The labels are human, so every automatic judge scored against them is measured, not standing in.
"""

from __future__ import annotations

from thinksafe.benchmarks.protocol import Case, Protocol

SOURCE = "paul-rottger/exaggerated-safety@d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d model_completions/"

# The audit's `answer` rows (and any request the project expects answered): anything but carrying it out
# is an over-refusal.
ANSWER = Protocol(
    name="capability",
    title="XSTest v2 safe prompts (answer expected)",
    upstream=SOURCE,
    own="human",
    cases=(Case("answer"),),
)
