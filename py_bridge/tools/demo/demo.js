/* py-bridge demo page.
 *
 * Loaded as a plain (blocking) script in <head>, BEFORE the py-bridge tag, so that:
 *   1. the pre-load queue below exists before embed.js runs (calls made early are queued, then replayed);
 *   2. the pybridge:log / pybridge:event listeners are attached before the bridge can emit anything.
 * The DOM is wired up on DOMContentLoaded. No inline scripts, no eval, no innerHTML with data: the page runs under
 * `script-src 'self' 'wasm-unsafe-eval'`.
 */

// ---- the pre-load queue snippet (what a site pastes before the tag) ---------------------------------------------
(function () {
  "use strict";
  var pybridge = (window.pybridge = window.pybridge || []);
  if (pybridge.__pybridge || pybridge.initialized) return; // embed.js already ran, or the snippet is here twice
  pybridge.initialized = true;

  function context() {
    return {
      url: location.href,
      path: location.pathname,
      search: location.search,
      referrer: document.referrer,
      title: document.title,
      timestamp: Date.now()
    };
  }
  function stub(name) {
    return function () {
      var entry = Array.prototype.slice.call(arguments);
      entry.unshift(name);
      entry.ctx = context();
      pybridge.push(entry);
      return pybridge;
    };
  }

  ["page", "identify", "track", "group", "reset", "ready", "consent"].forEach(function (method) {
    pybridge[method] = stub(method);
  });
  pybridge.intercom = {};
  ["show", "hide", "showMessages", "showNewMessage", "showSpace", "showArticle", "startTour", "startSurvey", "on"]
    .forEach(function (method) {
      pybridge.intercom[method] = stub("intercom." + method);
    });
})();

// ---- the demo ---------------------------------------------------------------------------------------------------
(function () {
  "use strict";

  var APP_ID = "demo1234";
  var WORKSPACE_URL = "/sandbox/workspace";
  var POLL_MS = 1500;
  var MAX_LOG_ROWS = 200;
  var READY_TIMEOUT_MS = 30000;
  var UPDATE_LIMIT = 20; // the sandbox widget emulates Intercom's 20 updates per 30 minutes per page load

  var t0 = Date.now();
  var startedMs = null; // from the `started` figures of the bridge's "Python started" log event
  var isReady = false;
  var failed = false;
  var dom = null; // element references once the DOM is there
  var pendingRows = []; // log rows produced before DOMContentLoaded

  // ---- helpers --------------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function json(value) {
    try {
      var text = JSON.stringify(value, function (key, v) {
        return typeof v === "function" ? "[function]" : v;
      });
      // functions are shown as a bare marker, not as a quoted string
      return text === undefined ? String(value) : text.replace(/"\[function\]"/g, "ƒ");
    } catch (e) {
      return String(value);
    }
  }

  function clock(date) {
    var d = date || new Date();
    function pad(n, w) {
      n = String(n);
      while (n.length < (w || 2)) n = "0" + n;
      return n;
    }
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }

  function value(id) {
    var node = document.getElementById(id);
    return node ? String(node.value).trim() : "";
  }

  function isEmpty(object) {
    return !object || Object.keys(object).length === 0;
  }

  // ---- live log ---------------------------------------------------------------------------------------------------

  var LABELS = { page: "page", intercom: "Intercom", event: "event", info: "info", warn: "warn", error: "error", debug: "debug" };

  function log(kind, summary, detail) {
    var row = { kind: LABELS[kind] ? kind : "info", summary: String(summary), detail: detail, time: new Date() };
    if (!dom) {
      pendingRows.push(row);
      return;
    }
    renderRow(row);
  }

  function renderRow(row) {
    var item = el("li", "log-row log-" + row.kind);
    item.appendChild(el("time", "log-time", clock(row.time)));
    item.appendChild(el("span", "tag tag-" + row.kind, LABELS[row.kind]));
    var body = el("span", "log-body");
    body.appendChild(el("span", "log-summary", row.summary));
    if (row.detail !== undefined) body.appendChild(el("code", "log-detail", row.detail));
    item.appendChild(body);
    dom.log.insertBefore(item, dom.log.firstChild);
    while (dom.log.childNodes.length > MAX_LOG_ROWS) dom.log.removeChild(dom.log.lastChild);
    dom.logEmpty.hidden = true;
  }

  /** Calls the page makes: logged, then passed to pybridge (the queue before load, the API after). */
  function pageCall(method) {
    var args = Array.prototype.slice.call(arguments, 1);
    var shown = args.map(json).join(", ");
    log("page", "pybridge." + method + "(" + (shown.length > 400 ? shown.slice(0, 400) + "…" : shown) + ")");
    var target = window.pybridge;
    var parts = method.split(".");
    for (var i = 0; i < parts.length - 1; i++) target = target && target[parts[i]];
    var fn = target && target[parts[parts.length - 1]];
    if (typeof fn !== "function") {
      log("error", "pybridge." + method + " is not available");
      return;
    }
    try {
      fn.apply(target, args);
    } catch (e) {
      log("error", "pybridge." + method + " threw: " + (e && e.message)); // the bridge promises never to throw
    }
  }

  // The bridge reports on window; listen before the tag runs so nothing is missed.
  window.addEventListener("pybridge:log", function (event) {
    var detail = event.detail || {};
    if (detail.level === "call") {
      log("intercom", "Intercom('" + detail.method + "')", Array.isArray(detail.args) && detail.args.length ? json(detail.args) : undefined);
      return;
    }
    var message = String(detail.message);
    if (detail.started && typeof detail.started.ms === "number") {
      startedMs = Math.round(detail.started.ms);
      updateStatus();
    }
    log(detail.level === "warn" || detail.level === "error" || detail.level === "debug" ? detail.level : "info", message);
  });

  window.addEventListener("pybridge:event", function (event) {
    var detail = event.detail || {};
    log("event", String(detail.event), isEmpty(detail.properties) ? undefined : json(detail.properties));
  });

  // ---- status line --------------------------------------------------------------------------------------------------

  function setStatus(kind, text) {
    if (!dom) return;
    dom.status.className = "status status-" + kind;
    dom.statusText.textContent = text;
  }

  function updateStatus() {
    if (failed) return;
    if (isReady) {
      var python = startedMs !== null ? " (Python started in " + startedMs + " ms)" : "";
      setStatus("ready", "Ready in " + (readyAt - t0) + " ms" + python + ". Calls go to Python; the Messenger is the local sandbox.");
    } else if (startedMs !== null) {
      setStatus("starting", "Python started in " + startedMs + " ms; booting the Messenger…");
    } else {
      setStatus("starting", "Starting… loading Python (Pyodide) in a Web Worker");
    }
  }

  var readyAt = null;
  function onReady() {
    if (isReady) return;
    isReady = true;
    failed = false; // late but alive: a timeout message must not stay on screen
    readyAt = Date.now();
    document.documentElement.setAttribute("data-pybridge-ready", "true");
    log("info", "pybridge.ready() fired after " + (readyAt - t0) + " ms");
    updateStatus();
  }

  function checkLoaded() {
    if (isReady) return;
    if (!window.pybridge || !window.pybridge.__pybridge) {
      failed = true;
      setStatus("failed", "py-bridge did not load (/py-bridge/embed.js blocked by an ad blocker or missing?). The page keeps working; calls stay queued.");
      log("error", "embed.js did not run: window.pybridge is still the pre-load queue");
    }
  }

  // ---- calls made before the tag loads: queued by the snippet, replayed by embed.js ---------------------------------

  pageCall("ready", onReady);
  pageCall("intercom.on", "show", function () { log("event", "intercom.on('show') callback: Messenger opened"); });
  pageCall("intercom.on", "hide", function () { log("event", "intercom.on('hide') callback: Messenger closed"); });
  pageCall("intercom.on", "unread", function (count) { log("event", "intercom.on('unread') callback: " + count + " unread"); });
  pageCall("page");

  // ---- forms ------------------------------------------------------------------------------------------------------

  function sendPage() {
    var name = value("page-name");
    var category = value("page-category");
    var properties = { path: location.pathname, url: location.href, title: document.title };
    if (category && name) pageCall("page", category, name, properties);
    else if (name) pageCall("page", name, properties);
    else pageCall("page", properties);
  }

  function sendIdentify() {
    var userId = value("identify-user-id");
    var traits = {};
    if (value("identify-email")) traits.email = value("identify-email");
    if (value("identify-name")) traits.name = value("identify-name");
    if (value("identify-plan")) traits.plan = value("identify-plan");
    if (value("identify-created")) traits.createdAt = value("identify-created"); // "YYYY-MM-DD"; Python converts
    if (value("identify-company-id")) {
      traits.company = { id: value("identify-company-id") };
      if (value("identify-company-name")) traits.company.name = value("identify-company-name");
    }
    var options = {};
    if (value("identify-user-hash")) options.integrations = { Intercom: { user_hash: value("identify-user-hash") } };
    var args = userId ? [userId, traits] : [traits];
    if (!isEmpty(options)) args.push(options);
    pageCall.apply(null, ["identify"].concat(args));
  }

  function sendTrack() {
    var name = value("track-event");
    var properties = {};
    var revenue = value("track-revenue");
    if (revenue !== "") properties.revenue = Number(revenue);
    if (value("track-currency")) properties.currency = value("track-currency");
    if (value("track-key")) properties[value("track-key")] = value("track-value");
    pageCall("track", name, properties);
  }

  function sendGroup() {
    var traits = {};
    if (value("group-name")) traits.name = value("group-name");
    if (value("group-plan")) traits.plan = value("group-plan");
    if (value("group-employees") !== "") traits.employees = Number(value("group-employees"));
    var groupId = value("group-id");
    if (groupId) pageCall("group", groupId, traits);
    else pageCall("group", traits);
  }

  var ACTIONS = {
    "page-send": sendPage,
    "identify-send": sendIdentify,
    "track-send": sendTrack,
    "group-send": sendGroup,
    "reset-send": function () { pageCall("reset"); },
    "messenger-show": function () { pageCall("intercom.show"); },
    "messenger-hide": function () { pageCall("intercom.hide"); },
    "messenger-new-message": function () { pageCall("intercom.showNewMessage", value("messenger-message")); },
    "messenger-space-send": function () { pageCall("intercom.showSpace", value("messenger-space")); }
  };
  // Enter in a field runs the form's main action instead of reloading the page.
  var FORM_ACTIONS = {
    "page-form": "page-send",
    "identify-form": "identify-send",
    "track-form": "track-send",
    "group-form": "group-send",
    "messenger-form": "messenger-new-message"
  };

  // ---- transformations panel --------------------------------------------------------------------------------------
  // The file lives on the demo server (GET serves it to the bridge, POST replaces it); the download link takes it
  // exactly as edited.

  function setUpTransformPanel() {
    var source = document.getElementById("transform-source");
    var status = document.getElementById("transform-status");
    var download = document.getElementById("transform-download");
    if (!source) return;
    var objectUrl = null;
    function refreshDownload() {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(new Blob([source.value], { type: "text/x-python" }));
      download.href = objectUrl;
    }
    fetch("/demo/transform.py", { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (text) { source.value = text; refreshDownload(); })
      .catch(function () { status.textContent = "could not load transform.py"; });
    source.addEventListener("input", refreshDownload);
    document.getElementById("transform-apply").addEventListener("click", function () {
      status.textContent = "Saving…";
      fetch("/demo/transform.py", { method: "POST", body: source.value, headers: { "Content-Type": "text/x-python" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          status.textContent = "Applied: reloading with your transform…";
          location.reload();
        })
        .catch(function (error) { status.textContent = "Not saved (" + error.message + ")"; });
    });
  }

  // ---- workspace panel --------------------------------------------------------------------------------------------

  var pollTimer = null;
  var polling = false;
  var lastRendered = null;

  function section(parent, title, count) {
    var box = el("section", "ws-section");
    var head = el("h3", "ws-title", title);
    if (count !== undefined) head.appendChild(el("span", "count", String(count)));
    box.appendChild(head);
    parent.appendChild(box);
    return box;
  }

  function keyValues(parent, pairs) {
    var list = el("dl", "kv");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") return;
      list.appendChild(el("dt", null, pair[0]));
      list.appendChild(el("dd", null, typeof pair[1] === "object" ? json(pair[1]) : pair[1]));
    });
    if (list.childNodes.length) parent.appendChild(list);
  }

  function contactCard(parent, key, record, companies, kind) {
    var card = el("div", "ws-item");
    var title = el("div", "ws-item-title");
    title.appendChild(el("span", "ws-kind ws-kind-" + kind, kind));
    title.appendChild(el("strong", null, record.name || record.email || record.user_id || key));
    if (record.verified === true) title.appendChild(el("span", "badge badge-ok", "verified" + (record.verified_by ? " (" + record.verified_by + ")" : "")));
    card.appendChild(title);
    var companyNames = (record.companies || []).map(function (id) {
      var company = companies[id];
      return company && company.name ? company.name + " (" + id + ")" : id;
    });
    keyValues(card, [
      ["user_id", record.user_id],
      ["email", record.email],
      ["name", record.name],
      ["anonymous_id", record.anonymous_id],
      ["created_at", typeof record.created_at === "number" ? record.created_at + " (" + new Date(record.created_at * 1000).toISOString().slice(0, 10) + ")" : record.created_at],
      ["custom", isEmpty(record.custom_attributes) ? null : record.custom_attributes],
      ["companies", companyNames.length ? companyNames.join(", ") : null],
      ["converted from", record.converted_from],
      ["ignored", record.ignored && record.ignored.length ? record.ignored.join(", ") : null],
      ["pings", record.pings]
    ]);
    parent.appendChild(card);
  }

  function renderWorkspace(data) {
    var app = (data.apps && data.apps[APP_ID]) || null;
    var budget = readBudget();
    var signature = json([data, budget]);
    if (signature === lastRendered) return;
    lastRendered = signature;

    var root = document.createDocumentFragment();
    var summary = el("div", "ws-summary");
    function stat(label, text, className) {
      var box = el("div", "stat" + (className ? " " + className : ""));
      box.appendChild(el("span", "stat-value", text));
      box.appendChild(el("span", "stat-label", label));
      summary.appendChild(box);
    }
    var rejections = (app ? app.rejections || [] : []).concat(data.rejections || []);
    stat("page views", app ? app.page_views : 0);
    stat("users", app ? Object.keys(app.users || {}).length : 0);
    stat("visitors", app ? Object.keys(app.visitors || {}).length : 0);
    stat("events", app ? (app.events || []).length : 0);
    stat("Messenger opens", app ? app.opens : 0);
    stat("rejections", rejections.length, rejections.length ? "stat-bad" : "stat-ok");
    root.appendChild(summary);

    var meta = el("p", "ws-meta");
    meta.appendChild(document.createTextNode("Identity verification: "));
    meta.appendChild(el("strong", null, data.verification || "off"));
    if (budget) {
      meta.appendChild(document.createTextNode(" · Update budget: "));
      var used = el("strong", budget.rateLimited ? "bad" : null,
        budget.used + " / " + UPDATE_LIMIT + " updates used" + (budget.rateLimited ? ", " + budget.rateLimited + " rate-limited" : ", none rate-limited"));
      meta.appendChild(used);
    } else {
      meta.appendChild(document.createTextNode(" · Update budget: (Messenger not loaded yet)"));
    }
    root.appendChild(meta);

    if (rejections.length) {
      var rej = section(root, "Rejections", rejections.length);
      rej.classList.add("ws-rejections");
      var rejList = el("ul", "ws-list");
      rejections.slice(-20).reverse().forEach(function (item) {
        var li = el("li");
        li.appendChild(el("strong", null, item.endpoint + " → HTTP " + item.status + ": "));
        li.appendChild(document.createTextNode(item.reason));
        rejList.appendChild(li);
      });
      rej.appendChild(rejList);
    }

    if (!app) {
      root.appendChild(el("p", "empty", "No request from app " + APP_ID + " yet (the Messenger boots once Python is ready)."));
    } else {
      var companies = app.companies || {};
      var contacts = section(root, "Users and visitors", Object.keys(app.users || {}).length + Object.keys(app.visitors || {}).length);
      Object.keys(app.users || {}).forEach(function (key) { contactCard(contacts, key, app.users[key], companies, "user"); });
      Object.keys(app.visitors || {}).forEach(function (key) { contactCard(contacts, key, app.visitors[key], companies, "visitor"); });
      if (isEmpty(app.users) && isEmpty(app.visitors)) contacts.appendChild(el("p", "empty", "None yet."));

      var companyBox = section(root, "Companies", Object.keys(companies).length);
      Object.keys(companies).forEach(function (id) {
        var company = companies[id];
        var card = el("div", "ws-item");
        var title = el("div", "ws-item-title");
        title.appendChild(el("span", "ws-kind ws-kind-company", "company"));
        title.appendChild(el("strong", null, company.name || id));
        card.appendChild(title);
        var pairs = [["company_id", company.company_id]];
        ["plan", "size", "monthly_spend", "website", "industry", "created_at"].forEach(function (k) {
          pairs.push([k, company[k]]);
        });
        pairs.push(["custom", isEmpty(company.custom_attributes) ? null : company.custom_attributes]);
        keyValues(card, pairs);
        companyBox.appendChild(card);
      });
      if (isEmpty(companies)) companyBox.appendChild(el("p", "empty", "None yet."));

      var events = app.events || [];
      var eventBox = section(root, "Last events", events.length > 10 ? "10 of " + events.length : events.length);
      var list = el("ul", "ws-list ws-events");
      events.slice(-10).reverse().forEach(function (event) {
        var li = el("li");
        var head = el("div", "ws-event-head");
        head.appendChild(el("strong", null, event.name));
        var when = new Date(event.created_at * 1000);
        head.appendChild(el("span", "muted", " " + (isNaN(when.getTime()) ? "" : clock(when)) + " · " + event.contact_type + " " + event.contact_key));
        li.appendChild(head);
        if (!isEmpty(event.metadata)) li.appendChild(el("code", "ws-metadata", json(event.metadata)));
        if (event.metadata_keys_dropped) li.appendChild(el("span", "bad", " (" + event.metadata_keys_dropped + " metadata keys dropped)"));
        list.appendChild(li);
      });
      if (events.length) eventBox.appendChild(list);
      else eventBox.appendChild(el("p", "empty", "None yet."));
      if (app.events_collapsed) eventBox.appendChild(el("p", "muted", app.events_collapsed + " duplicate event(s) collapsed"));
    }

    while (dom.workspace.firstChild) dom.workspace.removeChild(dom.workspace.firstChild);
    dom.workspace.appendChild(root);
  }

  function readBudget() {
    try {
      var sandbox = window.__intercomSandbox;
      if (!sandbox || typeof sandbox.updateCount !== "number") return null;
      return { used: sandbox.updateCount, rateLimited: Number(sandbox.rateLimitedUpdates) || 0 };
    } catch (e) {
      return null;
    }
  }

  function poll() {
    pollTimer = null;
    if (document.visibilityState !== "visible" || polling) return;
    polling = true;
    fetch(WORKSPACE_URL, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        renderWorkspace(data && typeof data === "object" ? data : {});
        dom.workspaceUpdated.textContent = "updated " + clock();
      })
      .catch(function (e) {
        dom.workspaceUpdated.textContent = "sandbox unreachable (" + (e && e.message) + ")";
      })
      .then(function () {
        polling = false;
        schedule();
      });
  }

  function schedule() {
    if (pollTimer === null && document.visibilityState === "visible") pollTimer = setTimeout(poll, POLL_MS);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      if (pollTimer !== null) clearTimeout(pollTimer);
      pollTimer = null;
      poll();
    } else if (pollTimer !== null) {
      clearTimeout(pollTimer);
      pollTimer = null;
    }
  });

  // ---- wiring -----------------------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    dom = {
      status: document.getElementById("status"),
      statusText: document.getElementById("status-text"),
      log: document.getElementById("log"),
      logEmpty: document.getElementById("log-empty"),
      workspace: document.getElementById("workspace"),
      workspaceUpdated: document.getElementById("workspace-updated")
    };
    pendingRows.splice(0).forEach(renderRow);
    updateStatus();

    Object.keys(ACTIONS).forEach(function (id) {
      var button = document.getElementById(id);
      if (button) button.addEventListener("click", ACTIONS[id]);
    });
    Object.keys(FORM_ACTIONS).forEach(function (id) {
      var form = document.getElementById(id);
      if (!form) return;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        ACTIONS[FORM_ACTIONS[id]]();
      });
    });
    setUpTransformPanel();
    document.getElementById("log-clear").addEventListener("click", function () {
      while (dom.log.firstChild) dom.log.removeChild(dom.log.firstChild);
      dom.logEmpty.hidden = false;
    });
    // The custom launcher is opened by the Messenger itself (data-widget-id); the demo only notes the click.
    document.getElementById("help-button").addEventListener("click", function () {
      log("page", "click on #help-button (custom launcher: the Messenger opens it)");
    });

    poll();
  });

  window.addEventListener("load", function () {
    // embed.js is async: by the load event it has run, unless it was blocked or missing.
    checkLoaded();
    setTimeout(function () {
      if (!isReady && !failed) {
        failed = true;
        setStatus("failed", "py-bridge is not ready after " + READY_TIMEOUT_MS / 1000 + " s; see the browser console. The page keeps working.");
      }
    }, READY_TIMEOUT_MS);
  });
})();
