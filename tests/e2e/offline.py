"""The offline browser: Debian chromium's launch flags and the routing that keeps every request on this machine.

Used by the e2e fixtures: Intercom's hostnames are answered by the local sandbox, loopback requests go through, and
anything else is aborted and recorded. The flags and the hosts live in py_bridge.tools.browser (the doctor and the
bench use them too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from playwright.sync_api import BrowserContext, Route

from py_bridge.tools.browser import INTERCOM_HOSTS
from py_bridge.tools.sandbox import Sandbox

__all__ = ["LOCAL", "route_offline"]

LOCAL: Final = re.compile(r"^(https?://(127\.0\.0\.1|localhost)(:\d+)?/|blob:|data:|about:|file:)")


def route_offline(
    context: BrowserContext,
    sandbox: Sandbox,
    *,
    on_external: Callable[[str], None],
    on_intercom: Callable[[str], bool] = lambda url: True,
) -> None:
    """Route every request of `context`: loopback passes, Intercom goes to the sandbox, the rest is aborted.

    `on_intercom(url)` sees each Intercom request first; returning False aborts it as an ad blocker would.
    """

    def handle(route: Route) -> None:
        url = route.request.url
        if LOCAL.match(url):
            route.continue_()
        elif INTERCOM_HOSTS.match(url):
            if not on_intercom(url):
                route.abort("blockedbyclient")
                return
            path, _, query = re.sub(r"^https://[^/]+", "", url).partition("?")
            body = route.request.post_data_buffer or b""
            response = sandbox.handle(route.request.method, path, query, route.request.headers, body)
            route.fulfill(status=response.status, headers=response.headers, body=response.body)
        else:
            on_external(url)
            route.abort()

    context.route("**/*", handle)
