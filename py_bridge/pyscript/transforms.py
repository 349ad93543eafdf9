"""Transformations in a PyScript page: which files, from where, and their text for `start_bridge`. Pure.

As embed.js: relative URLs resolve against the page, and only the page's or the bundle's origin may serve them (the
core checks the origins again). The bundle's origin is the origin of PyScript's `interpreter` URL. An entry is a URL
or `{"url": ..., "sha256": ...}`; the core checks the pin. What a fetched answer must be to run (no redirect, a
Python/text Content-Type) is `py_bridge.core.transform_files`, the rules the embed's worker answers go through too, and
each file has `transform_load_ms` to arrive. Warnings name an entry by its index and origin, never its path or query
(it may carry a token).

The files run on the page's main thread, in the same interpreter as the page: a transformation that never returns
cannot be stopped (the embed restarts its worker without that file; here the page hangs). Keep them small and test
them with `py-bridge transform` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from py_bridge.core.commands import Command, Log
from py_bridge.core.settings import MAX_TRANSFORMS
from py_bridge.core.transform_files import (
    CREDENTIALS_REFUSED,
    DEFAULT_LOAD_MS,
    EntryUrl,
    entry_name,
    has_credentials,
    refusal,
    without_urls,
)

__all__ = ["MAX_TRANSFORMS", "Fetched", "bundle_origin", "fetch_sources", "origin", "resolve_transforms"]


@dataclass(frozen=True)
class Fetched:
    """One answer, as the runtime's fetch saw it (a redirect is reported, never followed)."""

    status: int
    content_type: str | None
    redirected: bool
    body: bytes


def origin(url: str) -> str | None:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never a user:password@
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else None


def bundle_origin(config: Any, page_url: str) -> str | None:
    """Where the bundle is served from: the origin of PyScript's `interpreter` (the bundle's pyodide.mjs)."""
    interpreter = config.get("interpreter") if isinstance(config, dict) else None
    return origin(urljoin(page_url, interpreter)) if isinstance(interpreter, str) else None


def resolve_transforms(
    asked: Any, page_url: str, origins: Iterable[str]
) -> tuple[list[str | dict[str, Any]] | None, list[int], list[str]]:
    """The `transform` setting with absolute URLs from the allowed origins, the index each kept entry has in the
    site's setting (the core's warnings name entries by it: `env["transform_index"]`), and a warning per refused
    entry.

    An entry is a URL or a {url, sha256} object (kept as an object, its URL resolved; the core checks its keys and
    pin). A URL with a user name or password is refused. None means the setting is not a string, object or list, or
    a list longer than the core's MAX_TRANSFORMS: it stays as the site wrote it, nothing is fetched, and the core
    reports it (a longer list is never cut down to run)."""
    if isinstance(asked, str | dict):
        entries: list[Any] = [asked]
    elif isinstance(asked, list | tuple) and len(asked) <= MAX_TRANSFORMS:
        entries = list(asked)
    else:
        return None, [], []
    allowed = set(origins)
    kept: list[str | dict[str, Any]] = []
    indexes: list[int] = []
    warnings: list[str] = []
    for index, entry in enumerate(entries):
        raw = entry.get("url") if isinstance(entry, dict) else entry
        if not isinstance(raw, str):
            warnings.append(f"transform[{index}] must be a URL or {{url, sha256}}; ignored")
            continue
        url = urljoin(page_url, raw)
        where = origin(url) or f"{urlsplit(url).scheme}:"
        if has_credentials(url):  # the runtime's fetch error would quote them
            warnings.append(f"transform[{index}] ({where}) {CREDENTIALS_REFUSED}")
        elif origin(url) not in allowed:
            reason = "only the page's or the bundle's origin may serve transformations"
            warnings.append(f"transform[{index}] ({where}) refused: {reason}")
        else:
            kept.append({**entry, "url": url} if isinstance(entry, dict) else url)
            indexes.append(index)
    return kept, indexes, warnings


async def fetch_sources(
    urls: list[str],
    fetch: Callable[[str], Awaitable[Fetched]],
    load_ms: int = DEFAULT_LOAD_MS,
    indexes: list[int] | None = None,
) -> tuple[list[tuple[str, str]], list[Command]]:
    """(url, text) for each file that may run, in order, and a warning for each that may not.

    Each file has `load_ms` to arrive in full (cancelling pyfetch aborts its request), so a silent server never
    holds the start. The text is strict UTF-8 with a byte-order mark kept: its UTF-8 is exactly the bytes a pin was
    made from. Warnings name `urls[i]` as the site's entry `indexes[i]` (`resolve_transforms`), else as `i`, never
    with a URL (an error that quotes one shows `<url>`), and each source's name is an `EntryUrl` with that label, so
    the core's reports about the file name it the same way. A URL with a user name or password is never fetched."""

    async def within_limit(url: str) -> Fetched | None:
        if has_credentials(url):
            return None
        return await asyncio.wait_for(fetch(url), load_ms / 1000)

    sources: list[tuple[str, str]] = []
    notes: list[Command] = []
    results = await asyncio.gather(*(within_limit(url) for url in urls), return_exceptions=True)
    for index, (url, result) in enumerate(zip(urls, results, strict=True)):
        named = indexes[index] if indexes is not None and index < len(indexes) else index
        reason: str | None
        if result is None:
            reason = CREDENTIALS_REFUSED
        elif isinstance(result, TimeoutError):
            reason = f"could not be fetched (no answer within {load_ms} ms, setting transform_load_ms)"
        elif isinstance(result, BaseException):
            reason = f"could not be fetched ({without_urls(str(result))[:200] or type(result).__name__})"
        else:
            reason = refusal(result.status, result.content_type, result.redirected)
            if reason is None:
                try:
                    sources.append((EntryUrl(url, named), result.body.decode("utf-8")))
                except UnicodeDecodeError:
                    reason = "could not be fetched (not UTF-8 text)"
        if reason is not None:
            notes.append(Log("warn", f"{entry_name(named, url)} {reason}; skipped"))
    return sources, notes
