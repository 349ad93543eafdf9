/*! py-bridge embed.js: the public API (window.pybridge), the pre-load queue, page context, and the executor that
 * applies the allowlisted commands Python sends back. All decisions live in Python, in a Web Worker; this file only
 * captures calls, moves data, and applies commands. Nothing here throws into the host page. */
(function () {
  "use strict";

  var PREFIX = "[py-bridge]";
  var VERSION = "__PY_BRIDGE_VERSION__";
  var WIDGET_PREFIX = "https://widget.intercom.io/widget/";
  var INTERCOM_METHODS = {
    boot: 1, update: 1, shutdown: 1, trackEvent: 1, show: 1, hide: 1, showMessages: 1, showNewMessage: 1,
    showSpace: 1, showArticle: 1, startTour: 1, startSurvey: 1, onShow: 1, onHide: 1, onUnreadCountChange: 1,
    reattach_activator: 1
  };
  var CONTROLS = ["show", "hide", "showMessages", "showNewMessage", "showSpace", "showArticle", "startTour", "startSurvey"];
  var CALLS = ["page", "identify", "track", "group", "reset", "alias", "screen"];
  var CALLBACK_TIMEOUT_MS = 300; // analytics.js: a callback runs when the call is handled, or after 300 ms
  var LISTEN_METHODS = { show: "onShow", hide: "onHide", unread: "onUnreadCountChange" };
  var CREDENTIAL_KEYS = { user_hash: 1, intercom_user_jwt: 1 };
  var MAX_STRING = 10000;
  var MAX_ITEMS = 1000;
  var MAX_DEPTH = 32;
  var MAX_NODES = 20000;
  var MAX_CHARS = 1000000;
  var MAX_KEY = 255; // characters in one object key
  var MAX_ARGS = 8; // arguments of one call
  var BATCH_MAX = 500; // calls per message to the worker
  var MAX_BACKLOG = 50000; // calls the worker has not handled yet; beyond it new calls are dropped and counted
  var DEFAULT_MAX_QUEUE = 10000;
  var DEFAULT_START_TIMEOUT_MS = 20000;
  var WIDGET_TIMEOUT_MS = 30000;
  var START_POLL_MS = 50;
  var WATCHDOG_MS = 15000;
  var ANON_KEY = "pybridge.anonymous_id";
  var DEBUG_KEY = "pybridge.debug";
  // The user agents Intercom's loader ignores (intercom-facts.md, "Loading").
  var BOTS = /bot|googlebot|crawler|spider|robot|crawling|facebookexternalhit/i;

  // Named elements shadow `document.<name>` (DOM clobbering: `<img name="currentScript">` injected by a comment
  // box). Read the document's own properties through the prototype getters, never through `document.<name>`.
  var DOC = Document.prototype;
  function doc(name) {
    try {
      var descriptor = Object.getOwnPropertyDescriptor(DOC, name);
      return descriptor && descriptor.get ? descriptor.get.call(document) : undefined;
    } catch (e) {
      return undefined;
    }
  }
  function createElement(tag) {
    return DOC.createElement.call(document, tag);
  }
  function own(object, key) {
    return object && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
  }
  // defineProperty: a key such as "__proto__" or "toString" stays plain data, even with a frozen Object.prototype.
  function put(object, key, value) {
    Object.defineProperty(object, key, { value: value, enumerable: true, writable: true, configurable: true });
  }
  function text(value) {
    return typeof value === "string" ? value : "";
  }

  function say(level, message) {
    try {
      console[level](PREFIX + " " + message);
    } catch (e) { /* a console that throws must not break the page */ }
  }

  function emit(name, detail) {
    try {
      window.dispatchEvent(new CustomEvent(name, { detail: detail }));
    } catch (e) { /* listeners are the page's business */ }
  }

  var existing = window.pybridge;
  var alreadyRunning = false;
  try {
    // `=== true`: an element named "pybridge"/"__pybridge" (clobbering) is truthy but never `true`.
    alreadyRunning = !!existing && typeof existing === "object" && !(existing instanceof Node) && existing.__pybridge === true;
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
  var base = null;
  try {
    var ownSrc = script ? HTMLScriptElement.prototype.getAttribute.call(script, "src") : null;
    if (ownSrc) base = new URL(".", new URL(ownSrc, doc("baseURI") || location.href)).href;
  } catch (e) { base = null; }
  if (base && !/^https?:$/.test(new URL(base).protocol)) base = null;
  var settings = {};
  var configError = null;
  if (!base) configError = "could not find its own <script> tag; load embed.js with a src attribute (not as a module or from a bundler)";
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

  function boundedInt(value, fallback, low, high) {
    return typeof value === "number" && value % 1 === 0 && value >= low && value <= high ? value : fallback;
  }
  // Every setting is read as an own property: a polluted Object.prototype must never become configuration.
  var maxQueue = boundedInt(own(settings, "max_queue"), DEFAULT_MAX_QUEUE, 1, 100000);
  var startTimeoutMs = boundedInt(own(settings, "start_timeout_ms"), DEFAULT_START_TIMEOUT_MS, 1000, 120000);
  var widgetTimeoutMs = boundedInt(own(settings, "widget_timeout_ms"), WIDGET_TIMEOUT_MS, 1000, 120000);
  var consentRequired = own(own(settings, "consent"), "required") === true;

  // The sandbox (a local Intercom emulator) is only ever enabled explicitly, and only on this machine.
  // Transformations: Python files the site owner wrote, run in the worker. Only the page's or the bundle's origin
  // may serve them (relative URLs resolve against the page); anything else is refused here and again in Python.
  var transformUrls = [];
  (function () {
    var asked = own(settings, "transform");
    if (asked === undefined) return;
    var list = typeof asked === "string" ? [asked] : Array.isArray(asked) ? asked.slice(0, 20) : null;
    if (!list) return; // Python reports the invalid setting
    var allowed = [location.origin];
    try { if (base) allowed.push(new URL(base).origin); } catch (e) { /* no bundle origin */ }
    list.forEach(function (entry) {
      try {
        var url = new URL(String(entry), location.href);
        if (/^https?:$/.test(url.protocol) && allowed.indexOf(url.origin) !== -1) transformUrls.push(url.href);
        else say("warn", "transform " + JSON.stringify(String(entry).slice(0, 200)) + " refused: only the page's or the bundle's origin may serve transformations");
      } catch (e) {
        say("warn", "transform " + JSON.stringify(String(entry).slice(0, 200)) + " is not a URL; ignored");
      }
    });
    put(settings, "transform", transformUrls.slice());
  })();

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
      if (typeof stored === "string" && /^[\w-]{8,64}$/.test(stored)) return stored;
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
  function encode(value, depth, seen, budget) {
    try {
      if (--budget.nodes < 0) return { $pybridge: "too_large" };
      switch (typeof value) {
        case "string":
          var keep = Math.min(value.length, MAX_STRING, budget.chars);
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
      if (depth >= MAX_DEPTH) return { $pybridge: "too_deep" };
      if (seen.has(value)) return { $pybridge: "circular" };
      seen.add(value);
      var out;
      if (Array.isArray(value)) {
        out = [];
        var length = Math.min(value.length, MAX_ITEMS);
        for (var i = 0; i < length; i++) {
          var item = encode(value[i], depth + 1, seen, budget);
          out.push(item === undefined ? null : item);
        }
      } else {
        out = {};
        var keys = Object.keys(value);
        for (var k = 0; k < keys.length && k <= MAX_ITEMS; k++) {
          var key = keys[k];
          // Keys are bounded like values: a long key is dropped (and charged), never carried to Intercom.
          budget.chars -= Math.min(key.length, MAX_KEY + 1);
          if (key.length > MAX_KEY || budget.chars < 0) {
            budget.droppedKeys++;
            continue;
          }
          var encoded = encode(value[key], depth + 1, seen, budget);
          if (encoded !== undefined) put(out, key, encoded);
        }
      }
      seen.delete(value);
      return out;
    } catch (e) {
      return { $pybridge: "unsupported", type: "object" };
    }
  }
  // Per call, at most MAX_NODES values and MAX_CHARS characters cross to the worker: shared references can make a
  // small object graph enormous when walked as a tree, and that walk must never freeze the page.
  function newBudget() {
    return { nodes: MAX_NODES, chars: MAX_CHARS, droppedKeys: 0 };
  }
  function encodeArgs(args, withCallback) {
    var out = [];
    var budget = newBudget();
    var count = Math.min(args.length, MAX_ARGS);
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
    if (budget.droppedKeys) warnOnce("keys", "object keys longer than " + MAX_KEY + " characters (or past the per-call size bound) were dropped");
    return out;
  }
  // ---- callbacks passed in calls: run once, when Python says the call was handled or after 300 ms ---------------
  var pageCallbacks = {};
  var callbackSeq = 0;
  function registerCallback(fn) {
    var id = ++callbackSeq;
    pageCallbacks[id] = { fn: fn, timer: setTimeout(function () { runCallback(id); }, CALLBACK_TIMEOUT_MS) };
    return id;
  }
  function runCallback(id) {
    var entry = Object.prototype.hasOwnProperty.call(pageCallbacks, id) ? pageCallbacks[id] : null;
    if (!entry) return; // already run: never twice
    delete pageCallbacks[id];
    clearTimeout(entry.timer);
    try {
      entry.fn();
    } catch (e) {
      say("warn", "a callback passed to a call threw: " + String(e && e.message).slice(0, 200));
    }
  }

  var warned = {};
  function warnOnce(kind, message) {
    if (warned[kind] === true) return;
    warned[kind] = true;
    say("warn", message);
  }

  // ---- worker and queue ---------------------------------------------------------------------------------------
  var state = configError ? "failed" : "starting"; // starting -> running | failed
  var pending = []; // calls made before Python started, in order
  var droppedBeforeStart = 0;
  var outbox = [];
  var flushQueued = false;
  var worker = null;
  var seq = 0;
  var acked = 0;
  var backlog = 0; // calls posted to the worker and not yet acknowledged
  var inFlight = []; // [seq, calls, items] per message
  var history = []; // items the worker has handled: replayed (silently) into a restarted worker to rebuild its state
  var MAX_HISTORY = 10000;
  var lastTransform = -1; // the transformation the worker said it is running (index into transformUrls)
  var restartHistory = null;
  var droppedBusy = 0;
  var watchdog = null;
  var startTimer = null;

  function fail(message) {
    if (state === "failed") return;
    state = "failed";
    say("error", message + "; py-bridge is disabled on this page (your page keeps working)");
    emit("pybridge:log", { level: "error", message: message });
    if (pending.length) say("warn", pending.length + " queued call(s) dropped");
    pending = [];
    outbox = [];
    clearTimeout(startTimer);
    clearTimeout(watchdog);
    try {
      if (worker) worker.terminate();
    } catch (e) { /* already gone */ }
    worker = null;
  }

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
    outbox.push(item);
    if (!flushQueued) {
      flushQueued = true;
      later(flush);
    }
  }

  // A page that replaced window.Promise must not stop the bridge: microtasks through queueMicrotask, else a timer.
  var nativeMicrotask = typeof queueMicrotask === "function" ? queueMicrotask : null;
  function later(fn) {
    try {
      if (nativeMicrotask) return nativeMicrotask.call(window, fn);
    } catch (e) { /* fall through */ }
    setTimeout(fn, 0);
  }

  function post(message, count) {
    message.seq = ++seq;
    worker.postMessage(message);
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
  function restartWithout(index) {
    var stuck = transformUrls.splice(index, 1)[0];
    say("error", "the transformation " + stuck + " did not return within " + WATCHDOG_MS / 1000 + " s; the worker was restarted without it (no call lost)");
    put(settings, "transform", transformUrls.slice());
    var unhandled = [];
    inFlight.forEach(function (entry) { if (entry[2]) unhandled = unhandled.concat(entry[2]); });
    try { worker.terminate(); } catch (e) { /* already gone */ }
    worker = null;
    inFlight = [];
    backlog = 0;
    acked = seq;
    lastTransform = -1;
    restartHistory = history;
    history = [];
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

  function acknowledge(upTo) {
    if (typeof upTo !== "number" || upTo <= acked) return;
    acked = upTo;
    while (inFlight.length && inFlight[0][0] <= acked) {
      var done = inFlight.shift();
      backlog -= done[1];
      if (done[2]) {
        for (var h = 0; h < done[2].length; h++) history.push(done[2][h]);
        if (history.length > MAX_HISTORY) history.splice(0, history.length - MAX_HISTORY);
      }
    }
    if (droppedBusy && backlog < MAX_BACKLOG / 2) {
      say("warn", droppedBusy + " call(s) were dropped while the worker was busy (backlog bound " + MAX_BACKLOG + " calls)");
      droppedBusy = 0;
    }
  }

  function onWorkerMessage(event) {
    var message = event.data;
    if (!message || typeof message !== "object" || state === "failed") return;
    heard();
    // Any other message means the worker came back from the transformation it last named.
    if (message.type !== "transform") lastTransform = -1;
    switch (message.type) {
      case "started":
        clearTimeout(startTimer);
        state = "running";
        var items = pending;
        pending = [];
        if (droppedBeforeStart) say("warn", droppedBeforeStart + " call(s) were dropped before Python started (pre-start queue bound " + maxQueue + ")");
        var init = { type: "init", settings: settings, env: environment(), items: items };
        if (restartHistory) {
          init.history = restartHistory; // a restart: rebuild state silently first
          init.env.widget = widget;
          restartHistory = null;
        }
        post(init, items.length);
        emit("pybridge:log", {
          level: "info",
          message: "Python started in " + message.ms + " ms" + (message.mode === "snapshot" ? " (from snapshot)" : "")
        });
        break;
      case "ack":
        acknowledge(message.seq);
        heard();
        break;
      case "transform":
        if (typeof message.index === "number") lastTransform = message.index;
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
      var intercom = window.Intercom;
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
    try { origins.push(new URL(base).origin); } catch (e) { /* no bundle origin */ }
    var env = { native_intercom: nativeIntercom, selector_valid: selectorValid, origins: origins };
    var session = nativeSession();
    if (session) env.native_session = session;
    return env;
  }

  function startWorker() {
    var url = new URL("worker.mjs", base).href;
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
      fail(e && e.name === "TypeError" && window.trustedTypes
        ? "could not start its worker: Trusted Types refused the worker URL (add the policy name to your CSP: trusted-types py-bridge)"
        : "could not start its worker (" + (e && e.name) + "; check the Content-Security-Policy worker-src)");
      return;
    }
    worker.onmessage = onWorkerMessage;
    var saveData = !!(navigator.connection && navigator.connection.saveData);
    worker.postMessage({ type: "config", snapshot: own(settings, "fast_start") !== false && !saveData });
    worker.onerror = function (event) {
      if (event && event.preventDefault) event.preventDefault();
      fail(state === "starting"
        ? "could not load its worker (a bundle file is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)"
        : "the py-bridge worker crashed");
    };
    startTimer = setTimeout(function () {
      if (state === "starting") fail("Python did not start within " + startTimeoutMs / 1000 + " s (a bundle asset is missing, served with the wrong MIME type, or blocked by the Content-Security-Policy)");
    }, startTimeoutMs);
  }

  // ---- Trusted Types: one policy, "py-bridge", that only ever vouches for the widget script and our worker -----
  var trustedUrls = {};
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
  function scriptUrl(url) {
    return trustedPolicy ? trustedPolicy.createScriptURL(url) : url;
  }

  // ---- executor: the only things Python can make happen in the page ------------------------------------------
  var nativeIntercom = false;
  try {
    nativeIntercom = typeof window.Intercom === "function";
  } catch (e) { /* a throwing getter: not an install we can drive */ }
  var widget = "idle"; // idle | loading | loaded | failed
  var callbacks = { show: [], hide: [], unread: [] };
  var readyCallbacks = [];
  var readyFired = false;

  function signal(name, data) {
    send({ kind: "signal", name: name, data: data || {} });
  }

  function allowedScript(src) {
    if (typeof src !== "string") return false;
    if (src.indexOf(WIDGET_PREFIX) === 0) return /^[a-z0-9]{1,32}$/.test(src.slice(WIDGET_PREFIX.length));
    if (sandboxUrl && src.indexOf(sandboxUrl + "/widget/") === 0) {
      return /^[a-z0-9]{1,32}$/.test(src.slice(sandboxUrl.length + 8));
    }
    return false;
  }

  // Intercom's loader keeps the page's queue stub, marks it `booted` and drains `Intercom.q` later, from its frame,
  // where it also installs the API. So the script's `load` event only says whether the loader ran; that the
  // Messenger started is seen later (the stub replaced or its queue drained). The queue is never emptied here:
  // the frame may still drain it.
  function loaderRan(stub) {
    var now = window.Intercom;
    if (now !== stub) return true;
    try {
      return stub.booted === true;
    } catch (e) {
      return false;
    }
  }
  function messengerStarted(stub, queuedAtLoad) {
    if (window.Intercom !== stub) return true;
    try {
      var q = stub.q;
      return queuedAtLoad > 0 && (!q || typeof q.length !== "number" || q.length === 0);
    } catch (e) {
      return false;
    }
  }

  function loadWidget(src) {
    if (widget !== "idle") return;
    if (!allowedScript(src)) {
      say("error", "refused to load a script that is not the Intercom widget: " + String(src).slice(0, 100));
      widget = "failed";
      signal("widget", { status: "failed", reason: "refused" });
      return;
    }
    widget = "loading";
    var stub;
    try {
      stub = window.Intercom;
      if (typeof stub !== "function") {
        // Intercom's official queue stub: calls wait in Intercom.q until the Messenger drains them.
        stub = function () { stub.c(arguments); };
        stub.q = [];
        stub.c = function (args) { stub.q.push(args); };
        window.Intercom = stub;
      }
    } catch (e) {
      widget = "failed";
      signal("widget", { status: "failed", reason: "window.Intercom cannot be used on this page (" + String(e && e.message).slice(0, 80) + ")" });
      return;
    }
    var timer = null;
    var poll = null;
    function settled(ok, reason) {
      if (widget !== "loading") return;
      clearTimeout(timer);
      clearTimeout(poll);
      widget = ok ? "loaded" : "failed";
      endInteractionWait(); // the Messenger's own launcher takes over (or, failed, there is nothing to open)
      signal("widget", ok ? { status: "loaded" } : { status: "failed", reason: reason });
    }
    function watchStart(queuedAtLoad) {
      if (widget !== "loading") return;
      if (messengerStarted(stub, queuedAtLoad)) settled(true);
      else poll = setTimeout(function () { watchStart(queuedAtLoad); }, START_POLL_MS);
    }
    function inject() {
      var element = createElement("script");
      element.async = true;
      try {
        element.src = scriptUrl(src);
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
        watchStart(queued);
      };
      element.onerror = function () { settled(false, "script request failed"); };
      (doc("head") || doc("documentElement")).appendChild(element);
      timer = setTimeout(function () { settled(false, "the Messenger did not start within " + widgetTimeoutMs / 1000 + " s"); }, widgetTimeoutMs);
    }
    if (doc("readyState") === "complete") inject();
    else window.addEventListener("load", inject, { once: true });
  }

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

  function redact(args) {
    return args.map(function (arg) {
      if (!arg || typeof arg !== "object" || Array.isArray(arg)) return arg;
      var copy = {};
      Object.keys(arg).forEach(function (key) { put(copy, key, CREDENTIAL_KEYS[key] === 1 ? "[redacted]" : arg[key]); });
      return copy;
    });
  }

  function callIntercom(method, args) {
    if (!INTERCOM_METHODS.hasOwnProperty(method) || !Array.isArray(args)) return;
    if (widget === "failed" || typeof window.Intercom !== "function") return;
    emit("pybridge:log", { level: "call", method: method, args: redact(args) });
    try {
      window.Intercom.apply(window, [method].concat(args));
    } catch (e) {
      say("warn", "Intercom('" + method + "') threw: " + (e && e.message));
    }
  }

  function listen(event) {
    var method = LISTEN_METHODS[event];
    if (!method) return;
    callIntercom(method, [function (value) {
      callbacks[event].forEach(function (fn) {
        try { fn(value); } catch (e) { say("warn", "an intercom.on('" + event + "') callback threw: " + (e && e.message)); }
      });
      if (event !== "unread") signal("messenger", { event: event });
    }]);
  }

  function fireReady() {
    if (readyFired) return;
    readyFired = true;
    readyCallbacks.splice(0).forEach(runReady);
  }
  function runReady(fn) {
    try { fn(); } catch (e) { say("warn", "a ready() callback threw: " + (e && e.message)); }
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
    ["pushState", "replaceState"].forEach(function (name) {
      var original = pageHistory[name];
      pageHistory[name] = function () {
        var result = original.apply(this, arguments);
        try { changed(); } catch (e) { /* never break navigation */ }
        return result;
      };
    });
    window.addEventListener("popstate", changed);
  }

  // Commands are applied in order, in slices of at most ~8 ms, so a burst never becomes a long task on the page.
  var commandQueue = [];
  var commandIndex = 0;
  var draining = false;
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
        say("warn", "could not apply '" + String(command && command.op).slice(0, 20) + "' in this page: " + String(e && e.message).slice(0, 200));
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

  function apply(command) {
    if (!command || typeof command !== "object") return;
    switch (command.op) {
      case "settings":
        if (command.settings && typeof command.settings === "object") window.intercomSettings = command.settings;
        break;
      case "load": loadWidget(command.src); break;
      case "call": callIntercom(command.method, command.args); break;
      case "listen": listen(command.event); break;
      case "log":
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
      case "callback": runCallback(command.id); break;
      case "identity":
        identity = { userId: typeof command.user_id === "string" ? command.user_id : null, traits: command.traits || {} };
        break;
      case "trace": trace(command); break;
      case "export": finishExport(command.id, typeof command.jsonl === "string" ? command.jsonl : ""); break;
      default: /* unknown operations are ignored: the executor only does what it was built to do */
    }
  }

  // ---- the public API -----------------------------------------------------------------------------------------
  // Every entry point is guarded: whatever the page passes (throwing getters, hostile toString), nothing is thrown.
  function guarded(name, fn) {
    return function () {
      try {
        fn.apply(null, arguments);
      } catch (e) {
        say("warn", name + "() failed: " + String(e && e.message).slice(0, 200));
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

  var api = { __pybridge: true, VERSION: VERSION, intercom: {} };
  CALLS.forEach(function (method) {
    api[method] = guarded(method, function () { sendCall(method, arguments, pageContext()); });
  });
  CONTROLS.forEach(function (method) {
    api.intercom[method] = guarded("intercom." + method, function () {
      if (!queueFull()) send({ kind: "control", method: method, args: encodeArgs(arguments) });
    });
  });
  api.intercom.on = guarded("intercom.on", function (event, fn) {
    var known = typeof event === "string" && Object.prototype.hasOwnProperty.call(LISTEN_METHODS, event);
    if (!known || typeof fn !== "function") {
      say("warn", "intercom.on(event, fn): event must be show, hide or unread and fn a function; ignored");
      return;
    }
    callbacks[event].push(fn);
    send({ kind: "listen", event: event });
  });
  api.ready = guarded("ready", function (fn) {
    if (typeof fn !== "function") {
      say("warn", "ready(fn): fn must be a function; ignored");
    } else if (readyFired) {
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
    }
    send({ kind: "consent", granted: granted === true, anonymous_id: anonymousId });
  });
  // Read-only views of who the bridge believes the user is, as analytics.js offers them.
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
  api.debug = function (on) {
    try {
      debugOn = on !== false;
      try {
        if (debugOn) window.sessionStorage.setItem(DEBUG_KEY, "1");
        else window.sessionStorage.removeItem(DEBUG_KEY);
      } catch (e) { /* storage blocked: this page view only */ }
      send({ kind: "debug", on: debugOn });
    } catch (e) { /* never throw */ }
    return api;
  };
  var exports = {};
  var exportSeq = 0;
  api.debug.export = function () {
    return new Promise(function (resolve) {
      var id = ++exportSeq;
      exports[id] = resolve;
      if (state === "failed") finishExport(id, "");
      else send({ kind: "export", id: id });
    });
  };
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
  function replay(entry) {
    try {
      var method = entry && typeof entry === "object" ? entry[0] : undefined;
      if (typeof method !== "string") {
        say("warn", "pybridge.push(): expected [method, ...args]; ignored");
        return;
      }
      // Read at most MAX_ARGS arguments by index: a hostile `length` must not make us walk billions of slots.
      var length = Number(entry.length);
      var args = [];
      for (var i = 1; i <= MAX_ARGS && i < length; i++) args.push(entry[i]);
      if (CALLS.indexOf(method) !== -1) {
        // The snippet captures where and when; the browser facts it leaves out (locale, user agent, timezone) and the
        // anonymous id come from now.
        var context = pageContext();
        var captured = entry.ctx;
        if (captured && typeof captured === "object") {
          CONTEXT_KEYS.forEach(function (key) {
            var value = own(captured, key);
            if (typeof value === "string" || (key === "timestamp" && typeof value === "number")) context[key] = value;
          });
        }
        sendCall(method, args, context);
      } else if (method === "ready" || method === "consent") {
        api[method].apply(api, args);
      } else if (method.indexOf("intercom.") === 0 && CONTROLS.indexOf(method.slice(9)) !== -1) {
        api.intercom[method.slice(9)].apply(api, args);
      } else if (method === "intercom.on") {
        api.intercom.on.apply(api, args);
      } else {
        say("warn", "pybridge.push(): unknown method " + JSON.stringify(method.slice(0, 40)) + "; ignored");
      }
    } catch (e) {
      say("warn", "pybridge.push() failed: " + String(e && e.message).slice(0, 200));
    }
  }

  window.pybridge = api;
  if (Array.isArray(existing)) {
    for (var q = 0; q < existing.length; q++) {
      if (queueFull()) {
        droppedBeforeStart += existing.length - q - 1; // the rest, without encoding each one
        break;
      }
      replay(existing[q]);
    }
  }

  if (configError) {
    say("error", configError + "; py-bridge is disabled on this page (your page keeps working)");
  } else if (BOTS.test(String(navigator.userAgent))) {
    // Intercom's loader ignores crawlers, so nothing would reach Intercom: spare them the runtime download.
    state = "failed";
    say("info", "a crawler user agent: py-bridge stays idle (Intercom's Messenger does not load for bots either)");
  } else if (typeof Worker !== "function") {
    fail("this browser has no Web Workers");
  } else {
    startWhenPolicyAllows();
  }

  // ---- when to start: the load policy ----------------------------------------------------------------------------
  // The runtime is megabytes; the host page's own content comes first. "load" (default) waits for the page's load
  // event, "idle" also for an idle main thread (at most 5 s more), "interaction" for the visitor to reach for the
  // launcher; "eager" starts at once. Save-Data and 2g-class connections get "interaction". Calls made meanwhile
  // are queued as before.
  function loadPolicy() {
    var asked = own(settings, "load");
    var policy = asked === "eager" || asked === "load" || asked === "idle" || asked === "interaction" ? asked : "load";
    var connection = navigator.connection;
    var slow = false;
    try {
      slow = !!connection && (connection.saveData === true || /(^|-)2g$/.test(String(connection.effectiveType)));
    } catch (e) { /* no connection info */ }
    return slow ? "interaction" : policy;
  }

  var startRequested = false;
  function requestStart(reason) {
    if (startRequested || state !== "starting") return;
    startRequested = true;
    preconnect();
    emit("pybridge:log", { level: "debug", message: "starting Python (" + reason + ")" });
    startWorker();
  }

  function afterLoad(fn) {
    if (doc("readyState") === "complete") fn();
    else window.addEventListener("load", function () { fn(); }, { once: true });
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

  // The Messenger's hosts are contacted only once the widget is about to be needed: now.
  function preconnect() {
    if (sandboxUrl) return;
    var region = own(settings, "region");
    var api = region === "eu" ? "https://api-iam.eu.intercom.io" : region === "au" ? "https://api-iam.au.intercom.io" : "https://api-iam.intercom.io";
    ["https://widget.intercom.io", "https://js.intercomcdn.com", api].forEach(function (href) {
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
  var lookAlike = null;
  function waitForInteraction() {
    var selector = own(settings, "widget_id");
    var custom = typeof selector === "string" && selector !== "#IntercomDefaultWidget";
    var hidden = own(settings, "hide_default_launcher") === true || own(settings, "hideDefaultLauncher") === true;
    function trigger(event) {
      var target = event.target;
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
      if (event.type === "click") {
        if (lookAlike) event.preventDefault();
        show();
      }
      requestStart("visitor interaction (" + event.type + ")");
    }
    var kinds = ["pointerover", "focusin", "touchstart", "click"];
    stopWaitingForInteraction = function () {
      kinds.forEach(function (kind) { document.removeEventListener(kind, trigger, true); });
    };
    kinds.forEach(function (kind) { document.addEventListener(kind, trigger, { capture: true, passive: kind !== "click" }); });
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
      style[side] = pixels(own(settings, "horizontal_padding")) + "px";
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
  function pixels(value) {
    return typeof value === "number" && value >= 20 && value <= 2000 ? Math.round(value) : 20;
  }
  var stopWaitingForInteraction = null;
  // The Messenger is up (or failed): its own launcher and click handling take over from ours.
  function endInteractionWait() {
    if (stopWaitingForInteraction) stopWaitingForInteraction();
    stopWaitingForInteraction = null;
    if (lookAlike && lookAlike.parentNode) lookAlike.parentNode.removeChild(lookAlike);
    lookAlike = null;
  }
})();
