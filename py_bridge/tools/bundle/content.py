"""Content-addressed files: the same sources must give the same bytes and the same names.

A name that carries its content's hash never changes content, so hosts serve it with a one-year immutable cache and
a visitor keeps it across deploys that leave it alone. That only holds if every byte is reproducible: the zips get
fixed timestamps, and the digest and the name are made in one place.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

__all__ = ["HASH_DIGITS", "IMMUTABLE_NAME", "ZIP_EPOCH", "digest", "hashed", "is_immutable", "write_zip"]

ZIP_EPOCH: Final = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip and checksum
HASH_DIGITS: Final = 16
# A content-hashed name (file or folder) as this build writes them: `name-<16 hex digits>` before `.` or `/`.
IMMUTABLE_NAME: Final = re.compile(r"(^|/)[A-Za-z0-9_.]+-[0-9a-f]{16}(\.[a-z]+(\.br|\.gz)?$|/)")


def is_immutable(relative: str) -> bool:
    """True for a bundle path whose name carries its content hash (serve it with a one-year immutable cache)."""
    return bool(IMMUTABLE_NAME.search(relative))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashed(out: Path, stem: str, suffix: str, data: bytes) -> str:
    """Write data as `<stem>-<hash><suffix>` in out; returns the name."""
    name = f"{stem}-{digest(data)[:HASH_DIGITS]}{suffix}"
    (out / name).write_bytes(data)
    return name


def write_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A reproducible zip whose members are STORED: transport compression (brotli over the whole archive) then
    beats per-member deflate, and zipimport reads stored members without inflating them."""
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_EPOCH), data)
    return target.getvalue()
