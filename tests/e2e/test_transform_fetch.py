"""How the embed's worker fetches transformation files: never through a redirect, only Python/text Content-Types,
the optional SHA-256 pin checked on the exact bytes, a time limit (transform_load_ms) so a silent server never holds
the start, and warnings that name an entry by index and origin (never a path or query that may carry a token)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re

from playwright.sync_api import Route

from py_bridge.tools.devserver import DevServer
from tests.e2e.bridge_page import BridgePage
from tests.e2e.conftest import Watch

_files = itertools.count()
PY = {"Content-Type": "text/x-python; charset=utf-8", "Access-Control-Allow-Origin": "*"}
RENAME = 'def transform(event):\n    event["event"] = event["event"].lower().replace(" ", "_")\n    return event\n'
STAMP = (
    'def transform(event):\n    if event["type"] == "track":\n        event["properties"]["stamped"] = True\n'
    "    return event\n"
)
SLOW_RENAME = (
    "import time\n\ndef transform(event):\n    until = time.perf_counter() + 0.03\n"
    "    while time.perf_counter() < until:\n        pass\n"
    '    if event["type"] == "track":\n        event["event"] = event["event"].lower().replace(" ", "_")\n'
    "    return event\n"
)


def serve(server: DevServer, code: str, headers: dict[str, str] | None = None) -> str:
    path = f"/t/fetch/f{next(_files)}.py"
    server.add_document(path, code, headers or PY)
    return path


def event(bridge: BridgePage, name: str) -> dict[str, object] | None:
    return next((e for e in bridge.workspace()["events"] if e["name"] == name), None)


def sri(code: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")


def test_a_transformation_url_that_redirects_is_refused_and_its_target_never_runs(
    bridge: BridgePage, watch: Watch, cdn_server: DevServer
) -> None:
    """A same-origin URL answering 302 to another origin (an open redirect): the other origin's Python never runs."""
    foreign = cdn_server.origin + serve(cdn_server, RENAME)
    bridge.page.route(
        "**/t/fetch/open-redirect.py*", lambda route: route.fulfill(status=302, headers={"Location": foreign})
    )
    good = serve(bridge.server, STAMP)
    bridge.open(settings={"transform": ["/t/fetch/open-redirect.py?next=x", good]})
    bridge.js("() => pybridge.track('Not Renamed')")
    bridge.settle()
    kept = event(bridge, "Not Renamed")
    assert kept is not None, bridge.workspace()["events"]
    assert kept["metadata"] == {"stamped": True}
    warnings = watch.messages("warning", "[py-bridge] transform[0]")
    assert warnings == [
        f"[py-bridge] transform[0] ({bridge.server.origin}) refused: it redirects, and transformation files are never"
        " fetched through a redirect; skipped"
    ]


def test_a_transformation_answered_as_html_is_refused(bridge: BridgePage, watch: Watch) -> None:
    """A login page answered with 200 is HTML: refused even when its body would compile as Python."""
    login = serve(bridge.server, RENAME, {"Content-Type": "text/html; charset=utf-8"})
    bridge.open(settings={"transform": [login]})
    bridge.js("() => pybridge.track('Not Renamed Either')")
    bridge.settle()
    assert event(bridge, "Not Renamed Either") is not None
    assert watch.messages("warning", "transform[0]") == [
        f"[py-bridge] transform[0] ({bridge.server.origin}) refused: its Content-Type is text/html, not a Python file"
        " type; skipped"
    ]


def test_a_pinned_file_runs_only_when_its_bytes_match_the_sha256(bridge: BridgePage, watch: Watch) -> None:
    """{url, sha256}: SRI or hex form; a file whose bytes differ from its pin is skipped with one warning."""
    pinned = serve(bridge.server, STAMP)
    tampered = serve(bridge.server, RENAME + "# changed after pinning\n")
    hex_pinned = serve(bridge.server, "\ufeff" + RENAME)  # a byte-order mark is part of the pinned bytes
    hex_pin = hashlib.sha256(("\ufeff" + RENAME).encode("utf-8")).hexdigest()
    bridge.open(
        settings={
            "transform": [
                {"url": pinned, "sha256": sri(STAMP)},
                {"url": tampered, "sha256": sri(RENAME)},
                {"url": hex_pinned, "sha256": hex_pin},
            ]
        }
    )
    bridge.js("() => pybridge.track('Pinned Files')")
    bridge.settle()
    ran = event(bridge, "pinned_files")
    assert ran is not None, bridge.workspace()["events"]
    assert ran["metadata"] == {"stamped": True}
    assert watch.messages("warning", "transform[") == [
        f"[py-bridge] transform[1] ({bridge.server.origin}) refused: its SHA-256 does not match the sha256 pinned in"
        " the transform setting; skipped"
    ]


def test_a_transformation_whose_server_never_answers_is_skipped_after_transform_load_ms(
    bridge: BridgePage, watch: Watch
) -> None:
    """The start waits at most transform_load_ms for a file; the others run; one warning names the silent one."""
    silent: list[Route] = []
    bridge.page.route("**/t/fetch/silent.py", lambda route: silent.append(route))  # never answered
    good = serve(bridge.server, STAMP)
    bridge.open(settings={"transform": ["/t/fetch/silent.py", good], "transform_load_ms": 300}, wait_ready=False)
    bridge.wait_ready(timeout_s=15)
    bridge.js("() => pybridge.track('After Silence')")
    bridge.settle()
    kept = event(bridge, "After Silence")
    assert kept is not None
    assert kept["metadata"] == {"stamped": True}
    assert silent, "the silent file was requested"
    assert watch.messages("warning", "transform[0]") == [
        f"[py-bridge] transform[0] ({bridge.server.origin}) could not be fetched (no answer within 300 ms, setting"
        " transform_load_ms); skipped"
    ]


def test_warnings_about_transform_entries_never_quote_their_path_or_query(
    bridge: BridgePage, watch: Watch, cdn_server: DevServer
) -> None:
    """A URL may carry a token: a refused origin, a 404, an unparsable entry, a redirect, an HTML answer and a pin
    mismatch are named by index and origin, and no console line (debug mode's included) shows the token."""
    watch.allow_error(r"Failed to load resource")
    foreign = cdn_server.origin + serve(cdn_server, RENAME)
    bridge.page.route(
        "**/t/fetch/redirect-token.py*", lambda route: route.fulfill(status=302, headers={"Location": foreign})
    )
    login = serve(bridge.server, RENAME, {"Content-Type": "text/html; charset=utf-8"})
    tampered = serve(bridge.server, RENAME)
    bridge.open(
        settings={
            "debug": True,
            # The entries the page refuses come last: the worker's warnings number the entries the page kept.
            "transform": [
                "/t/fetch/missing.py?token=s3cr3t-one",
                "/t/fetch/redirect-token.py?token=s3cr3t-two",
                login + "?token=s3cr3t-three",
                {"url": tampered + "?token=s3cr3t-four", "sha256": sri(STAMP)},
                "https://evil.example/t.py?token=s3cr3t-five",
                "javascript:s3cr3t-six",
            ],
        }
    )
    bridge.js("() => pybridge.track('Token Kept Out')")
    bridge.settle()
    assert event(bridge, "Token Kept Out") is not None  # nothing ran: the name is as sent
    page = bridge.server.origin
    assert sorted(watch.messages("warning", "transform[")) == [
        f"[py-bridge] transform[0] ({page}) could not be fetched (HTTP 404); skipped",
        f"[py-bridge] transform[1] ({page}) refused: it redirects, and transformation files are never fetched through"
        " a redirect; skipped",
        f"[py-bridge] transform[2] ({page}) refused: its Content-Type is text/html, not a Python file type; skipped",
        f"[py-bridge] transform[3] ({page}) refused: its SHA-256 does not match the sha256 pinned in the transform"
        " setting; skipped",
        "[py-bridge] transform[4] (https://evil.example) refused: only the page's or the bundle's origin may serve"
        " transformations",
        "[py-bridge] transform[5] (javascript:) refused: only the page's or the bundle's origin may serve"
        " transformations",
    ]
    assert not [text for _, text in watch.console if "s3cr3t" in text]


COLLECT_LOG_EVENTS = (
    "<script>window.__logs = [];"
    " addEventListener('pybridge:log', (e) => window.__logs.push(JSON.stringify(e.detail)));</script>"
)


def test_a_url_with_credentials_is_refused_and_no_message_quotes_a_transformation_url(
    bridge: BridgePage, watch: Watch
) -> None:
    """A user:pw@ entry on the page's own origin is refused by the page, named by index and origin only; the files
    that do run (a traceback, a syntax error, a slow file, debug steps) are named `transform[i] (origin)`, and no
    console line or pybridge:log detail carries a query token or the credentials (issue 22, item 4)."""
    page = bridge.server.origin
    # (debug mode repeats a report inside the call's console group, without the prefix)
    watch.allow_user_traceback(rf"transform\[[12]\] \({re.escape(page)}\) (raised KeyError|is skipped)")
    with_credentials = page.replace("://", "://user:pw@") + serve(bridge.server, STAMP)
    raising = serve(bridge.server, "def transform(event):\n    raise KeyError('missing')\n") + "?token=s3cr3t-one"
    broken = serve(bridge.server, "def transform(event)\n") + "?token=s3cr3t-two"
    slow = serve(bridge.server, SLOW_RENAME) + "?token=s3cr3t-three"
    settings = {"debug": True, "transform": [with_credentials, raising, broken, slow], "transform_slow_ms": 5}
    bridge.open(before=COLLECT_LOG_EVENTS, settings=settings)
    bridge.js("() => pybridge.track('Named By Index')")
    bridge.settle()
    assert event(bridge, "named_by_index") is not None  # the slow file ran: renamed
    assert watch.messages("warning", "transform[0]") == [
        f"[py-bridge] transform[0] ({page}) refused: its URL carries a user name or password"
    ]
    assert watch.messages("error", f"[py-bridge] transform[1] ({page}) raised KeyError at line 2 on a track event")
    assert watch.messages("error", f"[py-bridge] transform[2] ({page}) is skipped: SyntaxError at line 1")
    assert watch.messages("warning", f"[py-bridge] transform[3] ({page}) took ")
    details: list[str] = bridge.js("() => window.__logs")
    assert any(f"transform[1] ({page}) raised KeyError" in detail for detail in details)
    shown = [text for _, text in watch.console] + details
    assert not [text for text in shown if "token=" in text or "s3cr3t" in text or "pw@" in text or "user:" in text]
    assert not [u for u in watch.external if "user" in u]


def test_a_silent_transformation_server_longer_than_the_watchdog_loses_no_call_and_no_worker(
    bridge: BridgePage, watch: Watch
) -> None:
    """transform_load_ms above the page's 15 s watchdog: the worker waiting for a file is alive, not dead. Calls made
    during the wait, the Messenger and the calls after it all go on once the silent file is skipped."""
    silent: list[Route] = []
    bridge.page.route("**/t/fetch/silent-long.py", lambda route: silent.append(route))  # never answered
    good = serve(bridge.server, STAMP)
    settings = {"transform": ["/t/fetch/silent-long.py", good], "transform_load_ms": 16_000}
    bridge.open(settings=settings, wait_ready=False)
    bridge.wait_for(lambda: bridge.js("() => !!(window.pybridge && window.pybridge.__pybridge)"), what="embed.js")
    bridge.js("() => { pybridge.identify('u-waiting', {email: 'w@example.com'}); pybridge.track('During Wait'); }")
    bridge.wait_for(lambda: silent, what="the silent file requested")
    bridge.wait_ready(timeout_s=40)
    bridge.js("() => pybridge.track('After Wait')")
    bridge.settle()
    for name in ("During Wait", "After Wait"):
        ran = event(bridge, name)
        assert ran is not None, bridge.workspace()["events"]
        assert ran["metadata"] == {"stamped": True}
    assert [u["user_id"] for u in bridge.users()] == ["u-waiting"]
    assert bridge.widget_state()["bootCount"] == 1
    assert watch.messages("warning", "transform[0]") == [
        f"[py-bridge] transform[0] ({bridge.server.origin}) could not be fetched (no answer within 16000 ms, setting"
        " transform_load_ms); skipped"
    ]
    assert not watch.messages("error")
