"""The README stays honest: its links resolve, its complete page works, its commands exist, no internal references.

- every relative link in README.md and docs/*.md points to an existing file, and to an existing heading when it
  names one (GitHub's anchors);
- the complete page under "A complete page", with the pre-load snippet pasted where it says and the tag's
  placeholders replaced as a site owner replaces them, runs with the real bundle, and its identify and track reach
  the sandbox workspace;
- every `py-bridge ...` command (and each of its options) and every `make ...` target the README and docs show exists;
- the settings table lists every setting py-bridge accepts;
- no internal issue numbers in README.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from py_bridge.core.destinations.intercom.settings import INTERCOM_KEYS
from py_bridge.core.settings import BRIDGE_KEYS
from tests.e2e.bridge_page import APP_ID, SNIPPET_HEADING, BridgePage

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGE_HEADING = "### A complete page"
# What the complete page holds in place of the pre-load snippet, and the placeholders a site owner replaces.
SNIPPET_PLACEHOLDER = re.compile(r"^<!-- 1\. Here, the pre-load snippet .*-->$", re.MULTILINE)
EMBED_URL = "https://static.example.com/py-bridge/embed.js"
INTEGRITY = 'integrity="sha384-..."'
FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")


# -- reading Markdown ----------------------------------------------------------------------------------------------
def prose_lines(text: str) -> Iterator[str]:
    """The lines outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            yield line


def fenced_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    language, body = None, []
    for line in text.splitlines():
        if FENCE.match(line):
            if language is None:
                language, body = FENCE.sub("", line).strip(), []
            else:
                yield language, "\n".join(body)
                language = None
        elif language is not None:
            body.append(line)


def block_under(text: str, heading: str) -> str:
    """The ```html block right under `heading` (only prose between them), as written."""
    _, found, section = text.partition(f"\n{heading}\n")
    intro, fence, block = section.partition("\n```html\n")
    code, closed, _ = block.partition("\n```\n")
    if not (found and fence and closed) or "\n#" in intro:
        raise LookupError(f"README.md: no ```html block right under {heading!r}")
    return code


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and underscores kept), spaces -> -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def code_texts(text: str) -> Iterator[str]:
    """What a reader would type: shell blocks line by line (comments cut) and inline code spans."""
    for language, body in fenced_blocks(text):
        if language in ("sh", "shell", "bash", "console", ""):
            for line in body.splitlines():
                yield line.split(" #", 1)[0]
    for line in prose_lines(text):
        yield from (span.replace("\\|", "/") for span in CODE_SPAN.findall(line))  # `a \| b` in a table: a / b


# -- (a) links -----------------------------------------------------------------------------------------------------
def test_every_relative_link_in_the_readme_and_docs_resolves() -> None:
    checked, broken = 0, []
    for document in [README, *DOCS]:
        for line in prose_lines(document.read_text(encoding="utf-8")):
            for target in LINK.findall(CODE_SPAN.sub("", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check offline
                    continue
                checked += 1
                path, _, anchor = target.partition("#")
                file = (document.parent / path).resolve() if path else document
                where = f"{document.relative_to(ROOT)}: ({target})"
                if not file.exists():
                    broken.append(f"{where}: no file {path}")
                elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
                    broken.append(f"{where}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)
    assert checked > 40  # the parsing found the links (README alone has more than 20)


def test_the_screenshot_the_readme_shows_is_small() -> None:
    image = ROOT / "docs" / "images" / "demo.png"
    assert "(docs/images/demo.png)" in README.read_text(encoding="utf-8")
    assert image.read_bytes().startswith(b"\x89PNG")
    assert image.stat().st_size < 300_000


# -- (b) the complete page -----------------------------------------------------------------------------------------
def test_the_readme_complete_page_sends_its_calls_to_the_sandbox(bridge: BridgePage, bundle_dir: Path) -> None:
    """Copied as the steps say: the snippet pasted in, the tag's URL, integrity and App ID made the site's own."""
    text = README.read_text(encoding="utf-8")
    page = block_under(text, PAGE_HEADING)
    snippet = block_under(text, SNIPPET_HEADING)
    assert len(SNIPPET_PLACEHOLDER.findall(page)) == 1, "the complete page no longer says where the snippet goes"
    integrity = json.loads((bundle_dir / "manifest.json").read_text(encoding="utf-8"))["embed_integrity"]
    for placeholder in (EMBED_URL, INTEGRITY, 'data-app-id="YOUR_APP_ID"'):
        assert page.count(placeholder) == 1, f"the complete page's tag has no {placeholder}"
    html = (
        SNIPPET_PLACEHOLDER.sub(lambda _: snippet, page)
        .replace(EMBED_URL, bridge.server.origin + "/py-bridge/embed.js")
        .replace(INTEGRITY, f'integrity="{integrity}"')
        .replace("YOUR_APP_ID", APP_ID)
    )
    user_id = re.search(r'pybridge\.identify\("([^"]+)", \{email: "([^"]+)"', page)
    event = re.search(r'pybridge\.track\("([^"]+)"', page)
    assert user_id, "the complete page makes no identify with an email"
    assert event, "the complete page makes no track"

    url = bridge.server.add_document("/readme/complete-page.html", html)
    bridge.page.goto(url)
    bridge.wait_ready()
    bridge.settle()

    workspace = bridge.workspace()
    assert workspace["users"][user_id.group(1)]["email"] == user_id.group(2)
    assert event.group(1) in [e["name"] for e in workspace["events"]]
    assert workspace["rejections"] == []


# -- (c) commands --------------------------------------------------------------------------------------------------
def shown_commands() -> tuple[dict[str, set[str]], set[str]]:
    """`py-bridge SUB` with the options shown with it, and `make TARGET`s, in the README and docs."""
    commands: dict[str, set[str]] = {}
    targets: set[str] = set()
    for document in [README, *DOCS]:
        for code in code_texts(document.read_text(encoding="utf-8")):
            for found in re.finditer(r"(?:^|[\s=;(])py-bridge\s+([a-z][a-z-]*)((?:\s+[^\s;|&)]+)*)", code):
                options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", found.group(2)))
                commands.setdefault(found.group(1), set()).update(options)
            for found in re.finditer(r"(?:^|[\s;(])make((?:\s+[A-Z_]+=\S*)*)((?:\s+[a-z0-9][a-z0-9-]*)+)", code):
                targets.update(found.group(2).split())
    listed = re.search(r"`make help` lists\s+the\s+other\s+targets\s+\(([^)]*)\)", README.read_text(encoding="utf-8"))
    targets.update(CODE_SPAN.findall(listed.group(1)) if listed else [])
    return commands, targets


def test_every_command_the_readme_and_docs_show_exists() -> None:
    commands, targets = shown_commands()
    assert {"build", "serve", "doctor", "demo"} <= set(commands), commands
    assert {"demo", "test"} <= targets, targets
    for command, options in sorted(commands.items()):
        shown = subprocess.run(
            [sys.executable, "-m", "py_bridge.tools.cli", command, "--help"], capture_output=True, text=True, timeout=60
        )
        assert shown.returncode == 0, f"py-bridge {command} --help: {shown.stderr.strip()}"
        missing = sorted(option for option in options if not re.search(rf"(?<![\w-]){option}(?![\w-])", shown.stdout))
        assert not missing, f"py-bridge {command} has no {', '.join(missing)}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    declared = set(re.findall(r"^([a-z0-9][a-z0-9-]*):", makefile, re.MULTILINE))
    assert not targets - declared, f"the Makefile has no target {sorted(targets - declared)}"


# -- settings and internal references ------------------------------------------------------------------------------
def test_the_readme_settings_table_lists_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    _, _, section = text.partition("\n## Settings\n")
    rows = re.findall(r"^\| ([^|]+) \|", section.split("\n## ", 1)[0], re.MULTILINE)
    listed = {name for row in rows for name in re.findall(r"`([a-z_]+)`", row)}
    missing = sorted((BRIDGE_KEYS | INTERCOM_KEYS) - listed)
    assert not missing, f"the README's settings table lacks {missing}"


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bissues?\s+#?\d+",  # "issue 19", "issues 18 and 22"
        r"\bitems?\s+\d+\b",  # "item 8"
        r"(?<![\w&/#-])#\d+\b",  # "#12" (not an HTML entity, an anchor or a colour)
        r"\b(?:PR|pull request)s?\s+#?\d+",
    ],
)
def test_the_readme_names_no_internal_issue_numbers(pattern: str) -> None:
    found = [match.group(0) for match in re.finditer(pattern, README.read_text(encoding="utf-8"), re.IGNORECASE)]
    assert not found, f"README.md refers to internal tracking: {found}"
