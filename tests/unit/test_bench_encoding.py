"""The bench server answers the bundle as a CDN would: brotli if accepted, else gzip, else identity.

WebKitGTK sends `Accept-Encoding: gzip, deflate` over plain HTTP, and the server used to send it the raw files.
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SERVE = Path(__file__).resolve().parents[2] / "bench" / "serve.py"


@pytest.fixture(scope="module")
def serve() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_serve", SERVE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip, deflate, br", "br"),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", "br"),
        ("gzip, deflate", "gzip"),  # WebKitGTK (libsoup) over plain HTTP
        ("GZIP", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("deflate", "identity"),
        ("identity", "identity"),
        ("", "identity"),
        (None, "identity"),
        ("*", "br"),
        ("*, br;q=0", "gzip"),
        ("gzip;q=0, br;q=0", "identity"),
        ("gzip;q=bogus", "identity"),
    ],
)
def test_choose_encoding(serve: ModuleType, accept: str | None, expected: str) -> None:
    assert serve.choose_encoding(accept) == expected


def test_choose_encoding_only_among_available_forms(serve: ModuleType) -> None:
    assert serve.choose_encoding("gzip, deflate, br", ("gzip",)) == "gzip"
    assert serve.choose_encoding("br", ("gzip",)) == "identity"
    assert serve.choose_encoding("gzip, br", ()) == "identity"


@pytest.fixture
def server(serve: ModuleType, tmp_path: Path) -> Iterator[object]:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    raw = b"python runtime " * 4000
    (bundle / "snapshot-0123456789abcdef.bin").write_bytes(raw)
    (bundle / "snapshot-0123456789abcdef.bin.br").write_bytes(b"BR" + raw[:100])  # shipped forms are served as is
    (bundle / "worker.mjs").write_bytes(b"export const x = 1; " * 200)  # no .br/.gz shipped: compressed here
    (bundle / "tiny.json").write_bytes(b"{}")  # compression would make it bigger: identity only
    assets = serve.load_bundle(bundle, tmp_path / "cache", log=lambda _line: None)
    bench = serve.BenchServer(assets, sandbox=None)
    try:
        yield bench
    finally:
        bench.httpd.server_close()


def get(server: object, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    status, out, body = server.answer("GET", path, {k.replace("_", "-"): v for k, v in headers.items()}, b"")  # type: ignore[attr-defined]
    return int(status), out, body


def test_gzip_when_brotli_is_not_accepted(server: object) -> None:
    path = "/py-bridge/snapshot-0123456789abcdef.bin"
    raw = b"python runtime " * 4000
    status, headers, body = get(server, path, Accept_Encoding="gzip, deflate")
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == raw
    status, headers, body = get(server, path, Accept_Encoding="gzip, deflate, br")
    assert (headers["Content-Encoding"], body) == ("br", b"BR" + raw[:100])
    status, headers, body = get(server, path)
    assert "Content-Encoding" not in headers
    assert body == raw


def test_each_encoding_has_its_own_etag_and_304(server: object) -> None:
    path = "/py-bridge/worker.mjs"
    tags = {}
    for accept in ("br", "gzip", "identity"):
        status, headers, _body = get(server, path, Accept_Encoding=accept)
        assert status == 200
        tags[accept] = headers["ETag"]
        status, _headers, body = get(server, path, Accept_Encoding=accept, If_None_Match=headers["ETag"])
        assert (status, body) == (304, b"")
    assert len(set(tags.values())) == 3
    status, _headers, _body = get(server, path, Accept_Encoding="gzip", If_None_Match=tags["br"])
    assert status == 200  # a brotli body's tag does not validate the gzip one


def test_no_encoding_when_it_would_not_pay(server: object) -> None:
    status, headers, body = get(server, "/py-bridge/tiny.json", Accept_Encoding="gzip, deflate, br")
    assert status == 200
    assert "Content-Encoding" not in headers
    assert body == b"{}"
