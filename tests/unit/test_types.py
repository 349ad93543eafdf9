"""The TypeScript declarations shipped as embed.d.ts type-check the calls a site writes (tsc, pinned in npm)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"


@pytest.mark.skipif(not TSC.exists(), reason="npm ci installs typescript (make test does)")
def test_embed_declarations_type_check_an_example_site_script() -> None:
    """tsc --noEmit --strict accepts tests/types/example.ts against web/embed.d.ts."""
    result = subprocess.run(
        [
            str(TSC),
            "--noEmit",
            "--strict",
            "--target",
            "es2020",
            "--moduleResolution",
            "node",
            "tests/types/example.ts",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not TSC.exists(), reason="npm ci installs typescript (make test does)")
def test_embed_declarations_reject_a_wrong_call(tmp_path: Path) -> None:
    """The declarations are not `any`: a misspelt load policy is a type error."""
    bad = ROOT / "tests" / "types" / "_wrong.ts"
    bad.write_text(
        'import type { Settings } from "../../web/embed";\nconst s: Settings = { load: "lazy" };\nvoid s;\n',
        encoding="utf-8",
    )
    try:
        result = subprocess.run(
            [str(TSC), "--noEmit", "--strict", "--moduleResolution", "node", str(bad.relative_to(ROOT))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        bad.unlink()
    assert result.returncode != 0
    assert "lazy" in result.stdout
