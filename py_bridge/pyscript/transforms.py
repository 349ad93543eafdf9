"""Transformations in a PyScript page: which files, from where, and their text for `start_bridge`. Pure.

As embed.js: relative URLs resolve against the page, and only the page's or the bundle's origin may serve them (the
core checks the origins again). The bundle's origin is the origin of PyScript's `interpreter` URL. The files run on
the page's main thread, in the same interpreter as the page: a transformation that never returns cannot be stopped
(the embed restarts its worker without that file; here the page hangs). Keep them small and test them with
`py-bridge transform` first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from py_bridge.commands import Command, Log

__all__ = ["MAX_TRANSFORMS", "bundle_origin", "fetch_sources", "origin", "resolve_transforms"]

MAX_TRANSFORMS: Final = 20


def origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def bundle_origin(config: Any, page_url: str) -> str | None:
    """Where the bundle is served from: the origin of PyScript's `interpreter` (the bundle's pyodide.mjs)."""
    interpreter = config.get("interpreter") if isinstance(config, dict) else None
    return origin(urljoin(page_url, interpreter)) if isinstance(interpreter, str) else None


def resolve_transforms(asked: Any, page_url: str, origins: Iterable[str]) -> tuple[list[str] | None, list[str]]:
    """The `transform` setting as absolute URLs from the allowed origins, and a warning per refused entry.

    As embed.js: relative URLs resolve against the page; only the page's or the bundle's origin may serve them.
    None means the setting is not a string or list (the core reports it)."""
    if isinstance(asked, str):
        entries: list[Any] = [asked]
    elif isinstance(asked, list | tuple):
        entries = list(asked)[:MAX_TRANSFORMS]
    else:
        return None, []
    allowed = set(origins)
    urls: list[str] = []
    warnings: list[str] = []
    for entry in entries:
        shown = repr(str(entry)[:200])
        url = urljoin(page_url, str(entry))
        if origin(url) in allowed:
            urls.append(url)
        else:
            warnings.append(
                f"transform {shown} refused: only the page's or the bundle's origin may serve transformations"
            )
    return urls, warnings


async def fetch_sources(
    urls: list[str], fetch: Callable[[str], Awaitable[tuple[int, str]]]
) -> tuple[list[tuple[str, str]], list[Command]]:
    """(url, text) for each file fetched, in order, and a warning for each that could not be."""
    sources: list[tuple[str, str]] = []
    notes: list[Command] = []
    results = await asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True)
    for url, result in zip(urls, results, strict=True):
        if isinstance(result, BaseException):
            notes.append(Log("warn", f"transform {url} could not be fetched ({str(result)[:200]}); skipped"))
        elif result[0] != 200:
            notes.append(Log("warn", f"transform {url} could not be fetched (HTTP {result[0]}); skipped"))
        else:
            sources.append((url, result[1]))
    return sources, notes
