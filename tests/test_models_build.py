"""Building the local models, loading registry entries under the loading policy, and prompt_text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from thinksafe.errors import ThinksafeError
from thinksafe.models.build import build_tiny
from thinksafe.models.chat import THINK_PREFIX, prompt_text
from thinksafe.models.loading import load


def tiny_spec(path: Path, **extra) -> dict:
    return {"name": "tiny", "path": str(path), "family": "qwen2_5_vl", "revision": "local", **extra}


def test_tiny_model_is_small_deterministic_and_loads(tiny_model_dir, tmp_path):
    size = sum(f.stat().st_size for f in tiny_model_dir.iterdir())
    assert size < 1_000_000
    again = build_tiny(tmp_path / "again")
    a = load(tiny_spec(tiny_model_dir))
    b = load(tiny_spec(again))
    assert type(a.model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    assert a.tokenizer.get_vocab() == b.tokenizer.get_vocab()
    for (name, p), (_, q) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert torch.equal(p, q), name
    assert a.device == "cpu" and a.dtype == "float32"


def test_prompt_text_is_the_chat_template_with_system_prompt_and_think_prefix(tiny_model_dir):
    lm = load(tiny_spec(tiny_model_dir))
    plain = prompt_text(tiny_spec(tiny_model_dir), lm.processor, "What is in the picture?", has_image=True)
    assert plain == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is in the picture?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    spec = tiny_spec(tiny_model_dir, system_prompt="Think first.", think_prefix=True)
    thinking = prompt_text(spec, lm.processor, "Hello", has_image=False)
    assert thinking == (
        "<|im_start|>system\nThink first.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
        "<|im_start|>assistant\n" + THINK_PREFIX
    )
    # A registry chat_template replaces the model's own.
    spec = tiny_spec(tiny_model_dir, chat_template="{% for m in messages %}[{{ m['role'] }}]{% endfor %}>>")
    assert prompt_text(spec, lm.processor, "Hi", has_image=False) == "[user]>>"


def test_image_placeholder_expands_to_the_image_tokens(tiny_model_dir):
    from PIL import Image

    lm = load(tiny_spec(tiny_model_dir))
    text = prompt_text(tiny_spec(tiny_model_dir), lm.processor, "Describe.", has_image=True)
    enc = lm.processor(text=[text], images=[Image.new("RGB", (112, 112), "red")], return_tensors="pt")
    pad = lm.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert int((enc["input_ids"] == pad).sum()) == 16  # 112² pixels → 8×8 patches → 2×2 merge → 16


def test_unknown_family_and_missing_path_are_clear_errors(tiny_model_dir, tmp_path):
    with pytest.raises(ThinksafeError, match=r"models\.tiny\.family: unknown family 'gpt2'"):
        load(tiny_spec(tiny_model_dir, family="gpt2"))
    with pytest.raises(ThinksafeError, match=r"models\.tiny\.path: .* is not a directory"):
        load(tiny_spec(tmp_path / "nowhere"))
    with pytest.raises(ThinksafeError, match="use backend: openai"):
        load(tiny_spec(tiny_model_dir, family="api"))


def test_remote_code_needs_the_registry_to_allow_it(tiny_model_dir, tmp_path):
    remote = tmp_path / "remote"
    shutil.copytree(tiny_model_dir, remote)
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_custom.CustomModel"}
    (remote / "config.json").write_text(json.dumps(config))
    with pytest.raises(ThinksafeError, match=r"models\.tiny\.trust_remote_code: .* needs remote code"):
        load(tiny_spec(remote))


def test_weights_come_from_safetensors_unless_pickle_is_allowed(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_model_dir, pickled)
    state = load_file(pickled / "model.safetensors")
    (pickled / "model.safetensors").unlink()
    torch.save(state, pickled / "pytorch_model.bin")
    with pytest.raises(ThinksafeError, match="only safetensors are read unless allow_pickle_weights"):
        load(tiny_spec(pickled))
    lm = load(tiny_spec(pickled, allow_pickle_weights=True))
    assert torch.equal(lm.model.lm_head.weight, load(tiny_spec(tiny_model_dir)).model.lm_head.weight)


def test_adapter_is_applied(tiny_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model

    base = load(tiny_spec(tiny_model_dir)).model
    # init_lora_weights=False: a random (not zero) update, so the adapter visibly changes the output.
    lora = LoraConfig(r=4, lora_alpha=8, init_lora_weights=False,
                      target_modules=r".*language_model.*\.(q_proj|v_proj)")  # fmt: skip
    get_peft_model(base, lora).save_pretrained(tmp_path / "adapter")
    saved = {p.name for p in (tmp_path / "adapter").iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors"} <= saved

    tuned = load(tiny_spec(tiny_model_dir, adapter=str(tmp_path / "adapter")))
    plain = load(tiny_spec(tiny_model_dir))
    assert type(tuned.model).__name__ == "PeftModel"
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    with torch.no_grad():
        assert not torch.allclose(tuned.model(input_ids=ids).logits, plain.model(input_ids=ids).logits)
    with pytest.raises(ThinksafeError, match=r"models\.tiny\.adapter: .* lacks adapter_model.safetensors"):
        (tmp_path / "adapter" / "adapter_model.safetensors").unlink()
        load(tiny_spec(tiny_model_dir, adapter=str(tmp_path / "adapter")))


def test_build_model_cli_writes_the_tiny_model(tmp_path):
    from thinksafe import cli

    assert cli.main(["build-model", "--kind", "tiny", "--out", str(tmp_path / "tiny")]) == 0
    names = {p.name for p in (tmp_path / "tiny").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tiny.")]  # no temporary left behind


@pytest.mark.slow
def test_demo_base_speaks_as_smollm2(tmp_path):
    """The hybrid's text path is SmolLM2's: the same next-token choices as the GGUF Llama it came from."""
    from transformers import AutoModelForCausalLM

    from thinksafe.models.build import SMOLLM2_GGUF, build_demo_base, smollm2_dir

    spec = {"name": "demo-base", "path": str(build_demo_base(tmp_path / "demo-base")), "family": "qwen2_5_vl"}
    lm = load(spec)
    text = prompt_text(spec, lm.processor, "What is the capital of France?", has_image=False)
    enc = lm.processor(text=[text], return_tensors="pt")
    with torch.no_grad():
        out = lm.model.generate(**enc, max_new_tokens=12, do_sample=False)
        hybrid = lm.model(**enc).logits[0]
        llama = AutoModelForCausalLM.from_pretrained(smollm2_dir(), gguf_file=SMOLLM2_GGUF)
        reference = llama(input_ids=enc["input_ids"]).logits[0]
    answer = lm.tokenizer.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "Paris" in answer
    n_vocab = reference.shape[-1]
    agree = (hybrid[:, :n_vocab].argmax(-1) == reference.argmax(-1)).float().mean().item()
    assert agree >= 0.95, agree  # bf16 weights: rounding may flip a near-tie
