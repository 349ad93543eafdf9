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
  var CALLS = ["page", "identify", "track", "group", "reset"];
  var LISTEN_METHODS = { show: "onShow", hide: "onHide", unread: "onUnreadCountChange" };
  var CREDENTIAL_KEYS = { user_hash: 1, intercom_user_jwt: 1 };
  var MAX_STRING = 10000;
  var MAX_ITEMS = 1000;
  var MAX_DEPTH = 32;
  var MAX_NODES = 20000;
  var MAX_CHARS = 1000000;
  var DEFAULT_MAX_QUEUE = 10000;
  var DEFAULT_START_TIMEOUT_MS = 20000;
  var WIDGET_TIMEOUT_MS = 30000;
  var WATCHDOG_MS = 15000;
  var ANON_KEY = "pybridge.anonymous_id";

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
  if (existing && existing.__pybridge) {
    say("warn", "embed.js is included more than once on this page; the first copy stays in charge");
    return;
  }

  // ---- configuration from the tag ------------------------------------------------------------------------------
  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[src*='embed.js'][data-app-id]");
    script = candidates.length ? candidates[candidates.length - 1] : null;
  }
  var base = script && script.src ? new URL(".", script.src).href : null;
  var settings = {};
  var configError = null;
  if (!base) configError = "could not find its own <script> tag; load embed.js with a src attribute";
  if (script && script.getAttribute("data-settings")) {
    try {
      var parsed = JSON.parse(script.getAttribute("data-settings"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) settings = parsed;
      else configError = "data-settings must be a JSON object";
    } catch (e) {
      configError = "data-settings is not valid JSON";
    }
  }
  if (script && script.hasAttribute("data-app-id")) settings.app_id = script.getAttribute("data-app-id");
  if (script && script.hasAttribute("data-widget-id")) settings.widget_id = script.getAttribute("data-widget-id");

  function boundedInt(value, fallback, low, high) {
    return typeof value === "number" && value % 1 === 0 && value >= low && value <= high ? value : fallback;
  }
  var maxQueue = boundedInt(settings.max_queue, DEFAULT_MAX_QUEUE, 1, 100000);
  var startTimeoutMs = boundedInt(settings.start_timeout_ms, DEFAULT_START_TIMEOUT_MS, 1000, 120000);
  var consentRequired = !!(settings.consent && settings.consent.required === true);

  // The sandbox (a local Intercom emulator) is only ever enabled explicitly, and only on this machine.
  var sandboxUrl = null;
  if (typeof settings.sandbox_url === "string") {
    try {
      var sandbox = new URL(settings.sandbox_url, location.href);
      if (/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(sandbox.hostname) && /^https?:$/.test(sandbox.protocol)) {
        sandboxUrl = sandbox.href.replace(/\/+$/, "");
        settings.sandbox_url = sandboxUrl;
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
  function loadAnonymousId() {
    try {
      var stored = storageAllowed && window.localStorage.getItem(ANON_KEY);
      if (stored && /^[\w-]{8,64}$/.test(stored)) return stored;
    } catch (e) { /* storage blocked: keep it in memory */ }
    return uuid();
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
      url: location.href, path: location.pathname, search: location.search, referrer: document.referrer,
      title: document.title, timestamp: Date.now(), locale: navigator.language || null,
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
      if (depth >= MAX_DEPTH) return { $pybridge: "too_deep" };
      if (seen.has(value)) return { $pybridge: "circular" };
      seen.add(value);
      var out;
      if (Array.isArray(value)) {
        out = [];
        for (var i = 0; i < value.length && i < MAX_ITEMS; i++) {
          var item = encode(value[i], depth + 1, seen, budget);
          out.push(item === undefined ? null : item);
        }
      } else {
        out = {};
        var keys = Object.keys(value);
        for (var k = 0; k < keys.length && k <= MAX_ITEMS; k++) {
          var encoded = encode(value[keys[k]], depth + 1, seen, budget);
          // defineProperty: a "__proto__" key stays data and never changes out's prototype
          if (encoded !== undefined) {
            Object.defineProperty(out, keys[k], { value: encoded, enumerable: true, writable: true, configurable: true });
          }
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
    return { nodes: MAX_NODES, chars: MAX_CHARS };
  }
  function encodeArgs(args) {
    var out = [];
    var budget = newBudget();
    for (var i = 0; i < args.length && i < 8; i++) {
      var item = encode(args[i], 0, new Set(), budget);
      out.push(item === undefined ? { $pybridge: "undefined" } : item);
    }
    return out;
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
      if (pending.length >= maxQueue) {
        if (droppedBeforeStart++ === 0) {
          say("warn", "pre-start queue is full (" + maxQueue + " calls, setting max_queue); further calls are dropped until Python starts");
        }
        return;
      }
      pending.push(item);
      return;
    }
    outbox.push(item);
    if (!flushQueued) {
      flushQueued = true;
      Promise.resolve().then(flush);
    }
  }

  function post(message) {
    message.seq = ++seq;
    worker.postMessage(message);
    if (!watchdog) armWatchdog();
  }

  function armWatchdog() {
    watchdog = setTimeout(function () {
      watchdog = null;
      if (acked < seq) fail("the py-bridge worker stopped responding (crashed or killed)");
    }, Math.min(WATCHDOG_MS, startTimeoutMs));
  }

  function flush() {
    flushQueued = false;
    if (state !== "running" || !outbox.length) return;
    var items = outbox;
    outbox = [];
    post({ type: "batch", items: items });
  }

  function onWorkerMessage(event) {
    var message = event.data;
    if (!message || typeof message !== "object" || state === "failed") return;
    switch (message.type) {
      case "started":
        clearTimeout(startTimer);
        state = "running";
        var items = pending;
        pending = [];
        if (droppedBeforeStart) say("warn", droppedBeforeStart + " call(s) were dropped before Python started (pre-start queue bound " + maxQueue + ")");
        post({ type: "init", settings: settings, env: environment(), items: items });
        emit("pybridge:log", {
          level: "info",
          message: "Python started in " + message.ms + " ms" + (message.mode === "snapshot" ? " (from snapshot)" : "")
        });
        break;
      case "ack":
        if (typeof message.seq === "number" && message.seq > acked) acked = message.seq;
        clearTimeout(watchdog);
        watchdog = null;
        if (acked < seq) armWatchdog();
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

  function environment() {
    var selectorValid = true;
    if (typeof settings.widget_id === "string") {
      try {
        document.createDocumentFragment().querySelector(settings.widget_id);
      } catch (e) {
        selectorValid = false;
      }
    }
    return { native_intercom: nativeIntercom, selector_valid: selectorValid };
  }

  function startWorker() {
    var url = new URL("worker.mjs", base).href;
    try {
      if (new URL(url).origin === location.origin) {
        worker = new Worker(url, { type: "module", name: "py-bridge" });
      } else {
        // A worker script must be same-origin with the page: a blob: module worker imports the bundle instead.
        var blobUrl = URL.createObjectURL(new Blob(["import " + JSON.stringify(url) + ";\n"], { type: "text/javascript" }));
        worker = new Worker(blobUrl, { type: "module", name: "py-bridge" });
        setTimeout(function () { URL.revokeObjectURL(blobUrl); }, 60000);
      }
    } catch (e) {
      fail("could not start its worker (" + (e && e.name) + "; check the Content-Security-Policy worker-src)");
      return;
    }
    worker.onmessage = onWorkerMessage;
    var saveData = !!(navigator.connection && navigator.connection.saveData);
    worker.postMessage({ type: "config", snapshot: settings.fast_start !== false && !saveData });
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

  // ---- executor: the only things Python can make happen in the page ------------------------------------------
  var nativeIntercom = typeof window.Intercom === "function";
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

  function loadWidget(src) {
    if (widget !== "idle") return;
    if (!allowedScript(src)) {
      say("error", "refused to load a script that is not the Intercom widget: " + String(src).slice(0, 100));
      widget = "failed";
      signal("widget", { status: "failed", reason: "refused" });
      return;
    }
    widget = "loading";
    var stub = window.Intercom;
    if (typeof stub !== "function") {
      // Intercom's official queue stub: calls wait in Intercom.q until the widget drains them.
      stub = function () { stub.c(arguments); };
      stub.q = [];
      stub.c = function (args) { stub.q.push(args); };
      window.Intercom = stub;
    }
    var timer = null;
    function settled(ok, reason) {
      if (widget !== "loading") return;
      clearTimeout(timer);
      widget = ok ? "loaded" : "failed";
      if (!ok && window.Intercom === stub) stub.q = []; // nothing will ever drain it
      signal("widget", ok ? { status: "loaded" } : { status: "failed", reason: reason });
    }
    function inject() {
      var element = document.createElement("script");
      element.async = true;
      element.src = src;
      element.onload = function () {
        settled(window.Intercom !== stub, "the script ran but did not start the Messenger");
      };
      element.onerror = function () { settled(false, "script request failed"); };
      (document.head || document.documentElement).appendChild(element);
      timer = setTimeout(function () { settled(false, "timed out"); }, WIDGET_TIMEOUT_MS);
    }
    if (document.readyState === "complete") inject();
    else window.addEventListener("load", inject, { once: true });
  }

  function redact(args) {
    return args.map(function (arg) {
      if (!arg || typeof arg !== "object" || Array.isArray(arg)) return arg;
      var copy = {};
      Object.keys(arg).forEach(function (key) { copy[key] = CREDENTIAL_KEYS[key] ? "[redacted]" : arg[key]; });
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
    ["pushState", "replaceState"].forEach(function (name) {
      var original = history[name];
      history[name] = function () {
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
      apply(commandQueue[commandIndex++]);
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
        if (level !== "debug" || settings.debug === true) say(level, String(command.message).slice(0, 2000));
        emit("pybridge:log", { level: level, message: String(command.message).slice(0, 2000) });
        break;
      case "ready": fireReady(); break;
      case "emit":
        emit("pybridge:event", { event: String(command.event), properties: command.properties || {} });
        break;
      case "watch_pages": watchPages(); break;
      case "stop": fail("not started (see the error above)"); break;
      default: /* unknown operations are ignored: the executor only does what it was built to do */
    }
  }

  // ---- the public API -----------------------------------------------------------------------------------------
  function call(method) {
    return function () {
      try {
        var context = pageContext();
        if (method === "reset") {
          anonymousId = uuid();
          try { window.localStorage.removeItem(ANON_KEY); } catch (e) { /* storage blocked */ }
          saveAnonymousId();
        }
        send({ kind: "call", method: method, args: encodeArgs(arguments), context: context });
      } catch (e) {
        say("warn", method + "() failed to queue: " + (e && e.message));
      }
      return api;
    };
  }

  var api = { __pybridge: true, VERSION: VERSION, intercom: {} };
  CALLS.forEach(function (method) { api[method] = call(method); });
  CONTROLS.forEach(function (method) {
    api.intercom[method] = function () {
      try { send({ kind: "control", method: method, args: encodeArgs(arguments) }); } catch (e) { /* never throw */ }
      return api;
    };
  });
  api.intercom.on = function (event, fn) {
    if (!LISTEN_METHODS[event] || typeof fn !== "function") {
      say("warn", "intercom.on(event, fn): event must be show, hide or unread and fn a function; ignored");
      return api;
    }
    callbacks[event].push(fn);
    send({ kind: "listen", event: event });
    return api;
  };
  api.ready = function (fn) {
    if (typeof fn !== "function") {
      say("warn", "ready(fn): fn must be a function; ignored");
    } else if (readyFired) {
      setTimeout(function () { runReady(fn); }, 0);
    } else {
      readyCallbacks.push(fn);
    }
    return api;
  };
  api.consent = function (granted) {
    if (granted === true) {
      storageAllowed = true;
      saveAnonymousId();
    }
    send({ kind: "consent", granted: granted === true });
    return api;
  };
  // Calls pushed as arrays after load keep working, like analytics.js.
  api.push = function (entry) {
    replay(entry);
    return api;
  };

  function replay(entry) {
    try {
      if (!entry || typeof entry.length !== "number" || typeof entry[0] !== "string") {
        say("warn", "pybridge.push(): expected [method, ...args]; ignored");
        return;
      }
      var method = entry[0];
      var args = Array.prototype.slice.call(entry, 1);
      if (CALLS.indexOf(method) !== -1) {
        var context = entry.ctx && typeof entry.ctx === "object" ? entry.ctx : pageContext();
        context.anonymous_id = anonymousId;
        if (method === "reset") call("reset")();
        else send({ kind: "call", method: method, args: encodeArgs(args), context: encode(context, 0, new Set(), newBudget()) });
      } else if (method === "ready" || method === "consent") {
        api[method].apply(api, args);
      } else if (method.indexOf("intercom.") === 0 && api.intercom[method.slice(9)]) {
        api.intercom[method.slice(9)].apply(api, args);
      } else {
        say("warn", "pybridge.push(): unknown method " + JSON.stringify(method.slice(0, 40)) + "; ignored");
      }
    } catch (e) {
      say("warn", "pybridge.push() failed: " + (e && e.message));
    }
  }

  window.pybridge = api;
  if (Array.isArray(existing)) existing.forEach(replay);

  if (configError) {
    say("error", configError + "; py-bridge is disabled on this page (your page keeps working)");
  } else if (typeof Worker !== "function") {
    fail("this browser has no Web Workers");
  } else {
    startWorker();
  }
})();
