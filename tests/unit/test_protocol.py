"""One protocol, written once: every side of the page <-> Python boundary knows exactly the protocol's names.

Each vocabulary (worker message types, item kinds, signals, command ops and their fields, value markers, env fields)
is read from every side that speaks it: the page runtime (web/page/), the worker and the session relay (web/worker/,
web/shared/; their sources) and the core (its syntax tree, or its behaviour), and compared with the protocol both
ways. A name one side knows and the protocol does not, or the other way round, fails here. The PyScript entry runs
the page runtime and speaks none of it itself. The page's constants are checked the same way: the generated
web/shared/protocol.js must be `page_constants()`, and the Python that validates a setting must agree with the
bounds the page applies before Python runs.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from py_bridge.core import commands, protocol
from py_bridge.core.bridge import Environment, start_bridge
from py_bridge.core.commands import (
    Callback,
    Command,
    Emit,
    Export,
    ForgetIntercom,
    Identity,
    IntercomCall,
    Listen,
    LoadWidget,
    Log,
    Ready,
    Schedule,
    SetIntercomSettings,
    State,
    Trace,
    WatchPages,
    to_message,
)
from py_bridge.core.errors import ConfigError
from py_bridge.core.events import CALL_METHODS
from py_bridge.core.protocol import COMMANDS, ENV, FROM_WORKER, ITEMS, MARKERS, SIGNALS, TO_WORKER, WORKER_ONLY
from py_bridge.core.settings import WHOLE_NUMBERS, parse_settings
from py_bridge.core.transform_files import entry_index
from py_bridge.core.worker import WorkerSession
from py_bridge.pyscript.api import IntercomControls
from py_bridge.tools import page_constants as generate
from py_bridge.tools.bundle import EXERCISE, project_root
from py_bridge.tools.bundle.scripts import bundle_scripts
from py_bridge.tools.page_constants import page_constants

ROOT = project_root()
PACKAGE = ROOT / "py_bridge"


def _modules(folder: str, pattern: str) -> str:
    """Every module of a folder of web/, as one text (the names they use are checked across the folder)."""
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "web" / folder).rglob(pattern)))


def _worker_modules() -> str:
    """The worker's modules and the web/shared/ modules they import (the session relay...), as one text: what
    esbuild bundles into worker.mjs, without the generated constants (web/shared/protocol.js)."""
    found = sorted(path.resolve() for path in (ROOT / "web" / "worker").rglob("*.mjs"))
    for path in found:  # grows while it is read: the imports of each module found
        for target in re.findall(r'^import .* from "(\.\.?/[^"]+)";$', path.read_text(encoding="utf-8"), re.M):
            module = (path.parent / target).resolve()
            if module not in found and module.name != "protocol.js":
                found.append(module)
    return "\n".join(path.read_text(encoding="utf-8") for path in found)


EMBED = _modules("page", "*.js")  # the page runtime, bundled into embed.js
WORKER_JS = _worker_modules()  # the worker, bundled into worker.mjs
SHARED_JS = _modules("shared", "*.js")
APP_ID = "abc12345"

# One instance of every command class (a class added to `Command` without one here fails the first test).
SAMPLES: dict[type, Command] = {
    IntercomCall: IntercomCall("boot", ({"app_id": APP_ID},)),
    SetIntercomSettings: SetIntercomSettings({"app_id": APP_ID}),
    LoadWidget: LoadWidget(f"https://widget.intercom.io/widget/{APP_ID}"),
    Listen: Listen("show"),
    Log: Log("info", "a line"),
    Ready: Ready(),
    Emit: Emit("Messenger Opened", {"a": 1}),
    WatchPages: WatchPages(),
    Schedule: Schedule(1.5),
    Callback: Callback(3),
    Identity: Identity("u-1", {"plan": "pro"}),
    Trace: Trace("track Signed Up", {"method": "track"}, ("a step",), ({"method": "trackEvent"},)),
    Export: Export(2, '{"type": "track"}\n'),
    ForgetIntercom: ForgetIntercom(APP_ID, ("app_id", "user_id")),
    State: State({"v": 1}),
}


def wire(command: Command) -> dict[str, Any]:
    """The command as the page receives it: to_message, through JSON."""
    message: dict[str, Any] = json.loads(json.dumps(to_message(command)))
    return message


def worker_session_messages(settings: Any, items: list[Any] | None = None) -> list[dict[str, Any]]:
    """Every command a WorkerSession posts for one init message (the embed's transport)."""
    posted: list[str] = []
    session = WorkerSession(posted.append)
    session.handle(json.dumps({"type": "init", "settings": settings, "env": {}, "items": items or []}))
    return [message for text in posted for message in json.loads(text)]


# ---- reading the sides -------------------------------------------------------------------------------------------
def _skip_string(source: str, at: int) -> int:
    quote = source[at]
    at += 1
    while source[at] != quote:
        at += 2 if source[at] == "\\" else 1
    return at + 1


def balanced(source: str, start: int) -> str:
    """The text from the bracket at `start` to its match (strings and comments skipped)."""
    opening = source[start]
    closing = {"{": "}", "(": ")", "[": "]"}[opening]
    depth, at = 0, start
    while True:
        char = source[at]
        if char in "\"'`":
            at = _skip_string(source, at)
            continue
        if source.startswith("//", at):
            at = source.index("\n", at)
            continue
        if source.startswith("/*", at):
            at = source.index("*/", at) + 2
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return source[start : at + 1]
        at += 1


def js_function(source: str, name: str) -> str:
    """The body of `function name(...) {...}` (or of the method `name(...) {...}`) in a JavaScript source."""
    match = re.search(rf"\bfunction {name}\(|^ +{name}\([\w, ]*\) \{{", source, re.M)  # a function or a method
    assert match, f"no function {name} in the source"
    return balanced(source, source.index("{", match.start()))


def top_level_keys(literal: str) -> set[str]:
    """The keys of a JavaScript object literal `{a: 1, b: f(x, y), c: {d: 2}}` (only its own level)."""
    keys, depth, part = set(), 0, ""
    for char in literal[1:-1] + ",":
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        if char == "," and depth == 0:
            key = re.match(r"\s*\$?(\w+)\s*:", part)
            if key:
                keys.add(key.group(1))
            part = ""
        else:
            part += char
    return keys


def literals_after(source: str, prefix: str) -> Iterator[str]:
    """Each object literal whose first `{` is where `prefix` (a regex) matched."""
    for match in re.finditer(prefix, source):
        yield balanced(source, source.index("{", match.start()))


def python_files(*names: str) -> list[Path]:
    if names:
        return [PACKAGE / name for name in names]
    return [p for p in PACKAGE.rglob("*.py") if "protocol" not in p.parts and "sandbox" not in p.parts]


def compared_with(key: str, files: list[Path]) -> set[str]:
    """Every string the Python code compares with `<x>.get(key)`, directly or through a name assigned from it."""

    def reads_key(node: ast.AST) -> bool:
        return any(
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "get"
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and call.args[0].value == key
            for call in ast.walk(node)
        )

    def constants(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Tuple | ast.Set | ast.List):
            return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        return set()

    found: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            names = {
                target.id
                for node in ast.walk(function)
                if isinstance(node, ast.Assign) and reads_key(node.value)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                if not isinstance(node, ast.Compare):
                    continue
                left = node.left
                if (isinstance(left, ast.Name) and left.id in names) or (
                    isinstance(left, ast.Call) and reads_key(left)
                ):
                    for comparator in node.comparators:
                        found |= constants(comparator)
    return found


def python_dicts_with(key: str, files: list[Path]) -> dict[str, set[str]]:
    """`{key: "name", ...}` dict literals in Python: name -> the literal's keys."""
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if key in keys:
                value = node.values[keys.index(key)]
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.setdefault(value.value, set()).update(k for k in keys if k != key)
    return found


def worker_message_types_handled_by_python() -> set[str]:
    return compared_with("type", python_files("core/worker.py"))


# ---- commands ------------------------------------------------------------------------------------------------------
def test_every_command_round_trips_with_the_protocols_op_and_fields() -> None:
    """One instance of every command class, through to_message and JSON: its op and its field names are the
    protocol's, exactly; with the worker session's own `stop`, every op the protocol declares is produced."""
    assert set(SAMPLES) == set(typing.get_args(Command)), "a command class without a sample here"
    produced = set()
    for command in SAMPLES.values():
        message = wire(command)
        op = message.pop("op")
        assert op in COMMANDS, f"{type(command).__name__} sends op {op!r}, which py_bridge.core.protocol does not know"
        assert tuple(message) == COMMANDS[op].fields, op
        produced.add(op)
    stopped = worker_session_messages({"app_id": "NOT VALID"})
    assert stopped[-1] == {"op": "stop"}
    produced |= {message["op"] for message in stopped}
    assert produced == set(COMMANDS)


def test_commands_ops_is_the_protocols() -> None:
    assert commands.OPS == frozenset(COMMANDS) == protocol.OPS
    assert {"stop", "schedule"} <= commands.OPS


def test_the_embeds_executor_applies_exactly_the_page_ops() -> None:
    """embed.js `apply(command)`: one case per op the protocol sends to the page, no other."""
    cases = set(re.findall(r'case "(\w+)":', js_function(EMBED, "apply")))
    assert cases == {op for op, spec in COMMANDS.items() if spec.applied_in == "page"}


def test_the_worker_keeps_exactly_the_worker_ops() -> None:
    """worker.mjs takes the ops the protocol applies in the worker out of Python's answer; the page gets the rest."""
    taken = set(re.findall(r'command\.op === "(\w+)"', js_function(WORKER_JS, "post")))
    assert taken == {op for op, spec in COMMANDS.items() if spec.applied_in == "worker"}


def test_the_pyscript_entry_speaks_no_protocol_of_its_own() -> None:
    """The PyScript entry runs the page runtime (embed.js, in-page transport): its Python makes no item, signal,
    marker, env or command of its own, so there is no second speaker of the protocol to drift."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in (PACKAGE / "pyscript").glob("*.py"))
    assert not re.search(r'"kind":|"op":|_signal\(|"native_intercom"|"selector_valid"', source)
    assert set(re.findall(r'"\$pybridge": "(\w+)"', source)) <= {"date", "number", "unsupported"}


# ---- messages between embed.js and its worker ----------------------------------------------------------------------
def embed_posted_types() -> set[str]:
    posted = re.findall(r'(?:\bpost|\.postMessage)\(\{\s*type:\s*"(\w+)"', EMBED)
    posted += re.findall(r'(?:var|const|let) \w+ = \{\s*type:\s*"(\w+)"', EMBED)
    return set(posted)


def test_the_page_sends_exactly_the_messages_the_worker_and_python_handle() -> None:
    """embed.js posts config, kept, forget, init, batch; worker.mjs handles config, kept and forget (how to start,
    whether a runtime is kept, a refusal for the runtime it keeps) and init's transformation files, Python init and
    batch; a message the worker makes
    itself (a tick's batch) is one of them too."""
    assert embed_posted_types() == set(TO_WORKER)
    in_worker = set(re.findall(r'message\.type === "(\w+)"', WORKER_JS))
    made_by_worker = set(re.findall(r'receive\(\{\s*type:\s*"(\w+)"', WORKER_JS))
    assert made_by_worker <= set(TO_WORKER)
    assert in_worker | worker_message_types_handled_by_python() == set(TO_WORKER)
    assert worker_message_types_handled_by_python() == set(TO_WORKER) - WORKER_ONLY


def test_the_worker_posts_exactly_the_messages_the_page_handles() -> None:
    """worker.mjs posts each type the protocol lists from the worker; embed.js onWorkerMessage handles each."""
    posted = set(re.findall(r'postMessage\(\{\s*type:\s*"(\w+)"', WORKER_JS))
    assert posted == set(FROM_WORKER)
    handler = js_function(EMBED, "onWorkerMessage")
    handled = set(re.findall(r'case "(\w+)":', handler)) | set(re.findall(r'message\.type === "(\w+)"', handler))
    assert handled == set(FROM_WORKER)


def test_every_message_carries_only_the_protocols_fields() -> None:
    """What worker.mjs posts carries exactly the fields the protocol lists for its type; what embed.js posts, only
    listed fields (seq is added by post(), state on a restart, transforms by the worker)."""
    from_worker: dict[str, set[str]] = {}
    for literal in literals_after(WORKER_JS, r"postMessage\(\{"):
        kind = re.match(r'\{\s*type:\s*"(\w+)"', literal)
        assert kind, literal
        from_worker.setdefault(kind.group(1), set()).update(top_level_keys(literal) - {"type"})
    assert from_worker == {kind: set(fields) for kind, fields in FROM_WORKER.items()}
    for literal in [*literals_after(EMBED, r'\{\s*type:\s*"(config|forget|init|batch)"')]:
        kind = re.match(r'\{\s*type:\s*"(\w+)"', literal)
        assert kind, literal
        assert top_level_keys(literal) - {"type"} <= set(TO_WORKER[kind.group(1)]), literal


# ---- items and signals ---------------------------------------------------------------------------------------------
def embed_items() -> dict[str, set[str]]:
    items: dict[str, set[str]] = {}
    for literal in literals_after(EMBED, r"send\(\{"):
        kind = re.match(r'\{\s*kind:\s*"(\w+)"', literal)
        assert kind, literal
        items.setdefault(kind.group(1), set()).update(top_level_keys(literal) - {"kind"})
    return items


def test_the_page_sends_exactly_the_items_python_dispatches() -> None:
    """embed.js send({kind: ...}) and the PyScript entry's items, with their fields, are the protocol's; the core's
    dispatch compares `kind` with exactly those names."""
    assert {kind: tuple(sorted(fields)) for kind, fields in embed_items().items()} == {
        kind: tuple(sorted(fields)) for kind, fields in ITEMS.items()
    }
    assert compared_with("kind", python_files()) == set(ITEMS)


def test_an_unknown_item_kind_is_one_warning_and_every_known_one_is_dispatched() -> None:
    bridge, _ = start_bridge({"app_id": APP_ID, "debug": True}, {})
    assert bridge is not None
    unknown = bridge.receive({"kind": "nonsense"})
    assert [c.message for c in unknown if isinstance(c, Log)] == ["unknown message 'nonsense' ignored"]
    for kind in ITEMS:
        said = [c.message for c in bridge.receive({"kind": kind}) if isinstance(c, Log)]
        assert not [m for m in said if m.startswith("unknown message")], kind


def test_every_signal_the_page_and_the_worker_send_is_the_protocols() -> None:
    sent = set(re.findall(r'\bsignal\("(\w+)"', EMBED))
    sent |= set(re.findall(r'kind: "signal", name: "(\w+)"', WORKER_JS))
    assert sent == set(SIGNALS)


def test_the_builds_exercise_drives_every_kind_signal_and_message() -> None:
    """The traced run (bundle.EXERCISE) reaches every lazily imported path: each item kind, each signal, init and
    batch, plus one unknown kind; nothing that does not exist."""
    kinds = set(re.findall(r'"kind": "(\w+)"', EXERCISE))
    assert kinds == set(ITEMS) | {"nonsense"}
    assert set(re.findall(r'"kind": "signal", "name": "(\w+)"', EXERCISE)) == set(SIGNALS)
    assert set(re.findall(r'"type": "(\w+)"', EXERCISE)) == set(TO_WORKER) - WORKER_ONLY


# ---- value markers -------------------------------------------------------------------------------------------------
def test_every_marker_is_made_by_both_encoders_and_read_by_python() -> None:
    """embed.js encode() and the PyScript encoding make the protocol's markers with its fields; the core reads each."""
    embed: dict[str, set[str]] = {}
    for literal in literals_after(EMBED, r"\{\s*\$pybridge:"):
        kind = re.match(r'\{\s*\$pybridge:\s*"(\w+)"', literal)
        assert kind, literal
        embed.setdefault(kind.group(1), set()).update(top_level_keys(literal) - {"pybridge"})
    expected = {kind: set(fields) for kind, fields in MARKERS.items()}
    assert embed == expected
    assert compared_with(protocol.MARKER_KEY, python_files()) == set(MARKERS)


# ---- the page's environment ----------------------------------------------------------------------------------------
def test_the_pages_env_is_what_python_reads() -> None:
    """embed.js environment() and the restart fields it adds, the PyScript entry's env, the core's Environment (and
    the transform index transform_files reads): the same names as the protocol's."""
    body = js_function(EMBED, "environment")
    (literal,) = literals_after(body, r"(?:var|const|let) env = \{")
    sent = top_level_keys(literal) | set(re.findall(r"\benv\.(\w+) =", body))
    restart = set(re.findall(r"\benv\.(\w+) =", js_function(EMBED, "restartFields")))
    assert restart == set(protocol.RESTART_ENV)
    assert sent | restart == set(ENV)
    python = {f.name for f in dataclasses.fields(Environment)} | {"transform_index"}
    assert python == set(ENV)
    assert entry_index({"transform_index": [4]}, 0) == 4


# ---- the page constants --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(generate.generated_files(ROOT)), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_checked_in_generated_parts_are_current(path: Path) -> None:
    """web/shared/protocol.js (and protocol.d.ts) are what Python makes of the protocol."""
    expected = generate.generated_files(ROOT)[path]
    assert path.read_text(encoding="utf-8") == expected, f"{path.name} is stale: {generate.WRITE_HINT}"


def test_the_page_constants_are_plain_json_exported_by_one_module() -> None:
    constants = page_constants()
    assert json.loads(json.dumps(constants)) == constants
    (literal,) = re.findall(r"^export const PROTOCOL = (\{.*\});$", generate.javascript(), re.M)
    assert json.loads(literal) == constants


def test_a_build_refuses_a_stale_protocol_module(tmp_path: Path) -> None:
    """The bundler inlines web/shared/protocol.js: a checkout whose module lags behind Python must not ship it."""
    web = tmp_path / "web"
    for path, text in generate.generated_files(tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace('"max_key": 255', '"max_key": 256'), encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"web/shared/protocol\.js is stale: run python -m py_bridge"):
        bundle_scripts(web, ROOT / "node_modules", None)


def test_every_module_takes_the_constants_from_the_protocol_module() -> None:
    """No page or worker module holds its own copy of the literal: each imports PROTOCOL from web/shared/."""
    assert "export const PROTOCOL" in SHARED_JS
    assert "PROTOCOL = {" not in EMBED + WORKER_JS
    imports = re.compile(r'^import \{ PROTOCOL \} from "(?:\.\./shared|\.)/protocol\.js";$', re.M)
    assert imports.search(EMBED)
    assert imports.search(WORKER_JS)


@pytest.mark.parametrize(
    "copy",
    [
        "api-iam",
        "widget.intercom.io",
        "intercomcdn",
        '"pybridge.anonymous_id"',
        '"pybridge.debug"',
        "onUnreadCountChange",
        "reattach_activator",
        "intercom-session",
        "userHash",
        "[a-z0-9]{1,32}",
    ],
)
def test_the_tag_holds_no_hand_copy_of_a_constant(copy: str) -> None:
    """The page runtime names none of the constants it gets from Python (web/shared/protocol.js holds them)."""
    assert copy not in EMBED


def test_the_worker_holds_no_hand_copy_of_a_constant() -> None:
    assert "MAX_TRANSFORMS = " not in WORKER_JS
    assert not re.search(r"\b(5000|60000)\b", WORKER_JS)


def test_the_page_bounds_are_the_ones_python_validates() -> None:
    """What the page applies before Python runs (defaults, lowest, highest) is what parse_settings accepts."""
    for name, bounds in page_constants()["settings"].items():
        assert (bounds["default"], bounds["min"], bounds["max"]) == WHOLE_NUMBERS[name]
        assert getattr(parse_settings({"app_id": APP_ID}), name) == bounds["default"]
        for accepted in (bounds["min"], bounds["max"]):
            assert getattr(parse_settings({"app_id": APP_ID, name: accepted}), name) == accepted
        for refused in (bounds["min"] - 1, bounds["max"] + 1):
            with pytest.raises(ConfigError, match=name):
                parse_settings({"app_id": APP_ID, name: refused})
    assert parse_settings({"app_id": APP_ID}).load == page_constants()["default_load"]
    policies = set(re.findall(r'policy === "(\w+)"', js_function(EMBED, "startWhenPolicyAllows")))
    assert policies | {"interaction"} == set(page_constants()["load_policies"])


def test_calls_controls_and_listen_events_are_the_cores() -> None:
    """The page's public methods reach a core that knows them: every call, control and listen event."""
    constants = page_constants()
    assert set(constants["calls"]) == CALL_METHODS
    assert set(constants["listen_methods"].values()) <= set(constants["intercom_methods"])
    assert all(callable(getattr(IntercomControls, control, None)) for control in constants["controls"])
    bridge, _ = start_bridge({"app_id": APP_ID}, {})
    assert bridge is not None
    bridge.start()
    bridge.receive({"kind": "signal", "name": "widget", "data": {"status": "loaded"}})
    arguments = {"showSpace": ["home"], "showArticle": [1], "startTour": [1], "startSurvey": [1]}
    for control in constants["controls"]:
        said = bridge.receive({"kind": "control", "method": control, "args": arguments.get(control, [])})
        assert [c for c in said if isinstance(c, IntercomCall) and c.method == control], control
    assert "is not a Messenger control" in str(bridge.receive({"kind": "control", "method": "nope", "args": []}))
    for event, method in constants["listen_methods"].items():
        said = bridge.receive({"kind": "listen", "event": event})
        assert said == [Listen(event)], event
        assert method.startswith("on")


def test_the_page_forgets_at_least_what_pythons_forget_command_names() -> None:
    """A refusal is applied by the page at once, before Python answers: its keys and cookies cover the command's."""
    bridge, _ = start_bridge({"app_id": APP_ID, "consent": {"required": True}}, {})
    assert bridge is not None
    bridge.start()
    (forget,) = [c for c in bridge.receive({"kind": "consent", "granted": False}) if isinstance(c, ForgetIntercom)]
    constants = page_constants()
    assert set(forget.settings_keys) <= set(constants["forget_settings_keys"])
    assert set(constants["credential_keys"]) <= set(constants["forget_settings_keys"])
    assert list(forget.cookies) == [f"{prefix}-{APP_ID}" for prefix in constants["intercom_cookies"]]
    assert re.fullmatch(constants["app_id_pattern"], APP_ID)
