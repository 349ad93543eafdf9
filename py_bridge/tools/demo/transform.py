"""The demo's transformation: edit it in the page, press Apply, and the next calls go through your version.

`transform(event)` receives each event as a dict in the analytics.js spec shape and returns the event to send,
or None to drop it. It runs in the bridge's worker, before the Intercom mapping.
"""

import re

from py_bridge.core.spec import SpecEvent


def transform(event: SpecEvent) -> SpecEvent | None:
    if event["type"] == "track":
        # Event names in snake_case: "Signed Up" -> "signed_up"
        event["event"] = re.sub(r"[^a-z0-9]+", "_", event["event"].lower()).strip("_")
        event["properties"]["transformed_by"] = "demo transform.py"
    if event["type"] == "identify" and event["traits"].get("email", "").endswith("@test.invalid"):
        return None  # test accounts never reach Intercom
    return event
