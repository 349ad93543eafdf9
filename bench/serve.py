"""The bench's web server: the bundle as a CDN serves it, host pages, the hero image, the sandbox, a request log.

- `/py-bridge/<file>`: the built bundle, compressed as the browser's `Accept-Encoding` allows, as a CDN does:
  brotli (`Content-Encoding: br`) when accepted, else gzip, else identity (`choose_encoding`). WebKitGTK sends
  `Accept-Encoding: gzip, deflate` over plain HTTP (libsoup offers `br` on HTTPS only), so without the gzip step it
  was sent the raw files. A precompressed `<file>.br` / `<file>.gz` next to the file is served as is; a missing
  brotli form is compressed here once, with the PyPI `brotli` package at quality 11, and kept in a cache folder
  keyed by the file's SHA-256 (the Pyodide files take ~30 s to compress the first time); a missing gzip form is
  compressed at startup (level 9, a second or two). Caching as the README advises:
  `public, max-age=31536000, immutable` for content-hashed names (`py_bridge.tools.bundle.is_immutable` where the
  build has it; before that, every file but the stable names), `public, max-age=300` for `embed.js`, `worker.mjs`,
  `manifest.json`; all carry an ETag (one per encoded form) and get `304` answers. `Access-Control-Allow-Origin: *`
  as on a CDN.
- `/sandbox/...`: the local Intercom sandbox (only the Lighthouse pages use it; the Playwright runs answer
  Intercom's real URLs from the sandbox through the DevTools protocol instead).
- documents added with `add_document` (`no-cache`) and `add_file` (the hero image).

Every answer is logged (start/end wall-clock time, path, bytes on the wire incl. headers) so a scenario can count
what a visit fetched: requests served from the browser's HTTP cache never reach the server.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from py_bridge.tools.devserver import TYPES, cache_control  # the project's own MIME types and CDN cache rule

BROTLI_QUALITY = 11
GZIP_LEVEL = 9


@dataclass
class LogEntry:
    start: float  # wall-clock seconds (time.time()), when the request line arrived
    end: float
    method: str
    path: str
    status: int
    wire_bytes: int  # status line + headers + body as sent
    encoding: str


@dataclass
class Asset:
    raw: bytes
    br: bytes | None
    etag: str  # of the file; each encoded form gets its own (`tagged`)
    content_type: str
    cache_control: str
    gz: bytes | None = None


def _q_values(accept_encoding: str) -> dict[str, float]:
    """`Accept-Encoding` as {coding: q}, lower-cased (RFC 9110 12.5.3); a malformed q counts as 0."""
    out: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        out[coding] = q
    return out


def choose_encoding(accept_encoding: str | None, available: tuple[str, ...] = ("br", "gzip")) -> str:
    """The content coding to send: the first of `available` (preference order) the request accepts, else
    "identity". `*` accepts any coding not named; `q=0` refuses one. No header at all means identity."""
    if not accept_encoding:
        return "identity"
    q = _q_values(accept_encoding)
    for coding in available:
        if q.get(coding, q.get("*", 0.0)) > 0:
            return coding
    return "identity"


def tagged(etag: str, encoding: str) -> str:
    """A strong ETag per representation: the brotli and gzip bodies are different bytes (RFC 9110 8.8.3)."""
    return etag if encoding == "identity" else f'{etag[:-1]}-{encoding}"'


def _brotli(data: bytes) -> bytes:
    import brotli  # the bench's own dependency (see bench/README.md)

    out: bytes = brotli.compress(data, quality=BROTLI_QUALITY)
    return out


def load_bundle(bundle: Path, cache_dir: Path, log: Callable[[str], None] = print) -> dict[str, Asset]:
    """Every bundle file with its brotli form (precompressed `.br`, cached, or compressed now in 2 threads)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in bundle.rglob("*") if p.is_file() and p.suffix not in (".br", ".gz"))
    assets: dict[str, Asset] = {}
    todo: list[tuple[str, bytes, Path]] = []
    precompressed = 0
    for path in files:
        rel = path.relative_to(bundle).as_posix()
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cache = cache_control(rel)
        assets[rel] = Asset(raw=raw, br=None, etag=f'"{digest[:20]}"', content_type=kind, cache_control=cache)
        shipped_gz = path.with_name(path.name + ".gz")
        assets[rel].gz = shipped_gz.read_bytes() if shipped_gz.is_file() else gzip.compress(raw, GZIP_LEVEL, mtime=0)
        shipped = path.with_name(path.name + ".br")
        cached = cache_dir / f"{digest}.q{BROTLI_QUALITY}.br"
        if shipped.is_file():
            assets[rel].br = shipped.read_bytes()
            precompressed += 1
        elif cached.is_file():
            assets[rel].br = cached.read_bytes()
        else:
            todo.append((rel, raw, cached))
    if todo:
        size = sum(len(raw) for _, raw, _ in todo) / 1e6
        log(f"brotli q{BROTLI_QUALITY}: compressing {len(todo)} files ({size:.1f} MB) once, cached in {cache_dir}")
        with ThreadPoolExecutor(max_workers=2) as pool:  # brotli releases the GIL
            for (rel, _raw, cached), out in zip(todo, pool.map(lambda item: _brotli(item[1]), todo), strict=True):
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(out)
                tmp.replace(cached)
                assets[rel].br = out
    if precompressed:
        log(f"serving {precompressed} precompressed .br files from the build")
    for asset in assets.values():
        if asset.br is not None and len(asset.br) >= len(asset.raw):
            asset.br = None  # not worth it: serve identity, as a CDN would
        if asset.gz is not None and len(asset.gz) >= len(asset.raw):
            asset.gz = None
    return assets


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing a keep-alive connection (a context closed mid-download) is normal here.
        return


class BenchServer:
    def __init__(self, assets: dict[str, Asset], sandbox: Any, host: str = "127.0.0.1") -> None:
        self.assets = assets
        self.sandbox = sandbox
        self.documents: dict[str, tuple[bytes, str, str]] = {}
        self.log: list[LogEntry] = []
        # Lighthouse waits until every request has finished, and Chromium finishes a fetch() only once the page has
        # read its body: the sandbox widget (like Intercom's) reads only the status of its Messenger API calls, so
        # for the Lighthouse pages those answers go out without a body (same status; the widget reads nothing more).
        self.empty_api_bodies = False
        self._lock = threading.Lock()
        self.httpd = _Server((host, 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="bench-server", daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> BenchServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_document(self, path: str, html: str) -> str:
        self.documents[path] = (html.encode("utf-8"), "text/html; charset=utf-8", "no-cache")
        return self.origin + path

    def add_file(self, path: str, payload: bytes, content_type: str) -> str:
        self.documents[path] = (payload, content_type, "public, max-age=3600")
        return self.origin + path

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self.log)

    def _record(self, entry: LogEntry) -> None:
        with self._lock:
            self.log.append(entry)

    def answer(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/sandbox/") and self.sandbox is not None:
            response = self.sandbox.handle(method, path[len("/sandbox") :], parts.query, headers, body)
            if self.empty_api_bodies and path.startswith("/sandbox/messenger/web/"):
                return response.status, dict(response.headers), b""
            return response.status, dict(response.headers), response.body
        if method not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED, {"Content-Type": "text/plain"}, b"method not allowed\n"
        if path in self.documents:
            payload, kind, cache = self.documents[path]
            return HTTPStatus.OK, {"Content-Type": kind, "Cache-Control": cache}, payload
        if path.startswith("/py-bridge/"):
            asset = self.assets.get(unquote(path[len("/py-bridge/") :]))
            if asset is not None:
                return self._asset(asset, headers)
        return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"not found\n"

    def _asset(self, asset: Asset, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        lower = {k.lower(): v for k, v in headers.items()}
        out = {
            "Content-Type": asset.content_type,
            "Cache-Control": asset.cache_control,
            "ETag": asset.etag,
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
        }
        forms = {"br": asset.br, "gzip": asset.gz}
        encoding = choose_encoding(lower.get("accept-encoding"), tuple(k for k, v in forms.items() if v is not None))
        out["ETag"] = tagged(asset.etag, encoding)
        if out["ETag"] in [tag.strip() for tag in lower.get("if-none-match", "").split(",")]:
            return HTTPStatus.NOT_MODIFIED, out, b""
        if encoding == "identity":
            return HTTPStatus.OK, out, asset.raw
        out["Content-Encoding"] = encoding
        return HTTPStatus.OK, out, forms[encoding] or b""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                start = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = server.answer(self.command, self.path, dict(self.headers.items()), body)
                head = [f"HTTP/1.1 {int(status)} {HTTPStatus(status).phrase}"]
                headers = {**headers, "Content-Length": str(len(payload))}
                head += [f"{k}: {v}" for k, v in headers.items()]
                raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                sent = len(raw_head)
                if self.command != "HEAD" and status != HTTPStatus.NOT_MODIFIED:
                    try:
                        self.wfile.write(payload)
                        sent += len(payload)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                server._record(
                    LogEntry(
                        start=start,
                        end=time.time(),
                        method=self.command,
                        path=urlsplit(self.path).path,
                        status=int(status),
                        wire_bytes=sent,
                        encoding=headers.get("Content-Encoding", ""),
                    )
                )

            do_GET = do_POST = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
