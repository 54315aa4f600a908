"""The Hugging Face hub as `thinksafe lock` and `thinksafe check` ask it: which commit a revision names,
which files a repository holds at that commit, and one small file from it.

One place talks to the hub API, through huggingface_hub, at the endpoint HF_ENDPOINT names (a mirror, or
a test server on 127.0.0.1). Every failure becomes one line naming the repository and the reason.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from thinksafe.errors import ThinksafeError

COMMIT = re.compile(r"^[0-9a-f]{40}$")


def is_commit(revision: str | None) -> bool:
    return bool(revision and COMMIT.match(revision))


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


@dataclass
class RepoState:
    """A repository at one commit: its files (name → size in bytes) and, when the hub knows it, the
    parameter count per dtype from its safetensors headers."""

    repo: str
    revision: str
    commit: str
    files: dict[str, int | None] = field(default_factory=dict)
    parameters: dict[str, int] = field(default_factory=dict)


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _reason(e: Exception) -> str:
    """The hub's own words for a failure, without the long help text huggingface_hub appends."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(e, RevisionNotFoundError):
        return "revision not found"
    if isinstance(e, GatedRepoError):
        return "gated: accept its license on the hub and set HF_TOKEN"
    if isinstance(e, RepositoryNotFoundError):
        return "repository not found (or private: set HF_TOKEN)"
    if isinstance(e, EntryNotFoundError):
        return "file not found"
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def repo_state(repo: str, revision: str) -> RepoState:
    """Resolve `revision` (a branch, tag or commit) of a model repository to its commit and file list."""
    if _offline():
        raise ThinksafeError(f"{repo}@{revision}: the hub is needed but HF_HUB_OFFLINE is set")
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=endpoint()).model_info(repo, revision=revision, files_metadata=True)
    except Exception as e:  # every hub or network failure: say which repository and why
        raise ThinksafeError(f"{repo}@{revision}: {_reason(e)}") from None
    if not is_commit(info.sha):
        raise ThinksafeError(f"{repo}@{revision}: the hub returned no commit hash ({info.sha!r})")
    files = {s.rfilename: s.size for s in info.siblings or []}
    params = dict(getattr(info.safetensors, "parameters", None) or {}) if info.safetensors else {}
    return RepoState(repo, revision, info.sha, files, params)


def read_json_file(repo: str, filename: str, commit: str) -> dict:
    """One JSON file of a repository at a commit (the HF cache first, then the hub)."""
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(repo, filename, revision=commit, endpoint=endpoint())
    except Exception as e:
        raise ThinksafeError(f"{repo}@{commit[:12]}: {filename}: {_reason(e)}") from None
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ThinksafeError(f"{repo}@{commit[:12]}: {filename} is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise ThinksafeError(f"{repo}@{commit[:12]}: {filename} is not a JSON object")
    return value
