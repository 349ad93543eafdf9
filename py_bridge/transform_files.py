"""Fetched transformation files: which answers may run, in one place for both entries.

worker.mjs (the embed) and `py_bridge.pyscript` (the PyScript entry) fetch the files the `transform` setting names;
both hand what came back to this module's rules, so the two entries refuse exactly the same things:

- a redirect: a same-origin URL that redirects (open redirects are common) would otherwise run another origin's
  Python with the page's origin. Neither entry follows one; list the final URL instead.
- an HTTP error, and a Content-Type that is not a Python or plain-text type: a login page answered with 200 is HTML.
- bytes that do not match the entry's pinned SHA-256 (`{"url": ..., "sha256": ...}`), checked in `start_bridge`.

Warnings name an entry by its index and origin only (`transform[2] (https://cdn.example)`): a URL's path or query
may carry a token, and console lines are read by whoever opens the devtools.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "ACCEPTED_TYPES",
    "DEFAULT_LOAD_MS",
    "MAX_LOAD_MS",
    "MIN_LOAD_MS",
    "entry_index",
    "entry_name",
    "pin_matches",
    "refusal",
]

# What static hosts send for .py files (Python's mimetypes and Apache: text/x-python), the other names in use for
# Python source, and text/plain. Nothing else: not HTML (login pages), JSON or JavaScript (error bodies), nor
# application/octet-stream (nginx's default for unknown extensions: map .py to text/x-python instead).
ACCEPTED_TYPES: Final = frozenset(
    {
        "text/x-python",
        "text/x-python-script",
        "text/x-script.python",
        "application/x-python",
        "application/x-python-code",
        "text/plain",
    }
)
DEFAULT_LOAD_MS: Final = 5_000  # setting transform_load_ms: a file not fully received by then is skipped
MIN_LOAD_MS: Final = 100
MAX_LOAD_MS: Final = 60_000


def entry_index(env: Any, index: int | None) -> int | None:
    """The index an entry had in the site's own `transform` setting.

    The page drops the entries it refuses (another origin, not a URL) before the core sees the list, so position
    `index` in that shorter list is the site's entry `env["transform_index"][index]`; a message naming `transform[1]`
    must point at the entry the site wrote as its second. Without that list (an older page) the index stays."""
    listed = env.get("transform_index") if isinstance(env, dict) else None
    if isinstance(index, int) and isinstance(listed, list) and 0 <= index < len(listed):
        original = listed[index]
        if isinstance(original, int) and not isinstance(original, bool) and original >= 0:
            return original
    return index


def entry_name(index: int | None, url: str) -> str:
    """`transform[2] (https://cdn.example)`: how messages name an entry, never with its path or query."""
    parts = urlsplit(url) if isinstance(url, str) else None
    where = f"{parts.scheme}://{parts.hostname}" if parts and parts.scheme and parts.hostname else "unknown origin"
    if parts and parts.port is not None and where != "unknown origin":
        where += f":{parts.port}"
    return f"transform[{index}] ({where})" if isinstance(index, int) else f"transform ({where})"


def refusal(status: int, content_type: str | None, redirected: bool) -> str | None:
    """Why a fetched answer must not run (a phrase for `<entry> <phrase>; skipped`), or None when it may."""
    if redirected or 300 <= status < 400:
        return "refused: it redirects, and transformation files are never fetched through a redirect"
    if not 200 <= status < 300:
        return f"could not be fetched (HTTP {status})"
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind not in ACCEPTED_TYPES:
        shown = kind[:60] if kind else "no Content-Type"
        return f"refused: {'its Content-Type is ' if kind else ''}{shown}, not a Python file type"
    return None


def pin_matches(sha256_hex: str, text: str) -> bool:
    """Whether the file's UTF-8 bytes (a byte-order mark included) have the pinned SHA-256 (lower-case hex)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() == sha256_hex
