/*! py-bridge embed.js: the public API (window.pybridge), the pre-load queue, page context, and the executor that
 * applies the allowlisted commands Python sends back. All decisions live in Python, in a Web Worker; this file only
 * captures calls, moves data, and applies commands. Nothing here throws into the host page. */
(function () {
  "use strict";

  var PREFIX = "[py-bridge]";
  var VERSION = "__PY_BRIDGE_VERSION__";
  // Every constant this tag shares with Python: py_bridge/page_constants.py, one JSON object written in
  // by the build (and by `python -m py_bridge.page_constants --write` here; a unit test keeps the two equal).
  var PROTOCOL = /*__PY_BRIDGE_PROTOCOL__*/{"limits": {"max_string": 10000, "max_items": 1000, "max_depth": 32, "max_nodes": 20000, "max_chars": 1000000, "max_key": 255, "max_args": 8}, "settings": {"max_queue": {"default": 10000, "min": 1, "max": 100000}, "start_timeout_ms": {"default": 20000, "min": 1000, "max": 120000}, "widget_timeout_ms": {"default": 30000, "min": 1000, "max": 120000}, "transform_load_ms": {"default": 5000, "min": 100, "max": 60000}}, "max_transforms": 20, "load_policies": ["eager", "load", "idle", "interaction"], "default_load": "load", "calls": ["page", "identify", "track", "group", "reset", "alias", "screen"], "controls": ["show", "hide", "showMessages", "showNewMessage", "showSpace", "showArticle", "startTour", "startSurvey"], "listen_methods": {"show": "onShow", "hide": "onHide", "unread": "onUnreadCountChange"}, "intercom_methods": ["boot", "hide", "onHide", "onShow", "onUnreadCountChange", "reattach_activator", "show", "showArticle", "showMessages", "showNewMessage", "showSpace", "shutdown", "startSurvey", "startTour", "trackEvent", "update"], "region_hosts": {"us": "https://api-iam.intercom.io", "eu": "https://api-iam.eu.intercom.io", "au": "https://api-iam.au.intercom.io"}, "widget_origin": "https://widget.intercom.io", "default_launcher": "#IntercomDefaultWidget", "intercom_cdn": "https://js.intercomcdn.com", "app_id_pattern": "[a-z0-9]{1,32}", "intercom_cookies": ["intercom-id", "intercom-session", "intercom-device-id"], "forget_settings_keys": ["app_id", "user_id", "email", "intercomUserJwt", "intercom_user_jwt", "jwt", "userHash", "user_hash"], "credential_keys": ["intercomUserJwt", "intercom_user_jwt", "jwt", "userHash", "user_hash"], "callback_timeout_ms": 300, "late_messenger_ms": 120000, "start_poll_ms": 50, "late_poll_ms": 200, "heartbeat_ms": 1000, "storage": {"anonymous_id": "pybridge.anonymous_id", "debug": "pybridge.debug"}, "anonymous_id_pattern": "[A-Za-z0-9_-]{8,64}"};
  var LIMITS = PROTOCOL.limits;
  var INTERCOM_METHODS = PROTOCOL.intercom_methods;
  var CONTROLS = PROTOCOL.controls;
  var CALLS = PROTOCOL.calls;
  var LISTEN_METHODS = PROTOCOL.listen_methods;
  var CREDENTIAL_KEYS = PROTOCOL.credential_keys;
  var REGION_HOSTS = PROTOCOL.region_hosts;
  var DEFAULT_LAUNCHER = PROTOCOL.default_launcher;
  var WIDGET_PREFIX = PROTOCOL.widget_origin + "/widget/";
  var APP_ID = new RegExp("^(?:" + PROTOCOL.app_id_pattern + ")$");
  var ANONYMOUS_ID = new RegExp("^(?:" + PROTOCOL.anonymous_id_pattern + ")$");
  var ANON_KEY = PROTOCOL.storage.anonymous_id;
  var DEBUG_KEY = PROTOCOL.storage.debug;
  var BATCH_MAX = 500; // calls per message to the worker
  var MAX_BACKLOG = 50000; // calls the worker has not handled yet; beyond it new calls are dropped and counted
  var WATCHDOG_MS = 15000;
  // The user agents Intercom's loader ignores (`docs/intercom-facts.md`, "Loading").
  var BOTS = /bot|googlebot|crawler|spider|robot|crawling|facebookexternalhit/i;

  // Named elements shadow `document.<name>` (DOM clobbering: `<img name="currentScript">` injected by a comment
  // box). Read the document's own properties through the prototype getters, never through `document.<name>`.
  var DOC = Document.prototype;
  /**
   * @param {string} property
   * @returns {any} the getter's value (an element, a string: the caller knows which property it asked for)
   */
  function doc(property) {
    try {
      var descriptor = Object.getOwnPropertyDescriptor(DOC, property);
      return descriptor && descriptor.get ? descriptor.get.call(document) : undefined;
    } catch (e) {
      return undefined;
    }
  }
  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @returns {HTMLElementTagNameMap[K]}
   */
  function createElement(tag) {
    return /** @type {HTMLElementTagNameMap[K]} */ (DOC.createElement.call(document, tag));
  }
  /**
   * addEventListener through EventTarget's prototype: `<img name="addEventListener">` shadows document's and
   * window's own (DOM clobbering), and the interaction policy must still start.
   * @param {EventTarget} target
   * @param {string} type
   * @param {(happening: Event) => void} listener
   * @param {AddEventListenerOptions} [options]
   */
  function on(target, type, listener, options) {
    EventTarget.prototype.addEventListener.call(target, type, listener, options);
  }
  /**
   * An own property of page input (never one inherited from a polluted prototype).
   * @param {unknown} object
   * @param {string} key
   * @returns {any} page input: checked by the caller before use
   */
  function own(object, key) {
    return object && Object.prototype.hasOwnProperty.call(object, key) ? /** @type {any} */ (object)[key] : undefined;
  }
  // defineProperty: a key such as "__proto__" or "toString" stays plain data, even with a frozen Object.prototype.
  /**
   * @param {object} object
   * @param {string} key
   * @param {unknown} value
   */
  function put(object, key, value) {
    Object.defineProperty(object, key, { value: value, enumerable: true, writable: true, configurable: true });
  }
  /** @param {unknown} value */
  function text(value) {
    return typeof value === "string" ? value : "";
  }

  /**
   * @param {"debug" | "info" | "warn" | "error"} level
   * @param {string} message
   */
  function say(level, message) {
    try {
      console[level](PREFIX + " " + message);
    } catch (e) { /* a console that throws must not break the page */ }
  }

  /**
   * @param {"pybridge:log" | "pybridge:event"} type
   * @param {unknown} detail
   */
  function emit(type, detail) {
    try {
      window.dispatchEvent(new CustomEvent(type, { detail: detail }));
    } catch (e) { /* listeners are the page's business */ }
  }

  var existing = window.pybridge;
  var alreadyRunning = false;
  try {
    // `=== true`: an element named "pybridge"/"__pybridge" (clobbering) is truthy but never `true`.
    alreadyRunning = !!existing && typeof existing === "object" && !(existing instanceof Node) && own(existing, "__pybridge") === true; // own: a polluted Object.prototype is not our tag
  } catch (e) { /* a hostile getter: treat as absent */ }
  if (alreadyRunning) {
    say("warn", "embed.js is included more than once on this page; the first copy stays in charge");
    return;
  }

  // ---- configuration from the tag ------------------------------------------------------------------------------
  // Only the real <script> element that is running this file counts: never a named element, never a lookup by
  // selector (injected markup could add a look-alike tag pointing at another folder).
  var script = doc("currentScript");
  if (!(script instanceof HTMLScriptElement)) script = null;
  /** @type {string | null} the bundle folder's URL */
  var base = null;
  try {
    var ownSrc = script ? HTMLScriptElement.prototype.getAttribute.call(script, "src") : null;
    if (ownSrc) base = new URL(".", new URL(ownSrc, doc("baseURI") || location.href)).href;
  } catch (e) { base = null; }
  if (base && !/^https?:$/.test(new URL(base).protocol)) base = null;
  /** @type {Record<string, any>} page input (data-settings, data attributes): read with own(), Python validates */
  var settings = {};
  var configError = null;
  if (!base) configError = "could not find its own <script> tag; load embed.js with a src attribute (not as a module or from a bundler)";
  if (location.protocol === "file:") {
    // Browsers give a file:// page an opaque origin: its worker and fetches fail, which would otherwise read as a
    // missing file or a CSP problem.
    configError = "this page was opened from a file:// URL, where browsers do not run py-bridge's worker; serve it over http (for example: py-bridge serve BUNDLE --sandbox --pages FOLDER)";
  }
  if (script && script.getAttribute("data-settings")) {
    try {
      var parsed = JSON.parse(script.getAttribute("data-settings"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) settings = parsed; // own keys only, below
      else configError = "data-settings must be a JSON object";
    } catch (e) {
      configError = "data-settings is not valid JSON";
    }
  }
  if (script && script.hasAttribute("data-app-id")) put(settings, "app_id", script.getAttribute("data-app-id"));
  if (script && script.hasAttribute("data-widget-id")) put(settings, "widget_id", script.getAttribute("data-widget-id"));
  var debugOn = own(settings, "debug") === true || !!(script && script.hasAttribute("data-debug"));
  try {
    if (window.sessionStorage.getItem(DEBUG_KEY) === "1") debugOn = true;
  } catch (e) { /* storage blocked */ }
  if (debugOn) put(settings, "debug", true);

  /**
   * A whole-number setting the tag needs before Python runs: the page's value within Python's bounds, else the
   * default (Python reports a wrong one).
   * @param {keyof typeof PROTOCOL.settings} key
   */
  function wholeNumber(key) {
    var bounds = PROTOCOL.settings[key];
    var value = own(settings, key);
    return typeof value === "number" && value % 1 === 0 && value >= bounds.min && value <= bounds.max ? value : bounds.default;
  }
  // Every setting is read as an own property: a polluted Object.prototype must never become configuration.
  var maxQueue = wholeNumber("max_queue");
  var startTimeoutMs = wholeNumber("start_timeout_ms");
  var widgetTimeoutMs = wholeNumber("widget_timeout_ms");
  var consentRequired = own(own(settings, "consent"), "required") === true;

  // The sandbox (a local Intercom emulator) is only ever enabled explicitly, and only on this machine.
  // Transformations: Python files the site owner wrote, run in the worker. Only the page's or the bundle's origin
  // may serve them (relative URLs resolve against the page); anything else is refused here and again in Python.
  // An entry is a URL or {url, sha256}: the object goes on with its URL resolved, and Python checks its keys, its
  // pin's format and the file's bytes against the pin. A warning names an entry by its index and origin only: a
  // URL's path or query may carry a token, and a URL with a user name or password is refused (the browser's fetch
  // error would quote them). transformUrls holds the entries as Python gets them (a pinned entry's toString is its
  // URL); transformIndex the index each one has in the site's own setting, sent as env.transform_index, so every
  // message (Python's, the worker's, the watchdog's) names an entry as the site numbered it.
  /** @type {Array<string | { url: string }>} */
  var transformUrls = [];
  /** @type {number[]} */
  var transformIndex = [];
  (function () {
    var asked = own(settings, "transform");
    if (asked === undefined) return;
    /**
     * @param {unknown} value
     * @returns {value is Record<string, unknown>}
     */
    var isEntryObject = function (value) { return !!value && typeof value === "object" && !Array.isArray(value); };
    // At most max_transforms entries is Python's rule (settings.MAX_TRANSFORMS): a longer list is never cut down to
    // run. It stays as the site wrote it, the worker fetches none of it, and Python stops the bridge with the
    // settings error.
    var list = typeof asked === "string" || isEntryObject(asked) ? [asked] : Array.isArray(asked) && asked.length <= PROTOCOL.max_transforms ? asked.slice() : null;
    if (!list) return; // Python reports the invalid setting
    var allowed = [location.origin];
    try { if (base) allowed.push(new URL(base).origin); } catch (e) { /* no bundle origin */ }
    var pinnedEntry = {
      /** @this {{ url: string }} */
      toString: function () { return String(this.url); }
    };
    list.forEach(function (entry, index) {
      var label = "transform[" + index + "]";
      var raw = isEntryObject(entry) ? own(entry, "url") : entry;
      if (typeof raw !== "string") return say("warn", label + " must be a URL or {url, sha256}; ignored");
      var url;
      try {
        url = new URL(raw, location.href);
      } catch (e) {
        return say("warn", label + " is not a URL; ignored");
      }
      var web = /^https?:$/.test(url.protocol);
      var where = label + " (" + (web ? url.origin : url.protocol) + ")"; // an origin never shows user:password@
      if (url.username || url.password) return say("warn", where + " refused: its URL carries a user name or password");
      if (!web || allowed.indexOf(url.origin) === -1) {
        return say("warn", where + " refused: only the page's or the bundle's origin may serve transformations");
      }
      transformIndex.push(index);
      if (!isEntryObject(entry)) return transformUrls.push(url.href);
      var pinned = Object.create(pinnedEntry); // structured clone keeps the own keys only: Python gets plain data
      Object.keys(entry).forEach(function (key) { put(pinned, key, entry[key]); });
      put(pinned, "url", url.href);
      transformUrls.push(pinned);
    });
    put(settings, "transform", transformUrls.slice());
  })();

  /** @type {string | null} */
  var sandboxUrl = null;
  if (typeof own(settings, "sandbox_url") === "string") {
    try {
      var sandbox = new URL(settings.sandbox_url, location.href);
      if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(sandbox.hostname) && /^https?:$/.test(sandbox.protocol)) {
        sandboxUrl = sandbox.href.replace(/\/+$/, "");
        put(settings, "sandbox_url", sandboxUrl);
      }
    } catch (e) { /* Python reports the invalid setting */ }
  }

  // ---- identity kept in the browser (like analytics.js): a random anonymous id, nothing else ------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }
  var storageAllowed = !consentRequired;
  function readStoredAnonymousId() {
    try {
      var stored = window.localStorage.getItem(ANON_KEY);
      if (typeof stored === "string" && ANONYMOUS_ID.test(stored)) return stored;
    } catch (e) { /* storage blocked: keep it in memory */ }
    return null;
  }
  function loadAnonymousId() {
    return (storageAllowed && readStoredAnonymousId()) || uuid();
  }
  function saveAnonymousId() {
    try {
      if (storageAllowed) window.localStorage.setItem(ANON_KEY, anonymousId);
    } catch (e) { /* storage blocked */ }
  }
  var anonymousId = loadAnonymousId();
  saveAnonymousId();

  /** @type {string | null} */
  var timezone = null;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; // once: it costs tens of microseconds per call
  } catch (e) { /* older browsers */ }
  function pageContext() {
    return {
      url: location.href, path: location.pathname, search: location.search, referrer: text(doc("referrer")),
      title: text(doc("title")), timestamp: Date.now(), locale: navigator.language || null,
      user_agent: navigator.userAgent, anonymous_id: anonymousId, timezone: timezone
    };
  }

  // ---- transport encoding: whatever the page passes becomes plain, bounded, cloneable data --------------------
  // Functions, Symbols, cycles and the like become {"$pybridge": kind} markers that Python drops with a warning.
  /**
   * @param {unknown} value page input
   * @param {number} depth
   * @param {Set<unknown>} seen
   * @param {EncodeBudget} budget
   * @returns {unknown} plain data (undefined stays undefined: the caller decides)
   */
  function encode(value, depth, seen, budget) {
    try {
      if (--budget.nodes < 0) return { $pybridge: "too_large" };
      switch (typeof value) {
        case "string":
          var keep = Math.min(value.length, LIMITS.max_string, budget.chars);
          if (keep <= 0 && value.length > 0) return { $pybridge: "too_large" };
          budget.chars -= keep;
          return keep < value.length ? value.slice(0, keep) : value;
        case "number": return isFinite(value) ? value : { $pybridge: "number", value: String(value) };
        case "boolean": return value;
        case "undefined": return undefined;
        case "bigint": return { $pybridge: "bigint", value: value.toString() };
        case "function":
        case "symbol": return { $pybridge: "unsupported", type: typeof value };
      }
      if (value === null) return null;
      if (value instanceof Date) return { $pybridge: "date", ms: isNaN(value.getTime()) ? null : value.getTime() };
      // Typed arrays, buffers, Maps and Sets: enumerating them costs their whole size and carries nothing Intercom keeps.
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) {
        return { $pybridge: "unsupported", type: "binary_or_collection" };
      }
      if (depth >= LIMITS.max_depth) return { $pybridge: "too_deep" };
      if (seen.has(value)) return { $pybridge: "circular" };
      seen.add(value);
      var out;
      if (Array.isArray(value)) {
        out = [];
        var itemCount = Math.min(value.length, LIMITS.max_items);
        for (var i = 0; i < itemCount; i++) {
          var item = encode(value[i], depth + 1, seen, budget);
          out.push(item === undefined ? null : item);
        }
      } else {
        out = {};
        var keys = Object.keys(/** @type {object} */ (value));
        for (var k = 0; k < keys.length && k <= LIMITS.max_items; k++) {
          var key = keys[k];
          // Keys are bounded like values: a long key is dropped (and charged), never carried to Intercom.
          budget.chars -= Math.min(key.length, LIMITS.max_key + 1);
          if (key.length > LIMITS.max_key || budget.chars < 0) {
            budget.droppedKeys++;
            continue;
          }
          var encoded = encode(/** @type {Record<string, unknown>} */ (value)[key], depth + 1, seen, budget);
          if (encoded !== undefined) put(out, key, encoded);
        }
      }
      seen.delete(value);
      return out;
    } catch (e) {
      return { $pybridge: "unsupported", type: "object" };
    }
  }
  // Per call, at most max_nodes values and max_chars characters cross to the worker: shared references can make a
  // small object graph enormous when walked as a tree, and that walk must never freeze the page.
  /** @returns {EncodeBudget} */
  function newBudget() {
    return { nodes: LIMITS.max_nodes, chars: LIMITS.max_chars, droppedKeys: 0 };
  }
  /**
   * @param {ArrayLike<unknown>} args page input (a call's arguments)
   * @param {boolean} [withCallback] the first function is the call's callback
   */
  function encodeArgs(args, withCallback) {
    var out = [];
    var budget = newBudget();
    var count = Math.min(args.length, LIMITS.max_args);
    var callbackTaken = !withCallback;
    for (var i = 0; i < count; i++) {
      if (!callbackTaken && typeof args[i] === "function") {
        callbackTaken = true;
        out.push({ $pybridge: "callback", id: registerCallback(args[i]) });
        continue;
      }
      var item = encode(args[i], 0, new Set(), budget);
      out.push(item === undefined ? { $pybridge: "undefined" } : item);
    }
    if (budget.droppedKeys) warnOnce("keys", "object keys longer than " + LIMITS.max_key + " characters (or past the per-call size bound) were dropped");
    return out;
  }
  // ---- callbacks passed in calls: run once, when Python says the call was handled or after 300 ms ---------------
  /** @type {Record<number, PendingCallback>} */
  var pageCallbacks = {};
  var callbackSeq = 0;
  /** @param {unknown} fn a function the page passed (the caller checked its type) */
  function registerCallback(fn) {
    var id = ++callbackSeq;
    pageCallbacks[id] = { fn: /** @type {() => void} */ (fn), timer: setTimeout(function () { runCallback(id); }, PROTOCOL.callback_timeout_ms) };
    return id;
  }
  /** @param {number} id */
  function runCallback(id) {
    var entry = Object.prototype.hasOwnProperty.call(pageCallbacks, id) ? pageCallbacks[id] : null;
    if (!entry) return; // already run: never twice
    delete pageCallbacks[id];
    clearTimeout(entry.timer);
    try {
      entry.fn();
    } catch (e) {
      say("warn", "a callback passed to a call threw: " + String(messageOf(e)).slice(0, 200));
    }
  }
  /**
   * What `error && error.message` gives, for a thrown value of any type.
   * @param {unknown} error
   */
  function messageOf(error) {
    return error && /** @type {{ message?: unknown }} */ (error).message;
  }

  /** @type {Record<string, boolean>} */
  var warned = {};
  /**
   * @param {string} kind
   * @param {string} message
   */
  function warnOnce(kind, message) {
    if (warned[kind] === true) return;
    warned[kind] = true;
    say("warn", message);
  }

  // ---- worker and queue ---------------------------------------------------------------------------------------
  var state = configError ? "failed" : "starting"; // starting -> running | failed
  // Declared before anything can start the worker: the "eager" policy starts it while this script still runs, and
  // a `var` met later would reset it (debug.export() then settled at once with nothing).
  var startRequested = false;
  /** @type {BridgeItem[]} */
  var pending = []; // calls made before Python started, in order
  var droppedBeforeStart = 0;
  /** @type {BridgeItem[]} */
  var outbox = [];
  var flushQueued = false;
  /** @type {Worker | null} */
  var worker = null;
  var seq = 0;
  var acked = 0;
  var backlog = 0; // calls posted to the worker and not yet acknowledged
  /** @type {InFlight[]} */
  var inFlight = []; // [seq, calls, items] per message
  /** @type {unknown} */
  var lastState = null; // the bridge state the worker last handed over (op "state"): a restarted worker starts from it
  var lastTransform = -1; // the transformation the worker said it is running (index into transformUrls)
  var restarting = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  var loadTimer; // armed while the worker says a transformation file is loading or running (its time limit)
  var transformLoadMs = wholeNumber("transform_load_ms");
  var droppedBusy = 0;
  /** @type {ReturnType<typeof setTimeout> | null} */
  var watchdog = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  var startTimer;

  /** @param {string} message */
  function fail(message) {
    if (state === "failed") return;
    state = "failed";
    say("error", message + "; py-bridge is disabled on this page (your page keeps working)");
    emit("pybridge:log", { level: "error", message: message });
    if (pending.length) say("warn", pending.length + " queued call(s) dropped");
    pending = [];
    outbox = [];
    clearTimeout(startTimer);
    clearTimeout(loadTimer);
    if (watchdog) clearTimeout(watchdog);
    settleExports();
    endInteractionWait(); // a dead look-alike launcher must not stay on the page
    fireReady(); // ready(fn) runs once the Messenger has loaded or failed: a bridge that stopped is the latter
    try {
      if (worker) worker.terminate();
    } catch (e) { /* already gone */ }
    worker = null;
  }

  /** @param {BridgeItem | null} item null only counts (and reports) a drop: see queueFull */
  function send(item) {
    if (state === "failed") return; // disabled: the one error already told the page why
    if (state === "starting") {
      if (pending.length >= maxQueue || item === null) {
        if (droppedBeforeStart++ === 0) {
          say("warn", "pre-start queue is full (" + maxQueue + " calls, setting max_queue); further calls are dropped until Python starts");
        }
        return;
      }
      pending.push(item);
      return;
    }
    if (backlog + outbox.length >= MAX_BACKLOG) {
      if (droppedBusy++ === 0) say("warn", "the worker is " + MAX_BACKLOG + " calls behind; new calls are dropped until it catches up");
      return;
    }
    if (item === null) return; // a drop to count only exists before the start (queueFull)
    outbox.push(item);
    if (!flushQueued) {
      flushQueued = true;
      later(flush);
    }
  }

  // A page that replaced window.Promise must not stop the bridge: microtasks through queueMicrotask, else a timer.
  var nativeMicrotask = typeof queueMicrotask === "function" ? queueMicrotask : null;
  /** @param {() => void} fn */
  function later(fn) {
    try {
      if (nativeMicrotask) return nativeMicrotask.call(window, fn);
    } catch (e) { /* fall through */ }
    setTimeout(fn, 0);
  }

  /**
   * @param {ToWorker} message
   * @param {number} count the calls it carries
   */
  function post(message, count) {
    message.seq = ++seq;
    /** @type {Worker} */ (worker).postMessage(message); // only called while the worker runs
    backlog += count;
    inFlight.push([message.seq, count, transformUrls.length ? message.items || [] : null]);
    if (!watchdog) armWatchdog();
  }

  // Liveness, not backlog: a worker that is busy with a long backlog still sends a heartbeat at least every second,
  // so the watchdog only fires when nothing at all came back for WATCHDOG_MS while work was outstanding.
  function armWatchdog() {
    watchdog = setTimeout(function () {
      watchdog = null;
      if (acked >= seq) return;
      if (lastTransform >= 0 && lastTransform < transformUrls.length) restartWithout(lastTransform);
      else fail("the py-bridge worker stopped responding (crashed or killed)");
    }, WATCHDOG_MS);
  }
  // A transformation that never returns blocks the worker: start a new one without that file, rebuild its state
  // from the calls already handled (their commands are not applied again) and hand it every call not yet handled.
  // The file is named as the site numbered it (transformIndex), whatever earlier refusals and restarts removed.
  /**
   * @param {number} index the file's position in transformUrls (the list the worker got)
   * @param {string} [why] what the file did (default: it did not return from a call)
   */
  function restartWithout(index, why) {
    var stuck = transformUrls.splice(index, 1)[0];
    var site = transformIndex.splice(index, 1)[0];
    var where = "transform[" + (typeof site === "number" ? site : index) + "]";
    try { where += " (" + new URL(String(stuck)).origin + ")"; } catch (e) { /* named by index only */ }
    clearTimeout(loadTimer);
    if (watchdog) clearTimeout(watchdog); // the old worker's: the new one is watched from its first message
    watchdog = null;
    say("error", "the transformation " + where + " " + (why || "did not return within " + WATCHDOG_MS / 1000 + " s") + "; the worker was restarted without it (no call lost)");
    put(settings, "transform", transformUrls.slice());
    /** @type {BridgeItem[]} */
    var unhandled = [];
    inFlight.forEach(function (entry) { if (entry[2]) unhandled = unhandled.concat(entry[2]); });
    try { if (worker) worker.terminate(); } catch (e) { /* already gone */ }
    worker = null;
    inFlight = [];
    backlog = 0;
    acked = seq;
    lastTransform = -1;
    restarting = true;
    pending = unhandled.concat(outbox, pending);
    outbox = [];
    state = "starting";
    startWorker();
  }

  function heard() {
    if (!watchdog) return;
    clearTimeout(watchdog);
    watchdog = null;
    if (acked < seq) armWatchdog();
  }

  function flush() {
    flushQueued = false;
    if (state !== "running" || !outbox.length) return;
    var items = outbox;
    outbox = [];
    for (var i = 0; i < items.length; i += BATCH_MAX) {
      var slice = items.slice(i, i + BATCH_MAX);
      post({ type: "batch", items: slice }, slice.length);
    }
  }

  /** @param {unknown} upTo the worker's ack */
  function acknowledge(upTo) {
    if (typeof upTo !== "number" || upTo <= acked) return;
    acked = upTo;
    while (inFlight.length && inFlight[0][0] <= acked) {
      var done = /** @type {InFlight} */ (inFlight.shift()); // the loop checked there is one
      backlog -= done[1];
    }
    if (droppedBusy && backlog < MAX_BACKLOG / 2) {
      say("warn", droppedBusy + " call(s) were dropped while the worker was busy (backlog bound " + MAX_BACKLOG + " calls)");
      droppedBusy = 0;
    }
  }

  /** @param {MessageEvent<FromWorker | null>} received */
  function onWorkerMessage(received) {
    var message = received.data;
    if (!message || typeof message !== "object" || state === "failed") return;
    heard();
    // Only the worker's own sign that Python came back from the transformation it last named clears that record:
    // the ack of the message, or the mark of the next file. Anything else may come from the file itself (a log
    // line, stderr, its own postMessage) while it hangs.
    if (message.type === "ack" || message.type === "transform") {
      lastTransform = -1;
      clearTimeout(loadTimer);
    }
    switch (message.type) {
      case "started":
        clearTimeout(startTimer);
        state = "running";
        var items = pending;
        pending = [];
        if (droppedBeforeStart) say("warn", droppedBeforeStart + " call(s) were dropped before Python started (pre-start queue bound " + maxQueue + ")");
        /** @type {ToWorker & { env: Record<string, unknown> }} */
        var init = { type: "init", settings: settings, env: environment(), items: items };
        if (restarting) {
          if (lastState) init.state = lastState; // a restart: go on from the previous worker's state
          init.env.widget = widget;
          init.env.ready = readyFired;
          restarting = false;
        }
        post(init, items.length);
        // The figures travel as data (`started`): the line is for people, readers use the field.
        var mode = message.mode === "snapshot" ? "snapshot" : "normal";
        emit("pybridge:log", {
          level: "info",
          message: "Python started in " + message.ms + " ms" + (mode === "snapshot" ? " (from snapshot)" : ""),
          started: { ms: message.ms, mode: mode }
        });
        break;
      case "ack":
        acknowledge(message.seq);
        heard();
        break;
      case "alive": break; // a busy worker, not a dead one: heard() above was all it needed
      case "transform":
        if (typeof message.index === "number" && message.index < transformUrls.length) lastTransform = message.index;
        if (lastTransform >= 0) {
          // Each file has a time limit from its mark, which no other message resets (a file that keeps posting
          // while it hangs keeps the watchdog quiet): loading it, transform_load_ms (a top-level endless loop);
          // running it on an event, the watchdog's WATCHDOG_MS. After it, go on without that file.
          var running = lastTransform;
          var loading = message.phase === "load";
          loadTimer = setTimeout(function () {
            if (lastTransform !== running || state === "failed") return;
            restartWithout(running, loading ? "did not finish loading within " + transformLoadMs + " ms (setting transform_load_ms)" : undefined);
          }, loading ? transformLoadMs : WATCHDOG_MS);
        }
        break;
      case "commands":
        if (Array.isArray(message.commands)) schedule(message.commands);
        break;
      case "log":
        say(message.level === "error" ? "error" : "warn", String(message.message).slice(0, 2000));
        break;
      case "fatal":
        fail(String(message.message).slice(0, 500));
        break;
    }
  }

  // A page's own Intercom install has a session when it queued a `boot`, or when its Messenger is up (API in place
  // of the stub) with intercomSettings to boot from. Who it is comes from intercomSettings, if the page said.
  function nativeSession() {
    if (!nativeIntercom) return null;
    try {
      var intercom = /** @type {IntercomMessenger} */ (window.Intercom); // a function when the tag started
      var q = intercom.q;
      var queuedBoot = false;
      if (Array.isArray(q)) {
        for (var i = 0; i < q.length && i < 1000; i++) if (q[i] && q[i][0] === "boot") queuedBoot = true;
      }
      var pageSettings = window.intercomSettings;
      var autoBooted = !Array.isArray(q) && !!pageSettings && typeof pageSettings === "object" && !!own(pageSettings, "app_id");
      if (!queuedBoot && !autoBooted) return null;
      var userId = pageSettings && own(pageSettings, "user_id");
      var email = pageSettings && own(pageSettings, "email");
      return {
        user_id: typeof userId === "string" || typeof userId === "number" ? String(userId) : null,
        email: typeof email === "string" ? email : null
      };
    } catch (e) {
      return null;
    }
  }

  function environment() {
    var selectorValid = true;
    if (typeof own(settings, "widget_id") === "string") {
      try {
        DOC.createDocumentFragment.call(document).querySelector(settings.widget_id);
      } catch (e) {
        selectorValid = false;
      }
    }
    var origins = [location.origin];
    try { origins.push(new URL(/** @type {string} */ (base)).origin); } catch (e) { /* no bundle origin */ }
    /** @type {Record<string, unknown>} */
    var env = { native_intercom: nativeIntercom, selector_valid: selectorValid, origins: origins, consent: consentAnswer };
    if (transformUrls.length) env.transform_index = transformIndex.slice(); // the site's index of each entry sent
    var session = nativeSession();
    if (session) env.native_session = session;
    return env;
  }

  function startWorker() {
    var url = new URL("worker.mjs", /** @type {string} */ (base)).href; // set: without it the tag never starts
    try {
      if (new URL(url).origin === location.origin) {
        trustedUrls[url] = true;
        worker = new Worker(scriptUrl(url), { type: "module", name: "py-bridge" });
      } else {
        // A worker script must be same-origin with the page: a blob: module worker imports the bundle instead.
        var blobUrl = URL.createObjectURL(new Blob(["import " + JSON.stringify(url) + ";\n"], { type: "text/javascript" }));
        trustedUrls[blobUrl] = true;
        worker = new Worker(scriptUrl(blobUrl), { type: "module", name: "py-bridge" });
        setTimeout(function () { URL.revokeObjectURL(blobUrl); }, 60000);
      }
    } catch (e) {
      var failure = /** @type {{ name?: unknown } | null | undefined} */ (e);
      fail(failure && failure.name === "TypeError" && window.trustedTypes
        ? "could not start its worker: Trusted Types refused the worker URL (add the policy name to your CSP: trusted-types py-bridge)"
        : "could not start its worker (" + (failure && failure.name) + "; check the Content-Security-Policy worker-src)");
      return;
    }
    var current = worker;
    // A terminated worker's late messages are never applied: only the current worker speaks for Python.
    worker.onmessage = function (received) { if (current === worker) onWorkerMessage(received); };
    var saveData = !!(navigator.connection && navigator.connection.saveData);
    worker.postMessage({ type: "config", snapshot: own(settings, "fast_start") !== false && !saveData });
    worker.onerror = function (problem) {
      if (current !== worker) return;
      if (problem && problem.preventDefault) problem.preventDefault();
      fail(state === "starting"
        ? "could not load its worker (a bundle file is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)"
        : "the py-bridge worker crashed");
    };
    startTimer = setTimeout(function () {
      if (state === "starting") fail("Python did not start within " + startTimeoutMs / 1000 + " s (a bundle asset is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)");
    }, startTimeoutMs);
  }

  // ---- Trusted Types: one policy, "py-bridge", that only ever vouches for the widget script and our worker -----
  /** @type {Record<string, boolean>} */
  var trustedUrls = {};
  /** @type {TrustedTypePolicy | null} */
  var trustedPolicy = null;
  try {
    if (window.trustedTypes && typeof window.trustedTypes.createPolicy === "function") {
      trustedPolicy = window.trustedTypes.createPolicy("py-bridge", {
        createScriptURL: function (url) {
          if (trustedUrls[url] === true || allowedScript(url)) return url;
          throw new TypeError("py-bridge: refused script URL");
        }
      });
    }
  } catch (e) { /* the CSP names other policies only: enforcement will refuse our URLs and we report it */ }
  /**
   * The URL as a TrustedScriptURL where the page has Trusted Types. Typed as a string: script sinks (Worker,
   * script.src) accept both, but TypeScript's DOM library does not know Trusted Types.
   * @param {string} url
   * @returns {string}
   */
  function scriptUrl(url) {
    return trustedPolicy ? /** @type {string} */ (/** @type {unknown} */ (trustedPolicy.createScriptURL(url))) : url;
  }

  // ---- executor: the only things Python can make happen in the page ------------------------------------------
  var nativeIntercom = false;
  try {
    nativeIntercom = typeof window.Intercom === "function";
  } catch (e) { /* a throwing getter: not an install we can drive */ }
  var widget = "idle"; // idle | loading | late (missed widget_timeout_ms, still watched) | loaded | failed
  // The page's own record of the visitor's answer, set the moment pybridge.consent() is called. Commands that
  // reach Intercom are applied only while it says "granted": whatever the worker sends (decided before a
  // withdrawal, or from a state a transformation forged), nothing reaches Intercom after a refusal.
  var consentAnswer = consentRequired ? "pending" : "granted";
  /** @param {string} what for the debug line */
  function consentAllows(what) {
    if (consentAnswer === "granted") return true;
    if (debugOn) say("debug", what + " not applied: consent is " + consentAnswer);
    return false;
  }
  /** @type {Record<MessengerEventName, Function[]>} the page's intercom.on() functions */
  var callbacks = { show: [], hide: [], unread: [] };
  /** @type {Function[]} */
  var readyCallbacks = [];
  var readyFired = false;

  /**
   * @param {string} signalName
   * @param {Record<string, unknown>} [data]
   */
  function signal(signalName, data) {
    send({ kind: "signal", name: signalName, data: data || {} });
  }

  /** @param {unknown} src */
  function allowedScript(src) {
    if (typeof src !== "string") return false;
    if (src.indexOf(WIDGET_PREFIX) === 0) return APP_ID.test(src.slice(WIDGET_PREFIX.length));
    if (sandboxUrl && src.indexOf(sandboxUrl + "/widget/") === 0) {
      return APP_ID.test(src.slice(sandboxUrl.length + 8));
    }
    return false;
  }

  // Intercom's loader keeps the page's queue stub, marks it `booted` and drains `Intercom.q` later, from its frame,
  // where it also installs the API. So the script's `load` event only says whether the loader ran; that the
  // Messenger started is seen later (the stub replaced or its queue drained). The queue is never emptied here:
  // the frame may still drain it.
  /** @param {IntercomMessenger} stub */
  function loaderRan(stub) {
    var now = window.Intercom;
    if (now !== stub) return true;
    try {
      return stub.booted === true;
    } catch (e) {
      return false;
    }
  }
  /**
   * @param {IntercomMessenger} stub
   * @param {number} queuedAtLoad
   */
  function messengerStarted(stub, queuedAtLoad) {
    if (window.Intercom !== stub) return true;
    try {
      var q = stub.q;
      return queuedAtLoad > 0 && (!q || typeof q.length !== "number" || q.length === 0);
    } catch (e) {
      return false;
    }
  }

  /** @param {unknown} src */
  function loadWidget(src) {
    if (widget !== "idle") return;
    if (!allowedScript(src)) {
      say("error", "refused to load a script that is not the Intercom widget: " + String(src).slice(0, 100));
      widget = "failed";
      signal("widget", { status: "failed", reason: "refused" });
      return;
    }
    widget = "loading";
    preconnect(); // the frame bundle and the API host follow the widget script
    /** @type {any} window.Intercom as the page left it (any value), or the queue stub installed below */
    var stub;
    try {
      stub = window.Intercom;
      if (typeof stub !== "function") {
        // Intercom's official queue stub: calls wait in Intercom.q until the Messenger drains them.
        stub = function () { stub.c(arguments); };
        stub.q = [];
        stub.c = /** @param {ArrayLike<unknown>} args */ function (args) { stub.q.push(args); };
        window.Intercom = stub;
      }
    } catch (e) {
      widget = "failed";
      signal("widget", { status: "failed", reason: "window.Intercom cannot be used on this page (" + String(messageOf(e)).slice(0, 80) + ")" });
      return;
    }
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    var timer;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    var poll;
    var lateUntil = 0;
    var lateWatch = false; // the script's load event came: watchStart polls for the Messenger's start
    /**
     * @param {boolean} ok
     * @param {string} [reason]
     */
    function settled(ok, reason) {
      if (widget !== "loading" && widget !== "late") return;
      clearTimeout(timer);
      clearTimeout(poll);
      var late = widget === "late";
      widget = ok ? "loaded" : "failed";
      endInteractionWait(); // the Messenger's own launcher takes over (or, failed, there is nothing to open)
      signal("widget", ok ? (late ? { status: "loaded", late: true } : { status: "loaded" }) : { status: "failed", reason: reason });
    }
    /** @param {number} queuedAtLoad */
    function watchStart(queuedAtLoad) {
      if (widget !== "loading" && widget !== "late") return;
      if (messengerStarted(stub, queuedAtLoad)) return settled(true);
      if (widget === "late" && Date.now() >= lateUntil) {
        return settled(false, "no Messenger started within " + PROTOCOL.late_messenger_ms / 60000 + " minutes after widget_timeout_ms");
      }
      poll = setTimeout(function () { watchStart(queuedAtLoad); }, widget === "late" ? PROTOCOL.late_poll_ms : PROTOCOL.start_poll_ms);
    }
    function inject() {
      var element = createElement("script");
      element.async = true;
      try {
        element.src = scriptUrl(/** @type {string} */ (src)); // allowedScript(src) holds
      } catch (e) {
        settled(false, "Trusted Types refused the widget script (add the policy name to your CSP: trusted-types py-bridge)");
        return;
      }
      element.onload = function () {
        if (!loaderRan(stub)) {
          settled(false, "the script loaded but the Intercom loader did not run (it skips bots, or the script is not the Messenger)");
          return;
        }
        var queued = 0;
        try { queued = stub.q && typeof stub.q.length === "number" ? stub.q.length : 0; } catch (e) { /* hostile */ }
        lateWatch = true;
        clearTimeout(poll);
        watchStart(queued);
      };
      element.onerror = function () { settled(false, "script request failed"); };
      (doc("head") || doc("documentElement")).appendChild(element);
      timer = setTimeout(function () {
        if (widget !== "loading") return;
        // A slow link may still bring the Messenger: Python keeps the calls made meanwhile for it (status "late")
        // while the page watches for its start, up to late_messenger_ms; the script's load event starts the watch
        // if it has not yet arrived.
        widget = "late";
        lateUntil = Date.now() + PROTOCOL.late_messenger_ms;
        endInteractionWait();
        signal("widget", { status: "late", reason: "the Messenger did not start within " + widgetTimeoutMs / 1000 + " s" });
        if (!lateWatch) poll = setTimeout(function () { settled(false, "the widget script did not arrive within " + PROTOCOL.late_messenger_ms / 60000 + " minutes after widget_timeout_ms"); }, PROTOCOL.late_messenger_ms);
      }, widgetTimeoutMs);
    }
    if (doc("readyState") === "complete") inject();
    else on(window, "load", inject, { once: true });
  }

  // Consent withdrawn: Intercom's loader boots again from intercomSettings.app_id (on every Turbo load), and the
  // Messenger keeps its visitor in cookies on the site's top-level domain. Remove the keys Python names from
  // whatever object intercomSettings is (the page's own install included) and expire only Intercom's cookies,
  // host-only and on each parent domain up to the last two labels.
  /** @param {string} cookie only Intercom's own cookies: one of its prefixes, then an App ID */
  function forgettableCookie(cookie) {
    return PROTOCOL.intercom_cookies.some(function (prefix) {
      return cookie.indexOf(prefix + "-") === 0 && APP_ID.test(cookie.slice(prefix.length + 1));
    });
  }
  function cookieDomains() {
    var host = String(location.hostname);
    var domains = [""];
    if (/^[\d.]+$/.test(host) || host.indexOf(":") !== -1 || host.indexOf("[") !== -1) return domains;
    var labels = host.split(".");
    for (var i = 0; i + 2 <= labels.length; i++) domains.push("; domain=" + labels.slice(i).join("."));
    return domains;
  }
  /** @param {BridgeCommand} command */
  function forgetIntercom(command) {
    forget(Array.isArray(command.settings_keys) ? command.settings_keys : [], Array.isArray(command.cookies) ? command.cookies : []);
  }
  /**
   * Consent refused or withdrawn, applied by the page at once and by itself (the worker may be starting, stuck or
   * dead): a Messenger that is up is shut down, calls still waiting in the widget's queue (a boot for the user) are
   * dropped before its frame can drain them, and the intercomSettings keys and cookies are forgotten. The names
   * are the ones Python's `forget` command carries (py_bridge/destinations/intercom/destination.py).
   */
  function forgetNow() {
    var app = String(own(settings, "app_id") || own(settings, "appId") || "");
    try {
      var intercom = window.Intercom;
      if (typeof intercom === "function" && !Array.isArray(intercom.q) && consentAnswer !== "denied") {
        intercom("shutdown"); // the Messenger's API is in place: end its session now, not when Python answers
      }
    } catch (e) { /* a Messenger that throws: its cookies are expired below all the same */ }
    forget(PROTOCOL.forget_settings_keys, PROTOCOL.intercom_cookies.map(function (prefix) { return prefix + "-" + app; }));
    try { window.sessionStorage.removeItem(DEBUG_KEY); } catch (e) { /* storage blocked */ }
  }
  /**
   * @param {unknown[]} keys intercomSettings keys
   * @param {unknown[]} cookieNames Intercom's cookies (only names of its three kinds are touched)
   */
  function forget(keys, cookieNames) {
    try {
      var queue = window.Intercom && window.Intercom.q;
      if (Array.isArray(queue)) queue.splice(0, queue.length); // not yet drained by the Messenger's frame: never will be
    } catch (e) { /* a hostile getter: nothing queued we can reach */ }
    var current = window.intercomSettings;
    if (current && typeof current === "object") {
      keys.forEach(function (key) {
        try {
          if (typeof key === "string") delete /** @type {Record<string, unknown>} */ (current)[key];
        } catch (e) { /* a frozen object: nothing more to do here */ }
      });
    }
    // not document.cookie: clobbering
    var setCookie = /** @type {{ set: (this: Document, cookie: string) => void }} */ (Object.getOwnPropertyDescriptor(DOC, "cookie")).set;
    var domains = cookieDomains();
    cookieNames.forEach(function (cookieName) {
      if (typeof cookieName !== "string" || !forgettableCookie(cookieName)) return;
      domains.forEach(function (domain) {
        try {
          setCookie.call(document, cookieName + "=; path=/; max-age=0" + domain);
        } catch (e) { /* cookies blocked: nothing was stored */ }
      });
    });
  }

  /** @param {BridgeCommand} command */
  function trace(command) {
    if (!debugOn) return;
    try {
      var c = console;
      c.groupCollapsed(PREFIX + " " + String(command.title).slice(0, 200));
      c.log("received:", command.received);
      (command.steps || []).forEach(function (step) { c.log(String(step).slice(0, 2000)); });
      (command.intercom || []).forEach(function (made) { c.log("Intercom(" + JSON.stringify(made).slice(1, -1).slice(0, 2000) + ")"); });
      if (!(command.intercom || []).length) c.log("no Intercom call");
      c.groupEnd();
    } catch (e) { /* a console that throws must not break the page */ }
  }

  // A copy with every credential value replaced, in any spelling (case, `-`, `_` and spaces ignored) and at any depth.
  /**
   * @param {unknown} value
   * @param {number} [depth]
   * @returns {unknown}
   */
  function redact(value, depth) {
    /** @param {string} key */
    function bare(key) { return String(key).toLowerCase().replace(/[-_\s]/g, ""); }
    var level = depth || 0;
    if (!value || typeof value !== "object") return value;
    if (level > LIMITS.max_depth) return "[too deep]";
    if (Array.isArray(value)) return value.map(function (item) { return redact(item, level + 1); });
    var object = /** @type {Record<string, unknown>} */ (value);
    var copy = {};
    Object.keys(object).forEach(function (key) {
      var secret = CREDENTIAL_KEYS.some(function (credential) { return bare(credential) === bare(key); });
      put(copy, key, secret ? "[redacted]" : redact(object[key], level + 1));
    });
    return copy;
  }

  // The page re-checks what it applies: a boot, update or intercomSettings naming another app, API host or launcher
  // than the settings this page parsed is refused, whoever produced it (a transformation's code runs in the worker).
  // The API host of the configured region (the US one for none, or for an unknown one: Python reports it).
  function regionHost() {
    return own(REGION_HOSTS, String(own(settings, "region") || "us")) || REGION_HOSTS.us;
  }
  /** @param {string[]} names the setting and its legacy alias */
  function configured(names) {
    return names.map(function (key) { return own(settings, key); }).filter(function (value) { return value !== undefined; });
  }
  var launchers = configured(["widget_id", "activator"]);
  /** @type {Record<string, unknown[]>} */
  var PINNED = {
    app_id: configured(["app_id", "appId"]),
    api_base: sandboxUrl ? [sandboxUrl] : configured(["api_base", "apiBase"]).concat(
      [regionHost()]),
    // Only the launcher the site configured; Intercom's default only where the site configured none.
    custom_launcher_selector: launchers.length ? launchers : [DEFAULT_LAUNCHER]
  };
  /**
   * The key of a payload that differs from this page's settings, or null when it matches.
   * @param {unknown} payload
   */
  function foreignKey(payload) {
    if (!payload || typeof payload !== "object") return null;
    for (var key in PINNED) {
      if (!Object.prototype.hasOwnProperty.call(PINNED, key)) continue;
      var value = own(payload, key);
      if (value !== undefined && PINNED[key].indexOf(value) === -1) return key;
    }
    return null;
  }

  /**
   * @param {unknown} method
   * @param {unknown} args
   */
  function callIntercom(method, args) {
    if (!consentAllows("Intercom('" + String(method).slice(0, 20) + "')")) return;
    if (typeof method !== "string" || INTERCOM_METHODS.indexOf(method) === -1 || !Array.isArray(args)) return;
    if (widget === "failed" || typeof window.Intercom !== "function") return;
    var foreign = method === "boot" || method === "update" ? foreignKey(args[0]) : null;
    if (foreign) return say("error", "refused Intercom('" + method + "'): its " + foreign + " is not the one this page configured");
    emit("pybridge:log", { level: "call", method: method, args: redact(args) });
    try {
      window.Intercom.apply(window, /** @type {[string, ...unknown[]]} */ ([method].concat(args)));
    } catch (e) {
      say("warn", "Intercom('" + method + "') threw: " + messageOf(e));
    }
  }

  /** @param {unknown} messengerEvent */
  function listen(messengerEvent) {
    if (messengerEvent !== "show" && messengerEvent !== "hide" && messengerEvent !== "unread") return;
    var method = LISTEN_METHODS[messengerEvent];
    callIntercom(method, [function (/** @type {unknown} */ value) {
      callbacks[messengerEvent].forEach(function (fn) {
        try { fn(value); } catch (e) { say("warn", "an intercom.on('" + messengerEvent + "') callback threw: " + messageOf(e)); }
      });
      if (messengerEvent !== "unread") signal("messenger", { event: messengerEvent });
    }]);
  }

  function fireReady() {
    if (readyFired) return;
    readyFired = true;
    readyCallbacks.splice(0).forEach(runReady);
  }
  /** @param {Function} fn */
  function runReady(fn) {
    try { fn(); } catch (e) { say("warn", "a ready() callback threw: " + messageOf(e)); }
  }

  var watching = false;
  function watchPages() {
    if (watching) return;
    watching = true;
    var last = location.pathname + location.search;
    function changed() {
      var now = location.pathname + location.search;
      if (now !== last) {
        last = now;
        api.page();
      }
    }
    var pageHistory = window.history; // explicit: a local name must never stand in for the page's History
    ["pushState", "replaceState"].forEach(function (method) {
      var pageNavigation = /** @type {Record<string, Function>} */ (/** @type {unknown} */ (pageHistory));
      var original = pageNavigation[method];
      pageNavigation[method] = function () {
        var result = original.apply(this, arguments);
        try { changed(); } catch (e) { /* never break navigation */ }
        return result;
      };
    });
    on(window, "popstate", changed);
  }

  // Commands are applied in order, in slices of at most ~8 ms, so a burst never becomes a long task on the page.
  /** @type {BridgeCommand[]} */
  var commandQueue = [];
  var commandIndex = 0;
  var draining = false;
  /** @param {BridgeCommand[]} commands */
  function schedule(commands) {
    for (var i = 0; i < commands.length; i++) commandQueue.push(commands[i]);
    if (!draining) {
      draining = true;
      drain();
    }
  }
  function drain() {
    var started = performance.now();
    while (commandIndex < commandQueue.length) {
      var command = commandQueue[commandIndex++];
      try {
        apply(command);
      } catch (e) {
        // One failing step is one warning; the commands after it still run.
        say("warn", "could not apply '" + String(command && command.op).slice(0, 20) + "' in this page: " + String(messageOf(e)).slice(0, 200));
      }
      if (performance.now() - started > 8 && commandIndex < commandQueue.length) {
        setTimeout(drain, 0);
        return;
      }
    }
    commandQueue = [];
    commandIndex = 0;
    draining = false;
  }

  /** @param {BridgeCommand} command */
  function apply(command) {
    if (!command || typeof command !== "object") return;
    switch (command.op) {
      case "settings":
        if (!consentAllows("intercomSettings")) break;
        var foreignSetting = foreignKey(command.settings);
        if (foreignSetting) say("error", "refused intercomSettings: its " + foreignSetting + " is not the one this page configured");
        else if (command.settings && typeof command.settings === "object") window.intercomSettings = command.settings;
        break;
      case "load": if (consentAllows("the Messenger's script")) loadWidget(command.src); break;
      case "call": callIntercom(command.method, command.args); break;
      case "listen": listen(command.event); break;
      case "log":
        /** @type {"error" | "warn" | "info" | "debug"} */
        var level = command.level === "error" ? "error" : command.level === "warn" ? "warn" : command.level === "info" ? "info" : "debug";
        if (level !== "debug" || debugOn) say(level, String(command.message).slice(0, 2000));
        emit("pybridge:log", { level: level, message: String(command.message).slice(0, 2000) });
        break;
      case "ready": fireReady(); break;
      case "emit":
        emit("pybridge:event", { event: String(command.event), properties: command.properties || {} });
        break;
      case "watch_pages": watchPages(); break;
      case "stop": fail("not started (see the error above)"); break;
      case "callback": runCallback(/** @type {number} */ (command.id)); break;
      case "identity":
        identity = { userId: typeof command.user_id === "string" ? command.user_id : null, traits: command.traits || {} };
        break;
      case "trace": trace(command); break;
      case "export": finishExport(/** @type {number} */ (command.id), typeof command.jsonl === "string" ? command.jsonl : ""); break;
      case "forget": forgetIntercom(command); break;
      case "state": lastState = command.state; break;
      default: /* unknown operations are ignored: the executor only does what it was built to do */
    }
  }

  // ---- the public API -----------------------------------------------------------------------------------------
  // Every entry point is guarded: whatever the page passes (throwing getters, hostile toString), nothing is thrown.
  /**
   * @param {string} label the entry point, for the warning
   * @param {(...args: any[]) => void} fn takes page input (any: whatever the page passes)
   */
  function guarded(label, fn) {
    return function () {
      try {
        fn.apply(null, /** @type {any} */ (arguments));
      } catch (e) {
        say("warn", label + "() failed: " + String(messageOf(e)).slice(0, 200));
      }
      return api;
    };
  }
  function queueFull() {
    if (state !== "starting" || pending.length < maxQueue) return false;
    send(null); // counts and reports the drop once
    return true;
  }
  function forgetAnonymousId() {
    anonymousId = uuid();
    try { window.localStorage.removeItem(ANON_KEY); } catch (e) { /* storage blocked */ }
  }

  /**
   * @param {string} method
   * @param {ArrayLike<unknown>} args page input
   * @param {Record<string, unknown>} context
   */
  function sendCall(method, args, context) {
    if (method === "reset") {
      if (lastCallWasReset && state !== "failed") return; // a burst of resets is one logout
      forgetAnonymousId();
      saveAnonymousId();
    }
    lastCallWasReset = method === "reset";
    if (queueFull()) return;
    context.anonymous_id = anonymousId;
    send({ kind: "call", method: method, args: encodeArgs(args, true), context: context });
  }
  var lastCallWasReset = false;

  /** @type {Record<string, any>} built method by method below; its public type is PyBridge (web/embed.d.ts) */
  var api = { __pybridge: true, VERSION: VERSION, intercom: {} };
  CALLS.forEach(function (method) {
    api[method] = guarded(method, function () { sendCall(method, arguments, pageContext()); });
  });
  CONTROLS.forEach(function (method) {
    api.intercom[method] = guarded("intercom." + method, function () {
      if (!queueFull()) send({ kind: "control", method: method, args: encodeArgs(arguments) });
    });
  });
  api.intercom.on = guarded("intercom.on", function (messengerEvent, fn) {
    var known = typeof messengerEvent === "string" && Object.prototype.hasOwnProperty.call(LISTEN_METHODS, messengerEvent);
    if (!known || typeof fn !== "function") {
      say("warn", "intercom.on(event, fn): event must be show, hide or unread and fn a function; ignored");
      return;
    }
    callbacks[/** @type {MessengerEventName} */ (messengerEvent)].push(fn);
    send({ kind: "listen", event: messengerEvent });
  });
  api.ready = guarded("ready", function (fn) {
    if (typeof fn !== "function") {
      say("warn", "ready(fn): fn must be a function; ignored");
    } else if (readyFired || state === "failed") {
      readyFired = true;
      setTimeout(function () { runReady(fn); }, 0);
    } else {
      readyCallbacks.push(fn);
    }
  });
  api.consent = guarded("consent", function (granted) {
    if (granted === true) {
      // Storage is touched only now: adopt the id a previous granted page view stored, or store this one.
      storageAllowed = true;
      var stored = readStoredAnonymousId();
      if (stored) anonymousId = stored;
      else saveAnonymousId();
    } else {
      storageAllowed = !consentRequired;
      forgetAnonymousId();
      endInteractionWait(); // no Messenger will come: the look-alike launcher goes
      forgetNow();
    }
    consentAnswer = granted === true ? "granted" : "denied";
    send({ kind: "consent", granted: granted === true, anonymous_id: anonymousId });
  });
  // Read-only views of who the bridge believes the user is, as analytics.js offers them.
  /** @type {{ userId: string | null, traits: unknown }} */
  var identity = { userId: null, traits: {} };
  api.user = function () {
    var snapshot = { userId: identity.userId, traits: JSON.parse(JSON.stringify(identity.traits)) };
    return {
      id: function () { return snapshot.userId; },
      anonymousId: function () { return anonymousId; },
      traits: function () { return JSON.parse(JSON.stringify(snapshot.traits)); }
    };
  };
  api.anonymousId = function () {
    if (arguments.length) say("warn", "anonymousId() is read-only in py-bridge; the argument was ignored");
    return anonymousId;
  };

  // Debug mode: one collapsed console group per call (data-debug on the tag, or pybridge.debug(true) for this tab).
  /** @param {unknown} wanted page input: anything but false turns debug mode on */
  api.debug = function (wanted) {
    try {
      debugOn = wanted !== false;
      try {
        if (debugOn) window.sessionStorage.setItem(DEBUG_KEY, "1");
        else window.sessionStorage.removeItem(DEBUG_KEY);
      } catch (e) { /* storage blocked: this page view only */ }
      send({ kind: "debug", on: debugOn });
    } catch (e) { /* never throw */ }
    return api;
  };
  /** @type {Record<number, (jsonl: string) => void>} */
  var exports = {};
  var exportSeq = 0;
  api.debug.export = function () {
    return new Promise(function (resolve) {
      var id = ++exportSeq;
      exports[id] = resolve;
      // Nothing recorded yet (Python not started, e.g. the interaction policy) or never will be: settle at once.
      if (state === "failed" || !startRequested) finishExport(id, "");
      else send({ kind: "export", id: id });
    });
  };
  // The tag stopped: every export still waiting settles with nothing (no answer will come).
  function settleExports() {
    Object.keys(exports).forEach(function (id) { finishExport(Number(id), ""); });
  }
  /**
   * @param {number} id
   * @param {string} jsonl
   */
  function finishExport(id, jsonl) {
    var resolve = Object.prototype.hasOwnProperty.call(exports, id) ? exports[id] : null;
    delete exports[id];
    if (resolve) resolve(jsonl);
  }

  // Calls pushed as arrays after load keep working, like analytics.js.
  api.push = guarded("push", function (entry) {
    replay(entry);
  });

  var CONTEXT_KEYS = ["url", "path", "search", "referrer", "title", "timestamp"];
  /** @param {any} entry page input: `[method, ...args]` (with `ctx` from the snippet), or anything else */
  function replay(entry) {
    try {
      var method = entry && typeof entry === "object" ? entry[0] : undefined;
      if (typeof method !== "string") {
        say("warn", "pybridge.push(): expected [method, ...args]; ignored");
        return;
      }
      // Read at most max_args arguments by index: a hostile `length` must not make us walk billions of slots.
      var entryLength = Number(entry.length);
      var args = [];
      for (var i = 1; i <= LIMITS.max_args && i < entryLength; i++) args.push(entry[i]);
      if (CALLS.indexOf(method) !== -1) {
        // The snippet captures where and when; the browser facts it leaves out (locale, user agent, timezone) and the
        // anonymous id come from now.
        var context = pageContext();
        var captured = entry.ctx;
        if (captured && typeof captured === "object") {
          CONTEXT_KEYS.forEach(function (key) {
            var value = own(captured, key);
            if (typeof value === "string" || (key === "timestamp" && typeof value === "number")) /** @type {Record<string, unknown>} */ (context)[key] = value;
          });
        }
        sendCall(method, args, context);
      } else if (method === "ready" || method === "consent" || method === "debug") {
        api[method].apply(api, args);
      } else if (method === "debug.export") {
        // The snippet's debug.export() before the load, `["debug.export", fn]`: fn gets what it answers now.
        var done = args[0];
        api.debug.export().then(/** @param {string} jsonl */ function (jsonl) {
          if (typeof done !== "function") return;
          try { done(jsonl); } catch (e) { say("warn", "a debug.export() callback threw: " + messageOf(e)); }
        });
      } else if (method.indexOf("intercom.") === 0 && CONTROLS.indexOf(method.slice(9)) !== -1) {
        api.intercom[method.slice(9)].apply(api, args);
      } else if (method === "intercom.on") {
        api.intercom.on.apply(api, args);
      } else {
        say("warn", "pybridge.push(): unknown method " + JSON.stringify(method.slice(0, 40)) + "; ignored");
      }
    } catch (e) {
      say("warn", "pybridge.push() failed: " + String(messageOf(e)).slice(0, 200));
    }
  }

  window.pybridge = /** @type {typeof window.pybridge} */ (/** @type {unknown} */ (api));
  if (Array.isArray(existing) && state === "failed") {
    // Stopped before it started (a configuration error): the queue is dropped at once, never replayed call by call.
    if (existing.length) say("warn", existing.length + " queued call(s) dropped");
    // ...but a queued ready(fn) still runs: the page awaits it, and "failed" is an answer.
    for (var r = 0; r < existing.length; r++) {
      var queued = /** @type {unknown[]} */ (existing[r]); // page input: checked before use
      if (Array.isArray(queued) && queued[0] === "ready") api.ready(queued[1]);
      else if (Array.isArray(queued) && queued[0] === "debug.export") replay(queued); // its promise settles ("")
    }
  } else if (Array.isArray(existing)) {
    for (var q = 0; q < existing.length; q++) {
      if (queueFull()) {
        droppedBeforeStart += existing.length - q - 1; // the rest, without encoding each one
        // A debug.export() among them still settles: with "", as nothing is recorded before Python starts.
        for (; q < existing.length; q++) {
          var dropped = /** @type {unknown[]} */ (existing[q]); // page input: checked before use
          if (Array.isArray(dropped) && dropped[0] === "debug.export") replay(dropped);
        }
        break;
      }
      replay(existing[q]);
    }
  }

  if (configError) {
    say("error", configError + "; py-bridge is disabled on this page (your page keeps working)");
    fireReady();
  } else if (BOTS.test(String(navigator.userAgent))) {
    // Intercom's loader ignores crawlers, so nothing would reach Intercom: spare them the runtime download.
    state = "failed";
    say("info", "a crawler user agent: py-bridge stays idle (Intercom's Messenger does not load for bots either)");
    fireReady();
  } else if (typeof Worker !== "function") {
    fail("this browser has no Web Workers");
  } else {
    startWhenPolicyAllows();
    afterLoad(checkLauncher);
  }

  // A launcher selector that matches nothing leaves the site's button unbound and says nothing: check once the page
  // has loaded, and again a little later for pages that render their button after load, then warn once.
  function checkLauncher() {
    var selector = own(settings, "widget_id");
    if (typeof selector !== "string" || selector === DEFAULT_LAUNCHER) return;
    /** @param {number} attempt */
    function check(attempt) {
      var found = null;
      try {
        found = DOC.querySelector.call(document, selector);
      } catch (e) {
        return; // not a valid selector: Python reports it once started
      }
      if (found || state === "failed") return;
      if (attempt === 0) return void setTimeout(function () { check(1); }, 2000);
      say("warn", "the launcher selector " + JSON.stringify(selector.slice(0, 200)) + " (data-widget-id) matches no element on this page; the Messenger opens from Intercom's own launcher only if hide_default_launcher is off");
    }
    check(0);
  }

  // ---- when to start: the load policy ----------------------------------------------------------------------------
  // The runtime is megabytes; the host page's own content comes first. "load" (default) waits for the page's load
  // event, "idle" also for an idle main thread (at most 5 s more), "interaction" for the visitor to reach for the
  // launcher; "eager" starts at once. Save-Data and 2g-class connections get "interaction". Calls made meanwhile
  // are queued as before.
  function loadPolicy() {
    var asked = own(settings, "load");
    var policy = PROTOCOL.load_policies.indexOf(asked) !== -1 ? asked : PROTOCOL.default_load;
    var connection = navigator.connection;
    var slow = false;
    try {
      slow = !!connection && (connection.saveData === true || /(^|-)2g$/.test(String(connection.effectiveType)));
    } catch (e) { /* no connection info */ }
    return slow ? "interaction" : policy;
  }

  /** @param {string} reason */
  function requestStart(reason) {
    if (startRequested || state !== "starting") return;
    startRequested = true;
    emit("pybridge:log", { level: "debug", message: "starting Python (" + reason + ")" });
    startWorker();
  }

  /** @param {() => void} fn */
  function afterLoad(fn) {
    if (doc("readyState") === "complete") fn();
    else on(window, "load", function () { fn(); }, { once: true });
  }

  function startWhenPolicyAllows() {
    var policy = loadPolicy();
    if (policy === "eager") {
      requestStart("eager");
    } else if (policy === "load") {
      afterLoad(function () { requestStart("after the page's load event"); });
    } else if (policy === "idle") {
      afterLoad(function () {
        if (typeof window.requestIdleCallback === "function") {
          window.requestIdleCallback(function () { requestStart("idle"); }, { timeout: 5000 });
        } else {
          setTimeout(function () { requestStart("idle (timer)"); }, 1000);
        }
      });
    } else {
      waitForInteraction();
    }
  }

  // Connection hints for the Messenger's hosts, added only when Python has validated the settings and consent allows
  // loading (its `load` command): before that not even a preconnect may tell Intercom this visitor exists.
  function preconnect() {
    if (sandboxUrl) return;
    [PROTOCOL.widget_origin, PROTOCOL.intercom_cdn, regionHost()].forEach(function (href) {
      try {
        var link = createElement("link");
        link.rel = "preconnect";
        link.href = href;
        link.crossOrigin = "anonymous";
        (doc("head") || doc("documentElement")).appendChild(link);
      } catch (e) { /* a hint only */ }
    });
  }

  // "interaction": nothing heavy until the visitor hovers, focuses or clicks the launcher. Without a launcher of
  // the site's own (a custom widget_id selector) or hide_default_launcher, a look-alike launcher is drawn; a click
  // on either is replayed as intercom.show() once the Messenger is up. A Messenger control call starts it too.
  /** @type {HTMLButtonElement | null} */
  var lookAlike = null;
  function waitForInteraction() {
    var selector = own(settings, "widget_id");
    var custom = typeof selector === "string" && selector !== DEFAULT_LAUNCHER;
    var hidden = own(settings, "hide_default_launcher") === true || own(settings, "hideDefaultLauncher") === true;
    /** @param {Event} happening */
    function trigger(happening) {
      var target = happening.target;
      if (custom) {
        try {
          if (!(target instanceof Element) || !target.closest(selector)) return;
        } catch (e) {
          return; // an invalid selector: Python reports it once started
        }
      } else if (!lookAlike || !(target instanceof Node) || !lookAlike.contains(target)) {
        return;
      }
      // Hover or focus starts the downloads; a click (until the Messenger is up) is also replayed as show().
      if (happening.type === "click") {
        if (lookAlike) happening.preventDefault();
        show();
      }
      requestStart("visitor interaction (" + happening.type + ")");
    }
    var kinds = ["pointerover", "focusin", "touchstart", "click"];
    stopWaitingForInteraction = function () {
      kinds.forEach(function (kind) { EventTarget.prototype.removeEventListener.call(document, kind, trigger, true); });
    };
    kinds.forEach(function (kind) { on(document, kind, trigger, { capture: true, passive: kind !== "click" }); });
    var show = api.intercom.show;
    CONTROLS.forEach(function (method) {
      var control = api.intercom[method];
      api.intercom[method] = function () {
        var result = control.apply(api, arguments);
        requestStart("intercom." + method + "()");
        return result;
      };
    });
    if (!custom && !hidden) afterLoad(drawLookAlike);
  }

  function drawLookAlike() {
    if (startRequested || lookAlike) return;
    try {
      var button = createElement("button");
      button.type = "button";
      button.setAttribute("aria-label", "Open chat");
      button.setAttribute("data-py-bridge", "launcher");
      var side = own(settings, "alignment") === "left" ? "left" : "right";
      var color = own(settings, "action_color") || own(settings, "background_color");
      var style = button.style;
      style.position = "fixed";
      var inset = pixels(own(settings, "horizontal_padding")) + "px";
      if (side === "left") style.left = inset;
      else style.right = inset;
      style.bottom = pixels(own(settings, "vertical_padding")) + "px";
      style.width = style.height = "48px";
      style.borderRadius = "50%";
      style.border = "0";
      style.cursor = "pointer";
      style.zIndex = "2147483000";
      style.background = typeof color === "string" && /^#[0-9a-fA-F]{3,8}$/.test(color) ? color : "#0057ff";
      style.boxShadow = "0 1px 6px rgba(0,0,0,.06), 0 2px 32px rgba(0,0,0,.16)";
      var svg = DOC.createElementNS.call(document, "http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 28 32");
      svg.setAttribute("width", "22");
      svg.setAttribute("height", "24");
      svg.setAttribute("aria-hidden", "true");
      var path = DOC.createElementNS.call(document, "http://www.w3.org/2000/svg", "path");
      path.setAttribute("fill", "#ffffff");
      path.setAttribute("d", "M28 32s-4.7-1.9-8.5-3.3H3.5A3.5 3.5 0 0 1 0 25.2V3.5A3.5 3.5 0 0 1 3.5 0h21A3.5 3.5 0 0 1 28 3.5V32z");
      svg.appendChild(path);
      button.appendChild(svg);
      var body = doc("body");
      if (!body) return;
      body.appendChild(button);
      lookAlike = button;
    } catch (e) { /* decoration only */ }
  }
  /** @param {unknown} value */
  function pixels(value) {
    return typeof value === "number" && value >= 20 && value <= 2000 ? Math.round(value) : 20;
  }
  /** @type {(() => void) | null} */
  var stopWaitingForInteraction = null;
  // The Messenger is up (or failed): its own launcher and click handling take over from ours.
  function endInteractionWait() {
    if (stopWaitingForInteraction) stopWaitingForInteraction();
    stopWaitingForInteraction = null;
    if (lookAlike && lookAlike.parentNode) lookAlike.parentNode.removeChild(lookAlike);
    lookAlike = null;
  }
})();
