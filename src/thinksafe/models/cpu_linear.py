"""On CPU, run the model's linear layers on oneDNN with weights packed once, for batched decoding.

torch's float32 `linear` goes to MKL, whose small-M gemm makes a decode step at batch 8 cost about 1.6x a
step at batch 1 on demo-base. oneDNN with its weights reordered ahead of time (what torch's own inductor
does for frozen CPU models) makes the batch-8 step cost about what the batch-1 step costs, so batching
pays: measured in bench/generation_batching.py. Greedy outputs stayed identical to MKL's on the demo
items and between batch sizes; the tests check the latter on the tiny model.

Only plain `nn.Linear` modules are packed; LoRA's small A/B projections stay as they are and the LoRA
wrapper calls the packed base layer. The original weight stays registered on the module (dtype, device,
state_dict and peft see the model they expect), so the packed copy costs one more copy of the linear
weights in memory: fine for the CPU-sized models this path is for.
"""

from __future__ import annotations

import logging

import torch

log = logging.getLogger("thinksafe")


def available() -> bool:
    """oneDNN is built in and exposes the two ops (x86 and aarch64 wheels of torch do)."""
    ops = torch.ops.mkldnn
    return (
        torch.backends.mkldnn.is_available()
        and hasattr(ops, "_reorder_linear_weight")
        and hasattr(ops, "_linear_pointwise")
    )


class PackedLinear(torch.nn.Module):
    """`nn.Linear` for inference with a oneDNN-packed copy of the weight."""

    def __init__(self, linear: torch.nn.Linear, batch_size: int):
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight, self.bias = linear.weight, linear.bias
        with torch.no_grad():
            self.packed = torch.ops.mkldnn._reorder_linear_weight(linear.weight.detach(), batch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        y = torch.ops.mkldnn._linear_pointwise(flat, self.packed, self.bias, "none", [], "")
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, onednn_packed"


def pack_linears(model: torch.nn.Module, batch_size: int) -> int:
    """Replace every float32 CPU `nn.Linear` (LoRA's own A/B excepted) in place; returns how many."""
    targets = [
        (parent, name, child)
        for parent_name, parent in model.named_modules()
        for name, child in parent.named_children()
        if type(child) is torch.nn.Linear
        and child.weight.device.type == "cpu"
        and child.weight.dtype == torch.float32
        and ".lora_" not in f".{parent_name}."
    ]
    for parent, name, child in targets:
        setattr(parent, name, PackedLinear(child, batch_size))
    log.info("linear layers on oneDNN, packed for batch %d: %d", batch_size, len(targets))
    return len(targets)
