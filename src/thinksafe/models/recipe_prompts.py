"""Prompt texts of the registry models' own inference code, kept verbatim, each beside its source.

A registry entry's `recipe.system` names one of SYSTEM; `recipe.user` names one of USER (a template with
one `{question}`). Nothing here is paraphrased: a change to a text changes what the model is asked.
"""

from __future__ import annotations

# UCSC-VLAA/VLAA-Thinking@a2c96787383d437941f65b4a3c9c8602f4470d26 inference.py, get_response():
# the system turn of every VLAA-Thinker checkpoint (the emoji is part of the text).
VLAA_THINKER_SYSTEM = (
    "You are VL-Thinking🤔, a helpful assistant with excellent reasoning ability."
    " A user asks you a question, and you should try to solve it."
    " You should first think about the reasoning process in the mind and then provides the user with the"
    " answer."
    " The reasoning process and answer are enclosed within <think> </think> and"
    " <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think>"
    " <answer> answer here </answer>"
)

# ModalMinds/MM-EUREKA@bccddd7822c2aafe5281486caa75d966d601a571 eval/mathvista/evaluate_mathvista.py,
# SYSTEM_PROMPT (the Qwen2.5-VL evaluation; the Python source writes `\\\\boxed`, i.e. the text `\\boxed`).
MM_EUREKA_SYSTEM = (
    "Solve the question. The user asks a question, and you solves it. You first thinks about the reasoning "
    "process in the mind and then provides the user with the answer. The answer is in latex format and "
    "wrapped in $...$. The final answer must be wrapped using the \\\\boxed{} command. The reasoning process "
    "and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., "
    "<think> Since $1+1=2$, so the answer is $2$. </think><answer> The answer is $\\\\boxed{2}$ </answer>, "
    "which means assistant's output should start with <think> and end with </answer>."
)

# Qwen/QVQ-72B-Preview model card (huggingface.co/Qwen/QVQ-72B-Preview README.md, "Quickstart"): the
# system turn of the card's example; the same text is used for QwQ-32B-Preview.
QVQ_SYSTEM = (
    "You are a helpful and harmless assistant. You are Qwen developed by Alibaba. "
    "You should think step-by-step."
)

# HJYao00/Mulberry@a49cab584a2120fd30107954bb32d717b154c98f infer.py, qwen_infer(); also the Virgo
# Quick Start (RUCAIBox/Virgo@2f0c9aee5293399e950aa47857f66b42ee10533a README.md) writes it literally.
QWEN_HELPFUL_SYSTEM = "You are a helpful assistant."

SYSTEM: dict[str, str] = {
    "vlaa-thinker": VLAA_THINKER_SYSTEM,
    "mm-eureka": MM_EUREKA_SYSTEM,
    "qvq": QVQ_SYSTEM,
    "qwen-helpful": QWEN_HELPFUL_SYSTEM,
}

# HJYao00/Mulberry@a49cab584a2120fd30107954bb32d717b154c98f infer.py, PROMPT (both mllama_infer and
# qwen_infer format it with the question), and jingyi0000/R1-VL@679be5cf0d04d852f0eb3856e6a9b36dbf1c0558
# eval/qwen2_vl/model.py, REASONING_PROMPT: the two share their opening and their section list and
# differ in the "Finally" line (R1-VL's leaves its quote unclosed and drops the last three sentences).
_STEPS_OPENING = (
    "Generate an image description based on the question.\n"
    "Then, provide a rationale to analyze the question.\n"
    "Next, generate a step-by-step reasoning process to solve the problem. Ensure the steps are "
    "logical and concise.\n"
)
_STEPS_SECTIONS = (
    "\n"
    "Format your response with the following sections, separated by ###:\n"
    "### Image Description:\n"
    "### Rationales:\n"
    "### Let's think step by step.\n"
    "### Step 1:\n"
    "### Step 2:\n"
    "...\n"
    "### The final answer is: \n"
    "\n"
    "{question}"
)
MULBERRY_USER = (
    _STEPS_OPENING
    + "Finally, provide a concise summary of the final answer in the following format: 'The final "
    "answer is: xxx'. If the question is multiple-choice, provide the options along with their "
    "content. If it is free-form, directly present the final result. Do not provide any explanation.\n"
    + _STEPS_SECTIONS
)
R1_VL_USER = (
    _STEPS_OPENING
    + "Finally, provide a concise summary of the final answer in the following format: 'The final "
    "answer is: xxx.\n" + _STEPS_SECTIONS
)

# RUCAIBox/Virgo@2f0c9aee5293399e950aa47857f66b42ee10533a README.md, "Quick Start": the instruction
# that opens the example question (the "_thought" evaluation sets are not published).
VIRGO_USER = (
    "Please first think deeply about the question, and then put the final answer in \\boxed{}.\n{question}"
)

USER: dict[str, str] = {
    "plain": "{question}",
    "mulberry": MULBERRY_USER,
    "r1-vl": R1_VL_USER,
    "virgo": VIRGO_USER,
}

# jingyi0000/R1-VL eval/qwen2_vl/model.py, _prepare_content(): the question gets this prefix unless it
# already contains it.
R1_VL_QUESTION_PREFIX = "Question: "

# mbzuai-oryx/LlamaV-o1@4dbd692d17394c3d1ff044b9f8ba167dd0614b06 eval/llamav-o1.py, generate_inner(): the
# model is asked in four turns. The first appends this to the question (with the image)...
LLAMAV_O1_USER = (
    "{question}\nSummarize how you will approach the problem and explain the steps you will take to reach "
    "the answer."
)
USER["llamav-o1"] = LLAMAV_O1_USER

# ...then each answer is followed by the next stage's request (caption_prompt, reasoning_prompt,
# conclusion_prompt). Each turn's output is one stage of LLaVA-CoT's format, so the record joins them
# inside these tags and `llava_cot` splits it.
LLAMAV_O1_TURNS = (
    "Provide a detailed description of the image, particularly emphasizing the aspects related to the "
    "question.",
    "Provide a chain-of-thought, logical explanation of the problem. This should outline step-by-step "
    "reasoning.",
    "State the final answer in a clear and direct format. It must match the correct answer exactly.",
)
DIALOGUES: dict[str, dict] = {
    "llamav-o1": {"turns": LLAMAV_O1_TURNS, "tags": ("SUMMARY", "CAPTION", "REASONING", "CONCLUSION")},
}
