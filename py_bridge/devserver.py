"""A small local web server for the demo and the e2e tests: the bundle, the demo page and the Intercom sandbox.

Production hosting is any static host (see the README); this server exists so a new machine can run the demo and
the tests with nothing but Python. It serves `.wasm` as application/wasm and `.mjs` as JavaScript, as the bundle
requires, and sends `Access-Control-Allow-Origin` on bundle files so a page on another origin can use them.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

__all__ = ["DevServer", "serve"]

DEMO_DIR: Final = Path(__file__).resolve().parent / "demo"
TYPES: Final = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


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
        if method not in ("GET", "HEAD"):
            return HTTPStatus.METHOD_NOT_ALLOWED, {"Content-Type": "text/plain"}, b"method not allowed\n"
        if path in self.documents:
            payload, doc_headers = self.documents[path]
            return HTTPStatus.OK, dict(doc_headers), payload
        file: Path | None = None
        cors = False
        if path.startswith("/py-bridge/"):
            file, cors = _safe_file(self.bundle_dir, path[len("/py-bridge/") :]), True
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
        if cors:
            out["Access-Control-Allow-Origin"] = "*"
        out.update(self.extra_headers)
        return HTTPStatus.OK, out, file.read_bytes()

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
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own lines
                return

        return Handler


def serve(bundle_dir: Path, port: int, *, sandbox: Any | None = None) -> None:
    server = DevServer(bundle_dir, port=port, sandbox=sandbox)
    print(f"py-bridge demo: http://127.0.0.1:{server.port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
