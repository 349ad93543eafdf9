"""The local browser the tools drive, and Intercom's hosts it must never reach unasked.

`py-bridge doctor`, the browser tests and the bench all launch the same Chromium (Debian's; nothing downloads a
browser) with the same flags, and all answer Intercom's hostnames locally (the sandbox) or block them: one
definition here keeps the three from drifting, and lets the bench import it without importing test code.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "INTERCOM_HOSTS"]

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INTERCOM_HOSTS: Final = re.compile(r"^https://(widget\.intercom\.io|api-iam(\.(eu|au))?\.intercom\.io)/")
