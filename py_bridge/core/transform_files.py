"""Fetched transformation files: which answers may run, in one place for both entries.

worker.mjs (the embed) and `py_bridge.pyscript` (the PyScript entry) fetch the files the `transform` setting names;
both hand what came back to this module's rules, so the two entries refuse exactly the same things:

- a redirect: a same-origin URL that redirects (open redirects are common) would otherwise run another origin's
  Python with the page's origin. Neither entry follows one; list the final URL instead.
- an HTTP error, and a Content-Type that is not a Python or plain-text type: a login page answered with 200 is HTML.
- bytes that do not match the entry's pinned SHA-256 (`{"url": ..., "sha256": ...}`), checked in `start_bridge`.
- a URL with a user name or password (`has_credentials`): never fetched, as the page refuses it too.

Warnings name an entry by its index and origin only (`transform[2] (https://cdn.example)`): a URL's path or query
may carry a token, and console lines are read by whoever opens the devtools. The sources both entries hand the core
are `EntryUrl`s, so the reports about the files that run (tracebacks included) name them the same way.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "ACCEPTED_TYPES",
    "CREDENTIALS_REFUSED",
    "DEFAULT_LOAD_MS",
    "MAX_LOAD_MS",
    "MIN_LOAD_MS",
    "EntryUrl",
    "entry_index",
    "entry_name",
    "has_credentials",
    "pin_matches",
    "refusal",
    "without_urls",
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
# embed.js says the same (without "; skipped") when the page refuses such an entry.
CREDENTIALS_REFUSED: Final = "refused: its URL carries a user name or password"
_URL_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>()]*")


class EntryUrl(str):
    """A fetched entry's URL that knows how reports name it: `label` is `transform[2] (https://cdn.example)`.

    The session hands `start_bridge` these as the source names (py_bridge.core.worker, for both entries), with the index
    the site gave the entry; `TransformChain` then names the file by its label in every report and traceback. As a
    `str` it is the URL, for the origin and pin checks and the page's watchdog marks."""

    label: str

    def __new__(cls, url: str, index: int | None) -> EntryUrl:
        made = super().__new__(cls, url)
        made.label = entry_name(index, url)
        return made


def has_credentials(url: str) -> bool:
    """Whether a URL carries a user name or password (`https://user:pw@host/`): such an entry is refused, and the
    browser's own fetch error would quote them."""
    try:
        parts = urlsplit(url)
        return bool(parts.username or parts.password)
    except ValueError:  # an invalid IPv6 literal: look at the authority by hand
        return "@" in url.partition("//")[2].split("/", 1)[0]


def without_urls(text: str) -> str:
    """An error text from a fetch (the browser's, the runtime's) with every URL in it replaced by `<url>`."""
    return _URL_RE.sub("<url>", text)


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
    """`transform[2] (https://cdn.example)`: how messages name an entry, never with its path, query or credentials."""
    where = "unknown origin"
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts and parts.scheme and parts.hostname:
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            where = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port is not None else "")
    except ValueError:  # an invalid port or IPv6 literal: no origin to show
        pass
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
