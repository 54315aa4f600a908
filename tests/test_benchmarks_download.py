"""Network downloads against a real HTTP server on 127.0.0.1 laid out like GitHub raw: verified by
sha256, resumed from a partial file with a Range request, and never repeated once complete."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from thinksafe.cli import main
from thinksafe.io import read_jsonl

REV = "0861b17b3d67887c06ee3534ec65b3012f9becb7"
PREFIX = f"/ThuCCSLab/FigStep/{REV}/data/question/"


class Upstream:
    """Serves files by URL path; can cut the first response of a file short or serve it corrupted."""

    def __init__(self, files: dict[str, bytes]):
        self.files, self.requests, self.cut, self.corrupt = files, [], set(), set()
        self.tokens: list[str | None] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                upstream.requests.append((self.path, self.headers.get("Range")))
                upstream.tokens.append(self.headers.get("Authorization"))
                body = upstream.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                if self.path in upstream.corrupt:
                    body = body[:-10] + b"0123456789"
                start = (
                    int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                )
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if self.path in upstream.cut:
                    upstream.cut.discard(self.path)
                    self.wfile.write(body[start : len(body) // 2])  # then the connection drops
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 0.2
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        for _ in range(2000):  # bounded: the server stops by itself
            if self.stop:
                break
            self.server.handle_request()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def downloads(self) -> list[tuple[str, str | None]]:
        return [r for r in self.requests if r[0].startswith(PREFIX)]


@pytest.fixture()
def upstream(mirror, tmp_path, monkeypatch):
    question = mirror / "figstep-safebench/question"
    files = {
        PREFIX + name: (question / name).read_bytes() for name in ("safebench.csv", "SafeBench-Tiny.csv")
    }
    server = Upstream(files)
    server.thread.start()
    monkeypatch.setenv("THINKSAFE_GITHUB_RAW", server.url)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.chdir(tmp_path)
    yield server
    server.stop = True
    server.thread.join(timeout=5)


SPEC = json.dumps({"adapter": "figstep", "name": "figstep", "subset": "SafeBench-Tiny"})


def download() -> int:
    return main(["download", "--spec", SPEC, "--out", "data/raw/figstep"])


def test_a_download_is_verified_and_a_second_run_does_no_network_work(upstream):
    assert download() == 0
    assert sorted(p for p, _ in upstream.downloads()) == [
        PREFIX + "SafeBench-Tiny.csv",
        PREFIX + "safebench.csv",
    ]
    assert (
        main(["normalize", "--spec", SPEC, "--raw", "data/raw/figstep", "--out", "data/items/f.jsonl"]) == 0
    )
    assert len(read_jsonl("data/items/f.jsonl")) == 50
    seen = len(upstream.requests)
    assert download() == 0  # the raw dir is up to date
    Path("data/raw/figstep/MANIFEST.json").write_text("{}")  # stale: no longer matches the spec
    assert download() == 0  # rebuilt from the verified download cache
    assert len(upstream.requests) == seen
    Path("data/raw/figstep/MANIFEST.json").unlink()  # without one, the folder may not be download's own
    assert download() == 2


def test_an_interrupted_download_resumes_from_its_part_file(upstream, capsys):
    upstream.cut.add(PREFIX + "safebench.csv")
    assert download() == 2
    assert "download interrupted" in capsys.readouterr().err
    part = Path(f"data/raw/.downloads/figstep/{REV}/question/safebench.csv.part")
    assert part.is_file() and 0 < part.stat().st_size < len(upstream.files[PREFIX + "safebench.csv"])
    assert not Path("data/raw/figstep").exists()  # never taken for complete
    assert not Path(f"data/raw/.downloads/figstep/{REV}/question/safebench.csv").exists()
    size = part.stat().st_size
    assert download() == 0
    assert not part.exists()
    ranges = [r for p, r in upstream.downloads() if p == PREFIX + "safebench.csv" and r]
    assert ranges == [f"bytes={size}-"]  # only the missing bytes were asked for


def test_a_corrupt_download_is_a_checksum_mismatch_and_is_not_kept(upstream, capsys):
    upstream.corrupt.add(PREFIX + "SafeBench-Tiny.csv")
    assert download() == 2
    assert "SafeBench-Tiny.csv: checksum mismatch" in capsys.readouterr().err
    assert not list(Path("data/raw/.downloads/figstep").rglob("SafeBench-Tiny.csv*"))
    assert not Path("data/raw/figstep").exists()


def test_offline_without_a_mirror_says_so(upstream, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert download() == 2
    assert "HF_HUB_OFFLINE is set (use --mirror DIR)" in capsys.readouterr().err
    assert upstream.downloads() == []


def test_a_gated_image_archive_is_fetched_with_the_token_and_unpacked(upstream, mirror, monkeypatch):
    """VLGuard: JSON from GitHub at the pinned commit, test.zip from the HF dataset (gated: HF_TOKEN)."""
    import zipfile

    from PIL import Image

    git = "/ys-zong/VLGuard/a2f85c90e10345dc5e7eceecadd89c1ed982d04f/data/"
    for name in ("test.json", "gpt4_safe_safes.json"):
        upstream.files[git + name] = (mirror / "vlguard/data" / name).read_bytes()
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(png, format="PNG")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for rec in json.loads(upstream.files[git + "test.json"]):
            zf.writestr(f"test/{rec['image']}", png.getvalue())
    zip_path = "/datasets/ys-zong/VLGuard/resolve/main/test.zip"
    upstream.files[zip_path] = archive.getvalue()
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    spec = json.dumps({"adapter": "vlguard", "name": "vlguard-test", "subset": "test"})
    assert main(["download", "--spec", spec, "--out", "data/raw/vlguard-test"]) == 0
    token = upstream.tokens[[p for p, _ in upstream.requests].index(zip_path)]
    assert token == "Bearer hf_test_token"
    assert (
        main(["normalize", "--spec", spec, "--raw", "data/raw/vlguard-test", "--out", "data/items/v.jsonl"])
        == 0
    )
    items = read_jsonl("data/items/v.jsonl")
    assert len(items) == 1558 and len({i["image"] for i in items}) == 1000
    seen = len(upstream.requests)
    assert main(["download", "--spec", spec, "--out", "data/raw/vlguard-test"]) == 0
    assert len(upstream.requests) == seen
