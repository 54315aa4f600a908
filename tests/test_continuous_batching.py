"""The hf backend's continuous batching and its CPU linear kernel, on the tiny random Qwen2.5-VL."""

from __future__ import annotations

import pytest
import torch
from test_generate import make_items, read, spec_for

from thinksafe.models import cpu_linear
from thinksafe.models.backends import get_backend


def stopping_early(backend, items: list[dict]):
    """The backend with a token the random model often emits made an end-of-turn token, so that rows
    stop at different steps (by itself the tiny model always runs to max_new_tokens)."""
    from collections import Counter

    raws = [r["raw"] for r in backend.generate(items)]
    ids = [t for raw in raws for t in backend.tokenizer(raw, add_special_tokens=False)["input_ids"]]
    whole = Counter(t for t in ids if "\ufffd" not in backend.tokenizer.decode([t]))  # not half a character
    backend.eos_ids = backend.eos_ids | {whole.most_common(1)[0][0]}
    return backend


def test_continuous_batching_gives_the_outputs_of_fixed_batches_and_of_one_by_one(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 11))  # text-only and two image sizes: rows of different lengths
    backend = stopping_early(get_backend(spec_for(tiny_model_dir, max_new_tokens=16, batch_size=3)), items)
    assert backend.continuous
    continuous = sorted(backend.generate(items), key=lambda r: r["id"])
    backend.continuous = False
    fixed = sorted(backend.generate(items), key=lambda r: r["id"])
    backend.batch_size = 1
    single = sorted(backend.generate(items), key=lambda r: r["id"])
    assert continuous == fixed == single
    assert {r["finish_reason"] for r in continuous} == {"stop", "length"}
    assert len({r["n_output_tokens"] for r in continuous}) > 2


def test_a_row_that_stops_is_handed_over_at_once(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 6))
    backend = stopping_early(get_backend(spec_for(tiny_model_dir, max_new_tokens=16, batch_size=6)), items)
    arrived: list[int] = []
    backend.generate(items, on_done=lambda rec: arrived.append(rec["n_output_tokens"]))
    # One batch of six that decode in step: records arrive in the order their rows stopped.
    assert arrived == sorted(arrived) and arrived[0] < arrived[-1]
    backend.continuous = False
    arrived.clear()
    backend.generate(items, on_done=lambda rec: arrived.append(rec["n_output_tokens"]))
    assert arrived != sorted(arrived)  # a fixed batch hands its records over together, in prompt order


def test_a_sampled_output_does_not_depend_on_the_items_beside_it(tiny_model_dir, tmp_path):
    items = read(make_items(tmp_path, 6))
    spec = spec_for(tiny_model_dir, temperature=1.0, top_p=0.9, batch_size=4)
    together = {r["id"]: r["raw"] for r in get_backend(spec, seed=3).generate(items)}
    alone = {r["id"]: r["raw"] for r in get_backend(spec, seed=3).generate(items[2:3])}
    assert alone[items[2]["id"]] == together[items[2]["id"]]


@pytest.mark.skipif(not cpu_linear.available(), reason="this torch has no oneDNN")
def test_packed_linear_matches_nn_linear_and_leaves_lora_projections_alone():
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(48, 96), torch.nn.ReLU(), torch.nn.Linear(96, 32, bias=False))
    x = torch.randn(5, 3, 48)
    expected = model(x)
    model = get_peft_model(model, LoraConfig(r=4, target_modules=["0"], init_lora_weights=False))
    with torch.no_grad():
        expected_lora = model(x)
    assert cpu_linear.pack_linears(model, batch_size=8) == 2  # the two base layers, not LoRA's A and B
    lora = model.base_model.model[0]
    assert type(lora.lora_A["default"]) is torch.nn.Linear
    assert isinstance(lora.base_layer, cpu_linear.PackedLinear)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected_lora, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(expected_lora, expected)  # the adapter does change the output
