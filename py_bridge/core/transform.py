"""Transformations: a site's own Python files that rewrite, enrich or drop events before the Intercom mapping.

Each file is a small module defining `transform(event) -> dict | None`, where `event` is a `SpecEvent` (the
analytics.js spec shape, see spec.py). `TransformChain` loads the files once and runs them in order on every event:
`None` drops the event, a dict is what the next file (and in the end the mapping) sees.

User code never breaks the bridge. A file that does not compile, raises while loading or defines no `transform` is
reported once and skipped. An exception or a return value that is neither dict nor None sends the event on as it was
before that file (`errors="send"`) or drops it (`errors="drop"`); the user's traceback, limited to the user's frames,
is reported once per distinct error (file, line, exception type). A file slower than `slow_ms` on one event is
reported at most once a minute. Reports are `Message`s that the caller turns into `[py-bridge]` console lines; each
event's story ("transformed by f.py (event 'a' -> 'b')") is kept for the debug view.

Reports, stories and tracebacks name a file fetched by URL by its index in the site's `transform` setting and its
origin (`transform[2] (https://cdn.example)`, see `label_of`), never by the URL: its path or query may carry a
token. A local file keeps its path.

Pure Python: the same chain runs in the worker and in CPython (`py-bridge transform`, a site's pytest suite).
"""

from __future__ import annotations

import copy
import itertools
import json
import linecache
import os.path
import re
import sys
import time
import traceback
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final, Literal

from py_bridge.core.events import Event
from py_bridge.core.spec import SPEC_TYPES, SpecEvent, event_from_spec, from_spec, to_spec
from py_bridge.core.trace import STARTUP_RECORD
from py_bridge.core.transform_files import entry_name

__all__ = [
    "MAX_TRACEBACK_CHARS",
    "MAX_TRACEBACK_FRAMES",
    "SLOW_MS",
    "SLOW_REPORT_INTERVAL_S",
    "ErrorPolicy",
    "Message",
    "Outcome",
    "Transform",
    "TransformChain",
    "describe_change",
    "label_of",
    "load_transform",
    "replay",
]

ErrorPolicy = Literal["send", "drop"]
SLOW_MS: Final = 50.0  # per file per event; the worker handles one call at a time, so a slow file delays them all
SLOW_REPORT_INTERVAL_S: Final = 60.0  # a file that is always slow is reported once a minute, not on every call
MAX_TRACEBACK_FRAMES: Final = 12  # the deepest frames of a runaway recursion are the useful ones
MAX_TRACEBACK_CHARS: Final = 1500  # embed.js cuts a console line at 2,000 characters; keep the exception line in
MAX_DISTINCT_ERRORS: Final = 1000  # bounded memory for "reported once" keys
MAX_PENDING: Final = 1000  # messages and steps kept until the caller takes them
MAX_SHOWN: Final = 40
_modules = itertools.count()


@dataclass(frozen=True)
class Message:
    """A report for the console: the caller logs it as `Log(level, text)`, which the page prefixes `[py-bridge]`."""

    level: Literal["warn", "error"]
    text: str


@dataclass(frozen=True)
class Transform:
    """One loaded file: its name (URL or path), `transform` function and module, and `label`, how reports and
    tracebacks name it (see `label_of`); the watchdog marks and `restart()` use the name."""

    name: str
    function: Callable[[Any], Any]
    module: types.ModuleType
    label: str

    @property
    def title(self) -> str:
        """The file as a report's subject: `transform[2] (https://cdn.example)`, or `transform rename.py`."""
        return _title(self.name, self.label)


@dataclass(frozen=True)
class Outcome:
    """What the chain did to one event: the result (None: dropped), the debug steps, the reports it produced.

    `failures` repeats the steps that were a file's failure (raised, bad return), also when the report itself was
    already made for an earlier event.
    """

    event: Event | None
    steps: tuple[str, ...] = ()
    messages: tuple[Message, ...] = ()
    failures: tuple[str, ...] = ()


# -- loading ------------------------------------------------------------------------------------------------------


def label_of(name: str) -> str:
    """How reports and tracebacks name a file (its code is compiled under this name).

    A fetched entry (`transform_files.EntryUrl`) by its label, the site's index and the origin: `transform[2]
    (https://cdn.example)`. Any other URL by its origin only, `transform (https://cdn.example)`: a URL's path or
    query may carry a token, its `user:password@` credentials. A local path (`py-bridge transform`, a site's own
    tests) as it is."""
    label = getattr(name, "label", None)
    if isinstance(label, str) and label:
        return label
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", name):
        return entry_name(None, name)
    return name


def _title(name: str, label: str) -> str:
    return label if label != name else f"transform {name}"


def _module_name(name: str, label: str) -> str:
    base = os.path.basename(name.split("?")[0].rstrip("/")) if label == name else ""  # a URL's path stays out
    stem = re.sub(r"\W", "_", os.path.splitext(base)[0]) or "transform"
    return f"pybridge_transform_{next(_modules)}_{stem}"


def _user_traceback(error: BaseException, files: Iterable[str]) -> tuple[str, int]:
    """(the traceback from the first frame in a transform file on, the line of the deepest such frame)."""
    names = set(files)
    frames = traceback.extract_tb(error.__traceback__)
    start = next((i for i, frame in enumerate(frames) if frame.filename in names), len(frames))
    mine = list(frames)[start:]  # frames above the user's code are ours and say nothing to the user
    line = next((frame.lineno or 0 for frame in reversed(mine) if frame.filename in names), 0)
    if isinstance(error, SyntaxError) and error.filename in names:
        line = error.lineno or 0
    last = "".join(traceback.format_exception_only(type(error), error))
    if len(last) > MAX_TRACEBACK_CHARS // 2:  # a huge value in the message must not push out the frames
        last = last[: MAX_TRACEBACK_CHARS // 2] + "…\n"
    shown = mine[-MAX_TRACEBACK_FRAMES:]
    while True:  # the deepest frames first: the console line has a length limit
        frames_text = "".join(traceback.StackSummary.from_list(shown).format())
        if len(frames_text) + len(last) <= MAX_TRACEBACK_CHARS or len(shown) <= 1:
            break
        shown = shown[1:]
    text = ""
    if shown:
        omitted = f"  ... {len(mine) - len(shown)} earlier frames omitted\n" if len(shown) < len(mine) else ""
        text = "Traceback (most recent call last):\n" + omitted + frames_text
    text += last
    return text.rstrip("\n"), line


def load_transform(
    name: str, source: str, on_load: Callable[[str], None] | None = None, *, label: str | None = None
) -> Transform | Message:
    """Compile `source` under its label and run it once as a module of its own; the Transform, or the report why not.

    The label (default `label_of(name)`) is the file name its code, its tracebacks and `__file__` show; the source
    is registered with linecache under it, so tracebacks show the user's lines even for a file fetched by URL.
    `on_load(name)` is called first: a file whose top-level code never returns can then be named from outside.
    """
    label = label or label_of(name)
    title = _title(name, label)
    if on_load is not None:
        on_load(name)
    lines = source.splitlines(keepends=True)
    linecache.cache[label] = (len(source), None, lines, label)  # mtime None: never re-read from disk
    try:
        code = compile(source, label, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:  # ValueError: the source contains a null byte
        text, line = _user_traceback(error, [label])
        where = f" at line {line}" if line else ""
        return Message("error", f"{title} is skipped: {type(error).__name__}{where}\n{text}")
    module = types.ModuleType(_module_name(name, label))
    module.__file__ = label
    # Registered so that dataclasses, pickle and typing can find the module by name, as for any import.
    sys.modules[module.__name__] = module
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as error:
        del sys.modules[module.__name__]
        text, line = _user_traceback(error, [label])
        where = f" at line {line}" if line else ""
        return Message("error", f"{title} is skipped: {type(error).__name__}{where} while loading it\n{text}")
    function = getattr(module, "transform", None)
    if not callable(function):
        what = "defines no transform function" if function is None else "defines transform, but not as a function"
        return Message("error", f"{title} is skipped: it {what}; define `def transform(event): ...`")
    return Transform(name, function, module, label)


# -- running ------------------------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _keys_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    added = [f"+{k}" for k in after if k not in before]
    removed = [f"-{k}" for k in before if k not in after]
    changed = [f"~{k}" for k in after if k in before and after[k] != before[k]]
    return " ".join([*added, *removed, *changed])


def describe_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """A short account of what a transform changed, for the debug view: `event 'a' -> 'b', properties +plan`."""
    parts: list[str] = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key not in after:
            parts.append(f"-{key}")
        elif key not in before:
            parts.append(f"+{key}")
        elif before[key] != after[key]:
            old, new = before[key], after[key]
            if isinstance(old, Mapping) and isinstance(new, Mapping):
                parts.append(f"{key} {_keys_changed(old, new)}")
            elif key in ("type", "event", "name", "category"):
                parts.append(f"{key} {_short(old)} -> {_short(new)}")
            else:
                parts.append(f"{key} changed")
    return ", ".join(parts) or "no change"


def _describe_safely(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    try:
        return describe_change(before, after)
    except Exception:  # a value the user stored compares badly (its __eq__ raises): say less, never fail
        return "changed"


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    try:
        return copy.deepcopy(value)
    except Exception:  # a previous transform stored something that cannot be copied: share it
        return dict(value)


class TransformChain:
    """Loaded transform files, run in order on each event. Use `apply`, or the chain itself as pipeline middleware.

    `sources` are (url_or_name, source_text) pairs. Load failures are waiting in `take_messages()` right away.
    `on_load(name)` is called just before a file is loaded (compiled and its top-level code run), `on_enter(name)`
    just before a file runs on an event: a watchdog outside Python can then name a file that hangs in either.

    `restart()` loads every loaded file again in a fresh module: the bridge calls it when the person on the page
    changes (reset, another user id, consent withdrawn), so no module-level state carries one user's data into the
    next user's events.
    """

    def __init__(
        self,
        sources: Iterable[tuple[str, str]],
        *,
        errors: ErrorPolicy = "send",
        slow_ms: float = SLOW_MS,
        timer: Callable[[], float] = time.perf_counter,
        on_enter: Callable[[str], None] | None = None,
        on_load: Callable[[str], None] | None = None,
    ) -> None:
        if errors not in ("send", "drop"):
            raise ValueError(f"errors must be 'send' or 'drop', received {errors!r}")
        self.errors: ErrorPolicy = errors
        self.slow_ms = slow_ms
        self.timer = timer
        self.on_enter = on_enter
        self.on_load = on_load
        self.transforms: list[Transform] = []
        self.skipped: list[str] = []
        self._messages: list[Message] = []
        self._steps: list[str] = []
        self._reported: set[tuple[str, int, str]] = set()
        self._slow_reported: dict[str, float] = {}
        self._sources: dict[str, str] = {}  # the text of each loaded file, for restart()
        self._labels: dict[str, str] = {}  # each file's label, unique in this chain and kept across restart()
        self._load(list(sources))

    def _label(self, name: str) -> str:
        """`label_of(name)`, numbered when two URLs of one origin would share it (their lines would mix)."""
        if name not in self._labels:
            label, taken, number = label_of(name), set(self._labels.values()), 2
            unique = label
            while unique in taken:
                unique, number = f"{label} #{number}", number + 1
            self._labels[name] = unique
        return self._labels[name]

    def _load(self, sources: list[tuple[str, str]]) -> None:
        for name, source in sources:
            loaded = load_transform(name, source, self.on_load, label=self._label(name))
            if isinstance(loaded, Transform):
                self.transforms.append(loaded)
                self._sources[name] = source
            else:
                self.skipped.append(name)
                self._sources.pop(name, None)
                self._keep(self._messages, [loaded])
        self._files = {t.label for t in self.transforms}  # the file names the files' code was compiled under

    def restart(self) -> None:
        """Start every loaded file afresh: forget its module (and its sys.modules entry) and run its source again.

        Files that failed to load stay skipped; a file that fails now is reported and skipped from then on.
        """
        previous, self.transforms = self.transforms, []
        for transform in previous:
            if sys.modules.get(transform.module.__name__) is transform.module:
                del sys.modules[transform.module.__name__]
        self._load([(t.name, self._sources[t.name]) for t in previous])

    # -- the pipeline's side ---------------------------------------------------------------------------------------
    def __call__(self, event: Event) -> Event | None:
        """Middleware (`Event -> Event | None`): reports and steps wait in `take_messages()` / `take_steps()`."""
        outcome = self.apply(event)
        self._keep(self._messages, outcome.messages)
        self._keep(self._steps, outcome.steps)
        return outcome.event

    def take_messages(self) -> list[Message]:
        """The reports produced since the last call (load failures first), oldest first."""
        taken, self._messages = self._messages, []
        return taken

    def take_steps(self) -> list[str]:
        """What happened to the events handled since the last call, one line per file per event, for debug mode."""
        taken, self._steps = self._steps, []
        return taken

    @staticmethod
    def _keep(into: list[Any], items: Iterable[Any]) -> None:
        into.extend(items)
        if len(into) > MAX_PENDING:  # nobody is taking them: keep the newest, memory stays bounded
            del into[: len(into) - MAX_PENDING]

    # -- one event ---------------------------------------------------------------------------------------------
    def apply(self, event: Event) -> Outcome:
        """Run every loaded file on `event`. Never raises. Events without a spec shape (reset) pass untouched."""
        if not self.transforms or event.type not in SPEC_TYPES:
            return Outcome(event)
        steps: list[str] = []
        messages: list[Message] = []
        failures: list[str] = []
        try:
            result = self._apply(event, steps, messages, failures)
        except Exception as error:  # contained: a bug of ours must not cost the call
            messages.append(Message("error", f"transformations failed ({type(error).__name__}); event sent as it was"))
            result = event
        return Outcome(result, tuple(steps), tuple(messages), tuple(failures))

    def _apply(self, event: Event, steps: list[str], messages: list[Message], failures: list[str]) -> Event | None:
        current: dict[str, Any] = dict(to_spec(event))
        changed_by: list[Transform] = []
        for transform in self.transforms:
            result = self._run_one(transform, current, event.type, steps, messages, failures)
            if result is None:
                return None
            if result is current:
                continue
            change = _describe_safely(current, result)
            steps.append(f"transformed by {transform.label} ({change})")
            if change != "no change":
                changed_by.append(transform)
            current = result
        if not changed_by:
            return event  # untouched: the original Event, exactly
        converted, notes = from_spec(current, event)
        by = ", ".join(dict.fromkeys(t.label for t in changed_by))
        subject = by if any(t.label != t.name for t in changed_by) else f"transform {by}"
        messages.extend(Message("warn", f"{subject}: {note}") for note in notes)
        if converted is None:
            steps.append(f"dropped: the result of {by} is not an event")
        return converted

    def _run_one(
        self,
        transform: Transform,
        current: dict[str, Any],
        event_type: str,
        steps: list[str],
        messages: list[Message],
        failures: list[str],
    ) -> dict[str, Any] | None:
        """The dict `transform` returned, None to drop the event, or `current` itself when the file failed (send)."""
        given = _copy(current)  # the transform may change its argument; `current` stays the "untransformed" event
        if self.on_enter is not None:
            self.on_enter(transform.name)
        started = self.timer()
        try:
            result = transform.function(given)
        except (Exception, SystemExit) as error:
            self._check_slow(transform, started, event_type, steps, messages)
            return self._failed(transform, error, current, event_type, steps, messages, failures)
        self._check_slow(transform, started, event_type, steps, messages)
        if result is None:
            steps.append(f"dropped by {transform.label}")
            return None
        if not isinstance(result, dict):
            outcome = "sent untransformed" if self.errors == "send" else "dropped"
            failures.append(f"{transform.label} returned {_kind(result)}, not a dict or None; {outcome}")
            steps.append(failures[-1])
            key = (transform.name, 0, f"return {type(result).__name__}")
            if self._first_time(key):
                kind = _kind(result)
                messages.append(
                    Message(
                        "error",
                        f"{transform.title} returned {kind} on a {event_type} event; it must return a dict "
                        f"(the event) or None (drop it). {self._consequence()} (reported once)",
                    )
                )
            return None if self.errors == "drop" else current
        return result

    def _failed(
        self,
        transform: Transform,
        error: BaseException,
        current: dict[str, Any],
        event_type: str,
        steps: list[str],
        messages: list[Message],
        failures: list[str],
    ) -> dict[str, Any] | None:
        text, line = _user_traceback(error, self._files)
        where = f" at line {line}" if line else ""
        outcome = "sent untransformed" if self.errors == "send" else "dropped"
        failures.append(f"{transform.label} raised {type(error).__name__}{where}; {outcome}")
        steps.append(failures[-1])
        if self._first_time((transform.name, line, type(error).__qualname__)):
            messages.append(
                Message(
                    "error",
                    f"{transform.title} raised {type(error).__name__}{where} on a {event_type} event. "
                    f"{self._consequence()} (reported once per distinct error)\n{text}",
                )
            )
        return None if self.errors == "drop" else current

    def _consequence(self) -> str:
        if self.errors == "send":
            return "The event was sent on as it was before this file."
        return "The event was dropped (transform_errors: drop)."

    def _first_time(self, key: tuple[str, int, str]) -> bool:
        if key in self._reported:
            return False
        if len(self._reported) >= MAX_DISTINCT_ERRORS:
            self._reported.clear()
        self._reported.add(key)
        return True

    def _check_slow(
        self, transform: Transform, started: float, event_type: str, steps: list[str], messages: list[Message]
    ) -> None:
        now = self.timer()
        elapsed_ms = (now - started) * 1000
        if elapsed_ms <= self.slow_ms:
            return
        steps.append(f"{transform.label} took {elapsed_ms:.0f} ms")
        last = self._slow_reported.get(transform.name)
        if last is not None and now - last < SLOW_REPORT_INTERVAL_S:
            return
        self._slow_reported[transform.name] = now
        messages.append(
            Message(
                "warn",
                f"{transform.title} took {elapsed_ms:.0f} ms on a {event_type} event (limit {self.slow_ms:g} "
                "ms); every call waits for it (reported at most once a minute)",
            )
        )


# -- replay (py-bridge transform) -----------------------------------------------------------------------------------


def replay(
    files: Sequence[str],
    events: str,
    *,
    errors: ErrorPolicy = "send",
    slow_ms: float = SLOW_MS,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Run transform `files` over the recorded events in `events` (JSON lines; `-` is stdin).

    Each surviving event is printed as one JSON line on `out`; reports go to `err`. Returns 0, 1 if a transform
    failed (to load or on an event), 2 if a file or an input line could not be read.
    """
    import contextlib
    from pathlib import Path  # CPython tooling only: the worker never replays

    out = out or sys.stdout
    err = err or sys.stderr
    prefix = "py-bridge transform:"
    sources: list[tuple[str, str]] = []
    for name in files:
        try:
            sources.append((name, Path(name).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as error:
            print(f"{prefix} cannot read transform file {name}: {_reason(error)}", file=err)
            return 2
    try:
        lines: Iterable[str] = sys.stdin if events == "-" else Path(events).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        print(f"{prefix} cannot read events file {events}: {_reason(error)}", file=err)
        return 2
    label = "stdin" if events == "-" else events

    # A transform's own print() goes to stderr: stdout carries only the events, one JSON per line.
    with contextlib.redirect_stdout(err):
        chain = TransformChain(sources, errors=errors, slow_ms=slow_ms)
        try:
            return _replay_lines(chain, lines, label, out, err)
        except UnicodeDecodeError as error:  # stdin is decoded as it is read
            print(f"{prefix} cannot read events from {label}: {_reason(error)}", file=err)
            return 2


def _replay_lines(chain: TransformChain, lines: Iterable[str], label: str, out: IO[str], err: IO[str]) -> int:
    prefix = "py-bridge transform:"
    status = 0
    for message in chain.take_messages():
        print(f"{prefix} {message.level}: {message.text}", file=err)
        status = 1
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as error:
            print(f"{prefix} {label}:{number}: not a JSON line ({_reason(error)}); skipped", file=err)
            status = 2
            continue
        if isinstance(data, dict) and STARTUP_RECORD in data and "type" not in data:
            continue  # debug.export()'s start-up line: how the session started, not an event
        event, notes = event_from_spec(data)
        if event is None:
            print(f"{prefix} {label}:{number}: {'; '.join(notes)}; skipped", file=err)
            status = 2
            continue
        for note in notes:
            print(f"{prefix} {label}:{number}: warn: {note}", file=err)
        outcome = chain.apply(event)
        for message in outcome.messages:
            print(f"{prefix} {label}:{number}: {message.level}: {message.text}", file=err)
        if not any(m.level == "error" for m in outcome.messages):  # the same error as an earlier line: no traceback
            for failure in outcome.failures:
                print(f"{prefix} {label}:{number}: error: {failure} (traceback shown above)", file=err)
        if outcome.failures or any(m.level == "error" for m in outcome.messages):
            status = max(status, 1)
        if outcome.event is not None:
            spec: SpecEvent = to_spec(outcome.event)
            print(json.dumps(spec, ensure_ascii=False, default=str), file=out)
    return status


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
