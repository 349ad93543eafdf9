"""The markup of a test host page: the py-bridge `<script>` tag and the document that carries it.

It exists so that the harnesses that open host pages (tests/e2e's BridgePage in Chromium, tests/engines' EnginePage in
Firefox and WebKit) write the tag one way: the same attributes in the same order, the same HTML escaping, the same
page around it. Each harness keeps its own defaults (app id, widget, settings, where embed.js is served) and passes
them in.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

EMBED_PATH = "/py-bridge/embed.js"
HELP_BUTTON = '<button id="help">Help</button>'


def bridge_tag(
    src: str,
    *,
    app_id: str | None,
    widget_id: str | None,
    settings: Mapping[str, Any] | None = None,
    extra: str = "",
) -> str:
    """The py-bridge tag loading embed.js from `src`. An attribute whose value is None (no settings: None or empty)
    is left out; `extra` is raw markup appended to the attributes (`data-debug`, a malformed `data-settings`)."""
    attrs = [f'async src="{html.escape(src)}"']
    if app_id is not None:
        attrs.append(f'data-app-id="{html.escape(app_id)}"')
    if widget_id is not None:
        attrs.append(f'data-widget-id="{html.escape(widget_id)}"')
    if settings:
        attrs.append(f"data-settings='{html.escape(json.dumps(settings), quote=False)}'")
    if extra:
        attrs.append(extra)
    return f"<script {' '.join(attrs)}></script>"


def host_document(head: str, body: str = HELP_BUTTON) -> str:
    """A host page: `head` (scripts, the tag) after its title, `body` after its heading ("Host page")."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Host page</title>"
        f"{head}</head><body><h1>Host page</h1>{body}</body></html>"
    )
