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

It may listen on a network address (`--host 0.0.0.0`), so it guards what it holds: the demo transform is Python that
every visitor's worker runs, and the sandbox's settings decide what the demo and the tests see. A request that
changes them must come from a page of this server in a browser on this machine (`change_refused`), and so must a
read of what a visitor entered into the sandbox (users, emails, events: `read_refused`, which also checks the Host
against DNS rebinding; those answers never carry a wildcard Access-Control-Allow-Origin); files are served
only from inside their root (no `..`, no symlink leading out, precompressed siblings included); a malformed request
(a NUL in the path, a bad, huge or chunked body length) gets a 4xx at once, never a traceback or a held thread. On
loopback it answers at every loopback name: 127.0.0.1, localhost, and [::1] (where `localhost` resolves first).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import mimetypes
import re
import socket
import socketserver
import sys
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from py_bridge.tools.bundle import is_immutable
from py_bridge.tools.sandbox.app import CONTROL_ROUTES, DATA_ROUTES

__all__ = [
    "IMMUTABLE",
    "SHORT_CACHE",
    "DevServer",
    "cache_control",
    "from_this_machine",
    "negotiate_encoding",
    "serve",
]

log = logging.getLogger(__name__)

DEMO_DIR: Final = Path(__file__).resolve().parent / "demo"
DEMO_TRANSFORM_PATH: Final = "/demo/transform.py"  # the demo's editable transformation (GET and same-origin POST)
MAX_DEMO_TRANSFORM: Final = 64 * 1024
# No route takes more (the sandbox refuses bodies over 1 MB): a longer body is refused without being read.
MAX_REQUEST_BODY: Final = 1024 * 1024
SANDBOX_CONTROL: Final = frozenset(f"/sandbox{route}" for route in CONTROL_ROUTES)  # JSON bodies only
SANDBOX_DATA: Final = frozenset(f"/sandbox{route}" for route in DATA_ROUTES)  # the entered data: own pages only
READ_ONLY_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})
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
    """The file under root named by a URL path, or None (no traversal outside root, also through a symlink; no
    directories)."""
    try:
        candidate = (root / unquote(relative).lstrip("/")).resolve()
        if root.resolve() not in candidate.parents or not candidate.is_file():
            return None
    except (OSError, ValueError):  # a NUL byte, a name too long, a symlink loop
        return None
    return candidate


def _plain_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped  # a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d
    return parsed


def from_this_machine(peer: str, local: str) -> bool:
    """True when the client is on this machine: a loopback address, or the very address it reached us on (a
    browser here that opened the server's network address). A machine elsewhere can send any header it likes, so
    its address decides whether it may change the demo, not its Origin."""
    client = _plain_address(peer)
    if client is None:
        return False
    return client.is_loopback or client == _plain_address(local)


class _Listener(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A visitor closing the tab mid-download resets the connection: normal for a server, not a traceback on the
        # demo's terminal. Anything else is still printed.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer's server_bind also looks the address up in DNS (getfqdn): slow or stuck on a machine offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class _Listener6(_Listener):
    address_family = socket.AF_INET6


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
        self.host = host
        handler = self._handler_class()
        self.httpd: ThreadingHTTPServer = (_Listener6 if ":" in host else _Listener)((host, port), handler)
        # A server on 127.0.0.1 also answers on [::1]: browsers and tools try `localhost` there first.
        self.more: list[ThreadingHTTPServer] = []
        if host in ("127.0.0.1", "localhost"):
            with contextlib.suppress(OSError):  # no IPv6 here, or the port taken on ::1: 127.0.0.1 still serves
                self.more.append(_Listener6(("::1", self.port), handler))
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
        self._start_more()
        return self

    def _start_more(self) -> None:
        for listener in self.more:
            threading.Thread(target=listener.serve_forever, name="py-bridge-devserver-ipv6", daemon=True).start()

    def stop(self) -> None:
        listeners = (self.httpd, *self.more)
        # shutdown() waits for the listener's next poll (up to 0.5 s): stop them all at once, not one after another.
        stoppers = [threading.Thread(target=listener.shutdown, daemon=True) for listener in listeners]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for listener in listeners:
            listener.server_close()

    def own_origins(self, local: str = "") -> frozenset[str]:
        """The origins of this server's own pages: every loopback name, the address it was bound to, and the
        address a request reached it on (`local`: a browser here opening the server's network address)."""
        hosts = set(LOOPBACK_NAMES)
        for host in (self.host, str(_plain_address(local) or "")):
            if host not in WILDCARD_HOSTS:
                hosts.add(f"[{host}]" if ":" in host else host)
        return frozenset(f"http://{host}:{self.port}" for host in hosts)

    def change_refused(
        self, method: str, path: str, headers: Mapping[str, str], peer: str, local: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        """A 403 for a request that would change the demo transform or the sandbox's settings and does not come
        from a page of this server in a browser on this machine; None for every other request.

        Origin stops other sites' pages (a cross-origin form or fetch, and DNS rebinding, whose Origin is the
        attacker's name); the client's address stops other machines when the server listens on the network (they
        could send any Origin); a JSON Content-Type keeps the sandbox's settings out of reach of the "simple"
        requests a page may send anywhere without asking. The Messenger API stays open, as Intercom's is: the
        widget posts to it from the pages of any site the tests build."""
        if method.upper() in READ_ONLY_METHODS:
            return None
        json_only = self.sandbox is not None and path in SANDBOX_CONTROL
        if not json_only and not (self.demo and path == DEMO_TRANSFORM_PATH):
            return None
        request = {key.lower(): value for key, value in headers.items()}
        content_type = request.get("content-type", "").split(";")[0].strip().lower()
        if not from_this_machine(peer, local):
            reason = "changes are accepted only from this machine"
        elif request.get("origin") not in self.own_origins(local):
            reason = "changes are accepted only from this server's own pages (Origin)"
        elif json_only and content_type != "application/json":
            reason = "send the settings as JSON (Content-Type: application/json)"
        else:
            return None
        return (
            HTTPStatus.FORBIDDEN,
            {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
            f"{reason}\n".encode(),
        )

    def own_host(self, host: str, local: str = "") -> bool:
        """True when a Host header names this server: one of its own names (`own_origins`) and its port. A page of
        another site that rebinds its DNS name to this machine sends that name, not ours."""
        host = host.strip().lower()
        if not re.fullmatch(r"(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?", host):
            return False
        if not re.search(r":[0-9]+$", host):
            host += ":80"  # a Host without a port names the scheme's default one
        return f"http://{host}" in self.own_origins(local)

    def read_refused(
        self, method: str, path: str, headers: Mapping[str, str], peer: str, local: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        """A refusal for a request to the sandbox's entered data (`SANDBOX_DATA`: the workspace, a contact) that
        does not come from a page of this server in a browser on this machine; None for every other request.

        The client's address stops other machines (with --host 0.0.0.0 they could send any header); the Host stops
        DNS rebinding (a page of another site whose name now points here reads "same-origin", with no Origin, but
        its Host is its own name: 421); the Origin stops other sites' pages (403). A same-origin GET carries no
        Origin and is answered. The Messenger API and the widget script stay open to every origin, as Intercom's."""
        if self.sandbox is None or path not in SANDBOX_DATA:
            return None
        request = {key.lower(): value for key, value in headers.items()}
        origin = request.get("origin")
        status = HTTPStatus.FORBIDDEN
        if not from_this_machine(peer, local):
            reason = "the sandbox's data is answered only to this machine"
        elif not self.own_host(request.get("host", ""), local):
            status, reason = (
                HTTPStatus.MISDIRECTED_REQUEST,
                "the sandbox's data is answered only at this server's own names",
            )
        elif origin is not None and origin not in self.own_origins(local):
            reason = "the sandbox's data is answered only to this server's own pages (Origin)"
        else:
            return None
        return (
            status,
            {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "Vary": "Origin"},
            f"{reason}\n".encode(),
        )

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
            out = dict(response.headers)
            if path in SANDBOX_DATA:  # entered data: never a wildcard, only this server's own page may read it
                out.pop("Access-Control-Allow-Origin", None)
                origin = {key.lower(): value for key, value in headers.items()}.get("origin")
                if origin is not None and origin in self.own_origins():
                    out["Access-Control-Allow-Origin"] = origin
                out["Vary"] = "Origin"
            return response.status, out, response.body
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
        # Over HTTP, change_refused let only this server's own page on this machine get here.
        request = {key.lower(): value for key, value in headers.items()}
        if method != "POST" or request.get("origin", self.origin) not in self.own_origins():
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
        # Each sibling is checked as the file was: a `.br` linking out of the bundle is not served.
        variants = {
            coding: variant
            for coding, suffix in ENCODINGS
            if (variant := _safe_file(self.bundle_dir, relative + suffix)) is not None
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

            def _malformed(self) -> tuple[int, str] | None:
                """What is wrong with the request line or the body's framing, before any body byte is read."""
                if "\0" in unquote(urlsplit(self.path).path):
                    return HTTPStatus.BAD_REQUEST, "NUL byte in the path"
                if self.headers.get("Transfer-Encoding") is not None:
                    return HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length"
                lengths = self.headers.get_all("Content-Length") or []
                if len(lengths) > 1 or not all(re.fullmatch(r"[0-9]{1,19}", value.strip()) for value in lengths):
                    return HTTPStatus.BAD_REQUEST, "Content-Length must be one whole number"
                if lengths and int(lengths[0]) > MAX_REQUEST_BODY:
                    return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"at most {MAX_REQUEST_BODY} bytes"
                return None

            def _serve(self) -> None:
                malformed = self._malformed()
                if malformed is not None:  # the body was not read: the connection cannot carry another request
                    self.close_connection = True
                    status, reason = malformed
                    self._send(status, {"Content-Type": "text/plain; charset=utf-8", "Connection": "close"}, reason)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                path = urlsplit(self.path).path
                try:
                    peer, local = str(self.client_address[0]), str(self.connection.getsockname()[0])
                    answer = (
                        server.change_refused(self.command, path, headers, peer, local)
                        or server.read_refused(self.command, path, headers, peer, local)
                        or server.route(self.command, self.path, headers, body)
                    )
                except Exception as error:  # a bug must not cost the demo its thread or print a traceback per request
                    log.error("[py-bridge] dev server failed on %s %s: %r", self.command, path[:200], error)
                    answer = HTTPStatus.INTERNAL_SERVER_ERROR, {"Content-Type": "text/plain"}, b"internal error\n"
                self._send(*answer)

            def _send(self, status: int, headers: Mapping[str, str], payload: bytes | str) -> None:
                if isinstance(payload, str):
                    payload = f"{payload}\n".encode()
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
    server._start_more()
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for listener in (server.httpd, *server.more):
            listener.server_close()
