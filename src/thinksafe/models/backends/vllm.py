"""vLLM's offline engine (GPU only, optional extra `pip install thinksafe[vllm]`).

Imported lazily: the project installs and its tests run without vllm. Prompts come from the same
`prompt_text` as the hf backend, so both backends see identical text; tensor parallelism is the
entry's `resources.gpus`. A tuned model's adapter is served as a LoRA request.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError
from thinksafe.models.backends.base import Backend, OnDone, record, versions
from thinksafe.models.chat import prompt_text

log = logging.getLogger("thinksafe")
CHUNK = 256


def _import_vllm():
    try:
        import vllm
    except ImportError as e:
        raise ThinksafeError(
            f"backend vllm: vllm is not installed ({e}); pip install 'thinksafe[vllm]' on a GPU machine, "
            "or set backend: hf"
        ) from None
    return vllm


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, spec: dict, seed: int = 0):
        super().__init__(spec, seed)
        from thinksafe.models.loading import check_remote_code, read_config, source_of
        from thinksafe.models.processors import load_processor

        vllm = _import_vllm()
        src = source_of(spec)
        check_remote_code(src, read_config(src))
        source, hub, trust = src.location, src.hub, src.trust_remote_code
        self.processor = load_processor(source, spec["family"], trust_remote_code=trust, **hub)
        self.lora = None
        kwargs: dict[str, Any] = {}
        if spec.get("adapter"):
            from vllm.lora.request import LoRARequest

            rank = json.loads((Path(spec["adapter"]) / "adapter_config.json").read_text())["r"]
            kwargs.update(enable_lora=True, max_lora_rank=max(8, int(rank)))
            self.lora = LoRARequest(spec["name"], 1, str(spec["adapter"]))
        self.llm = vllm.LLM(
            model=source,
            tokenizer=source,
            trust_remote_code=trust,
            load_format="auto" if src.allow_pickle else "safetensors",  # the loader's weights policy
            tensor_parallel_size=max(1, int(spec.get("resources", {}).get("gpus", 1))),
            dtype="bfloat16",
            seed=seed,
            limit_mm_per_prompt={"image": 1},
            **hub,
            **kwargs,
        )

    def sampling_params(self):
        from vllm import SamplingParams

        d = self.decoding
        return SamplingParams(
            max_tokens=int(d["max_new_tokens"]),
            temperature=float(d["temperature"]),
            top_p=float(d["top_p"]) if float(d["temperature"]) > 0 else 1.0,
            repetition_penalty=float(d.get("repetition_penalty", 1.0)),
            seed=self.seed,
            skip_special_tokens=False,
        )

    def inputs(self, prepared: list[tuple[dict, Any]]) -> list[dict]:
        out = []
        for item, image in prepared:
            entry: dict[str, Any] = {
                "prompt": prompt_text(
                    self.spec, self.processor, item["prompt"], image is not None, item.get("history")
                )
            }
            if image is not None:
                entry["multi_modal_data"] = {"image": image}
            out.append(entry)
        return out

    def _run(self, prepared: list[tuple[dict, Any]], done: OnDone) -> None:
        # Large chunks: vLLM schedules its own continuous batches inside each; records reach the
        # partial file chunk by chunk, so a killed job loses at most one chunk.
        params = self.sampling_params()
        inputs = self.inputs(prepared)
        # vLLM refuses a prompt over max_model_len by raising for the whole call: check each one first.
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        n_text = [len(tokenizer(e["prompt"])["input_ids"]) for e in inputs]
        keep = self._fitting(prepared, n_text, self.llm.llm_engine.model_config.max_model_len, done)
        prepared, inputs = [prepared[i] for i in keep], [inputs[i] for i in keep]
        for start in range(0, len(prepared), CHUNK):
            chunk = prepared[start : start + CHUNK]
            outputs = self.llm.generate(
                inputs[start : start + CHUNK], params, lora_request=self.lora, use_tqdm=False
            )
            for (item, _), out in zip(chunk, outputs, strict=True):
                o = out.outputs[0]
                reason = "length" if o.finish_reason == "length" else "stop"
                done(record(self.spec, item, o.text, reason, len(out.prompt_token_ids), len(o.token_ids)))

    def info(self) -> dict:
        import torch

        device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
        return {
            "backend": self.name,
            "versions": versions("thinksafe", "vllm", "torch", "transformers"),
            "device": device,
            "revision": self.spec.get("revision"),
        }
