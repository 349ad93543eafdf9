"""Precompressed copies: `<file>.br` (brotli quality 11) and `<file>.gz` next to every file worth compressing.

Hosts that serve precompressed files then send the smallest encoding without compressing on each request, and at
a quality no host would spend per request. Quality 11 of the wasm takes about 20 s, so results are cached by
content (and a wheel carries the brotli copies of its own build).
"""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

from py_bridge.tools.bundle.cache import store, used
from py_bridge.tools.bundle.content import digest
from py_bridge.tools.bundle.sources import CARRIED

__all__ = ["BROTLI_QUALITY", "COMPRESSIBLE", "GZIP_LEVEL", "compressed", "precompress"]

COMPRESSIBLE: Final = frozenset({".js", ".mjs", ".wasm", ".json", ".bin", ".zip", ".css", ".html", ".svg", ".map"})
BROTLI_QUALITY: Final = 11
GZIP_LEVEL: Final = 9


def compressed(data: bytes, cache: Path | None) -> tuple[bytes, bytes]:
    """(brotli q11, gzip -9) of data, from a cache keyed by the content's SHA-256 (q11 takes ~20 s for the wasm)."""
    import brotli  # type: ignore[import-untyped]  # PyPI brotli ships no type information

    key = digest(data)
    carried = CARRIED / "compressed" / f"{key}.q{BROTLI_QUALITY}.br"  # a wheel carries them (q11 of the wasm: ~20 s)
    if carried.is_file():
        return carried.read_bytes(), gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if cache is not None:
        br_file, gz_file = cache / f"{key}.q{BROTLI_QUALITY}.br", cache / f"{key}.{GZIP_LEVEL}.gz"
        if br_file.is_file() and gz_file.is_file():
            used(br_file, gz_file)
            return br_file.read_bytes(), gz_file.read_bytes()
    br: bytes = brotli.compress(data, quality=BROTLI_QUALITY)
    gz = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if cache is not None:
        store(br_file, br)
        store(gz_file, gz)
    return br, gz


def precompress(out: Path, cache: Path | None) -> dict[str, tuple[int, int]]:
    """Write `<file>.br` and `<file>.gz` next to every compressible file where brotli saves at least 5 %."""
    paths = [p for p in sorted(out.rglob("*")) if p.is_file() and p.suffix in COMPRESSIBLE and p.stat().st_size >= 1024]
    sizes: dict[str, tuple[int, int]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:  # brotli and zlib release the GIL while they compress
        results = pool.map(lambda path: compressed(path.read_bytes(), cache), paths)
        for path, (br, gz) in zip(paths, results, strict=True):
            raw = path.stat().st_size
            if len(br) <= 0.95 * raw:
                path.with_name(path.name + ".br").write_bytes(br)
                path.with_name(path.name + ".gz").write_bytes(gz if len(gz) < raw else path.read_bytes())
                sizes[path.relative_to(out).as_posix()] = (len(br), min(len(gz), raw))
    return sizes
