"""The sandbox's HTTP-free handler: routes, CORS, widget serving, configuration and thread safety."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import py_bridge.tools.sandbox as sandbox_pkg
from py_bridge.tools.devserver import DevServer
from py_bridge.tools.sandbox import Sandbox, SandboxResponse
from py_bridge.tools.sandbox.workspace import compute_user_hash

APP = "abc12345"
FORM = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}


def post_form(sb: Sandbox, endpoint: str, **fields: str) -> SandboxResponse:
    return sb.handle("POST", f"/messenger/web/{endpoint}", "", FORM, urlencode({"app_id": APP, **fields}).encode())


def body(response: SandboxResponse) -> Any:
    return json.loads(response.body)


def workspace(sb: Sandbox) -> Any:
    return body(sb.handle("GET", "/workspace", "", {}, b""))


def test_package_exports_exactly_sandbox_and_response() -> None:
    """The dev server imports these two names; the public surface stays that small."""
    assert sorted(sandbox_pkg.__all__) == ["Sandbox", "SandboxResponse"]


def test_widget_route_substitutes_the_app_id_and_is_not_cached() -> None:
    """The script must know which app it was loaded for, and tests must always get the current script."""
    response = Sandbox().handle("GET", f"/widget/{APP}", "", {}, b"")
    assert response.status == 200
    text = response.body.decode()
    assert f'"{APP}"' in text
    assert "__SANDBOX_APP_ID__" not in text
    assert response.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("app_id", ["ABC123", "abc-123", "", "a" * 33, "abc%22", "abc;alert(1)"])
def test_widget_route_rejects_malformed_app_ids(app_id: str) -> None:
    """Only lowercase letters and digits reach the script, so substitution can never inject code."""
    assert Sandbox().handle("GET", f"/widget/{app_id}", "", {}, b"").status == 404


def test_widget_script_respects_csp_rules() -> None:
    """No eval-like constructs or inline style/script creation: the widget runs under py-bridge's strict CSP."""
    text = Sandbox().handle("GET", f"/widget/{APP}", "", {}, b"").body.decode()
    for forbidden in ("eval(", "new Function", "innerHTML", 'createElement("style")', 'createElement("script")'):
        assert forbidden not in text


def test_messenger_ping_is_stored_and_answered_with_cors() -> None:
    """A form-encoded ping reaches the workspace; the browser may read the answer cross-origin."""
    sb = Sandbox()
    response = post_form(sb, "ping", user_data=json.dumps({"user_id": "u1", "plan": "pro"}), anonymous_id="v1")
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Content-Type"].startswith("application/json")
    assert workspace(sb)["apps"][APP]["users"]["u1"]["custom_attributes"] == {"plan": "pro"}


def test_errors_also_carry_cors_headers() -> None:
    """Without CORS on a 403 the widget could not see the status and log Intercom's error."""
    sb = Sandbox(verification="user_hash")
    response = post_form(sb, "ping", user_data=json.dumps({"user_id": "u1"}))
    assert response.status == 403
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert body(response)["errors"][0]["code"] == "unauthorized"


@pytest.mark.parametrize("path", ["/messenger/web/ping", "/messenger/web/events", "/contact", "/workspace"])
def test_options_preflight_is_answered(path: str) -> None:
    """Browsers preflight some cross-origin requests; the sandbox allows POST/GET with Content-Type."""
    response = Sandbox().handle("OPTIONS", path, "", {}, b"")
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/messenger/web/ping", 405),
        ("POST", "/messenger/web/unknown", 404),
        ("GET", "/nowhere", 404),
        ("DELETE", "/workspace", 405),
        ("GET", "/reset", 405),
    ],
)
def test_wrong_method_or_unknown_route(method: str, path: str, status: int) -> None:
    """Mistakes in test setup show up as clear statuses, never as exceptions."""
    response = Sandbox().handle(method, path, "", {}, b"")
    assert response.status == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_non_form_body_and_bad_encoding_are_refused() -> None:
    """The Messenger API takes forms; JSON bodies and non-UTF-8 bytes are client errors."""
    sb = Sandbox()
    json_headers = {"content-type": "application/json"}
    assert sb.handle("POST", "/messenger/web/ping", "", json_headers, b"{}").status == 415
    assert sb.handle("POST", "/messenger/web/ping", "", FORM, b"\xff\xfe").status == 400


def test_every_messenger_endpoint_is_counted() -> None:
    """Request counters let tests assert which calls the widget made."""
    sb = Sandbox()
    for endpoint in ("open", "launcher_settings", "page_view_events", "metrics"):
        assert post_form(sb, endpoint).status == 200
    state = workspace(sb)["apps"][APP]
    assert state["requests"] == {
        "ping": 0,
        "events": 0,
        "open": 1,
        "launcher_settings": 1,
        "page_view_events": 1,
        "metrics": 1,
    }
    assert (state["opens"], state["page_views"]) == (1, 1)


def test_events_endpoint_tracks_for_a_booted_user() -> None:
    """The events form (identity fields + event_name + metadata JSON) is the sandbox's documented contract."""
    sb = Sandbox()
    post_form(sb, "ping", user_data=json.dumps({"user_id": "u1"}))
    response = post_form(
        sb,
        "events",
        user_id="u1",
        event_name="Order Completed",
        metadata=json.dumps({"price": {"amount": 999, "currency": "usd"}}),
        created_at="1700000000",
    )
    assert response.status == 200
    stored = workspace(sb)["apps"][APP]["events"][0]
    assert stored["name"] == "Order Completed"
    assert stored["created_at"] == 1_700_000_000


def test_contact_route_returns_contact_with_companies_and_recent_events() -> None:
    """The widget's panel shows this; unknown contacts are 404 and a missing key is 400."""
    sb = Sandbox()
    post_form(sb, "ping", user_data=json.dumps({"user_id": "u1", "company": {"company_id": "c1", "name": "Acme"}}))
    post_form(sb, "events", user_id="u1", event_name="first", created_at="1700000000")
    post_form(sb, "events", user_id="u1", event_name="second", created_at="1700000001")
    response = sb.handle("GET", "/contact", f"app_id={APP}&user_id=u1", {}, b"")
    assert response.status == 200
    contact = body(response)
    assert contact["type"] == "user"
    assert contact["company_details"][0]["name"] == "Acme"
    assert [e["name"] for e in contact["recent_events"]] == ["second", "first"]
    assert sb.handle("GET", "/contact", f"app_id={APP}&user_id=nobody", {}, b"").status == 404
    assert sb.handle("GET", "/contact", f"app_id={APP}", {}, b"").status == 400


def test_contact_route_finds_visitors_by_anonymous_id() -> None:
    """Visitors are shown in the panel as 'Visitor <id>', looked up by the widget's visitor id."""
    sb = Sandbox()
    post_form(sb, "ping", user_data="{}", anonymous_id="v-1")
    contact = body(sb.handle("GET", "/contact", f"app_id={APP}&anonymous_id=v-1", {}, b""))
    assert contact["type"] == "visitor"
    assert contact["key"] == "v-1"


def test_reset_empties_the_workspace_and_can_reconfigure() -> None:
    """Each e2e test starts clean and may switch the verification mode and secret in the same call."""
    sb = Sandbox()
    post_form(sb, "ping", user_data="{}", anonymous_id="v1")
    secret = "another-secret"
    response = sb.handle("POST", "/reset", "", {}, json.dumps({"secret": secret, "verification": "user_hash"}).encode())
    assert response.status == 200
    assert workspace(sb) == {"verification": "user_hash", "apps": {}, "rejections": []}
    ok = post_form(sb, "ping", user_data=json.dumps({"user_id": "u1"}), user_hash=compute_user_hash(secret, "u1"))
    assert ok.status == 200
    assert sb.handle("POST", "/reset", "", {}, b"").status == 200  # empty body: just empty the workspace


def frame_delay(sb: Sandbox) -> int:
    """The delay the served widget script carries (what the page's frame timer waits)."""
    text = sb.handle("GET", f"/widget/{APP}", "", {}, b"").body.decode()
    return int(text.split('const FRAME_DELAY_MS = Number("', 1)[1].split('"', 1)[0])


def test_frame_delay_defaults_to_150_ms_and_reset_restores_it() -> None:
    """The tests' sandbox: the frame drains Intercom's queue 150 ms after the script, /reset undoes a /config."""
    sb = Sandbox()
    assert frame_delay(sb) == 150
    assert body(sb.handle("POST", "/config", "", {}, b'{"frame_delay_ms": 2000}'))["frame_delay_ms"] == 2000
    assert frame_delay(sb) == 2000
    assert body(sb.handle("POST", "/reset", "", {}, b'{"verification": "off"}'))["frame_delay_ms"] == 150
    assert frame_delay(sb) == 150


def test_a_sandbox_made_with_a_frame_delay_keeps_it_across_resets() -> None:
    """The bench's slow Messenger: Sandbox(frame_delay_ms=300) serves 300 ms, and a /reset between runs restores
    300, not 150; an explicit value in /reset or /config still wins."""
    sb = Sandbox(frame_delay_ms=300)
    assert frame_delay(sb) == 300
    assert (
        body(sb.handle("POST", "/reset", "", {}, b'{"secret": "sandbox-secret", "verification": "off"}'))[
            "frame_delay_ms"
        ]
        == 300
    )
    assert frame_delay(sb) == 300
    assert sb.handle("POST", "/config", "", {}, b'{"frame_delay_ms": 50}').status == 200
    assert frame_delay(sb) == 50
    assert sb.handle("POST", "/reset", "", {}, b"").status == 200
    assert frame_delay(sb) == 300
    assert sb.handle("POST", "/reset", "", {}, b'{"frame_delay_ms": 10}').status == 200
    assert frame_delay(sb) == 10
    assert frame_delay(Sandbox()) == 150  # another sandbox is not affected


@pytest.mark.parametrize("value", [-2, 120_001, 1.5, True, "300"])
def test_a_sandbox_refuses_a_bad_frame_delay(value: Any) -> None:
    with pytest.raises(ValueError, match="frame_delay_ms"):
        Sandbox(frame_delay_ms=value)


def test_config_changes_mode_without_emptying_and_rejects_bad_values() -> None:
    """/config switches enforcement mid-test; invalid settings are 400 and change nothing."""
    sb = Sandbox()
    post_form(sb, "ping", user_data="{}", anonymous_id="v1")
    assert sb.handle("POST", "/config", "", {}, b'{"verification": "jwt"}').status == 200
    assert workspace(sb)["verification"] == "jwt"
    assert "v1" in workspace(sb)["apps"][APP]["visitors"]
    assert sb.handle("POST", "/config", "", {}, b'{"verification": "maybe"}').status == 400
    assert sb.handle("POST", "/config", "", {}, b'{"secret": ""}').status == 400
    assert sb.handle("POST", "/config", "", {}, b"[1]").status == 400
    assert workspace(sb)["verification"] == "jwt"


def test_oversized_body_is_refused() -> None:
    """A runaway client cannot make the dev server parse megabytes."""
    sb = Sandbox()
    assert sb.handle("POST", "/messenger/web/ping", "", FORM, b"x" * 1_000_001).status == 413


def test_concurrent_requests_are_all_recorded() -> None:
    """The dev server is threaded: concurrent pings must not lose updates."""
    sb = Sandbox()

    def worker(n: int) -> None:
        for i in range(25):
            post_form(sb, "ping", user_data=json.dumps({"user_id": f"u{n}", "count": i}))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state = workspace(sb)["apps"][APP]
    assert state["requests"]["ping"] == 200
    assert sum(user["pings"] for user in state["users"].values()) == 200


def test_header_names_are_case_insensitive() -> None:
    """Servers hand headers over in any case; a JSON content type is refused whatever its spelling."""
    sb = Sandbox()
    assert sb.handle("POST", "/messenger/web/ping", "", {"CONTENT-TYPE": "Application/JSON"}, b"{}").status == 415


# -- the sandbox behind the demo server, on a real socket ----------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[DevServer, Sandbox]]:
    """The demo server with a sandbox on port 0, as `py-bridge demo` runs it."""
    sb = Sandbox()
    dev = DevServer(tmp_path, port=0, sandbox=sb).start()
    try:
        yield dev, sb
    finally:
        dev.stop()


def http_post(dev: DevServer, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=5)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["/sandbox/config", "/sandbox/reset"])
@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain", "Origin": "http://evil.example"},  # a cross-origin "simple" request
        {"Content-Type": "application/json", "Origin": "http://evil.example"},
        {"Content-Type": "application/json"},  # no Origin: not a page of this server
        {"Content-Type": "text/plain", "Origin": "SAME"},  # same origin, but not JSON
        {"Origin": "SAME"},
    ],
    ids=["cross-origin text/plain", "cross-origin JSON", "no Origin", "same origin text/plain", "no Content-Type"],
)
def test_the_sandbox_settings_change_only_through_a_json_post_from_the_servers_own_origin(
    served: tuple[DevServer, Sandbox], path: str, headers: dict[str, str]
) -> None:
    """Another site's page (or a script on the network) cannot switch off verification or empty the workspace."""
    dev, sb = served
    post_form(sb, "ping", user_data="{}", anonymous_id="v1")
    headers = {key: value.replace("SAME", dev.origin) for key, value in headers.items()}
    assert http_post(dev, path, b'{"verification": "jwt"}', headers) == 403
    assert workspace(sb)["verification"] == "off"
    assert "v1" in workspace(sb)["apps"][APP]["visitors"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_sandbox_settings_change_through_a_json_post_from_the_demo_page(
    served: tuple[DevServer, Sandbox], host: str
) -> None:
    """The demo page, opened at either loopback name, still configures the sandbox."""
    dev, sb = served
    headers = {"Content-Type": "application/json", "Origin": f"http://{host}:{dev.port}"}
    assert http_post(dev, "/sandbox/config", b'{"verification": "jwt"}', headers) == 200
    assert workspace(sb)["verification"] == "jwt"


def test_the_messenger_api_still_takes_cross_origin_form_posts(served: tuple[DevServer, Sandbox]) -> None:
    """The widget on a site's page posts to the sandbox from that page's origin, as to Intercom: not restricted."""
    dev, sb = served
    form = urlencode({"app_id": APP, "user_data": "{}", "anonymous_id": "v9"}).encode()
    headers = {**FORM, "Origin": "http://site.example"}
    assert http_post(dev, "/sandbox/messenger/web/ping", form, headers) == 200
    assert "v9" in workspace(sb)["apps"][APP]["visitors"]


def test_a_non_json_content_type_on_a_settings_route_is_refused_in_process_too() -> None:
    """Whatever server hosts the sandbox, a form or text body never reaches /config or /reset."""
    sb = Sandbox()
    text = {"Content-Type": "text/plain"}
    assert sb.handle("POST", "/config", "", text, b'{"verification": "jwt"}').status == 415
    assert sb.handle("POST", "/reset", "", FORM, b"").status == 415
    assert workspace(sb)["verification"] == "off"


# -- the sandbox's entered data (users, emails, events) is read only by the demo's own pages -------------------------

EMAIL = "ada@example.com"


def http_get(
    dev: DevServer, path: str, headers: dict[str, str], method: str = "GET", host: str = "127.0.0.1"
) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection(host.strip("[]"), dev.port, timeout=5)
    try:
        connection.request(method, path, headers=headers)  # a Host given here is sent as given
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


@pytest.fixture
def entered(served: tuple[DevServer, Sandbox]) -> DevServer:
    """The demo server after a visitor entered a user with an email and an event."""
    dev, sb = served
    post_form(sb, "ping", user_data=json.dumps({"user_id": "u1", "email": EMAIL, "name": "Ada"}))
    post_form(sb, "events", user_id="u1", event_name="Secret Plan Chosen", created_at="1700000000")
    return dev


DATA_PATHS = [
    "/sandbox/workspace",
    f"/sandbox/contact?app_id={APP}&user_id=u1",
    f"/sandbox/contact?app_id={APP}&email={EMAIL}",
]


@pytest.mark.parametrize("path", DATA_PATHS, ids=["workspace", "contact by user_id", "contact by email"])
@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1"], ids=["another site", "opaque", "another port"]
)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_another_sites_page_cannot_read_the_sandbox_data(
    entered: DevServer, path: str, origin: str, method: str
) -> None:
    """A page of another origin gets a 403 with no data and no Access-Control-Allow-Origin (no wildcard either)."""
    status, payload, headers = http_get(entered, path, {"Origin": origin}, method)
    assert status == 403
    assert EMAIL.encode() not in payload
    assert b"Secret Plan Chosen" not in payload
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize("path", DATA_PATHS, ids=["workspace", "contact by user_id", "contact by email"])
@pytest.mark.parametrize(
    "host",
    ["evil.example:PORT", "127.0.0.1.evil.example:PORT", "evil.example", "localhost.evil.example:PORT", ""],
    ids=["another name", "a name ending elsewhere", "no port", "a subdomain", "empty"],
)
def test_a_request_for_another_host_name_gets_no_sandbox_data(entered: DevServer, path: str, host: str) -> None:
    """DNS rebinding: a page at http://evil.example:PORT resolving to 127.0.0.1 reads same-origin, without an Origin
    header, but its Host names the attacker's domain: refused (421) with no data."""
    status, payload, headers = http_get(entered, path, {"Host": host.replace("PORT", str(entered.port))})
    assert status in (403, 421)
    assert EMAIL.encode() not in payload
    assert b"Secret Plan Chosen" not in payload
    assert "access-control-allow-origin" not in headers


@pytest.mark.parametrize("path", DATA_PATHS, ids=["workspace", "contact by user_id", "contact by email"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LocalHost"])
@pytest.mark.parametrize("with_origin", [False, True], ids=["same-origin GET (no Origin)", "with its Origin"])
def test_the_demo_page_still_reads_the_sandbox_data(
    entered: DevServer, path: str, host: str, with_origin: bool
) -> None:
    """The demo's workspace panel (and the widget panel on the demo page) read the data, at either loopback name;
    the answer names the page's own origin, never a wildcard."""
    origin = f"http://{host.lower()}:{entered.port}"
    headers = {"Host": f"{host}:{entered.port}", **({"Origin": origin} if with_origin else {})}
    status, payload, answer = http_get(entered, path, headers)
    assert status == 200
    assert EMAIL.encode() in payload
    assert answer.get("access-control-allow-origin") in ((origin,) if with_origin else (None,))


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_the_demo_page_opened_at_ipv6_loopback_reads_the_sandbox_data(entered: DevServer) -> None:
    """http://[::1]:PORT/ is one of the demo's own addresses."""
    origin = f"http://[::1]:{entered.port}"
    status, payload, answer = http_get(
        entered, "/sandbox/workspace", {"Host": f"[::1]:{entered.port}", "Origin": origin}, host="[::1]"
    )
    assert (status, answer.get("access-control-allow-origin")) == (200, origin)
    assert EMAIL.encode() in payload


def test_another_machine_cannot_read_the_sandbox_data_whatever_headers_it_sends(entered: DevServer) -> None:
    """With --host 0.0.0.0 a machine on the network could send the demo's own Host and Origin: its address decides."""
    own = {"Host": f"127.0.0.1:{entered.port}", "Origin": entered.origin}
    refused = entered.read_refused("GET", "/sandbox/workspace", own, "192.168.1.7", "192.168.1.5")
    assert refused is not None
    assert refused[0] == 403
    assert entered.read_refused("GET", "/sandbox/workspace", own, "127.0.0.1", "127.0.0.1") is None


def test_the_messenger_emulator_stays_open_to_other_origins(served: tuple[DevServer, Sandbox]) -> None:
    """The widget script, the Messenger API and its preflight answer any site's page, as Intercom's do."""
    dev, sb = served
    site = {"Origin": "http://site.example"}
    status, script, headers = http_get(dev, f"/sandbox/widget/{APP}", site)
    assert (status, headers["access-control-allow-origin"]) == (200, "*")
    assert b"__SANDBOX_APP_ID__" not in script
    status, _, headers = http_get(dev, "/sandbox/messenger/web/ping", site, "OPTIONS")
    assert (status, headers["access-control-allow-origin"]) == (204, "*")
    form = urlencode({"app_id": APP, "user_data": "{}", "anonymous_id": "v-open"}).encode()
    assert http_post(dev, "/sandbox/messenger/web/ping", form, {**FORM, **site}) == 200
    assert "v-open" in workspace(sb)["apps"][APP]["visitors"]
