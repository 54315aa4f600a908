"""A real Hugging Face hub on 127.0.0.1 for `thinksafe lock` and `thinksafe check`: it answers the hub's
model-info endpoint (`/api/models/{repo}/revision/{rev}`), the file endpoint (`/{repo}/resolve/{rev}/{file}`,
HEAD and GET, with the X-Repo-Commit and ETag headers huggingface_hub reads) and file listings, from
model folders on disk. Errors carry the hub's X-Error-Code, so huggingface_hub raises its own exceptions.
It serves at most `max_requests` or until `lifetime_s` has passed, then stops by itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlparse

from local_server import BoundedServer


@dataclass
class Repo:
    folder: Path
    commit: str
    branches: tuple[str, ...] = ("main",)
    parameters: dict[str, int] | None = None  # the hub's safetensors metadata, per dtype
    hidden: set[str] = field(default_factory=set)  # files the repository does not have

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.folder.iterdir())
                if p.is_file() and p.name not in self.hidden}  # fmt: skip

    def at(self, revision: str) -> bool:
        return revision == self.commit or revision in self.branches


class FakeHub(BoundedServer):
    def __init__(self, repos: dict[str, Repo], max_requests: int = 2000, lifetime_s: float = 120.0):
        self.repos = repos
        self.requests: list[tuple[str, str]] = []
        super().__init__(self._handler(), max_requests, lifetime_s)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _repo(self, path: str, marker: str) -> tuple[str, str, str] | None:
        """Split `{repo}/{marker}/{revision}[/{file}]` against the known repository names."""
        for name in self.repos:
            prefix = f"{name}/{marker}/"
            if path.startswith(prefix):
                rest = path[len(prefix):]
                revision, _, file = rest.partition("/")
                return name, unquote(revision), file
        return None

    def answer(self, method: str, path: str) -> tuple[int, dict, bytes]:
        self.requests.append((method, path))
        self.served += 1
        if path.startswith("/api/models/"):
            found = self._repo(path.removeprefix("/api/models/"), "revision") or \
                self._repo(path.removeprefix("/api/models/"), "tree")  # fmt: skip
            if not found:
                return 404, {"X-Error-Code": "RepoNotFound"}, b'{"error": "Repository not found"}'
            name, revision, sub = found
            repo = self.repos[name]
            if not repo.at(revision):
                return 404, {"X-Error-Code": "RevisionNotFound"}, b'{"error": "Invalid rev id"}'
            if "/tree/" in path:
                return 200, {}, b"[]"  # no folders (additional_chat_templates and the like)
            files = repo.files()
            info = {"id": name, "modelId": name, "sha": repo.commit, "private": False,
                    "siblings": [{"rfilename": f, "size": len(b)} for f, b in files.items()]}  # fmt: skip
            if repo.parameters:
                info["safetensors"] = {"parameters": repo.parameters, "total": sum(repo.parameters.values())}
            return 200, {}, json.dumps(info).encode()
        found = self._repo(path.lstrip("/"), "resolve")
        if not found:
            return 404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found"
        name, revision, file = found
        repo = self.repos[name]
        if not repo.at(revision):
            return 404, {"X-Error-Code": "RevisionNotFound"}, b"Invalid rev id"
        files = repo.files()
        if file not in files:
            return 404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": repo.commit}, b"Entry not found"
        body = files[file]
        etag = hashlib.sha256(body).hexdigest()
        return 200, {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"'}, body

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, with_body: bool) -> None:
                code, headers, body = outer.answer(self.command, urlparse(self.path).path)
                try:
                    self.send_response(code)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if with_body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
                self._reply(with_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._reply(with_body=True)

        return Handler
