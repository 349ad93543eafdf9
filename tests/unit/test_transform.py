"""Transformations: a site's Python files rewrite, enrich or drop events; user code never breaks the bridge."""

from __future__ import annotations

import hashlib
import io
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from py_bridge.core.commands import IntercomCall
from py_bridge.core.destinations.intercom import IntercomDestination
from py_bridge.core.events import Event
from py_bridge.core.pipeline import Pipeline
from py_bridge.core.settings import parse_settings
from py_bridge.core.spec import to_spec
from py_bridge.core.trace import STARTUP_RECORD
from py_bridge.core.transform import SLOW_REPORT_INTERVAL_S, Message, TransformChain, describe_change, replay
from py_bridge.core.transform_files import EntryUrl
from py_bridge.tools.cli import main

CONTEXT = {"url": "https://shop.example/", "path": "/", "timestamp": 1714564800123, "anonymous_id": "anon-1"}

RENAME = """
    def transform(event):
        if event["type"] == "track" and event["event"] == "Signed Up":
            event["event"] = "signup"
        return event
"""
ENRICH = """
    def transform(event):
        event.setdefault("properties", {})["site"] = "shop"
        return event
"""
DROP_TESTS = """
    def transform(event):
        if event.get("event", "").startswith("test_"):
            return None
        return event
"""
RAISES = """
    def transform(event):
        event["event"] = "half-done"
        return event["properties"]["missing"]
"""


def track(name: str = "Signed Up", **properties: Any) -> Event:
    return Event(type="track", name=name, anonymous_id="anon-1", properties=properties, context=dict(CONTEXT))


def chain(*files: tuple[str, str], **options: Any) -> TransformChain:
    return TransformChain([(name, textwrap.dedent(source)) for name, source in files], **options)


def errors_of(messages: list[Message] | tuple[Message, ...]) -> list[str]:
    return [m.text for m in messages if m.level == "error"]


# -- what transforms do ------------------------------------------------------------------------------------------


def test_a_transform_renames_an_event() -> None:
    """The returned dict is what the mapping sees: the track's name changes."""
    outcome = chain(("rename.py", RENAME)).apply(track())
    assert outcome.event is not None
    assert outcome.event.name == "signup"
    assert outcome.steps == ("transformed by rename.py (event 'Signed Up' -> 'signup')",)
    assert outcome.messages == ()


def test_a_transform_enriches_properties() -> None:
    """A key added to properties arrives in the Event; the debug step names it."""
    outcome = chain(("enrich.py", ENRICH)).apply(track(plan="pro"))
    assert outcome.event is not None
    assert outcome.event.properties == {"plan": "pro", "site": "shop"}
    assert outcome.steps == ("transformed by enrich.py (properties +site)",)


def test_a_transform_that_returns_none_drops_the_event() -> None:
    """None drops the event, and the files after it do not run."""
    outcome = chain(("drop.py", DROP_TESTS), ("enrich.py", ENRICH)).apply(track("test_signup"))
    assert outcome.event is None
    assert outcome.steps == ("dropped by drop.py",)


def test_several_files_run_in_order_each_seeing_the_previous_result() -> None:
    """rename then a file that only sees the new name: both changes arrive."""
    tag_signup = """
        def transform(event):
            if event["event"] == "signup":
                event["properties"]["funnel"] = True
            return event
    """
    outcome = chain(("rename.py", RENAME), ("tag.py", tag_signup), ("enrich.py", ENRICH)).apply(track())
    assert outcome.event is not None
    assert (outcome.event.name, outcome.event.properties) == ("signup", {"funnel": True, "site": "shop"})
    assert [s.split(" (")[0] for s in outcome.steps] == [
        "transformed by rename.py",
        "transformed by tag.py",
        "transformed by enrich.py",
    ]


def test_an_unchanged_event_is_the_original_event() -> None:
    """A transform that changes nothing hands on the very Event it received (no round trip)."""
    event = track()
    outcome = chain(("noop.py", "def transform(event):\n    return event\n")).apply(event)
    assert outcome.event is event
    assert outcome.steps == ("transformed by noop.py (no change)",)


def test_reset_passes_untouched() -> None:
    """reset has no spec shape: transforms never see it."""
    event = Event(type="reset")
    outcome = chain(("drop-all.py", "def transform(event):\n    return None\n")).apply(event)
    assert outcome == type(outcome)(event)


def test_a_transform_may_import_the_standard_library_and_py_bridge() -> None:
    """hashlib inside transform, py_bridge at module level: both import as in any module."""
    source = """
        from py_bridge.core.spec import SpecEvent

        def transform(event: SpecEvent) -> SpecEvent:
            import hashlib
            event["properties"]["digest"] = hashlib.sha256(event["event"].encode()).hexdigest()[:8]
            return event
    """
    outcome = chain(("hash.py", source)).apply(track())
    assert outcome.event is not None
    assert outcome.event.properties["digest"] == hashlib.sha256(b"Signed Up").hexdigest()[:8]
    assert outcome.messages == ()


def test_module_level_code_runs_once() -> None:
    """State set up at import survives between events: the module is executed once, not per event."""
    source = """
        import itertools
        LOADS = []
        LOADS.append("loaded")
        counter = itertools.count()

        def transform(event):
            event["properties"]["n"] = next(counter)
            return event
    """
    transforms = chain(("count.py", source))
    numbers = [transforms.apply(track()).event.properties["n"] for _ in range(3)]  # type: ignore[union-attr]
    assert numbers == [0, 1, 2]
    assert transforms.transforms[0].module.LOADS == ["loaded"]


def test_dataclasses_work_in_a_transform_module() -> None:
    """The module is registered like an import, so dataclasses with postponed annotations resolve it."""
    source = """
        from __future__ import annotations
        from dataclasses import dataclass

        @dataclass
        class Rule:
            name: str

        RULE = Rule("x")

        def transform(event):
            return event
    """
    assert chain(("dc.py", source)).take_messages() == []


# -- user errors ---------------------------------------------------------------------------------------------------


def test_a_transform_that_raises_sends_the_event_untransformed_by_default() -> None:
    """errors="send": the event goes on as it was before that file (its half-done change is not kept)."""
    transforms = chain(("rename.py", RENAME), ("broken.py", RAISES))
    outcome = transforms.apply(track())
    assert outcome.event is not None
    assert outcome.event.name == "signup"  # rename.py's change kept, broken.py's discarded
    assert outcome.steps[-1] == "broken.py raised KeyError at line 4; sent untransformed"
    assert outcome.failures == ("broken.py raised KeyError at line 4; sent untransformed",)


def test_a_transform_that_raises_drops_the_event_with_errors_drop() -> None:
    """errors="drop" (setting transform_errors: drop): the event is dropped."""
    outcome = chain(("broken.py", RAISES), errors="drop").apply(track())
    assert outcome.event is None
    assert outcome.steps == ("broken.py raised KeyError at line 4; dropped",)
    assert "The event was dropped" in errors_of(outcome.messages)[0]


def test_the_error_report_shows_the_users_traceback_only() -> None:
    """File name, line and source line of the user's frames; none of py-bridge's own frames."""
    source = """
        def transform(event):
            return helper(event)

        def helper(event):
            return 1 / 0
    """
    (report,) = errors_of(chain(("shop/t/divide.py", source)).apply(track()).messages)
    assert report.startswith("transform shop/t/divide.py raised ZeroDivisionError at line 6")
    assert 'File "shop/t/divide.py", line 3, in transform' in report
    assert 'File "shop/t/divide.py", line 6, in helper' in report
    assert "return 1 / 0" in report
    assert report.endswith("ZeroDivisionError: division by zero")
    assert "py_bridge" not in report


SECRET_URL = "https://user:pw@static.example/t/{}.py?token=secret"
FAILS_EVERY_WAY = {
    "syntax": "def transform(event)\n",
    "load": "raise RuntimeError('no config')\n",
    "empty": "x = 1\n",
    "raises": "def transform(event):\n    return helper(event)\n\ndef helper(event):\n    return 1 / 0\n",
    "returns": "def transform(event):\n    return 42\n",
    "field": "def transform(event):\n    event['userId'] = 42\n    return event\n",
    "drops": "def transform(event):\n    return None\n",
}


def every_report(transforms: TransformChain, *events: Event) -> list[str]:
    """Every text the chain produced: load reports, per-event reports, debug steps, failures."""
    texts = [m.text for m in transforms.take_messages()]
    for event in events:
        outcome = transforms.apply(event)
        texts += [m.text for m in outcome.messages] + list(outcome.steps) + list(outcome.failures)
    return texts


def test_reports_about_a_fetched_entry_name_it_by_index_and_origin_never_by_its_url() -> None:
    """An entry's URL may carry a token or credentials: load failures, tracebacks (their `File "..."` lines too),
    bad returns, field notes, slow reports and debug steps name it `transform[3] (https://static.example)`, the
    site's index and the origin, as transform_files.EntryUrl labels it (issue 22, item 4)."""
    names = {kind: EntryUrl(SECRET_URL.format(kind), index) for index, kind in enumerate(FAILS_EVERY_WAY)}
    sources = [(names[kind], source) for kind, source in FAILS_EVERY_WAY.items() if kind != "drops"]
    transforms = TransformChain(sources, slow_ms=0)  # every file is "slow"
    texts = every_report(transforms, track())
    texts += every_report(TransformChain([(names["drops"], FAILS_EVERY_WAY["drops"])]), track())
    assert texts
    assert not [t for t in texts if "secret" in t or "token" in t or "pw@" in t or "user:" in t or "/t/" in t]
    origin = "(https://static.example)"
    assert texts[0].startswith(f"transform[0] {origin} is skipped: SyntaxError at line 1\n")
    assert f'File "transform[0] {origin}", line 1' in texts[0]
    assert texts[1].startswith(f"transform[1] {origin} is skipped: RuntimeError at line 1 while loading it")
    assert texts[2].startswith(f"transform[2] {origin} is skipped: it defines no transform function")
    report = next(t for t in texts if "ZeroDivisionError" in t)
    assert report.startswith(f"transform[3] {origin} raised ZeroDivisionError at line 5 on a track event")
    assert f'File "transform[3] {origin}", line 2, in transform' in report
    assert f'File "transform[3] {origin}", line 5, in helper' in report
    assert f"transform[4] {origin} returned a number on a track event" in "\n".join(texts)
    assert f"transform[5] {origin}: userId must be a string" in "\n".join(texts)
    assert any(t.startswith(f"transform[5] {origin} took ") for t in texts)
    assert f"transformed by transform[5] {origin} (userId changed)" in texts
    assert f"dropped by transform[6] {origin}" in texts


def test_a_bare_url_is_named_by_its_origin_only() -> None:
    """A URL that is not a labelled entry (a site's own tests calling start_bridge): its origin, never its path,
    query or credentials; two files of one origin still show their own lines."""
    raising = "def transform(event):\n    raise KeyError('first')\n"
    second = "def transform(event):\n\n    raise ValueError('second')\n"
    transforms = chain((SECRET_URL.format("a"), raising), (SECRET_URL.format("b"), second))
    texts = every_report(transforms, track())
    assert not [t for t in texts if "secret" in t or "pw@" in t or "/t/" in t]
    (first,) = [t for t in texts if "KeyError" in t and "Traceback" in t]
    assert first.startswith("transform (https://static.example) raised KeyError at line 2")
    assert "raise KeyError('first')" in first
    (other,) = [t for t in texts if "ValueError" in t and "Traceback" in t]
    assert other.startswith("transform (https://static.example)")
    assert "at line 3" in other
    assert "raise ValueError('second')" in other


def test_an_error_is_reported_once_per_file_line_and_type() -> None:
    """The same error on every event: one report (the step still says it each time); another line: a new report."""
    source = """
        def transform(event):
            if event["event"] == "a":
                raise ValueError("a")
            raise ValueError("b")
    """
    transforms = chain(("v.py", source))
    first = [transforms.apply(track(name)) for name in ("a", "a", "b", "b")]
    assert [len(errors_of(o.messages)) for o in first] == [1, 0, 1, 0]
    assert all(o.failures for o in first)


@pytest.mark.parametrize("errors", ["send", "drop"])
@pytest.mark.parametrize(("returned", "kind"), [("[event]", "a list"), ("True", "a boolean"), ("'x'", "a string")])
def test_a_return_value_that_is_not_a_dict_or_none_is_a_reported_error(errors: str, returned: str, kind: str) -> None:
    """Sent untransformed (or dropped with errors="drop"), reported once with what came back."""
    transforms = chain(("bad.py", f"def transform(event):\n    return {returned}\n"), errors=errors)
    outcome = transforms.apply(track())
    assert (outcome.event is None) == (errors == "drop")
    (report,) = errors_of(outcome.messages)
    assert report.startswith(f"transform bad.py returned {kind} on a track event; it must return a dict")
    assert errors_of(transforms.apply(track()).messages) == []


def test_a_transform_that_calls_sys_exit_is_contained() -> None:
    """SystemExit from user code is an error like any other, not the end of the worker."""
    outcome = chain(("exit.py", "import sys\ndef transform(event):\n    sys.exit(1)\n")).apply(track())
    assert outcome.event == track()
    assert "SystemExit" in errors_of(outcome.messages)[0]


def test_invalid_fields_a_transform_returns_are_reported_with_its_name() -> None:
    """A number as userId: the original kept, a warning naming the file."""
    outcome = chain(("ids.py", "def transform(event):\n    event['userId'] = 42\n    return event\n")).apply(track())
    assert outcome.event is not None
    assert outcome.event.user_id is None
    assert outcome.messages == (Message("warn", "transform ids.py: userId must be a string, received a number; "
                                        "kept the original"),)  # fmt: skip


def test_a_runaway_recursion_is_reported_short_with_the_exception_line_kept() -> None:
    """The deepest frames only, within the console line limit, ending with the exception itself."""
    source = "def transform(event):\n    return again(event)\ndef again(event):\n    return again(event)\n"
    (report,) = errors_of(chain(("deep.py", source)).apply(track()).messages)
    assert len(report) < 2000
    assert "earlier frames omitted" in report
    assert report.endswith("RecursionError: maximum recursion depth exceeded")


def test_a_huge_exception_message_is_cut() -> None:
    """str(error) of a big value cannot push the traceback past the console limit."""
    source = "def transform(event):\n    raise ValueError('x' * 100_000)\n"
    (report,) = errors_of(chain(("big.py", source)).apply(track()).messages)
    assert len(report) < 2000
    assert 'File "big.py", line 2, in transform' in report


def test_an_unknown_error_policy_is_refused() -> None:
    """errors is "send" or "drop"."""
    with pytest.raises(ValueError, match="errors must be"):
        TransformChain([], errors="ignore")  # type: ignore[arg-type]


# -- files that fail to load ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "start", "detail"),
    [
        ("def transform(event:\n    return event\n", "transform bad.py is skipped: SyntaxError at line 1", "^"),
        ("x = 1\n", "transform bad.py is skipped: it defines no transform function", "def transform(event)"),
        ("transform = 3\n", "transform bad.py is skipped: it defines transform, but not as a function", ""),
        (
            "import not_a_module_anywhere\ndef transform(event):\n    return event\n",
            "transform bad.py is skipped: ModuleNotFoundError at line 1 while loading it",
            "No module named 'not_a_module_anywhere'",
        ),
        ("raise RuntimeError('no config')\n", "transform bad.py is skipped: RuntimeError at line 1", "no config"),
    ],
    ids=["syntax error", "no transform", "not callable", "import error", "raises at import"],
)
def test_a_file_that_fails_to_load_is_reported_once_and_skipped(source: str, start: str, detail: str) -> None:
    """One error naming the file (with the traceback's last lines); the other files still run."""
    transforms = chain(("bad.py", source), ("rename.py", RENAME))
    (report,) = errors_of(transforms.take_messages())
    assert report.startswith(start)
    assert detail in report
    assert transforms.skipped == ["bad.py"]
    assert transforms.apply(track()).event.name == "signup"  # type: ignore[union-attr]
    assert transforms.take_messages() == []


# -- slow transforms -----------------------------------------------------------------------------------------------


class FakeTimer:
    """perf_counter that advances `step` seconds on every read after the first of each pair."""

    def __init__(self, elapsed_s: float) -> None:
        self.now = 0.0
        self.elapsed_s = elapsed_s
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads % 2 == 0:
            self.now += self.elapsed_s
        return self.now


def test_a_slow_transform_is_reported_at_most_once_a_minute() -> None:
    """Over slow_ms: one warning with the time taken; again only after a minute; each event's step says it."""
    timer = FakeTimer(0.08)
    transforms = chain(("slow.py", RENAME), timer=timer)
    outcome = transforms.apply(track())
    assert outcome.messages == (
        Message(
            "warn",
            "transform slow.py took 80 ms on a track event (limit 50 ms); every call waits for it "
            "(reported at most once a minute)",
        ),
    )
    assert "slow.py took 80 ms" in outcome.steps
    assert transforms.apply(track()).messages == ()
    timer.now += SLOW_REPORT_INTERVAL_S
    assert len(transforms.apply(track()).messages) == 1


def test_a_transform_within_slow_ms_is_not_reported() -> None:
    """Real time: a trivial transform under the default 50 ms says nothing."""
    assert chain(("rename.py", RENAME)).apply(track()).messages == ()


def test_a_transform_that_really_sleeps_is_reported() -> None:
    """With the real clock: time.sleep past slow_ms gives the warning."""
    source = "import time\ndef transform(event):\n    time.sleep(0.02)\n    return event\n"
    (message,) = chain(("sleepy.py", source), slow_ms=5).apply(track()).messages
    assert message.text.startswith("transform sleepy.py took")


# -- as pipeline middleware ----------------------------------------------------------------------------------------


def test_the_chain_is_pipeline_middleware_and_keeps_reports_for_the_bridge() -> None:
    """Pipeline(middleware=[chain]): the mapping sees the renamed event; reports and steps wait to be taken."""
    transforms = chain(("rename.py", RENAME), ("broken.py", RAISES), ("bad.py", "x = 1\n"))
    settings = parse_settings({"app_id": "abc123"})
    destination = IntercomDestination(settings.intercom, clock=lambda: 0.0)
    destination.load()
    pipeline = Pipeline([transforms], [destination])
    commands = pipeline.run(track())
    tracked = [c for c in commands if isinstance(c, IntercomCall) and c.method == "trackEvent"]
    assert tracked[0].args[0] == "signup"
    assert [m.text.split(":")[0] for m in transforms.take_messages()] == [
        "transform bad.py is skipped",
        "transform broken.py raised KeyError at line 4 on a track event. The event was sent on as it was before this "
        "file. (reported once per distinct error)\nTraceback (most recent call last)",
    ]
    assert transforms.take_steps() == [
        "transformed by rename.py (event 'Signed Up' -> 'signup')",
        "broken.py raised KeyError at line 4; sent untransformed",
    ]
    assert (transforms.take_messages(), transforms.take_steps()) == ([], [])


def test_on_enter_names_each_file_before_it_runs() -> None:
    """A watchdog outside Python learns which file is running."""
    entered: list[str] = []
    chain(("a.py", RENAME), ("b.py", ENRICH), on_enter=entered.append).apply(track())
    assert entered == ["a.py", "b.py"]


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        ({"event": "a"}, {"event": "b"}, "event 'a' -> 'b'"),
        ({"properties": {"a": 1, "b": 2}}, {"properties": {"a": 2, "c": 3}}, "properties +c -b ~a"),
        ({"userId": "u1"}, {"userId": "u2"}, "userId changed"),
        ({"userId": "u1"}, {}, "-userId"),
        ({}, {"groupId": "g"}, "+groupId"),
        ({"x": 1}, {"x": 1}, "no change"),
    ],
)
def test_describe_change_says_what_a_transform_did(before: dict[str, Any], after: dict[str, Any], said: str) -> None:
    """The debug view's account of one file's change."""
    assert describe_change(before, after) == said


# -- py-bridge transform -------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "rename.py").write_text(textwrap.dedent(RENAME))
    (tmp_path / "drop.py").write_text(textwrap.dedent(DROP_TESTS))
    (tmp_path / "broken.py").write_text(textwrap.dedent(RAISES))
    lines = [to_spec(track()), to_spec(track("test_one")), to_spec(track("Other"))]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    status = main(["transform", *argv])
    captured = capsys.readouterr()
    return status, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_cli_prints_each_surviving_event_as_one_json_line(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two files over three events: the dropped one printed nowhere, the renamed one renamed, exit 0."""
    status, out, err = run([str(files / "rename.py"), str(files / "drop.py"), str(files / "events.jsonl")], capsys)
    assert (status, err) == (0, "")
    assert [e["event"] for e in out] == ["signup", "Other"]
    assert out[0]["messageId"] == to_spec(track())["messageId"]
    assert out[1] == to_spec(track("Other"))


def test_cli_reports_a_transform_error_with_its_traceback_and_exits_1(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every event still printed (errors="send"); the traceback once on stderr, then one line per later event."""
    status, out, err = run([str(files / "broken.py"), str(files / "events.jsonl")], capsys)
    assert status == 1
    assert [e["event"] for e in out] == ["Signed Up", "test_one", "Other"]
    assert err.count("Traceback (most recent call last)") == 1
    assert f'File "{files / "broken.py"}", line 4, in transform' in err
    assert "events.jsonl:2: error: " in err
    assert "py_bridge" not in err.replace(str(files), "")


def test_cli_errors_drop_prints_nothing_for_failing_events(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--errors drop mirrors the transform_errors setting."""
    status, out, _ = run(["--errors", "drop", str(files / "broken.py"), str(files / "events.jsonl")], capsys)
    assert (status, out) == (1, [])


def test_cli_reads_events_from_stdin(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`-` reads the JSON lines from standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO((files / "events.jsonl").read_text()))
    status, out, _ = run([str(files / "rename.py"), "-"], capsys)
    assert (status, len(out)) == (0, 3)


def test_cli_sends_a_transforms_print_to_stderr(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """print() debugging in a transform never corrupts the JSON lines on stdout."""
    (files / "chatty.py").write_text("def transform(event):\n    print('saw', event['event'])\n    return event\n")
    status, out, err = run([str(files / "chatty.py"), str(files / "events.jsonl")], capsys)
    assert (status, len(out)) == (0, 3)
    assert "saw Signed Up" in err


def test_cli_reports_a_file_that_fails_to_load_and_exits_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The broken file is named on stderr and skipped; the events still go through the others."""
    (files / "syntax.py").write_text("def transform(:\n")
    status, out, err = run([str(files / "syntax.py"), str(files / "rename.py"), str(files / "events.jsonl")], capsys)
    assert status == 1
    assert "syntax.py is skipped: SyntaxError at line 1" in err
    assert out[0]["event"] == "signup"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["missing.py", "events.jsonl"], "cannot read transform file missing.py: No such file or directory"),
        (["rename.py", "missing.jsonl"], "cannot read events file missing.jsonl: No such file or directory"),
        (["events.jsonl"], "give one or more transform FILEs, then EVENTS.jsonl (- for stdin)"),
        ([".", "events.jsonl"], "cannot read transform file .: Is a directory"),
    ],
    ids=["missing transform file", "missing events file", "no transform file", "a directory"],
)
def test_cli_mistakes_give_one_clear_line_and_exit_2(
    argv: list[str], said: str, files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line on stderr naming the problem, no traceback, exit 2."""
    monkeypatch.chdir(files)
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, [])
    assert err.splitlines() == [f"py-bridge transform: {said}"]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("{not json", "events.jsonl:2: not a JSON line (Expecting property name enclosed in double quotes"),
        ('{"type": "reset"}', "events.jsonl:2: type must be one of alias, group, identify, page, screen, track"),
        ("[1, 2]", "events.jsonl:2: expected a JSON object, received a list; skipped"),
    ],
    ids=["not json", "no spec type", "not an object"],
)
def test_cli_reports_an_unreadable_line_and_goes_on(
    line: str, said: str, files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line is named and skipped, the others are printed, the exit status is 2."""
    monkeypatch.chdir(files)
    events = (files / "events.jsonl").read_text().splitlines()
    (files / "events.jsonl").write_text("\n".join([events[0], line, events[2]]) + "\n")
    status, out, err = run(["rename.py", "events.jsonl"], capsys)
    assert status == 2
    assert len(out) == 2
    assert err.startswith(f"py-bridge transform: {said}")
    assert "Traceback" not in err


def test_replay_of_an_export_without_changes_gives_the_same_lines(tmp_path: Path) -> None:
    """A recorded session replayed through a file that changes nothing comes out line for line."""
    (tmp_path / "noop.py").write_text("def transform(event):\n    return event\n")
    lines = [json.dumps(to_spec(track(str(n), n=n))) for n in range(5)]
    (tmp_path / "session.jsonl").write_text("\n".join(lines) + "\n")
    out, err = io.StringIO(), io.StringIO()
    assert replay([str(tmp_path / "noop.py")], str(tmp_path / "session.jsonl"), out=out, err=err) == 0
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [json.loads(x) for x in lines]
    assert err.getvalue() == ""


def test_replay_passes_over_the_exports_start_up_record(tmp_path: Path) -> None:
    """debug.export() begins with the session's start-up phases ({"startup": ...}): not an event, so the replay
    neither prints nor reports it, and the events after it come out as before."""
    (tmp_path / "noop.py").write_text("def transform(event):\n    return event\n")
    startup = json.dumps({STARTUP_RECORD: {"mode": "snapshot", "ms": 310, "phases": {"tag": 21, "python_ready": 376}}})
    lines = [json.dumps(to_spec(track(str(n), n=n))) for n in range(3)]
    (tmp_path / "session.jsonl").write_text("\n".join([startup, *lines]) + "\n")
    out, err = io.StringIO(), io.StringIO()
    assert replay([str(tmp_path / "noop.py")], str(tmp_path / "session.jsonl"), out=out, err=err) == 0
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [json.loads(x) for x in lines]
    assert err.getvalue() == ""


# -- loading marks and starting afresh (reset, user switch, consent withdrawal) -------------------------------------

LOADS_IN_ORDER = """
    import builtins

    builtins._pybridge_test_order.append(("exec", __file__))

    def transform(event):
        return event
"""


def test_on_load_names_each_file_just_before_its_top_level_code_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that hangs while loading can be named: "load" comes before each file's own code, "run" before each
    file runs on an event."""
    import builtins

    order: list[tuple[str, str]] = []
    monkeypatch.setattr(builtins, "_pybridge_test_order", order, raising=False)
    transforms = chain(
        ("a.py", LOADS_IN_ORDER),
        ("b.py", LOADS_IN_ORDER),
        on_load=lambda name: order.append(("load", name)),
        on_enter=lambda name: order.append(("run", name)),
    )
    assert order == [("load", "a.py"), ("exec", "a.py"), ("load", "b.py"), ("exec", "b.py")]
    transforms.apply(track())
    assert order[4:] == [("run", "a.py"), ("run", "b.py")]


COUNTS = """
    COUNT = [0]

    def transform(event):
        COUNT[0] += 1
        event["properties"]["count"] = COUNT[0]
        return event
"""


def test_restart_runs_every_loaded_file_again_in_a_fresh_module() -> None:
    """Module-level state is gone after restart(); the old module is no longer registered in sys.modules."""
    import sys

    loads: list[str] = []
    transforms = chain(("count.py", COUNTS), on_load=loads.append)
    assert transforms.apply(track()).event.properties["count"] == 1  # type: ignore[union-attr]
    assert transforms.apply(track()).event.properties["count"] == 2  # type: ignore[union-attr]
    old = transforms.transforms[0].module.__name__
    transforms.restart()
    assert old not in sys.modules
    assert transforms.apply(track()).event.properties["count"] == 1  # type: ignore[union-attr]
    assert loads == ["count.py", "count.py"]


def test_restart_keeps_files_that_failed_to_load_skipped_and_reports_a_file_that_fails_now() -> None:
    """A broken file stays skipped (not announced, not reported again); a file that fails on its second run is
    reported and skipped from then on."""
    second_time_fails = """
        import builtins

        if getattr(builtins, "_pybridge_loaded_once", False):
            raise RuntimeError("only once")
        builtins._pybridge_loaded_once = True

        def transform(event):
            return event
    """
    loads: list[str] = []
    transforms = chain(("broken.py", "def transform(:\n"), ("once.py", second_time_fails), on_load=loads.append)
    assert transforms.skipped == ["broken.py"]
    transforms.take_messages()
    try:
        transforms.restart()
    finally:
        import builtins

        del builtins._pybridge_loaded_once  # type: ignore[attr-defined]
    assert loads == ["broken.py", "once.py", "once.py"]
    assert transforms.transforms == []
    assert transforms.skipped == ["broken.py", "once.py"]
    reports = errors_of(transforms.take_messages())
    assert len(reports) == 1
    assert reports[0].startswith("transform once.py is skipped: RuntimeError at line 5 while loading it")
