"""transformers backend: batched generation, greedy or sampled per the entry's decoding.

Items are sorted by prompt length. The Qwen2-VL family decodes with continuous batching (continuous.py:
a finished row's slot goes to the next item at once); other families run fixed batches through
`model.generate` with left padding. On CPU in float32 the linear layers run on oneDNN with packed
weights (cpu_linear.py). Records come back through `on_done` as they finish. Greedy batched output
equals one-by-one output (tested on the tiny model, measured on demo-base by
bench/generation_batching.py).
"""

from __future__ import annotations

import logging
from typing import Any

from thinksafe.models import cpu_linear
from thinksafe.models.backends.base import Backend, OnDone, context_window, record, versions
from thinksafe.models.backends.continuous import ContinuousDecoder
from thinksafe.models.chat import prompt_text
from thinksafe.records import stable_id

log = logging.getLogger("thinksafe")
DEFAULT_BATCH_SIZE = 8
QWEN_FAMILIES = ("qwen2_5_vl", "qwen2_vl")
CLOSE_TAGS = {"think": "</think>", "kimi": "◁/think▷"}  # formats whose thought budget can be forced
PLACEHOLDER_TOKENS = (
    "<|image_pad|>",
    "<|video_pad|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<image>",
    "<|image|>",
)


class HFBackend(Backend):
    name = "hf"

    def __init__(self, spec: dict, seed: int = 0, loaded: Any = None):
        super().__init__(spec, seed)
        from thinksafe.models.loading import load

        self.lm = loaded or load(spec)
        self.batch_size = int(self.decoding.get("batch_size", DEFAULT_BATCH_SIZE))
        self.tokenizer = self.lm.tokenizer
        self.tokenizer.padding_side = "left"  # decoder-only batching: the new tokens line up on the right
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.eos_ids = self._eos_ids()
        self.context = context_window(self.lm.model.config)
        self.continuous = spec.get("family") in QWEN_FAMILIES  # see continuous.py for why this family
        self.linear_kernel = "torch"
        if (
            self.lm.device == "cpu"
            and cpu_linear.available()
            and cpu_linear.pack_linears(self.lm.model, self.batch_size)
        ):
            self.linear_kernel = "onednn-packed"

    def _eos_ids(self) -> set[int]:
        ids = self.lm.model.generation_config.eos_token_id
        ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids

    def generation_config(self):
        from transformers import GenerationConfig

        d = self.decoding
        sample = float(d["temperature"]) > 0
        # Everything explicit: a hub generation_config.json (Qwen's sets top_k=1, repetition 1.05) must
        # not change what the registry says.
        return GenerationConfig(
            max_new_tokens=int(d["max_new_tokens"]),
            do_sample=sample,
            temperature=float(d["temperature"]) if sample else None,
            top_p=float(d["top_p"]) if sample else None,
            top_k=None,
            repetition_penalty=float(d.get("repetition_penalty", 1.0)),
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.tokenizer.pad_token_id,
            suppress_tokens=self._placeholder_ids() or None,
        )

    def _placeholder_ids(self) -> list[int]:
        """Image/video placeholder tokens: input-only; a generated one would be read as an image slot."""
        vocab = self.tokenizer.get_vocab()
        return sorted(vocab[t] for t in PLACEHOLDER_TOKENS if t in vocab)

    def _texts(self, prepared: list[tuple[dict, Any]]) -> list[str]:
        proc = self.lm.processor
        return [
            prompt_text(self.spec, proc, item["prompt"], image is not None, item.get("history"))
            for item, image in prepared
        ]

    def _encode(self, texts: list[str], images: list[Any]):
        proc = self.lm.processor
        present = [im for im in images if im is not None]
        kwargs: dict[str, Any] = dict(text=texts, padding=True, return_tensors="pt")
        if present:
            # Qwen-VL processors take one flat list in prompt order; the others one list per prompt.
            family = self.spec.get("family")
            kwargs["images"] = present if family in QWEN_FAMILIES else [[im] if im else [] for im in images]
        return proc(**kwargs).to(self.lm.model.device)

    def _run(self, prepared: list[tuple[dict, Any]], done: OnDone) -> None:
        texts = self._texts(prepared)
        n_text = [len(self.tokenizer(t)["input_ids"]) for t in texts]
        keep = self._fitting(prepared, n_text, self.context, done)  # text tokens: images come on top
        prepared, texts, n_text = (
            [prepared[i] for i in keep],
            [texts[i] for i in keep],
            [n_text[i] for i in keep],
        )
        if not prepared:
            return
        # Image items cost their image tokens on top of the text: sort by text length with images last.
        lengths = [n + (1000 if im is not None else 0) for n, (_, im) in zip(n_text, prepared, strict=True)]
        order = sorted(range(len(prepared)), key=lambda i: lengths[i])
        if self.continuous:
            self._run_continuous(prepared, texts, order, done)
        else:
            self._run_static(prepared, texts, order, done)

    def _run_continuous(self, prepared: list[tuple[dict, Any]], texts: list[str], order: list[int],
                        done: OnDone) -> None:  # fmt: skip
        forcing = self._budget_forcing()
        decoder = ContinuousDecoder(self.lm.model, self.generation_config(), self.batch_size, self.seed,
                                    self.eos_ids)  # fmt: skip
        if forcing:
            budget, close = forcing
            tag_ids = self.tokenizer(f"\n{close}\n\n", add_special_tokens=False)["input_ids"]
            decoder.force_close(budget, tag_ids, lambda tokens: close not in self.tokenizer.decode(tokens))

        def encode(i: int) -> dict:
            return self._encode([texts[i]], [prepared[i][1]])

        ids = [item["id"] for item, _ in prepared]
        for row in decoder.run(order, encode, ids):
            tokens = row.tokens[:-1] if row.finish_reason == "stop" else row.tokens
            raw = self.tokenizer.decode(tokens, skip_special_tokens=False)
            item = prepared[row.index][0]
            done(record(self.spec, item, raw, row.finish_reason, row.n_prompt, row.n_sampled,
                        thought_cut=row.thought_cut))  # fmt: skip

    def _run_static(self, prepared: list[tuple[dict, Any]], texts: list[str], order: list[int],
                    done: OnDone) -> None:  # fmt: skip
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            for rec in self._batch([prepared[i] for i in idx], [texts[i] for i in idx]):
                done(rec)

    def _generate(self, texts: list[str], images: list[Any], max_new_tokens: int, ids: list[str]):
        """(decoded text, n output tokens, finish_reason) per prompt, and the prompt token counts."""
        import torch

        config = self.generation_config()
        config.max_new_tokens = max_new_tokens
        enc = self._encode(texts, images)
        if config.do_sample:  # reproducible per batch: the seed and the ids it holds
            torch.manual_seed(int(stable_id(self.seed, max_new_tokens, *ids), 16) % 2**31)
        with torch.inference_mode():
            out = self.lm.model.generate(**enc, generation_config=config)
        new = out[:, enc["input_ids"].shape[1] :].tolist()
        return [self._decode(tokens) for tokens in new], enc["attention_mask"].sum(dim=1).tolist()

    def _batch(self, batch: list[tuple[dict, Any]], texts: list[str]) -> list[dict]:
        images = [im for _, im in batch]
        ids = [item["id"] for item, _ in batch]
        limit = int(self.decoding["max_new_tokens"])
        forcing = self._budget_forcing()
        if not forcing:
            outs, n_prompt = self._generate(texts, images, limit, ids)
            rows = zip(batch, outs, n_prompt, strict=True)
            return [record(self.spec, item, raw, reason, n_in, n_out)
                    for (item, _), (raw, n_out, reason), n_in in rows]  # fmt: skip
        # Budget forcing: think for at most `thought_budget` tokens; a thought still open then is closed
        # with the format's tag and the answer gets the rest of max_new_tokens. Such records are marked
        # truncated (their thought was cut off) and keep the inserted tag in `raw`.
        budget, close = forcing
        outs, n_prompt = self._generate(texts, images, budget, ids)
        results = [list(o) + [False] for o in outs]  # raw, n_out, reason, thought_cut
        again = [i for i, (_, _, reason) in enumerate(outs) if reason == "length"]
        for i in again:
            if close not in results[i][0]:
                results[i][0] += f"\n{close}\n\n"
                results[i][3] = True
        if again:
            rest, _ = self._generate([texts[i] + results[i][0] for i in again], [images[i] for i in again],
                                     limit - budget, [ids[i] for i in again])  # fmt: skip
            for i, (raw, n_out, reason) in zip(again, rest, strict=True):
                results[i][0] += raw
                results[i][1] += n_out
                results[i][2] = reason
        rows = zip(batch, results, n_prompt, strict=True)
        return [record(self.spec, item, raw, reason, n_in, n_out, thought_cut=cut)
                for (item, _), (raw, n_out, reason, cut), n_in in rows]  # fmt: skip

    def _budget_forcing(self) -> tuple[int, str] | None:
        """(thought budget, close tag) when the entry forces thoughts closed; None otherwise."""
        close = CLOSE_TAGS.get(self.spec.get("reasoning", "none"))
        budget = self.decoding.get("thought_budget")
        if not budget or not close or budget >= int(self.decoding["max_new_tokens"]):
            return None
        return int(budget), close

    def _decode(self, tokens: list[int]) -> tuple[str, int, str]:
        """Text up to the first end-of-turn token; finish_reason `stop` if one came, else `length`."""
        for i, t in enumerate(tokens):
            if t in self.eos_ids:
                return self.tokenizer.decode(tokens[:i], skip_special_tokens=False), i + 1, "stop"
        return self.tokenizer.decode(tokens, skip_special_tokens=False), len(tokens), "length"

    def info(self) -> dict:
        return {
            "backend": self.name,
            "versions": versions("thinksafe", "torch", "transformers", "peft", "accelerate"),
            "device": self.lm.device,
            "dtype": self.lm.dtype,
            "revision": self.lm.revision,
            "batch_size": self.batch_size,
            "linear_kernel": self.linear_kernel,
            "batching": "continuous" if self.continuous else "static",
        }
