"""The one weights loader: every model the project runs (generation, training, classifier judges, the
embedding model) is read through `load_weights`, under one policy.

- a source is a local folder or a hub id at a pinned revision (`Source`);
- weights come from safetensors only, unless the entry sets `allow_pickle_weights`;
- remote modelling code runs only when the entry sets `trust_remote_code`; a model whose config needs
  it (an `auto_map`, or a model type transformers does not know) stops with an error naming the key;
- both switches must be real booleans (the string "false" is truthy: it is an error, never a yes);
- an `adapter` (peft `save_pretrained` layout, safetensors) is applied with PeftModel;
- registry entries load in bf16 with `device_map="auto"` on GPU; on CPU the entry's `dtype` (default
  float32: faster than bf16 on CPUs without bf16 matmul units, and batched greedy decoding stays equal
  to one-by-one).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thinksafe.errors import ThinksafeError

log = logging.getLogger("thinksafe")

# family → transformers model class (by name, imported on use)
FAMILY_CLASSES = {
    "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
    "qwen2_vl": "Qwen2VLForConditionalGeneration",
    "mllama": "MllamaForConditionalGeneration",
    "llava": "LlavaForConditionalGeneration",
    "kimi_vl": "AutoModelForCausalLM",  # ships its modelling code on the hub (trust_remote_code)
}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def switch(entry: dict, name: str, where: str) -> bool:
    """A security switch of a config entry: absent is False; anything but a real boolean is an error."""
    value = entry.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ThinksafeError(f"{where}.{name}: must be true or false, not {value!r}")
    return value


@dataclass(frozen=True)
class Source:
    """Where weights come from and what they may do. `where` names the config entry in errors."""

    location: str  # a local folder, or a hub id
    where: str  # e.g. "config key models.qwen" or "config key judges.llama-guard"
    local: bool
    revision: str | None = None  # hub revision (None for a local folder)
    trust_remote_code: bool = False
    allow_pickle: bool = False
    location_key: str = "path"  # the entry's key that names the location, for errors

    @classmethod
    def of(cls, entry: dict, location: str, where: str, location_key: str, local: bool) -> Source:
        return cls(
            location=location,
            where=where,
            local=local,
            revision=None if local else (entry.get("revision") or "main"),
            trust_remote_code=switch(entry, "trust_remote_code", where),
            allow_pickle=switch(entry, "allow_pickle_weights", where),
            location_key=location_key,
        )

    @property
    def hub(self) -> dict:
        """from_pretrained kwargs that pin the hub revision."""
        return {} if self.local else {"revision": self.revision}


@dataclass
class LoadedModel:
    model: Any
    processor: Any
    tokenizer: Any
    spec: dict
    device: str
    dtype: str
    revision: str  # the entry's revision, or the hub commit it resolved to


def _key(spec: dict, field: str) -> str:
    return f"config key models.{spec.get('name', '?')}.{field}"


def source_of(spec: dict) -> Source:
    """The source of a model registry entry: its local `path`, or its `hf_id` at `revision`."""
    where = f"config key models.{spec.get('name', '?')}"
    if spec.get("path"):
        path = Path(spec["path"])
        if not path.is_dir():
            raise ThinksafeError(
                f"{_key(spec, 'path')}: {path} is not a directory (build or download it first)"
            )
        return Source.of(spec, str(path), where, "path", local=True)
    if spec.get("hf_id"):
        return Source.of(spec, spec["hf_id"], where, "hf_id", local=False)
    raise ThinksafeError(f"{_key(spec, 'hf_id')}: a model needs `path` or `hf_id`")


def model_class(spec: dict):
    family = spec.get("family")
    if family == "api":
        raise ThinksafeError(
            f"{_key(spec, 'family')}: family 'api' has no local weights; use backend: openai"
        )
    if family not in FAMILY_CLASSES:
        known = ", ".join(sorted(FAMILY_CLASSES))
        raise ThinksafeError(f"{_key(spec, 'family')}: unknown family {family!r} (known: {known})")
    import transformers

    return getattr(transformers, FAMILY_CLASSES[family])


def read_config(src: Source) -> dict:
    """config.json of the model, from the folder or the hub (cache first: HF_HUB_OFFLINE works)."""
    if src.local:
        file = Path(src.location) / "config.json"
    else:
        from huggingface_hub import hf_hub_download

        try:
            file = Path(hf_hub_download(src.location, "config.json", revision=src.revision))
        except Exception as e:  # offline miss, unknown repo or revision: say which entry
            raise ThinksafeError(
                f"{src.where}.{src.location_key}: cannot read config.json of {src.location}: {e}"
            ) from None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ThinksafeError(f"{src.where}.{src.location_key}: cannot read {file}: {e}") from None


def check_remote_code(src: Source, config: dict) -> None:
    """Stop before transformers would run (or refuse) hub code the registry did not allow."""
    if src.trust_remote_code:
        return
    from transformers import CONFIG_MAPPING

    if "auto_map" in config or config.get("model_type") not in CONFIG_MAPPING:
        why = (
            "its config.json has an auto_map"
            if "auto_map" in config
            else f"transformers does not know model_type {config.get('model_type')!r}"
        )
        raise ThinksafeError(
            f"{src.where}.trust_remote_code: {src.location} needs remote code ({why}); "
            "set trust_remote_code: true in its entry to allow it"
        )


def _from_pretrained(owner, *args: Any, **kwargs: Any):
    """The project's only `from_pretrained` for weights: callers come through load_weights or the adapter."""
    return owner.from_pretrained(*args, **kwargs)


def load_weights(cls, src: Source, *, checked: bool = False, **kwargs: Any):
    """`cls.from_pretrained` under the policy: trust checked on the config, safetensors unless allowed.

    `checked`: the caller already read the config and ran check_remote_code (no second read).
    Extra kwargs (dtype, device_map, gguf_file) pass through.
    """
    if not checked and not kwargs.get("gguf_file"):
        check_remote_code(src, read_config(src))
    kwargs = {**kwargs, **src.hub, "trust_remote_code": src.trust_remote_code}
    if not src.allow_pickle:
        kwargs["use_safetensors"] = True  # transformers ignores it for a gguf_file, which is not pickle
    try:
        return _from_pretrained(cls, src.location, **kwargs)
    except OSError as e:
        hint = "" if src.allow_pickle else " (only safetensors are read unless allow_pickle_weights)"
        raise ThinksafeError(f"{src.where}.{src.location_key}: {src.location}: {e}{hint}") from None


def load_tokenizer(src: Source, **kwargs: Any):
    """The tokenizer beside the weights, with the same revision and trust."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(
            src.location, trust_remote_code=src.trust_remote_code, **src.hub, **kwargs
        )
    except OSError as e:
        raise ThinksafeError(f"{src.where}.{src.location_key}: {src.location}: {e}") from None


def _dtype(spec: dict, on_gpu: bool):
    import torch

    name = "bfloat16" if on_gpu else spec.get("dtype") or "float32"
    if name not in ("float32", "bfloat16", "float16"):
        raise ThinksafeError(f"{_key(spec, 'dtype')}: unknown dtype {name!r}")
    return getattr(torch, name), name


def load(spec: dict) -> LoadedModel:
    """Model (eval mode, adapter applied), processor and tokenizer for a registry entry."""
    import torch

    from thinksafe.models.processors import load_processor

    cls = model_class(spec)
    src = source_of(spec)
    check_remote_code(src, read_config(src))
    on_gpu = torch.cuda.is_available() and spec.get("resources", {}).get("gpus", 0) > 0
    dtype, dtype_name = _dtype(spec, on_gpu)
    placement = {"device_map": "auto"} if on_gpu else {}
    model = load_weights(cls, src, checked=True, dtype=dtype, **placement)
    processor = load_processor(
        src.location, spec["family"], trust_remote_code=src.trust_remote_code, **src.hub
    )
    tokenizer = getattr(processor, "tokenizer", processor)
    if spec.get("adapter"):
        model = apply_adapter(spec, model)
    model.eval()
    device = str(next(model.parameters()).device)
    revision = getattr(model.config, "_commit_hash", None) or spec.get("revision", "local")
    log.info("loaded %s from %s (%s, %s)", spec.get("name"), src.location, device, dtype_name)
    return LoadedModel(model, processor, tokenizer, spec, device, dtype_name, str(revision))


def apply_adapter(spec: dict, model):
    """Wrap `model` with the LoRA adapter saved at spec['adapter'] (peft save_pretrained layout).

    peft reads adapter_model.safetensors when it is there, and we require it (never the .bin)."""
    from peft import PeftModel

    folder = Path(spec["adapter"])
    missing = [f for f in ADAPTER_FILES if not (folder / f).is_file()]
    if missing:
        raise ThinksafeError(f"{_key(spec, 'adapter')}: {folder} lacks {', '.join(missing)}")
    return _from_pretrained(PeftModel, model, str(folder), is_trainable=False)
