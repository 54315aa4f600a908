"""Continuous batching for the hf backend: a finished row leaves the batch and the next item takes its slot.

Static batching (`model.generate` on a fixed batch) keeps decoding every row until the longest one
stops; on demo-base a third of its token slots went to rows that had already finished. Here each item is
prefilled on its own (the same computation as one-by-one), its key/value cache joins the running batch
left-padded to the batch's length, and one decode step serves every running row. A row leaves as soon
as it stops, and its record goes out at once.

Positions are passed explicitly, so the model never infers them from the padded batch. This is written
for the Qwen2-VL family (multimodal RoPE: a row's text positions continue from its prompt's largest
position, `rope_deltas`), which is most of the paper's MLRMs and both local models; other families take
the static path in `hf.py`.

Decoding settings follow `GenerationConfig` semantics (repetition penalty over prompt and output,
suppressed tokens, temperature, top-p), applied row by row with transformers' own processors. Sampling
draws from a generator seeded by the seed and the item's id, so an item's output does not depend on which
items share its batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from thinksafe.records import stable_id


@dataclass
class Row:
    """One running item: its prompt ids, the tokens it has made, and where its next position is."""

    index: int
    prompt_ids: torch.Tensor  # (1, n_prompt)
    next_position: int
    generator: torch.Generator | None
    tokens: list[int] = field(default_factory=list)  # sampled and forced tokens, in order
    n_sampled: int = 0
    forced: deque[int] = field(default_factory=deque)  # tokens to feed instead of sampling
    thought_cut: bool = False
    finish_reason: str | None = None

    @property
    def n_prompt(self) -> int:
        return int(self.prompt_ids.shape[1])

    def ids(self) -> torch.Tensor:
        made = torch.tensor([self.tokens], dtype=self.prompt_ids.dtype)
        return torch.cat([self.prompt_ids, made], dim=1)


class ContinuousDecoder:
    """Decodes prepared prompts with at most `batch_size` rows running at once.

    `config` is a transformers `GenerationConfig`; `encode(i)` (in `run`) returns the processor's inputs
    for prompt i as a batch of one.
    """

    def __init__(self, model: Any, config: Any, batch_size: int, seed: int, eos_ids: set[int]):
        self.model, self.config, self.batch_size = model, config, batch_size
        self.seed, self.eos_ids = seed, eos_ids
        self.budget: int | None = None
        self.close_ids: list[int] = []
        self.thought_open: Callable[[list[int]], bool] | None = None
        self.processors = _processors(config)
        # Suppressed tokens are masked for the whole batch at once (the same as transformers' processor).
        self.suppress = torch.tensor(sorted(config.suppress_tokens or []), dtype=torch.long)
        self.rope_holder = next((m for m in model.modules() if hasattr(m, "rope_deltas")), None)

    def force_close(
        self, budget: int, close_ids: list[int], thought_open: Callable[[list[int]], bool]
    ) -> None:
        """Budget forcing: a row still inside its thought after `budget` sampled tokens is fed `close_ids`."""
        self.budget, self.close_ids, self.thought_open = budget, close_ids, thought_open

    def run(self, order: list[int], encode: Callable[[int], dict], ids: list[str]) -> Iterator[Row]:
        """Yields each prompt's row as soon as it stops (`finish_reason` set), in finishing order."""
        queue = deque(order)
        rows: list[Row] = []
        cache, mask = None, None
        while queue or rows:
            while queue and len(rows) < self.batch_size:
                i = queue.popleft()
                row, row_cache, logits = self._prefill(i, encode(i), ids[i])
                self._choose(row, logits)
                if row.finish_reason:  # stopped on its first token
                    yield row
                    continue
                cache, mask = _join(cache, mask, row_cache)
                rows.append(row)
            if not rows:
                continue
            mask = torch.cat([mask, torch.ones(len(rows), 1, dtype=mask.dtype)], dim=1)  # this step's token
            logits = self._step(rows, cache, mask)
            for row, row_logits in zip(rows, logits, strict=True):
                self._choose(row, row_logits[None])
            keep = [k for k, row in enumerate(rows) if not row.finish_reason]
            yield from (row for row in rows if row.finish_reason)
            if len(keep) < len(rows):
                rows = [rows[k] for k in keep]
                cache, mask = _select(cache, mask, keep) if rows else (None, None)

    def _prefill(self, index: int, enc: dict, item_id: str) -> tuple[Row, Any, torch.Tensor]:
        if self.rope_holder is not None:
            self.rope_holder.rope_deltas = None  # a text-only prompt must not inherit the last image's
        with torch.inference_mode():
            out = self.model(**enc, use_cache=True, logits_to_keep=1)
        n_prompt = int(enc["input_ids"].shape[1])
        deltas = getattr(self.rope_holder, "rope_deltas", None)
        delta = int(deltas.reshape(-1)[0]) if deltas is not None else 0
        generator = None
        if self.config.do_sample:
            generator = torch.Generator().manual_seed(int(stable_id(self.seed, item_id), 16) % 2**63)
        row = Row(index, enc["input_ids"].cpu(), n_prompt + delta, generator)
        return row, out.past_key_values, self._masked(out.logits[:, -1])

    def _step(self, rows: list[Row], cache: Any, mask: torch.Tensor) -> torch.Tensor:
        device = self.model.device
        feed = torch.tensor([[row.tokens[-1]] for row in rows], device=device)
        positions = torch.tensor([[row.next_position] for row in rows], device=device)
        with torch.inference_mode():
            out = self.model(
                input_ids=feed,
                attention_mask=mask.to(device),
                position_ids=positions[None].expand(3, -1, -1),  # text tokens: the same on all three axes
                past_key_values=cache,
                use_cache=True,
                logits_to_keep=1,
            )
        for row in rows:
            row.next_position += 1
        return self._masked(out.logits[:, -1])

    def _masked(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.float().cpu().index_fill(1, self.suppress, float("-inf"))

    def _choose(self, row: Row, logits: torch.Tensor) -> None:
        """The row's next token: forced, sampled or greedy; then whether the row stops."""
        if row.forced:
            row.tokens.append(row.forced.popleft())
            return
        scores = self.processors(row.ids(), logits)
        if self.config.do_sample:
            probs = torch.softmax(scores, dim=-1)
            token = int(torch.multinomial(probs[0], 1, generator=row.generator))
        else:
            token = int(scores[0].argmax())
        row.tokens.append(token)
        row.n_sampled += 1
        if token in self.eos_ids:
            row.finish_reason = "stop"
        elif row.n_sampled >= self.config.max_new_tokens:
            row.finish_reason = "length"
        elif row.n_sampled == self.budget and self.thought_open(row.tokens):
            row.forced.extend(self.close_ids)
            row.thought_cut = True


def _processors(config: Any):
    from transformers import (
        LogitsProcessorList,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopPLogitsWarper,
    )

    chain = LogitsProcessorList()
    if config.repetition_penalty not in (None, 1.0):
        chain.append(RepetitionPenaltyLogitsProcessor(config.repetition_penalty))
    if config.do_sample:
        if config.temperature not in (None, 1.0):
            chain.append(TemperatureLogitsWarper(config.temperature))
        if config.top_p not in (None, 1.0):
            chain.append(TopPLogitsWarper(config.top_p))
    return chain


def _join(cache: Any, mask: torch.Tensor | None, new: Any) -> tuple[Any, torch.Tensor]:
    """The running cache with a new row appended; the shorter side is left-padded and masked."""
    n_new = new.get_seq_length()
    if cache is None:
        return new, torch.ones(1, n_new, dtype=torch.long)
    n_old = cache.get_seq_length()
    width = max(n_old, n_new)
    for layer, add in zip(cache.layers, new.layers, strict=True):
        layer.keys = torch.cat([_pad_left(layer.keys, width, -2), _pad_left(add.keys, width, -2)])
        layer.values = torch.cat([_pad_left(layer.values, width, -2), _pad_left(add.values, width, -2)])
    row_mask = torch.ones(1, n_new, dtype=mask.dtype)
    return cache, torch.cat([_pad_left(mask, width, 1), _pad_left(row_mask, width, 1)])


def _select(cache: Any, mask: torch.Tensor, keep: list[int]) -> tuple[Any, torch.Tensor]:
    """Only the rows in `keep`; columns that are padding for every remaining row are dropped."""
    mask = mask[keep]
    start = int((mask.sum(dim=0) > 0).nonzero()[0])
    index = torch.tensor(keep)
    for layer in cache.layers:
        layer.keys = layer.keys.index_select(0, index.to(layer.keys.device))[:, :, start:]
        layer.values = layer.values.index_select(0, index.to(layer.values.device))[:, :, start:]
    return cache, mask[:, start:]


def _pad_left(t: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    """`t` grown to `width` along `dim` with zeros in front (masked positions, or their keys and values)."""
    missing = width - t.shape[dim]
    if missing == 0:
        return t
    shape = list(t.shape)
    shape[dim] = missing
    return torch.cat([t.new_zeros(shape), t], dim=dim)
