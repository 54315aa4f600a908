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
        (
            LLAMAV_O1,
            "This is unsafe.",
            "I won't explain how to extract powder from fireworks; it can explode and injure you.",
        ),
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


# --- real outputs, quoted from the models' repositories ----------------------------------------------

# PKU-YuanGroup/LLaVA-CoT@081cc3fe README.md, "Reasoning Problems", the LLaVA-CoT row (the README's HTML
# colouring and <br> line breaks removed; the tags and words are the model's).
LLAVA_COT_README = (
    "<SUMMARY> I will examine the image to identify and count all the objects, focusing on the tiny shiny "
    "balls and purple objects. Then, I will subtract these objects from the total count and determine the "
    "number of remaining objects. </SUMMARY>\n<CAPTION> The image shows various 3D geometric shapes on a "
    "flat surface, including spheres, cubes, and cylinders in different colors. Notably, there are small "
    "shiny green spheres and a purple cylinder. </CAPTION>\n<REASONING> First, I will count all the objects "
    "in the image: there are 10 objects in total. Next, I will identify and subtract the tiny shiny balls. "
    "There is one small shiny green sphere. Then, I will identify and subtract the purple objects. There is "
    "one purple cylinder. By subtracting the two objects (the shiny ball and the purple cylinder) from the "
    "total, I find that 8 objects remain. </REASONING>\n<CONCLUSION> **B** </CONCLUSION>"
)

# HJYao00/Mulberry@a49cab58 comcts/README.md, the first "response" of the CoMCTS example: Mulberry's
# output format, which R1-VL (trained on Mulberry-260k) follows too.
MULBERRY_COMCTS = (
    "### Image Description:\nThe image shows two pairs of parallel lines: lines a and b are parallel, and "
    "lines c and d are parallel. These lines intersect to form a grid-like structure. There are sixteen "
    "numbered angles created at the intersections. Angles 1 to 8 are associated with lines a and b, while "
    "angles 9 to 16 are associated with lines c and d. The image specifically indicates that the measure of "
    "angle 4 is 57 degrees.\n\n### Rationales:\nThe question is asking us to find the measure of angle 5, "
    "given that lines a and b are parallel, and lines c and d are parallel, and the measure of angle 4 is 57 "
    "degrees. Since the lines are parallel, we can use the properties of parallel lines and angles to "
    "determine the measure of angle 5. By identifying the type of angles involved (such as corresponding, "
    "alternate interior, or exterior angles), we can calculate the desired angle.\n\n### Let's think step "
    "by step.\n### Step 1:\nIdentify the relationship between angles 4 and 5. Since lines a and b are "
    "parallel, and c is a transversal intersecting these lines, angle 4 and angle 5 are consecutive interior "
    "angles.\n\n### Step 2:\nUse the consecutive interior angles theorem. For two parallel lines cut by a "
    "transversal, the sum of consecutive interior angles is 180 degrees. Therefore, m∠4 + m∠5 = 180°.\n\n"
    "### Step 3:\nSubstitute the given value for m∠4 into the equation from Step 2. We have m∠4 = 57°.\n\n"
    "### Step 4:\nCalculate m∠5 using the equation m∠4 + m∠5 = 180°. Substitute 57 for m∠4 and solve for "
    "m∠5: 57° + m∠5 = 180°.\n\n### Step 5:\nSubtract 57° from both sides to find m∠5: m∠5 = 180° - 57°.\n\n"
    "### Step 6:\nCalculate the final value: m∠5 = 123°.\n\n### The final answer is: C"
)

# Kimi-VL-A3B-Thinking-2506 (the registry model's successor, same markers) answering "describe the
# image" with max_tokens=200, as printed in a public mlx-vlm model-check report (code-search index
# file 54730064520; the report's 80-column line wraps undone). The thought closed; the answer was cut.
KIMI_REPORT = (
    "◁think▷So, let's describe the image. First, observe the key elements: industrial buildings, large "
    "cylindrical silos, a street scene with a gate, people, vehicles, and signage. The sky is clear and "
    "blue.\n\nStart by identifying the main components. The image shows an industrial area with tall "
    'metallic silos, likely part of a brewery (since "Burton Brew" is visible on a sign). There\'s a gated '
    "entrance with stone pillars, a road with a car, pedestrians, trees, and buildings. The scene is bright, "
    "sunny with clear skies.\n\nNow, structure the description: mention the setting (urban/industrial), "
    "structures (silos, buildings, gate, road), elements like the gate, people, vehicles, signage, and the "
    "overall atmosphere (bright, sunny day).\n\nMake sure to be concise. Let's put it all together."
    "◁/think▷The image depicts an industrial area on a sunny day with clear blue skies. Prominently"
)

# The R1 format as the authors spell it out to their models (no output text is published as text):
# ModalMinds/MM-EUREKA@bccddd78 eval/mathvista/evaluate_mathvista.py SYSTEM_PROMPT, and
# UCSC-VLAA/VLAA-Thinking@a2c96787 inference.py (also Fancy-MLLM/R1-Onevision VLM-R1 grpo_jsonl.py).
MM_EUREKA_EXAMPLE = (
    "<think> Since $1+1=2$, so the answer is $2$. </think><answer> The answer is $\\boxed{2}$ </answer>"
)
VLAA_EXAMPLE = "<think> reasoning process here </think> <answer> answer here </answer>"

# STILL-format output (the markers Virgo's evaluation splits on, RUCAIBox/Virgo@2f0c9aee
# evaluation/MathVerse/evaluation/extract_answer_s1_mp.py), as the start of a STILL-style response in the
# NovaSky-AI/Sky-T1_data_17k dataset viewer (page 157): a thought that is still open where it stops.
STILL_OPEN = (
    "<|begin_of_thought|>\n\nSo I have these two lines, and I need to find where they intersect. The first "
    "line is given by the equation \\( y = -4x \\), and the second one is \\( y - 2 = 12x \\). To find the "
    "intersection point, I need to find the values of \\( x \\) and \\( y \\) that satisfy both equations "
    "at the same time."
)


def test_llava_cot_readme_output():
    s = split("llava_cot", LLAVA_COT_README)
    assert s.thought.startswith("I will examine the image to identify and count all the objects")
    assert s.thought.endswith("I find that 8 objects remain.")
    assert "a purple cylinder." in s.thought  # the caption is part of the thought
    assert s.answer == "**B**" and not s.thought_truncated


def test_mulberry_and_r1_vl_output():
    s = split("mulberry", MULBERRY_COMCTS)
    assert s.thought.startswith("### Image Description:\nThe image shows two pairs of parallel lines")
    assert s.thought.endswith("### Step 6:\nCalculate the final value: m∠5 = 123°.")
    assert s.answer == "C"
    # R1-VL's own evaluation splits on the line without its heading marks: same split.
    assert split("mulberry", MULBERRY_COMCTS.replace("### The final", "The final")).answer == "C"


def test_mulberry_cut_off_before_the_final_line():
    cut = MULBERRY_COMCTS.split("### Step 4:")[0]
    s = split("mulberry", cut, hit_limit=True)
    assert s == Split(cut.strip(), "", thought_truncated=True)
    # A finished output without the final line (a plain refusal) is all answer, as Mulberry's code reads it.
    assert split("mulberry", "I can't help with that.") == Split(None, "I can't help with that.")


def test_kimi_thinking_output_cut_after_its_thought():
    s = split("kimi", KIMI_REPORT, hit_limit=True)
    assert s.thought.startswith("So, let's describe the image.")
    assert s.thought.endswith("Let's put it all together.")
    assert (
        s.answer == "The image depicts an industrial area on a sunny day with clear blue skies. Prominently"
    )
    assert not s.thought_truncated  # the thought closed; the record is `truncated` by the limit itself
    cut_inside = KIMI_REPORT.split("Now, structure")[0]
    assert split("kimi", cut_inside, hit_limit=True).thought_truncated


@pytest.mark.parametrize(
    "raw, thought, answer",
    [
        (MM_EUREKA_EXAMPLE, "Since $1+1=2$, so the answer is $2$.", "The answer is $\\boxed{2}$"),
        (VLAA_EXAMPLE, "reasoning process here", "answer here"),
    ],
)
def test_think_answer_format_as_the_authors_spell_it(raw, thought, answer):
    assert split("think", raw) == Split(thought, answer)


def test_think_cut_inside_the_answer_tag_keeps_the_partial_answer():
    s = split("think", "<think> Since $1+1=2$ </think><answer> The answer is", hit_limit=True)
    assert s == Split("Since $1+1=2$", "The answer is")


def test_still_solution_is_the_answer():
    thought = STILL_OPEN.removeprefix("<|begin_of_thought|>").strip()
    raw = STILL_OPEN + "\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\n(-1/8, 1/2)\n\n<|end_of_solution|>"
    assert split("still", raw) == Split(thought, "(-1/8, 1/2)")


def test_still_thought_cut_off_by_the_token_limit():
    s = split("still", STILL_OPEN, hit_limit=True)
    assert s.thought_truncated and s.answer == ""
    assert s.thought.endswith("satisfy both equations at the same time.")


def test_every_registry_format_has_a_parser():
    from pathlib import Path

    from thinksafe import config
    from thinksafe.models.reasoning import parser

    cfg = config.load(Path(__file__).resolve().parents[1] / "config.yaml")
    for name, entry in cfg["models"].items():
        assert callable(parser(entry["reasoning"])), name
