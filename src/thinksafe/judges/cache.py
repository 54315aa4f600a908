"""Content-addressed judge cache under work/cache/judges/ (undeclared, shared by every job).

Key = sha256(judge fingerprint + the exact request: model, messages, decoding). A stored reply is reused
by any rerun, so a rerun makes no request; only replies that came back are stored, so failed requests
are retried next time. One small JSON file per key, written atomically (safe under parallel jobs).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

DEFAULT_ROOT = Path("work/cache/judges")
_UMASK = os.umask(0)
os.umask(_UMASK)


def key(fingerprint: str, payload: dict) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((fingerprint + "\0" + blob).encode("utf-8")).hexdigest()


class JudgeCache:
    def __init__(self, root: str | Path = DEFAULT_ROOT):
        self.root = Path(root)

    def _path(self, k: str) -> Path:
        return self.root / k[:2] / f"{k}.json"

    def get(self, k: str) -> dict | None:
        try:
            return json.loads(self._path(k).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None  # a torn or missing entry is just a miss

    def put(self, k: str, value: dict) -> None:
        path = self._path(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{k[:8]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, ensure_ascii=False)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a shared cache must be readable by the group
        os.replace(tmp, path)
