"""The preflight: before any GPU hour is spent, can each model of the run be loaded and asked?

For one registry entry (at its locked revision when there is a lock): config.json and a tokenizer
resolve, remote code agrees with the entry's permission, the processor loads, the chat template renders
a prompt with an image, the reasoning format has a parser, the weights and one sequence's KV cache fit
the GPUs the entry asks for, and the vllm backend serves the architecture. Only small files are read
(config, tokenizer, processor); weights never are. Every failure is one line naming the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from thinksafe.errors import ThinksafeError
from thinksafe.models import footprint, hub
from thinksafe.models.chat import prompt_text
from thinksafe.models.loading import check_remote_code, source_of
from thinksafe.models.reasoning import PARSERS
from thinksafe.models.vllm_support import unsupported_reason

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tiktoken.model")
PROBE = "What is shown in this image?"
# Per-GPU memory the estimate is held against; the profile's GPUs decide the real figure.
DEFAULTS = {"gpu_memory_gib": 80, "usable_fraction": 0.9, "prompt_tokens": 2048}


@dataclass
class Result:
    model: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.model}: {self.message}"


@dataclass
class _Source:
    """Where the small files come from: a local folder, or a hub repository at a commit."""

    spec: dict
    folder: Path | None = None
    state: hub.RepoState | None = None

    @property
    def files(self) -> set[str]:
        if self.folder:
            return {p.name for p in self.folder.iterdir()}
        return set(self.state.files)

    def config(self) -> dict:
        if self.folder:
            return json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        return hub.read_json_file(self.state.repo, "config.json", self.state.commit)

    def parameters(self) -> int | None:
        if self.folder:
            return footprint.local_parameters(self.folder) or None
        if self.state.parameters:
            return sum(self.state.parameters.values())
        return None

    def load_args(self) -> tuple[str, dict]:
        if self.folder:
            return str(self.folder), {}
        return self.state.repo, {"revision": self.state.commit}


def _source(spec: dict) -> _Source:
    if spec.get("path"):
        folder = Path(spec["path"])
        if not (folder / "config.json").is_file():
            raise ThinksafeError(f"{folder} has no config.json (build or download it first)")
        return _Source(spec, folder=folder)
    state = hub.repo_state(spec["hf_id"], spec.get("revision", "main"))
    if "config.json" not in state.files:
        raise ThinksafeError(f"{spec['hf_id']}@{state.commit[:12]} has no config.json")
    return _Source(spec, state=state)


def _fits(spec: dict, source: _Source, config: dict, limits: dict) -> str:
    gpus = spec.get("resources", {}).get("gpus", 0)
    parameters = source.parameters()
    if parameters is None:
        raise ThinksafeError("the parameter count is unknown (no safetensors metadata): cannot size it")
    tokens = limits["prompt_tokens"] + spec.get("decoding", {}).get("max_new_tokens", 0)
    weights, kv = footprint.need_gib(parameters, config, tokens)
    need = weights + (kv or 0.0)
    size = f"{parameters / 1e9:.2f}B params, {weights:.1f} GiB bf16 + " + (
        f"{kv:.1f} GiB KV at {tokens} tokens" if kv is not None else "KV not estimated"
    )
    if gpus == 0:
        return f"{size}; runs on CPU (gpus: 0)"
    have = gpus * limits["gpu_memory_gib"] * limits["usable_fraction"]
    if need > have:
        raise ThinksafeError(
            f"does not fit: needs {need:.1f} GiB ({size}) but {gpus} GPU(s) × {limits['gpu_memory_gib']} GiB "
            f"× {limits['usable_fraction']} give {have:.1f} GiB; raise resources.gpus"
        )
    return f"{size} on {gpus}×{limits['gpu_memory_gib']} GiB"


def check(spec: dict, limits: dict | None = None) -> Result:
    """Every preflight step for one resolved registry entry; the first failure is the result."""
    limits = {**DEFAULTS, **(limits or {})}
    name = spec.get("name", "?")
    try:
        if spec.get("backend") == "openai" or spec.get("family") == "api":
            return Result(name, True, "API model: nothing to load")
        if spec.get("reasoning", "none") not in PARSERS:
            raise ThinksafeError(f"no parser for reasoning format {spec.get('reasoning')!r}")
        source = _source(spec)
        config = source.config()
        allowed = source_of(spec)  # the entry's switches, checked to be real booleans
        check_remote_code(allowed, config)
        if not source.files & set(TOKENIZER_FILES):
            raise ThinksafeError(f"no tokenizer file ({', '.join(TOKENIZER_FILES[:2])}, ...)")
        architecture = (config.get("architectures") or ["?"])[0]
        if spec.get("backend") == "vllm" and (why := unsupported_reason(architecture)):
            raise ThinksafeError(why)
        fit = _fits(spec, source, config, limits)
        from thinksafe.models.processors import load_processor

        where, revision = source.load_args()
        try:
            trust = allowed.trust_remote_code
            processor = load_processor(where, spec["family"], trust_remote_code=trust, **revision)
        except Exception as e:  # a missing or broken processor file, whatever transformers raises
            raise ThinksafeError(f"the processor does not load ({str(e).splitlines()[0][:200]})") from None
        text = prompt_text(spec, processor, PROBE, has_image=True)
        placeholder = getattr(processor, "image_token", None)
        if placeholder and placeholder not in text:
            raise ThinksafeError(f"the chat template drops the image placeholder {placeholder!r}")
        at = f"@{source.state.commit[:12]}" if source.state else " (local)"
        parser = spec.get("reasoning", "none")
        return Result(name, True, f"{where}{at} {architecture}, {parser} parser, {fit}")
    except ThinksafeError as e:
        return Result(name, False, str(e))
