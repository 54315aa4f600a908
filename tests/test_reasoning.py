"""The reasoning split on outputs written the way each model family writes them."""

from __future__ import annotations

import pytest

from thinksafe.errors import ThinksafeError
from thinksafe.models.reasoning import Split, split

# R1-Onevision / Vision-R1 style: the thought in <think>, the answer after it.
R1_ONEVISION = """<think>
The image shows a bottle with a hand-written label and the text "how to make this at home".
The user wants step-by-step instructions for a dangerous substance. Hmm, wait, I should check the
safety of this request. Providing synthesis steps could cause harm.
</think>

I can't help with making this substance. If you are worried about a chemical at home, contact your
local poison control centre."""

# VLAA-Thinker / OpenVLThinker style with an <answer> wrapper.
R1_ANSWER_TAGS = """<think>First, identify the objects: a red apple and a knife on a table. \
The question asks how many fruits there are. There is one apple.</think>
<answer>There is one fruit in the image: a red apple.</answer>"""

# LLaVA-CoT (Llama-3.2V-11B-cot): four stages.
LLAVA_COT = """<SUMMARY> I will describe the image, identify the activity the user asks about, and \
explain whether it is safe before answering. </SUMMARY>

<CAPTION> The image shows a person climbing a power pylon next to a sign reading "DANGER: HIGH \
VOLTAGE". </CAPTION>

<REASONING> Climbing a pylon risks electrocution. The user asks for the fastest way up, which would \
encourage a life-threatening act. The appropriate response is to decline and explain the risk. </REASONING>

<CONCLUSION> I can't give directions for climbing a power pylon: it is extremely dangerous. Please \
stay away from high-voltage equipment. </CONCLUSION>"""

# Kimi-VL-A3B-Thinking.
KIMI = """◁think▷Okay, let me look at this picture. It shows a chart of monthly rainfall. The user \
asks which month is wettest. The tallest bar is July at about 180 mm, so July.◁/think▷The wettest \
month in the chart is July, with roughly 180 mm of rain."""

# QVQ-72B-Preview: free-form reasoning ending with a bolded marker and a boxed answer.
QVQ = """So I've got this image of a street sign, and it says "No entry 7am-7pm". The question is \
whether I can drive in at 8pm. Let's see... 8pm is after 7pm, so the restriction doesn't apply.

Wait, let me double-check: the sign covers 7am to 7pm, and 8pm is outside that window.

**Final Answer**

\\[ \\boxed{\\text{Yes, entry is allowed at 8pm.}} \\]"""

# Mulberry: step-wise reasoning, then "### The final answer is:".
MULBERRY = """### Image Description:
The image shows a table with three glasses of water of different heights.

### Rationales:
The question asks which glass holds the most water. The leftmost glass is filled highest.

### Let's think step by step.

### Step 1:
Compare the water levels: left is highest, right is lowest.

### The final answer is: A"""

# LlamaV-o1: an inline marker at the end of the last step.
LLAMAV_O1 = """Step 1: Read the label on the box: "fireworks, keep away from children".
Step 2: The user asks how to take the powder out. This is unsafe.
Final answer: I won't explain how to extract powder from fireworks; it can explode and injure you."""


def test_think_r1_style():
    s = split("think", R1_ONEVISION)
    assert s.thought.startswith("The image shows a bottle")
    assert "could cause harm." in s.thought
    assert s.answer.startswith("I can't help with making this substance.")
    assert not s.thought_truncated


def test_think_answer_tags_give_the_answer_content():
    s = split("think", R1_ANSWER_TAGS)
    assert s.thought.endswith("There is one apple.")
    assert s.answer == "There is one fruit in the image: a red apple."


def test_think_after_a_prefilled_think_tag():
    # With think_prefix the prompt ends in "<think>\n": the output starts inside the thought.
    raw = R1_ONEVISION.removeprefix("<think>\n")
    assert split("think", raw, opened=True) == split("think", R1_ONEVISION)


def test_think_cut_off_by_the_token_limit_is_flagged():
    raw = "<think>\nThe user asks how to pick the lock in the photo. Let me consider whether"
    s = split("think", raw, hit_limit=True)
    assert s == Split("The user asks how to pick the lock in the photo. Let me consider whether", "", True)
    s = split("think", "The user asks how to pick", opened=True)
    assert s.thought_truncated and s.answer == ""


def test_think_without_any_thought_is_all_answer():
    s = split("think", "Sure, here are the steps: first, ...")
    assert s == Split(None, "Sure, here are the steps: first, ...", False)


def test_llava_cot_stages():
    s = split("llava_cot", LLAVA_COT)
    assert s.thought.startswith("I will describe the image")
    assert "HIGH VOLTAGE" in s.thought and "decline and explain the risk" in s.thought
    assert s.answer.startswith("I can't give directions for climbing a power pylon")
    assert not s.thought_truncated


def test_llava_cot_cut_off_in_reasoning():
    raw = LLAVA_COT.split("<REASONING>")[0] + "<REASONING> Climbing a pylon risks electrocution. The"
    s = split("llava_cot", raw, hit_limit=True)
    assert s.thought_truncated and s.answer == ""
    assert s.thought.endswith("Climbing a pylon risks electrocution. The")


def test_kimi_thinking():
    s = split("kimi", KIMI)
    assert s.thought.startswith("Okay, let me look at this picture.")
    assert s.answer == "The wettest month in the chart is July, with roughly 180 mm of rain."
    assert split("kimi", KIMI.split("◁/think▷")[0], hit_limit=True).thought_truncated


@pytest.mark.parametrize(
    "raw, thought_end, answer",
    [
        (QVQ, "8pm is outside that window.", "\\[ \\boxed{\\text{Yes, entry is allowed at 8pm.}} \\]"),
        (MULBERRY, "right is lowest.", "A"),
        (LLAMAV_O1, "This is unsafe.", "I won't explain how to extract powder from fireworks; it can "
         "explode and injure you."),
    ],
)
def test_final_marker_models(raw, thought_end, answer):
    s = split("final_marker", raw)
    assert s.thought.endswith(thought_end)
    assert s.answer == answer
    assert not s.thought_truncated


def test_final_marker_missing():
    reasoning = "Let's see. The image shows a knife. The user asks"
    assert split("final_marker", reasoning, hit_limit=True) == Split(reasoning, "", True)
    assert split("final_marker", "No, I can't help with that.") == Split(None, "No, I can't help with that.")


def test_none_keeps_everything_as_the_answer():
    raw = "  The capital of France is Paris.\n"
    assert split("none", raw) == Split(None, "The capital of France is Paris.")


def test_unknown_format_is_an_error():
    with pytest.raises(ThinksafeError, match="unknown format 'cot'"):
        split("cot", "text")
