"""Doctor's checklist from what the browser saw: a widget check passes only when the widget script really arrived.

The e2e test (tests/e2e/test_doctor.py) shows an unreachable Intercom in a real browser; an error status from
Intercom needs HTTPS on Intercom's name, so here the browser's observations are given directly.
"""

from __future__ import annotations

from typing import Any

import pytest

from py_bridge.tools.doctor import Check, _checks, _Seen

APP_ID = "abc12345"
WIDGET = f"https://widget.intercom.io/widget/{APP_ID}"


def checklist(seen: _Seen) -> dict[str, Check]:
    state: dict[str, Any] = {
        "tag": {"src": "http://127.0.0.1:1/py-bridge/embed.js", "appId": APP_ID, "settings": None},
        "logs": [{"level": "info", "message": "Python started in 900 ms", "started": {"ms": 900, "mode": "normal"}}],
        "csp": [],
        "loaded": True,
        "booted": False,
        "origin": "http://127.0.0.1:1",
    }
    return {check.name: check for check in _checks(state, seen, live=True, consent=False, timeout=30.0)}


def answer(status: int) -> dict[str, Any]:
    return {"url": WIDGET, "status": status, "type": "text/plain", "allow_origin": None, "origin": None}


@pytest.mark.parametrize(
    ("seen", "why"),
    [
        (_Seen(requests=[WIDGET], responses=[answer(503)]), "answered 503"),
        (_Seen(requests=[WIDGET], responses=[answer(404)]), "answered 404"),
        (_Seen(requests=[WIDGET], failed=[(WIDGET, "net::ERR_CONNECTION_REFUSED")]), "net::ERR_CONNECTION_REFUSED"),
        (_Seen(requests=[WIDGET], failed=[(WIDGET, "net::ERR_ABORTED")]), "net::ERR_ABORTED"),
    ],
    ids=["503", "404", "connection refused", "aborted"],
)
def test_a_widget_request_that_failed_or_got_an_error_status_fails_the_widget_check(seen: _Seen, why: str) -> None:
    """Requested is not answered: the widget check fails with the reason and the boot check is not waited for."""
    checks = checklist(seen)
    assert checks["widget"].status == "FAIL"
    assert checks["widget"].reason == f"Intercom could not be reached: {WIDGET} " + (
        why if why.startswith("answered") else f"failed ({why})"
    )
    assert checks["intercom"].status == "SKIP"
    assert checks["intercom"].reason.startswith("not checked: the widget script did not load")


def test_a_widget_script_that_arrived_passes_the_widget_check() -> None:
    """A 200 for the widget is what PASS means; the boot check then reports the boot that did not come."""
    checks = checklist(_Seen(requests=[WIDGET], responses=[answer(200)]))
    assert checks["widget"].status == "PASS"
    assert checks["widget"].reason == f"requested for App ID {APP_ID} (answered by Intercom)"
    assert checks["intercom"].status == "FAIL"
