"""The command line as a user meets it: every mistake is one `py-bridge: ...` line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import py_bridge.tools.bundle
from py_bridge.core.errors import BridgeError
from py_bridge.tools.cli import main


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command; return its status and its single stderr line (asserting there is exactly one)."""
    status = main(argv)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("py-bridge: "), err
    assert "Traceback" not in err
    assert out == ""
    return status, lines[0]


@pytest.fixture
def fake_bundle(tmp_path: Path) -> Path:
    """Enough of a built bundle for `serve`: manifest.json and embed.js."""
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "embed.js").write_text("/* embed */\n")
    (folder / "manifest.json").write_text(json.dumps({"embed_integrity": "sha384-abc"}))
    return folder


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that must fail before building: building would be a bug (and a minute)."""

    def build(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("build() must not run")

    monkeypatch.setattr(py_bridge.tools.bundle, "build", build)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["build"], "build: the following arguments are required: OUT_DIR"),
        (["build", "out", "--frob"], "unrecognized arguments: --frob"),
        (["serve"], "serve: the following arguments are required: DIR"),
        (["serve", "x", "--port", "http"], "serve: argument --port: not a port number: 'http'"),
        (["serve", "x", "--port", "65536"], "serve: argument --port: a port is 0-65535, got 65536"),
        (["demo", "--port", "-1"], "demo: argument --port: a port is 0-65535, got -1"),
        (["demo", "--verification", "hmac"], "demo: argument --verification: invalid choice: 'hmac'"),
        (["doctor"], "doctor: the following arguments are required: URL"),
        (["doctor", "http://127.0.0.1/", "--timeout", "0"], "doctor: argument --timeout: more than 0"),
        (["doctor", "example.com"], "doctor: give a page URL starting with http:// or https://"),
        (["user-hash"], "user-hash: the following arguments are required: user_id"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_usage_mistakes_are_one_line_and_exit_2(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, line = fails(argv, capsys)
    assert status == 2
    assert said in line


def test_an_out_folder_that_is_a_file_fails_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_build: None
) -> None:
    (tmp_path / "taken").write_text("")
    status, line = fails(["build", str(tmp_path / "taken")], capsys)
    assert status == 1
    assert line == f"py-bridge: cannot write to OUT folder {tmp_path / 'taken'}: it is a file, not a folder"


def test_an_out_folder_that_cannot_be_made_fails_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_build: None
) -> None:
    (tmp_path / "file").write_text("")
    status, line = fails(["build", str(tmp_path / "file" / "out")], capsys)
    assert status == 1
    assert line == f"py-bridge: cannot write to OUT folder {tmp_path / 'file' / 'out'}: Not a directory"


def test_a_missing_build_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the build needs is missing (a checkout without npm ci): the OSError becomes one line."""

    def build(*args: Any, **kwargs: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", "node_modules/pyodide/pyodide.asm.wasm")

    monkeypatch.setattr(py_bridge.tools.bundle, "build", build)
    status, line = fails(["build", str(tmp_path / "out")], capsys)
    assert status == 1
    assert line == "py-bridge: No such file or directory: node_modules/pyodide/pyodide.asm.wasm"


def test_a_bridge_error_and_a_bug_are_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def damaged(*args: Any, **kwargs: Any) -> None:
        raise BridgeError("runtime file pyodide.asm.wasm does not match\nits SHA-256")

    monkeypatch.setattr(py_bridge.tools.bundle, "build", damaged)
    assert fails(["build", str(tmp_path / "a")], capsys) == (
        1,
        "py-bridge: runtime file pyodide.asm.wasm does not match its SHA-256",
    )

    def bug(*args: Any, **kwargs: Any) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(py_bridge.tools.bundle, "build", bug)
    status, line = fails(["build", str(tmp_path / "b")], capsys)
    assert status == 1
    assert line.startswith("py-bridge: internal error: KeyError: 'oops'")


def test_serve_without_a_folder_or_a_bundle_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, line = fails(["serve", str(tmp_path / "nowhere")], capsys)
    assert (status, line) == (
        1,
        f"py-bridge: no folder {tmp_path / 'nowhere'} (build a bundle with: py-bridge build {tmp_path / 'nowhere'})",
    )
    (tmp_path / "embed.js").write_text("")
    status, line = fails(["serve", str(tmp_path)], capsys)
    assert status == 1
    assert f"{tmp_path} is not a built bundle (no manifest.json;" in line


def test_serve_on_a_port_in_use_says_so(fake_bundle: Path, busy_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    status, line = fails(["serve", str(fake_bundle), "--port", str(busy_port)], capsys)
    assert (status, line) == (
        1,
        f"py-bridge: port {busy_port} on 127.0.0.1 is already in use (choose another with --port)",
    )


def test_demo_on_a_port_in_use_fails_before_building(
    fake_bundle: Path, busy_port: int, capsys: pytest.CaptureFixture[str], no_build: None
) -> None:
    (fake_bundle / "embed.js").unlink()  # would need a build
    status, line = fails(["demo", "--port", str(busy_port), "--bundle", str(fake_bundle)], capsys)
    assert status == 1
    assert "already in use" in line


def test_serve_on_an_address_not_of_this_machine_says_so(fake_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, line = fails(["serve", str(fake_bundle), "--port", "0", "--host", "192.0.2.1"], capsys)
    assert status == 1
    assert line.startswith("py-bridge: cannot listen on 192.0.2.1:0: ")


def test_user_hash_without_a_secret_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INTERCOM_IDENTITY_SECRET", raising=False)
    assert fails(["user-hash", "u1"], capsys) == (
        2,
        "py-bridge: user-hash: set the secret in the environment variable INTERCOM_IDENTITY_SECRET",
    )


def test_user_hash_of_an_empty_user_id_names_the_mistake(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18, item 10a: `py-bridge user-hash ""` is a usage mistake, not an internal error."""
    monkeypatch.setenv("INTERCOM_IDENTITY_SECRET", "s3cr3t")
    assert fails(["user-hash", ""], capsys) == (
        2,
        "py-bridge: user-hash: the user id is empty (give the user's id, or the email of a user without one)",
    )


ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_every_documented_target_and_the_port_as_its_value() -> None:
    """Issue 18, item 10b: every .PHONY target with a `## ` comment is listed (e2e too: its name has a digit), and
    the demo's port is the value of PORT (8000 unless given), never a literal `$(PORT)`."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony_line = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony_line is not None
    documented = [
        target
        for target in phony_line.group(1).split()
        if re.search(rf"^{re.escape(target)}:[^\n]*## ", makefile, re.MULTILINE)
    ]
    assert "e2e" in documented
    for extra, port in (([], "8000"), (["PORT=8123"], "8123")):
        done = subprocess.run(
            [make, "-s", "help", *extra], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        listed = re.findall(r"^  make (\S+)", done.stdout, re.MULTILINE)
        assert sorted(listed) == sorted(documented), done.stdout
        assert "$(" not in done.stdout
        demo = next(line for line in done.stdout.splitlines() if line.startswith("  make demo "))
        assert f"http://127.0.0.1:{port}" in demo


# `py-bridge demo` without --bundle builds into a temporary folder. The real build takes a minute and writes ~45 MB;
# in these tests a few files, one in a subfolder, stand in for it. Everything else is the installed command.
DEMO_WITH_A_QUICK_BUILD = """
import signal
import sys
from pathlib import Path

import py_bridge.tools.bundle
from py_bridge.tools.cli import main

# Ctrl-C as in a terminal, even when the tests themselves run as a shell's background job (SIGINT ignored there).
signal.signal(signal.SIGINT, signal.default_int_handler)


def build(out_dir, **options):
    out = Path(out_dir)
    (out / "pyodide").mkdir(parents=True, exist_ok=True)
    (out / "pyodide" / "pyodide.asm.wasm").write_bytes(bytes(4096))
    (out / "embed.js").write_text("/* embed */")
    (out / "manifest.json").write_text("{}")


py_bridge.tools.bundle.build = build
raise SystemExit(main(sys.argv[1:]))
"""


def demo_process(tmp: Path, *argv: str) -> subprocess.Popen[str]:
    """`py-bridge demo ARGV` with TMPDIR set to `tmp` (and the quick build)."""
    return subprocess.Popen(
        [sys.executable, "-c", DEMO_WITH_A_QUICK_BUILD, "demo", *argv],
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_a_stopped_demo_leaves_no_temporary_folder(tmp_path: Path, stop: signal.Signals) -> None:
    """Issue 18, item 10c: the bundle the demo built for itself is removed when the demo is stopped."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with demo_process(tmp, "--port", "0") as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert banner.startswith("py-bridge demo: http://127.0.0.1:"), banner
            assert list(tmp.iterdir()) != []  # the demo's bundle, while it serves
            process.send_signal(stop)
            _, err = process.communicate(timeout=15)
        finally:
            process.kill()
    assert "Traceback" not in err
    assert list(tmp.iterdir()) == []


def test_a_demo_on_a_port_in_use_leaves_no_temporary_folder(tmp_path: Path, busy_port: int) -> None:
    """Issue 18, item 10c: a demo that cannot start (its port is taken) leaves no empty folder behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with demo_process(tmp, "--port", str(busy_port)) as process:
        _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.splitlines() == [
        f"py-bridge: port {busy_port} on 127.0.0.1 is already in use (choose another with --port)"
    ]
    assert list(tmp.iterdir()) == []


def test_a_stopped_demo_keeps_the_bundle_folder_it_was_given(tmp_path: Path, fake_bundle: Path) -> None:
    """--bundle DIR is the user's folder: stopping the demo removes nothing from it, and nothing is left in TMPDIR."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = sorted(path.name for path in fake_bundle.iterdir())
    with demo_process(tmp, "--port", "0", "--bundle", str(fake_bundle)) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith("py-bridge demo: ")
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=15)
        finally:
            process.kill()
    assert sorted(path.name for path in fake_bundle.iterdir()) == before
    assert list(tmp.iterdir()) == []


def test_doctor_without_playwright_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    assert fails(["doctor", "http://127.0.0.1:9/"], capsys) == (
        1,
        "py-bridge: doctor: needs Playwright, which is not installed: pip install 'py-bridge[doctor]'",
    )


def test_doctor_without_chromium_says_where_it_looked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("playwright.sync_api")
    missing = tmp_path / "chromium"
    status, line = fails(["doctor", "http://127.0.0.1:9/", "--chromium", str(missing)], capsys)
    assert status == 1
    assert line.startswith(f"py-bridge: doctor: no Chromium at {missing}")


def test_a_mistake_from_the_installed_command_is_one_line_without_traceback(tmp_path: Path) -> None:
    """The real process: exit status and stderr as a shell sees them."""
    done = subprocess.run(
        [sys.executable, "-m", "py_bridge.tools.cli", "serve", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"py-bridge: no folder {tmp_path / 'nowhere'} (build a bundle with: py-bridge build {tmp_path / 'nowhere'})"
    ]


def test_serve_serves_the_bundle_with_cors_cache_and_types(fake_bundle: Path) -> None:
    """`py-bridge serve DIR --port 0` prints the embed URL and the tag, then serves DIR at /py-bridge/."""
    (fake_bundle / "embed.js.br").write_bytes(b"br")  # a precompressed copy, as the build writes
    with subprocess.Popen(
        [sys.executable, "-m", "py_bridge.tools.cli", "serve", str(fake_bundle), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            tag = process.stdout.readline()
            embed = banner.split()[2]
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+/py-bridge/embed\.js", embed), banner
            assert f'src="{embed}" integrity="sha384-abc" crossorigin="anonymous"' in tag
            request = urllib.request.Request(embed, headers={"Accept-Encoding": "br"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
                assert response.headers["Content-Encoding"] == "br"
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.headers["Cache-Control"] == "public, max-age=300"
                assert response.read() == b"br"
            with urllib.request.urlopen(embed.replace("/py-bridge/embed.js", "/"), timeout=10) as response:
                assert "py-bridge/embed.js" in response.read().decode()
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_serve_with_a_pages_folder_that_does_not_exist_says_so(
    fake_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, line = fails(["serve", str(fake_bundle), "--sandbox", "--pages", str(tmp_path / "nowhere")], capsys)
    assert (status, line) == (
        1,
        f"py-bridge: no folder {tmp_path / 'nowhere'} (--pages takes the folder holding your own HTML pages)",
    )
