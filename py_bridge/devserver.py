"""A small local web server for the demo, `py-bridge serve` and the e2e tests: the bundle, the demo page, the sandbox.

Production hosting is any static host (see the README); this server exists so a new machine can run the demo and
the tests with nothing but Python. It serves the bundle as a CDN should:

- `.wasm` as application/wasm and `.js`/`.mjs` as text/javascript (the bundle requires both);
- the precompressed `<file>.br` / `<file>.gz` that `py-bridge build` writes, chosen by the request's
  Accept-Encoding (brotli first), with `Content-Encoding` and `Vary: Accept-Encoding`;
- `Cache-Control: public, max-age=31536000, immutable` for content-hashed names (`name-<16 hex>.ext`, and every file
  under `pyodide-<16 hex>/`), a short cache for the stable names (embed.js, worker.mjs, manifest.json), with an
  ETag and `304 Not Modified` answers to conditional requests;
- `Access-Control-Allow-Origin: *` (and `Timing-Allow-Origin: *`) on bundle files, so a page on another origin can
  use them and measure them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from py_bridge.bundle import is_immutable

__all__ = ["IMMUTABLE", "SHORT_CACHE", "DevServer", "cache_control", "negotiate_encoding", "serve"]

DEMO_DIR: Final = Path(__file__).resolve().parent / "demo"
DEMO_TRANSFORM_PATH: Final = "/demo/transform.py"  # the demo's editable transformation (GET and same-origin POST)
MAX_DEMO_TRANSFORM: Final = 64 * 1024
TYPES: Final = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".bin": "application/octet-stream",
}
IMMUTABLE: Final = "public, max-age=31536000, immutable"
SHORT_CACHE: Final = "public, max-age=300"  # embed.js, worker.mjs, manifest.json: a new build shows within 5 minutes
ENCODINGS: Final = (("br", ".br"), ("gzip", ".gz"))


def cache_control(relative: str) -> str:
    """The bundle's caching: one year, immutable, for content-hashed names; a short cache for the stable names."""
    return IMMUTABLE if is_immutable(relative) else SHORT_CACHE


def negotiate_encoding(accept_encoding: str, available: Mapping[str, Path]) -> str | None:
    """The content coding to serve from `available` (coding -> precompressed file) for an Accept-Encoding value."""
    accepted: dict[str, float] = {}
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if name:
            accepted[name.strip().lower()] = quality
    for coding, _suffix in ENCODINGS:
        weight = accepted.get(coding, accepted.get("*", 0.0))
        if coding in available and weight > 0:
            return coding
    return None


def _safe_file(root: Path, relative: str) -> Path | None:
    """The file under root named by a URL path, or None (no traversal outside root, no directories)."""
    candidate = (root / unquote(relative).lstrip("/")).resolve()
    if root.resolve() not in candidate.parents or not candidate.is_file():
        return None
    return candidate


class DevServer:
    """Mounts: `/` demo, `/py-bridge/` bundle, `/sandbox/` Intercom sandbox, `/pages/` extra pages (tests)."""

    def __init__(
        self,
        bundle_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        sandbox: Any | None = None,
        pages_dir: Path | None = None,
        demo: bool = True,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.bundle_dir = Path(bundle_dir)
        self.sandbox = sandbox
        self.pages_dir = pages_dir
        self.demo = demo
        self.demo_transform = (DEMO_DIR / "transform.py").read_text(encoding="utf-8") if demo else ""
        self.extra_headers = dict(extra_headers or {})
        self.documents: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DevServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="py-bridge-devserver", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_document(self, path: str, html: str, headers: Mapping[str, str] | None = None) -> str:
        """Serve `html` at `path` (tests build host pages this way); returns the absolute URL."""
        self.documents[path] = (html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8", **(headers or {})})
        return self.origin + path

    def route(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/sandbox/") and self.sandbox is not None:
            response = self.sandbox.handle(method, path[len("/sandbox") :], parts.query, headers, body)
            return response.status, dict(response.headers), response.body
        if self.demo and path == DEMO_TRANSFORM_PATH:
            return self._demo_transform(method, headers, body)
        if method not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED, {"Content-Type": "text/plain"}, b"method not allowed\n"
        if path in self.documents:
            payload, doc_headers = self.documents[path]
            return HTTPStatus.OK, dict(doc_headers), payload
        file: Path | None = None
        bundle_path: str | None = None
        if path.startswith("/py-bridge/"):
            bundle_path = path[len("/py-bridge/") :]
            file = _safe_file(self.bundle_dir, bundle_path)
        elif path.startswith("/pages/") and self.pages_dir is not None:
            file = _safe_file(self.pages_dir, path[len("/pages/") :])
        elif self.demo and path in ("/", "/index.html"):
            file = DEMO_DIR / "index.html"
        elif self.demo and path.startswith("/demo/"):
            file = _safe_file(DEMO_DIR, path[len("/demo/") :])
        if file is None:
            return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"not found\n"
        kind = TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        out = {"Content-Type": kind, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if bundle_path is None:
            out.update(self.extra_headers)
            return HTTPStatus.OK, out, file.read_bytes()
        return self._bundle_file(file, bundle_path, headers, out)

    def _demo_transform(
        self, method: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """The demo's editable transformation: GET serves it to the bridge, POST (from the demo page) replaces it.

        Demo only: the server listens on loopback and accepts the file from a same-origin page, so the Python a
        visitor edits in the panel runs in their own browser's worker, as a site's own file would.
        """
        plain = {"Content-Type": "text/x-python; charset=utf-8", "Cache-Control": "no-store"}
        if method in ("GET", "HEAD"):
            return HTTPStatus.OK, plain, self.demo_transform.encode("utf-8")
        request = {key.lower(): value for key, value in headers.items()}
        if method != "POST" or request.get("origin", self.origin) != self.origin:
            return HTTPStatus.FORBIDDEN, {"Content-Type": "text/plain"}, b"same-origin POST only\n"
        if len(body) > MAX_DEMO_TRANSFORM:
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"Content-Type": "text/plain"}, b"too large\n"
        try:
            self.demo_transform = body.decode("utf-8")
        except UnicodeDecodeError:
            return HTTPStatus.BAD_REQUEST, {"Content-Type": "text/plain"}, b"not UTF-8\n"
        return HTTPStatus.OK, plain, body

    def _bundle_file(
        self, file: Path, relative: str, headers: Mapping[str, str], out: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        variants = {
            coding: file.with_name(file.name + suffix)
            for coding, suffix in ENCODINGS
            if file.with_name(file.name + suffix).is_file()
        }
        request = {key.lower(): value for key, value in headers.items()}
        coding = negotiate_encoding(request.get("accept-encoding", ""), variants)
        served = variants[coding] if coding else file
        stat = served.stat()
        version = f"{relative}:{coding}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        etag = '"' + hashlib.sha256(version).hexdigest()[:24] + '"'
        out.update({"Cache-Control": cache_control(relative), "ETag": etag, "Access-Control-Allow-Origin": "*"})
        out["Timing-Allow-Origin"] = "*"
        if variants:
            out["Vary"] = "Accept-Encoding"
        if coding:
            out["Content-Encoding"] = coding
        out.update(self.extra_headers)
        if etag in [tag.strip() for tag in request.get("if-none-match", "").split(",")]:
            return HTTPStatus.NOT_MODIFIED, {k: v for k, v in out.items() if k != "Content-Type"}, b""
        return HTTPStatus.OK, out, served.read_bytes()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = server.route(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if status != HTTPStatus.NOT_MODIFIED:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD" and status != HTTPStatus.NOT_MODIFIED:
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own lines
                return

        return Handler


def serve(
    bundle_dir: Path,
    port: int,
    *,
    sandbox: Any | None = None,
    server: DevServer | None = None,
    banner: str | None = None,
) -> None:
    """Serve until Ctrl-C: the demo (`server` None), or a server the caller made (`py-bridge serve`, bundle only)."""
    server = server or DevServer(bundle_dir, port=port, sandbox=sandbox)
    print(banner or f"py-bridge demo: http://127.0.0.1:{server.port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
