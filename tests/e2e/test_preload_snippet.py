"""The README's pre-load snippet (issue 18, item 8): every method of the API may be called before the tag has loaded.

The snippet is read from README.md (`bridge_page.readme_snippet()`), so what sites paste is what is tested. The page
makes its calls with no tag on it; the tag is added afterwards (it loads late), and what the calls asked for must
reach the Intercom sandbox in order, with the page context of the moment they were made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.bridge_page import README, SNIPPET, BridgePage, readme_snippet
from tests.e2e.conftest import Watch

ROOT = Path(__file__).resolve().parents[2]
ESPREE = ROOT / "node_modules" / "espree"

# A site's script before the tag: every method of the API, each call caught so one throw does not hide the next.
# The URL is moved away afterwards: the replayed calls must carry the one of the moment they were made.
PRE_LOAD_CALLS = """<script>
window.__stub = window.pybridge;
window.__threw = []; window.__called = []; window.__callbacks = []; window.__shown = 0;
(function (b) {
  function call(path, args) {
    window.__called.push(path);
    var dot = path.indexOf("."), target = dot === -1 ? b : b[path.slice(0, dot)];
    try { return target[path.slice(dot + 1)].apply(target, args); }
    catch (e) { window.__threw.push(path + ": " + e); }
  }
  function note(what) { return function () { window.__callbacks.push(what); }; }
  history.replaceState(null, "", "?made=before-load");
  call("debug", [true]);
  call("intercom.on", ["show", function () { window.__shown++; }]);
  call("ready", [note("ready")]);
  call("consent", [true]);
  call("identify", ["u-pre", {email: "pre@example.com", name: "Pre Load"}]);
  call("alias", ["u-pre-alias", note("alias")]);
  call("group", ["co-pre", {name: "Pre Co"}]);
  call("track", ["Pre Event", {n: 1}]);
  call("push", [["track", "Pushed Event", {n: 2}]]);
  call("page", ["Docs", "Pre"]);
  call("screen", ["Home", note("screen")]);
  var user = call("user", []);
  try { window.__user = {id: user.id(), anonymousId: user.anonymousId(), traits: user.traits()}; }
  catch (e) { window.__threw.push("user(): " + e); }
  window.__anonymousId = call("anonymousId", []);
  window.__export = call("debug.export", []);
  window.__exportIsPromise = window.__export instanceof Promise;
  call("intercom.showMessages", []);
  call("intercom.showNewMessage", ["Hello"]);
  call("intercom.showSpace", ["help"]);
  call("intercom.showArticle", [123]);
  call("intercom.startTour", [456]);
  call("intercom.startSurvey", [789]);
  call("intercom.hide", []);
  call("reset", []);
  call("intercom.show", []);
  history.replaceState(null, "", "?made=later");
})(window.pybridge);
</script>"""

# The tag, added by the page once the calls are made.
ADD_THE_TAG = """(src) => { const s = document.createElement('script'); s.async = true; s.src = src;
  s.setAttribute('data-app-id', 'abc12345'); s.setAttribute('data-widget-id', '#help');
  document.head.appendChild(s); }"""

# Every function of the loaded API, one level into its objects (`intercom.show`, `debug.export`), and those of them
# the object the snippet made (kept in window.__stub) lacks.
API_COVERAGE = """() => {
  const api = window.pybridge, stub = window.__stub, paths = [];
  const has = (o, k) => o !== null && (typeof o === 'object' || typeof o === 'function') && typeof o[k] === 'function';
  for (const key of Object.keys(api)) {
    if (typeof api[key] === 'function') paths.push(key);
    if (api[key] !== null && (typeof api[key] === 'object' || typeof api[key] === 'function')) {
      for (const sub of Object.keys(api[key])) if (typeof api[key][sub] === 'function') paths.push(key + '.' + sub);
    }
  }
  const missing = paths.filter((p) => { const [a, b] = p.split('.'); return b ? !has(stub[a], b) : !has(stub, a); });
  return {paths, missing};
}"""


def settled(bridge: BridgePage, promise: str, timeout_ms: int = 10000) -> object:
    """What the promise the expression `promise` gives settles with ({"pending": True} if not within timeout_ms)."""
    return bridge.js(
        "([expression, ms]) => Promise.race([(0, eval)(expression),"
        " new Promise((resolve) => setTimeout(() => resolve({pending: true}), ms))])",
        [promise, timeout_ms],
    )


CONTROLS = ("showMessages", "showNewMessage", "showSpace", "showArticle", "startTour", "startSurvey", "hide", "show")
# What the queued calls asked Intercom for, in call order: identify boots u-pre, group, track, push, page; alias and
# screen have no Intercom call; the controls; reset (shutdown, a fresh visitor); show, last, opens the Messenger.
EXPECTED = [
    "boot u-pre",
    "update company",
    "trackEvent Pre Event",
    "trackEvent Pushed Event",
    "update",
    *CONTROLS[:-1],
    "shutdown",
    "boot visitor",
    "show",
]


def sequence(bridge: BridgePage) -> list[str]:
    """The Messenger API calls that matter here, in the order the sandbox received them."""
    names = []
    for method, args in bridge.calls():
        if method == "boot":
            names.append(f"boot {args[0].get('user_id', 'visitor')}")
        elif method == "trackEvent":
            names.append(f"trackEvent {args[0]}")
        elif method == "update":
            names.append("update company" if args and "company" in args[0] else "update")
        elif method in (*CONTROLS, "shutdown"):
            names.append(method)
    return names


def test_every_method_called_before_the_tag_loads_is_queued_or_answered_then_replayed_in_order(
    bridge: BridgePage, watch: Watch
) -> None:
    """No call throws before the tag; reads answer safely; after load the calls reach the sandbox in call order, with
    the context of their moment, and the snippet has every function of the loaded window.pybridge."""
    bridge.open(before=f"<script>{SNIPPET}</script>{PRE_LOAD_CALLS}", tag="", wait_ready=False)
    early = bridge.js(
        "() => ({threw: window.__threw, user: window.__user, anonymousId: window.__anonymousId,"
        " exportIsPromise: window.__exportIsPromise, loaded: !!window.pybridge.__pybridge})"
    )
    assert early == {
        "threw": [],
        "user": {"id": None, "anonymousId": None, "traits": {}},
        "anonymousId": None,
        "exportIsPromise": True,
        "loaded": False,
    }

    bridge.js(ADD_THE_TAG, f"{bridge.server.origin}/py-bridge/embed.js")
    bridge.wait_ready()
    bridge.settle()

    coverage = bridge.js(API_COVERAGE)
    assert coverage["missing"] == [], "the README snippet lacks these functions of window.pybridge"
    assert sorted(set(bridge.js("() => window.__called"))) == sorted(coverage["paths"]), "the test calls them all"

    assert sequence(bridge)[: len(EXPECTED)] == EXPECTED
    assert [(u["user_id"], u["email"], u["name"]) for u in bridge.users()] == [("u-pre", "pre@example.com", "Pre Load")]
    assert bridge.widget_state()["panelOpen"] is True, "the queued intercom.show() opened the Messenger last"
    # showMessages opened it first; the reset's new boot re-registered the function before show opened it again.
    assert bridge.js("() => window.__shown") == 2, "the queued intercom.on('show', fn) was registered"
    assert sorted(bridge.js("() => window.__callbacks")) == ["alias", "ready", "screen"]
    assert bridge.js("() => sessionStorage.getItem('pybridge.debug')") == "1", "the queued debug(true) ran"
    groups = [text for kind, text in watch.console if kind == "startGroupCollapsed"]
    for call in ('identify("u-pre"', 'alias("u-pre-alias"', 'screen("Home"', 'track("Pre Event"'):
        assert any(g.startswith(f"[py-bridge] {call}") for g in groups), (call, groups)
    assert not watch.messages("warning", "[py-bridge]"), "every queued method is known and accepted"

    # The promise debug.export() gave before the load settled with Python's answer in its place in the queue: the
    # calls queued before it, not those after (Python starts by itself under the default policy, so the export
    # waits for it). The session's events carry the URL of the moment each call was made, not the one of the replay.
    # Its first line is the session's start-up (known once Python answered), then the events.
    startup, *early_events = [json.loads(line) for line in str(settled(bridge, "window.__export")).splitlines()]
    assert set(startup) == {"startup"}, startup
    assert [e["type"] for e in early_events] == ["identify", "alias", "group", "track", "track", "page", "screen"]
    events = [json.loads(line) for line in str(settled(bridge, "pybridge.debug.export()")).splitlines()[1:]]
    made = {e["type"]: e["context"]["page"]["url"] for e in events if e["type"] in ("alias", "screen", "group")}
    assert sorted(made) == ["alias", "group", "screen"], events
    assert all(url.endswith("?made=before-load") for url in made.values()), made


def test_a_window_pybridge_kept_from_before_the_load_hands_over_to_the_tag(bridge: BridgePage) -> None:
    """A site that kept `var analytics = window.pybridge` before the load keeps using it: its calls and reads reach
    the tag, and a snippet pasted again (twice, or after the tag) changes nothing."""
    bridge.open(before=f"<script>{SNIPPET}{SNIPPET}window.early = window.pybridge;</script>")
    methods = "() => [pybridge, pybridge.track, pybridge.intercom.show, pybridge.user, pybridge.debug.export]"
    bridge.js(f"() => {{ window.__api = ({methods})(); }}")
    bridge.page.add_script_tag(content=SNIPPET)
    assert bridge.js(f"() => ({methods})().every((f, i) => f === window.__api[i])"), "the snippet left the tag alone"
    assert bridge.js("() => window.early !== window.pybridge && window.pybridge.__pybridge === true")
    bridge.js(
        "() => { early.identify('u-kept', {plan: 'pro'}); early.track('Kept Reference'); early.intercom.show(); }"
    )
    bridge.settle()
    assert [u["user_id"] for u in bridge.users()] == ["u-kept"]
    assert "Kept Reference" in [e["name"] for e in bridge.workspace()["events"]]
    bridge.wait_for(lambda: bridge.widget_state()["panelOpen"], what="the Messenger opened")
    user = bridge.js(
        "() => { const u = early.user(); return {id: u.id(), traits: u.traits(), anon: u.anonymousId()}; }"
    )
    assert user == {"id": "u-kept", "traits": {"plan": "pro"}, "anon": bridge.js("() => pybridge.anonymousId()")}
    assert bridge.js("() => early.anonymousId()") == bridge.js("() => pybridge.anonymousId()")
    assert "Kept Reference" in str(settled(bridge, "early.debug.export()"))


@pytest.mark.parametrize("dropped_by", ["a configuration error", "a full pre-start queue"])
def test_a_debug_export_made_before_the_load_settles_when_its_queue_entry_is_dropped(
    bridge: BridgePage, watch: Watch, dropped_by: str
) -> None:
    """A configuration error drops the pre-load queue at once, max_queue its tail: the promise debug.export() gave
    still settles (""), it is never left pending."""
    before = (
        f"<script>{SNIPPET}pybridge.track('One'); pybridge.track('Two');"
        " window.__export = pybridge.debug.export();</script>"
    )
    if dropped_by == "a configuration error":
        watch.allow_error(r"^\[py-bridge\] data-settings is not valid JSON")
        bridge.open(before=before, tag=bridge.tag(extra="data-settings='{not json'"), wait_ready=False)
        bridge.wait_for(lambda: watch.messages(contains="3 queued call(s) dropped"), what="the queue dropped")
    else:
        bridge.open(before=before, settings={"max_queue": 1}, wait_ready=False)
        bridge.wait_for(lambda: watch.messages(contains="pre-start queue is full (1 calls"), what="the queue full")
    assert settled(bridge, "window.__export") == ""


@pytest.mark.skipif(not ESPREE.exists() or shutil.which("node") is None, reason="npm ci installs espree (eslint's)")
def test_the_readme_snippet_is_es5_and_is_what_the_tests_paste() -> None:
    """Sites paste the snippet into any browser: it parses as ECMAScript 5. SNIPPET is README.md's block."""
    assert readme_snippet(README) == SNIPPET
    script = "require(process.argv[1]).parse(require('fs').readFileSync(0, 'utf8'), {ecmaVersion: 5})"
    result = subprocess.run(
        ["node", "-e", script, str(ESPREE)], input=SNIPPET, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
