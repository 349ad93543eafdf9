"""HTTP-free request handler of the Intercom sandbox.

The lead's dev server (a ThreadingHTTPServer) mounts ``Sandbox.handle`` at ``/sandbox`` and e2e tests route
Intercom's real hosts to it, so this module owns routing, CORS, body decoding and the lock; the Intercom rules live
in ``workspace.py``. Keeping it free of any server lets unit tests call it directly, fast and without sockets.

Wire contract (the bodies of real Intercom requests are not public, so the sandbox defines these; all POSTs are
``application/x-www-form-urlencoded``, all answers JSON with ``Access-Control-Allow-Origin: *``):

- ``POST /messenger/web/ping``: ``app_id``, ``user_data`` (JSON object: identity, standard and custom attributes,
  messenger settings which are ignored), ``anonymous_id`` (visitor id), optional ``user_hash`` /
  ``intercom_user_jwt``, ``page_url``, ``page_title``, ``page_impression`` ("1" for boot and argument-less update:
  counts a page view).
- ``POST /messenger/web/events``: ``app_id``, ``event_name``, ``metadata`` (JSON object), ``created_at`` (Unix
  seconds), identity fields ``user_id`` / ``email`` / ``anonymous_id`` and ``user_hash`` / ``intercom_user_jwt``.
- ``POST /messenger/web/{open,page_view_events,launcher_settings,metrics}``: ``app_id`` (counted only).
- Errors: ``{"type": "error.list", "errors": [{"code", "message"}, ...]}`` with 400/401/403/404/422.
- ``GET /workspace``, ``POST /reset`` and ``POST /config`` (JSON ``{"secret"?, "verification"?,
  "frame_delay_ms"?}``; ``frame_delay_ms`` is how long the emulated frame bundle takes before it drains the queue,
  -1 for never; ``/reset`` restores the sandbox's own default unless given: ``Sandbox(frame_delay_ms=...)``, else
  150 ms),
  ``GET /contact?app_id=&user_id=|email=|anonymous_id=``: inspection for tests, the demo panel and the widget panel.

``/reset`` and ``/config`` change what every later request sees: a JSON body only (a given Content-Type must be
``application/json``, else 415). An HTTP server that mounts the sandbox must let only its own pages reach them (the
dev server requires its own Origin, a client on this machine and a JSON Content-Type: ``DevServer.change_refused``);
in-process callers (tests, the bench) call ``handle`` directly, which the network cannot reach.

``/workspace`` and ``/contact`` (``DATA_ROUTES``) answer with what was entered: users, emails, attributes, events.
In-process (Intercom's hosts routed to the sandbox inside one test browser) they answer any origin, as above; an
HTTP server that mounts the sandbox must answer them only to its own pages (the dev server checks the client's
address, the Host and the Origin and never sends a wildcard for them: ``DevServer.read_refused``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs

from py_bridge.tools.sandbox.workspace import APP_ID_RE, ENDPOINTS, Workspace

__all__ = ["CONTROL_ROUTES", "DATA_ROUTES", "MAX_BODY_BYTES", "Sandbox", "SandboxResponse"]

log = logging.getLogger(__name__)

WIDGET_PATH: Final = Path(__file__).with_name("widget.js")
APP_ID_PLACEHOLDER: Final = "__SANDBOX_APP_ID__"
FRAME_DELAY_PLACEHOLDER: Final = "__SANDBOX_FRAME_DELAY_MS__"
# Intercom's loader starts the Messenger only once its frame bundle has arrived, later than the script's load event.
DEFAULT_FRAME_DELAY_MS: Final = 150
MAX_FRAME_DELAY_MS: Final = 120_000
MAX_BODY_BYTES: Final = 1_000_000
WIDGET_ROUTE: Final = re.compile(r"/widget/([^/]*)")
MESSENGER_ROUTE: Final = re.compile(r"/messenger/web/([a-z_]+)")
CONTROL_ROUTES: Final = frozenset({"/reset", "/config"})  # JSON bodies that change the sandbox's settings
# The routes that answer with what was entered (users, emails, attributes, events): every other route answers only
# about the request itself (the widget script, a ping's own outcome, an error).
DATA_ROUTES: Final = frozenset({"/workspace", "/contact"})

CORS_HEADERS: Final = {"Access-Control-Allow-Origin": "*"}
NO_STORE: Final = {"Cache-Control": "no-store"}
PREFLIGHT_HEADERS: Final = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


@dataclass(frozen=True)
class SandboxResponse:
    """A complete HTTP answer; the server copies it onto the wire as is."""

    status: int
    headers: dict[str, str]
    body: bytes


class Sandbox:
    """The emulated Intercom: widget script + Messenger API + test/demo inspection routes.

    Thread-safe: one lock serialises every touch of the workspace, since the dev server answers requests on
    several threads and the widget may have a ping and an event in flight at once.
    """

    def __init__(
        self, secret: str = "sandbox-secret", verification: str = "off", frame_delay_ms: int = DEFAULT_FRAME_DELAY_MS
    ) -> None:
        self._lock = threading.Lock()
        self.frame_delay_ms = _check_delay(frame_delay_ms)
        # What `/reset` restores: a sandbox made with a slower Messenger (the bench's) stays slow across resets.
        self._default_frame_delay_ms = self.frame_delay_ms
        self._workspace = Workspace(secret=secret, verification=verification)
        # Read once: the script is static apart from the app id, and a missing file should fail at start-up.
        self._widget_template = WIDGET_PATH.read_text(encoding="utf-8")

    @property
    def workspace(self) -> Workspace:
        """The live workspace, for in-process callers (the demo server); hold no reference across requests."""
        return self._workspace

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        """Answer one request; `path` is relative to the mount. Never raises: failures become 4xx/5xx JSON."""
        try:
            return self._route(method.upper(), path, query, _lower_keys(headers), body)
        except Exception:  # the host server must keep serving whatever a request contains
            log.exception("[py-bridge] sandbox failed on %s %s", method, path)
            return _json(500, {"errors": [{"code": "server_error", "message": "sandbox internal error"}]})

    # -- routing -------------------------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        if method == "OPTIONS":
            return SandboxResponse(204, dict(PREFLIGHT_HEADERS), b"")
        if len(body) > MAX_BODY_BYTES:
            return _json(413, _errors("payload_too_large", f"body larger than {MAX_BODY_BYTES} bytes"))
        widget = WIDGET_ROUTE.fullmatch(path)
        if widget:
            return self._widget(method, widget.group(1))
        messenger = MESSENGER_ROUTE.fullmatch(path)
        if messenger:
            if method != "POST":
                return _method_not_allowed("POST")
            return self._messenger(messenger.group(1), headers, body)
        if path == "/workspace":
            if method != "GET":
                return _method_not_allowed("GET")
            with self._lock:
                return _json(200, self._workspace.to_json())
        if path in CONTROL_ROUTES:
            if method != "POST":
                return _method_not_allowed("POST")
            content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
            if content_type != "application/json":  # a form or text body is what a cross-origin page can send
                return _json(415, _errors("unsupported_media_type", f"expected JSON (received: {content_type})"))
            return self._configure(reset=path == "/reset", body=body)
        if path == "/contact":
            if method != "GET":
                return _method_not_allowed("GET")
            return self._contact(query)
        return _json(404, _errors("not_found", f"no sandbox route {path!r}"))

    def _widget(self, method: str, app_id: str) -> SandboxResponse:
        if method not in {"GET", "HEAD"}:
            return _method_not_allowed("GET")
        # A wrong app id makes real Intercom silently not appear; here it is a plain 404.
        if APP_ID_RE.fullmatch(app_id) is None:
            return SandboxResponse(404, {**CORS_HEADERS, "Content-Type": "text/plain; charset=utf-8"}, b"unknown app")
        text = self._widget_template.replace(APP_ID_PLACEHOLDER, app_id).replace(
            FRAME_DELAY_PLACEHOLDER, str(self.frame_delay_ms)
        )
        headers = {**CORS_HEADERS, **NO_STORE, "Content-Type": "application/javascript; charset=utf-8"}
        return SandboxResponse(200, headers, b"" if method == "HEAD" else text.encode("utf-8"))

    def _messenger(self, endpoint: str, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        if endpoint not in ENDPOINTS:
            return _json(404, _errors("not_found", f"unknown Messenger endpoint {endpoint!r}"))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        # The widget always posts forms; sendBeacon-style text/plain carries the same encoding.
        if content_type not in {"", "application/x-www-form-urlencoded", "text/plain"}:
            return _json(415, _errors("unsupported_media_type", f"expected a form body (received: {content_type})"))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _json(400, _errors("parameter_invalid", "body is not UTF-8"))
        form = {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
        with self._lock:
            outcome = self._workspace.handle(endpoint, form)
        return _json(outcome.status, outcome.body)

    def _configure(self, reset: bool, body: bytes) -> SandboxResponse:
        try:
            options = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError):
            return _json(400, _errors("parameter_invalid", "body must be a JSON object"))
        if not isinstance(options, dict):
            return _json(400, _errors("parameter_invalid", "body must be a JSON object"))
        with self._lock:
            try:
                self._workspace.configure(secret=options.get("secret"), verification=options.get("verification"))
                delay = options.get("frame_delay_ms", self._default_frame_delay_ms if reset else None)
                if delay is not None:
                    self.frame_delay_ms = _check_delay(delay)
            except ValueError as exc:
                return _json(400, _errors("parameter_invalid", str(exc)))
            if reset:
                self._workspace.reset()
            return _json(
                200, {"ok": True, "verification": self._workspace.verification, "frame_delay_ms": self.frame_delay_ms}
            )

    def _contact(self, query: str) -> SandboxResponse:
        params = {key: values[0] for key, values in parse_qs(query, keep_blank_values=True).items()}
        app_id = params.get("app_id", "")
        lookup = {key: params.get(key) or None for key in ("user_id", "email", "anonymous_id")}
        if APP_ID_RE.fullmatch(app_id) is None or not any(lookup.values()):
            return _json(400, _errors("parameter_invalid", "app_id and one of user_id, email, anonymous_id required"))
        with self._lock:
            contact = self._workspace.contact(app_id, **lookup)
        if contact is None:
            return _json(404, _errors("not_found", "contact not found"))
        return _json(200, contact)


def _check_delay(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= MAX_FRAME_DELAY_MS:
        raise ValueError(f"frame_delay_ms must be a whole number from -1 to {MAX_FRAME_DELAY_MS} (received: {value!r})")
    return value


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    """HTTP header names are case-insensitive; servers hand them over in any case."""
    return {str(key).lower(): str(value) for key, value in headers.items()}


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"type": "error.list", "errors": [{"code": code, "message": message}]}


def _json(status: int, payload: Mapping[str, Any]) -> SandboxResponse:
    headers = {**CORS_HEADERS, **NO_STORE, "Content-Type": "application/json; charset=utf-8"}
    return SandboxResponse(status, headers, json.dumps(payload).encode("utf-8"))


def _method_not_allowed(allowed: str) -> SandboxResponse:
    response = _json(405, _errors("method_not_allowed", f"use {allowed}"))
    return SandboxResponse(405, {**response.headers, "Allow": f"{allowed}, OPTIONS"}, response.body)
