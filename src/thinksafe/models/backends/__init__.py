"""One interface, three backends: `get_backend(spec).generate(items) -> list of generation records`.

- hf: transformers, continuous batching (Qwen2-VL family) or fixed batches (CPU demo, small GPUs);
- vllm: vLLM's offline engine (GPU, tensor parallel; imported only when used);
- openai: any OpenAI-compatible chat endpoint (API models, a vLLM server).
Each backend returns one record per item (thinksafe.records.Generation); an item that fails keeps an
`error` on its record. `generate(items, on_done)` calls `on_done(record)` as each finishes.
"""

from __future__ import annotations

from thinksafe.errors import ThinksafeError
from thinksafe.models.backends.base import Backend

BACKENDS = ("hf", "vllm", "openai")


def get_backend(spec: dict, seed: int = 0) -> Backend:
    """The backend named by the entry's `backend` (loads the model for hf and vllm)."""
    name = spec.get("backend", "hf")
    if name == "hf":
        from thinksafe.models.backends.hf import HFBackend

        return HFBackend(spec, seed)
    if name == "vllm":
        from thinksafe.models.backends.vllm import VLLMBackend

        return VLLMBackend(spec, seed)
    if name == "openai":
        from thinksafe.models.backends.openai import OpenAIBackend

        return OpenAIBackend(spec, seed)
    known = ", ".join(BACKENDS)
    where = f"config key models.{spec.get('name', '?')}.backend"
    raise ThinksafeError(f"{where}: unknown backend {name!r} ({known})")


__all__ = ["Backend", "get_backend", "BACKENDS"]
