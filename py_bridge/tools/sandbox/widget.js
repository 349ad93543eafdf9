/*
 * Intercom sandbox widget: a local stand-in for the script served at https://widget.intercom.io/widget/<app_id>.
 *
 * Why: the demo and the e2e tests need a Messenger that behaves like Intercom's (queue draining, boot/update/
 * shutdown, the update throttle, identity cookies, launcher and panel, callbacks) while no real Intercom is
 * reachable. It talks to the sandbox Messenger API at `${api_base}/messenger/web/<endpoint>`.
 *
 * Constraints: plain ES2020, no eval or Function constructor, no inline <script>/<style>; styles via element.style and
 * user data only ever through textContent, so it runs under the strict CSP py-bridge recommends. Nothing may
 * throw into the host page: every entry point is wrapped.
 */
(function () {
  "use strict";

  const SCRIPT_APP_ID = "__SANDBOX_APP_ID__";
  const DEFAULT_API_BASE = "https://api-iam.intercom.io";
  const MARK = "__intercomSandboxWidget";
  const UPDATE_LIMIT = 20; // Intercom: 20 update calls per 30 minutes per page load
  const UPDATE_WINDOW_MS = 30 * 60 * 1000;
  const VISITOR_COOKIE_SECONDS = 270 * 24 * 60 * 60; // 9 months
  const SESSION_COOKIE_SECONDS = 7 * 24 * 60 * 60; // 1 week
  const DEVICE_COOKIE_SECONDS = 270 * 24 * 60 * 60;
  const SPACES = ["home", "messages", "help", "news", "tasks", "tickets"];
  const MISSING_HASH_ERROR =
    "Intercom Messenger error: Missing user_hash. A valid user_hash is required to authenticate users when " +
    "Identity Verification is enabled.";
  const LAUNCHER_ID = "intercom-sandbox-launcher";
  const PANEL_ID = "intercom-sandbox-messenger";
  // Sent as separate form fields, never inside user_data.
  const SECRET_KEYS = ["user_hash", "intercom_user_jwt"];

  const FRAME_ID = "intercom-frame";
  // How long the frame bundle takes to arrive and start (ms); negative = never (its CDN blocked). Set per request
  // by the sandbox server (`POST /config {"frame_delay_ms": ...}`) so tests can stretch it.
  const FRAME_DELAY_MS = Number("__SANDBOX_FRAME_DELAY_MS__");
  // The user agents Intercom's loader ignores.
  const BOTS = /bot|googlebot|crawler|spider|robot|crawling|facebookexternalhit/i;

  const w = window;
  const existing = w.Intercom;
  let loaderRan = false;
  try {
    loaderRan = typeof existing === "function" && existing.booted === true;
  } catch (_err) {
    loaderRan = true; // a getter that throws: leave the page alone
  }
  const isBot = BOTS.test(String((w.navigator && w.navigator.userAgent) || ""));

  // ----------------------------------------------------------------------------------------------------------
  // State
  // ----------------------------------------------------------------------------------------------------------

  /** @type {SandboxState} */
  const state = {
    booted: false,
    autoBooted: false,
    bootCount: 0,
    shutdownCount: 0,
    updateCount: 0,
    rateLimitedUpdates: 0,
    calls: [],
    session: null, // merged settings + attributes of the current session
    generation: 0, // bumps on every boot/shutdown so late responses of an old session are ignored
    visitorId: null,
    panelOpen: false,
    unreadCount: 0,
    hideNotifications: false,
    lastContent: null,
    updateWindowStart: null,
    updateWindowCount: 0,
    callbacks: { show: [], hide: [], unread: [], email: [] },
    pending: 0,
    idleWaiters: [],
    requestChain: Promise.resolve(),
    launcher: null,
    badge: null,
    panel: null,
    panelSeq: 0,
    activatorSelector: null,
    clickListenerBound: false,
    frameGeneration: 0,
    frameStarts: 0,
  };

  // ----------------------------------------------------------------------------------------------------------
  // Small helpers
  // ----------------------------------------------------------------------------------------------------------

  /**
   * @param {"debug" | "warn" | "error"} level
   * @param {...unknown} args
   */
  function safeConsole(level, ...args) {
    try {
      const fn = w.console && w.console[level];
      if (typeof fn === "function") fn.apply(w.console, args);
    } catch (_err) {
      // a broken console must not break the page
    }
  }

  /**
   * @param {object} object
   * @param {string} key
   */
  function hasOwn(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  /**
   * @param {unknown} value
   * @returns {value is Record<string, unknown>}
   */
  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  /**
   * JSON-safe deep copy for the calls log and snapshots: functions and cycles become markers.
   * @param {unknown} value
   * @param {unknown[]} [seen]
   * @param {number} [depth]
   * @returns {unknown}
   */
  function jsonSafe(value, seen, depth) {
    seen = seen || [];
    depth = depth || 0;
    if (value === undefined) return null;
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
    if (typeof value === "bigint") return String(value);
    if (typeof value === "function") return "[Function]";
    if (typeof value === "symbol") return String(value);
    if (depth > 20 || seen.indexOf(value) !== -1) return "[Circular]";
    seen.push(value);
    let out;
    if (Array.isArray(value)) {
      out = value.map((item) => jsonSafe(item, seen, depth + 1));
    } else if (value instanceof Date) {
      out = Number.isNaN(value.getTime()) ? null : value.toISOString();
    } else {
      out = {};
      const object = /** @type {Record<string, unknown>} */ (value); // every other type returned above
      for (const key of Object.keys(object)) {
        Object.defineProperty(out, key, {
          value: jsonSafe(object[key], seen, depth + 1), enumerable: true, writable: true, configurable: true,
        });
      }
    }
    seen.pop();
    return out;
  }

  /**
   * Copy of page-supplied settings as JSON would send them: functions and undefined dropped (JSON.stringify
   * semantics), so what we store is exactly what a real widget could transmit.
   * @param {unknown} value
   * @returns {unknown}
   */
  function wireCopy(value) {
    try {
      const text = JSON.stringify(value);
      return text === undefined ? undefined : JSON.parse(text);
    } catch (err) {
      safeConsole("warn", "Intercom: settings could not be serialised", err);
      return undefined;
    }
  }

  function uuid() {
    try {
      if (w.crypto && typeof w.crypto.randomUUID === "function") return w.crypto.randomUUID();
      const bytes = new Uint8Array(16);
      w.crypto.getRandomValues(bytes);
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    } catch (_err) {
      return `v-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    }
  }

  /** @param {string} cookieName */
  function readCookie(cookieName) {
    try {
      const prefix = `${cookieName}=`;
      for (const part of document.cookie.split(";")) {
        const item = part.trim();
        if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
      }
    } catch (_err) {
      // cookies may be blocked (sandboxed iframe): behave as if absent
    }
    return null;
  }

  /**
   * The domains a cookie may be set for, widest first: from the last two labels of the host down to the host
   * itself, then "" (host-only). An IP address or a single-label host (localhost) only has the host-only form.
   */
  function cookieDomains() {
    const host = String((w.location && w.location.hostname) || "");
    const domains = [];
    if (!/^[\d.]+$/.test(host) && host.indexOf(":") === -1 && host.indexOf("[") === -1) {
      const labels = host.split(".");
      for (let i = labels.length - 2; i >= 0; i--) domains.push(labels.slice(i).join("."));
    }
    domains.push("");
    return domains;
  }

  /**
   * The real Messenger keeps its cookies on the site's top-level domain (`.example.com` on www.example.com): set
   * each on the widest domain the browser accepts (a public suffix is refused), else host-only.
   * @param {string} cookieName
   * @param {string} value
   * @param {number} maxAgeSeconds
   */
  function writeCookie(cookieName, value, maxAgeSeconds) {
    try {
      const secure = w.location && w.location.protocol === "https:" ? "; Secure" : "";
      const encoded = encodeURIComponent(value);
      for (const domain of cookieDomains()) {
        const scope = domain ? `; domain=${domain}` : "";
        document.cookie = `${cookieName}=${encoded}; path=/; max-age=${maxAgeSeconds}; SameSite=Lax${secure}${scope}`;
        if (readCookie(cookieName) === value) return;
      }
    } catch (_err) {
      // cookies blocked: the session simply does not persist
    }
  }

  /** @param {string} cookieName */
  function clearCookie(cookieName) {
    try {
      for (const domain of cookieDomains()) {
        document.cookie = `${cookieName}=; path=/; max-age=0; SameSite=Lax${domain ? `; domain=${domain}` : ""}`;
      }
    } catch (_err) {
      // nothing to clear
    }
  }

  function apiBase() {
    const base = state.session && typeof state.session.api_base === "string" ? state.session.api_base : "";
    return (base || DEFAULT_API_BASE).replace(/\/+$/, "");
  }

  function appId() {
    return state.session ? String(state.session.app_id) : SCRIPT_APP_ID;
  }

  function settleIdle() {
    if (state.pending !== 0) return;
    const waiters = state.idleWaiters;
    state.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Every request goes through one promise chain so the sandbox sees them in call order (a trackEvent right
   * after boot must not overtake the boot ping). `pending` counts queued and in-flight requests.
   * @param {string} url
   * @param {RequestInit} init
   * @param {SandboxOnResponse} onResponse
   */
  function request(url, init, onResponse) {
    state.pending += 1;
    const run = () => {
      let started;
      try {
        started = w.fetch(url, Object.assign({ credentials: "omit", mode: "cors", cache: "no-store" }, init));
      } catch (err) {
        started = Promise.reject(err); // fetch missing or throwing synchronously: same path as a network error
      }
      return Promise.resolve(started)
        .then((response) => onResponse(response, null), (error) => onResponse(null, error))
        .catch((err) => safeConsole("warn", "Intercom: response handling failed", err))
        .finally(() => {
          state.pending -= 1;
          settleIdle();
        });
    };
    state.requestChain = state.requestChain.then(run, run);
  }

  /**
   * @param {string} endpoint
   * @param {Record<string, unknown>} fields
   * @param {(response: Response) => void} [onResponse]
   */
  function post(endpoint, fields, onResponse) {
    const body = new URLSearchParams();
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value !== undefined && value !== null) body.append(key, String(value));
    }
    const url = `${apiBase()}/messenger/web/${endpoint}`;
    request(url, { method: "POST", body }, (response, error) => {
      if (error || !response) {
        safeConsole("warn", `Intercom: request to ${endpoint} failed`, String(error instanceof Error && error.message ? error.message : error));
        return;
      }
      if (endpoint === "ping" && response.status === 403) {
        safeConsole("error", MISSING_HASH_ERROR);
      } else if (!response.ok) {
        safeConsole("warn", `Intercom: ${endpoint} answered HTTP ${response.status}`);
      }
      if (onResponse) onResponse(response);
      // Finish the response like a real client does, so the browser sees the request complete.
      else if (response.body && typeof response.body.cancel === "function") response.body.cancel().catch(() => {});
    });
  }

  function identityFields() {
    /** @type {SandboxSession} */
    const s = state.session || {};
    /** @type {Record<string, unknown>} */
    const fields = { app_id: appId(), anonymous_id: state.visitorId };
    if (s.user_id !== undefined && s.user_id !== null) fields.user_id = String(s.user_id);
    if (typeof s.email === "string" && s.email) fields.email = s.email;
    for (const key of SECRET_KEYS) {
      if (typeof s[key] === "string" && s[key]) fields[key] = s[key];
    }
    return fields;
  }

  function isUserSession() {
    /** @type {SandboxSession} */
    const s = state.session || {};
    return (s.user_id !== undefined && s.user_id !== null) || (typeof s.email === "string" && s.email !== "");
  }

  /**
   * @param {boolean} pageImpression
   * @param {string} source
   */
  function ping(pageImpression, source) {
    if (!state.session) return; // pings belong to a booted session
    const userData = {};
    for (const key of Object.keys(state.session)) {
      if (SECRET_KEYS.indexOf(key) === -1) {
        Object.defineProperty(userData, key, { value: state.session[key], enumerable: true, writable: true, configurable: true });
      }
    }
    const fields = identityFields();
    delete fields.user_id; // identity travels inside user_data on pings
    delete fields.email;
    fields.user_data = JSON.stringify(userData);
    fields.page_url = String(w.location && w.location.href);
    fields.page_title = String(document.title || "");
    fields.page_impression = pageImpression ? "1" : "0";
    fields.source = source;
    fields.referer = String(document.referrer || "");
    const generation = state.generation;
    const wasUser = isUserSession();
    post("ping", fields, (response) => {
      if (generation !== state.generation || !response.ok || !wasUser) return;
      const cookieName = `intercom-session-${appId()}`;
      if (!readCookie(cookieName)) writeCookie(cookieName, uuid(), SESSION_COOKIE_SECONDS);
    });
  }

  /**
   * @param {SandboxCallback[]} list
   * @param {...unknown} args
   */
  function fire(list, ...args) {
    for (const fn of list.slice()) {
      try {
        fn(...args);
      } catch (err) {
        safeConsole("error", "Intercom: a callback threw", err);
      }
    }
  }

  // ----------------------------------------------------------------------------------------------------------
  // DOM: launcher, panel, custom launcher
  // ----------------------------------------------------------------------------------------------------------

  /** @param {() => void} fn */
  function whenBody(fn) {
    if (document.body) {
      fn();
    } else {
      document.addEventListener("DOMContentLoaded", () => guarded(fn), { once: true });
    }
  }

  /** @param {() => unknown} fn */
  function guarded(fn) {
    try {
      fn();
    } catch (err) {
      safeConsole("warn", "Intercom sandbox: internal error", err);
    }
  }

  /** @param {unknown} value */
  function padding(value) {
    const n = typeof value === "number" ? value : parseInt(String(value), 10);
    return Number.isFinite(n) ? Math.max(20, Math.round(n)) : 20;
  }

  function zIndex() {
    const z = state.session ? Number(state.session.z_index) : NaN;
    return Number.isFinite(z) ? String(Math.round(z)) : "2147483000";
  }

  function color() {
    /** @type {SandboxSession} */
    const s = state.session || {};
    if (typeof s.action_color === "string" && s.action_color) return s.action_color;
    if (typeof s.background_color === "string" && s.background_color) return s.background_color;
    return "#0057ff";
  }

  /**
   * @param {HTMLElement} el
   * @param {number} extraBottom
   */
  function placeFixed(el, extraBottom) {
    /** @type {SandboxSession} */
    const s = state.session || {};
    const side = s.alignment === "left" ? "left" : "right";
    el.style.position = "fixed";
    el.style.bottom = `${padding(s.vertical_padding) + extraBottom}px`;
    el.style[side] = `${padding(s.horizontal_padding)}px`;
    el.style[side === "left" ? "right" : "left"] = "auto";
    el.style.zIndex = zIndex();
  }

  function renderLauncher() {
    removeLauncher();
    if (!state.booted || !state.session || state.session.hide_default_launcher === true) return;
    whenBody(() => {
      if (!state.booted || !state.session || state.launcher || state.session.hide_default_launcher === true) return;
      const button = document.createElement("button");
      button.id = LAUNCHER_ID;
      button.type = "button";
      button.setAttribute("aria-label", "Open Intercom Messenger");
      placeFixed(button, 0);
      Object.assign(button.style, {
        width: "56px",
        height: "56px",
        borderRadius: "50%",
        border: "none",
        background: color(),
        color: "#ffffff",
        fontSize: "15px",
        fontWeight: "700",
        fontFamily: "system-ui, sans-serif",
        cursor: "pointer",
        boxShadow: "0 4px 16px rgba(0,0,0,0.25)",
      });
      button.textContent = "Chat"; // plain text: headless browsers often lack an emoji font
      const badge = document.createElement("span");
      Object.assign(badge.style, {
        position: "absolute",
        top: "-4px",
        right: "-4px",
        minWidth: "20px",
        height: "20px",
        borderRadius: "10px",
        background: "#e5484d",
        color: "#ffffff",
        fontSize: "12px",
        lineHeight: "20px",
        textAlign: "center",
        fontFamily: "system-ui, sans-serif",
      });
      badge.setAttribute("aria-hidden", "true");
      button.appendChild(badge);
      button.addEventListener("click", (click) => {
        click.stopPropagation();
        guarded(() => (state.panelOpen ? hidePanel() : showPanel({})));
      });
      state.launcher = button;
      state.badge = badge;
      updateBadge();
      document.body.appendChild(button);
    });
  }

  function removeLauncher() {
    if (state.launcher && state.launcher.parentNode) state.launcher.parentNode.removeChild(state.launcher);
    state.launcher = null;
    state.badge = null;
  }

  function updateBadge() {
    if (!state.badge) return;
    const show = state.unreadCount > 0 && !state.hideNotifications;
    state.badge.textContent = show ? String(state.unreadCount) : "";
    state.badge.style.display = show ? "block" : "none";
  }

  function activatorSelector() {
    /** @type {SandboxSession} */
    const s = state.session || {};
    if (typeof s.custom_launcher_selector === "string" && s.custom_launcher_selector.trim()) {
      return s.custom_launcher_selector;
    }
    // Legacy integrations: `widget: {activator: selector}`; Intercom's historic default is #IntercomDefaultWidget.
    if (isPlainObject(s.widget) && typeof s.widget.activator === "string" && s.widget.activator.trim()) {
      return s.widget.activator;
    }
    return "#IntercomDefaultWidget";
  }

  /** @param {MouseEvent} click */
  function onDocumentClick(click) {
    guarded(() => {
      if (!state.booted || !state.activatorSelector) return;
      /** @type {Partial<Element> | null | undefined} */
      let target = click.target;
      if (target && target.nodeType !== 1) target = target.parentElement;
      if (!target || typeof target.closest !== "function") return;
      let hit = null;
      try {
        hit = target.closest(state.activatorSelector);
      } catch (_err) {
        return; // an invalid selector from the page must not throw on every click
      }
      if (hit) showPanel({});
    });
  }

  /** Delegated listener: elements added later match too; reattach_activator re-reads the selector. */
  function bindActivator() {
    state.activatorSelector = activatorSelector();
    if (!state.clickListenerBound) {
      document.addEventListener("click", onDocumentClick, false);
      state.clickListenerBound = true;
    }
  }

  function unbindActivator() {
    state.activatorSelector = null;
    if (state.clickListenerBound) {
      document.removeEventListener("click", onDocumentClick, false);
      state.clickListenerBound = false;
    }
  }

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {unknown} [text]
   * @param {Partial<CSSStyleDeclaration>} [style]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function element(tag, text, style) {
    const el = document.createElement(tag);
    if (text !== undefined && text !== null) el.textContent = String(text);
    if (style) Object.assign(el.style, style);
    return el;
  }

  function contactQuery() {
    /** @type {SandboxSession} */
    const s = state.session || {};
    const params = new URLSearchParams({ app_id: appId() });
    if (s.user_id !== undefined && s.user_id !== null) params.set("user_id", String(s.user_id));
    else if (typeof s.email === "string" && s.email) params.set("email", s.email);
    else params.set("anonymous_id", state.visitorId || "");
    return params.toString();
  }

  /** @param {HTMLElement} container */
  function describeContact(container) {
    /** @type {SandboxSession} */
    const s = state.session || {};
    if (isUserSession()) {
      container.appendChild(element("p", `User: ${s.name ? s.name : "(no name)"}`));
      if (s.user_id !== undefined && s.user_id !== null) container.appendChild(element("p", `user_id: ${s.user_id}`));
      if (s.email) container.appendChild(element("p", `email: ${s.email}`));
    } else {
      container.appendChild(element("p", `Visitor ${state.visitorId}`));
    }
  }

  /**
   * @param {HTMLElement} details
   * @param {Record<string, unknown>} contact the sandbox's JSON answer
   */
  function fillDetails(details, contact) {
    while (details.firstChild) details.removeChild(details.firstChild);
    const companies = Array.isArray(contact.company_details) ? contact.company_details : [];
    details.appendChild(element("h3", "Companies", { fontSize: "14px", margin: "12px 0 4px" }));
    if (companies.length === 0) details.appendChild(element("p", "(none)"));
    for (const company of companies) {
      const label = company.name ? `${company.name} ` : "";
      details.appendChild(element("p", `${label}(${company.company_id})`, { margin: "2px 0" }));
    }
    details.appendChild(element("h3", "Recent events", { fontSize: "14px", margin: "12px 0 4px" }));
    const events = Array.isArray(contact.recent_events) ? contact.recent_events : [];
    if (events.length === 0) details.appendChild(element("p", "(none)"));
    const list = element("ul", null, { margin: "0", paddingLeft: "18px" });
    for (const recent of events) {
      const createdAt = new Date(Number(recent.created_at) * 1000);
      const stamp = Number.isNaN(createdAt.getTime()) ? "" : ` at ${createdAt.toISOString()}`;
      list.appendChild(element("li", `${recent.name}${stamp}`));
    }
    details.appendChild(list);
  }

  /** @param {HTMLElement} details */
  function loadContact(details) {
    const seq = ++state.panelSeq;
    const url = `${apiBase()}/contact?${contactQuery()}`;
    details.appendChild(element("p", "Loading contact…"));
    request(url, { method: "GET" }, (response, error) => {
      if (seq !== state.panelSeq || !state.panel) return;
      if (error || !response || !response.ok) {
        // Only the sandbox has this route; its absence is not an error of the page.
        safeConsole("debug", "Intercom sandbox: contact details unavailable");
        while (details.firstChild) details.removeChild(details.firstChild);
        details.appendChild(element("p", "(contact details unavailable)"));
        return undefined;
      }
      return response.json().then((contact) => {
        if (seq === state.panelSeq && state.panel && isPlainObject(contact)) fillDetails(details, contact);
      });
    });
  }

  /** @param {SandboxView} view */
  function buildPanel(view) {
    const panel = element("div", null, {
      width: "360px",
      maxWidth: "calc(100vw - 40px)",
      maxHeight: "70vh",
      overflowY: "auto",
      background: "#ffffff",
      color: "#1a1a1a",
      borderRadius: "12px",
      boxShadow: "0 8px 32px rgba(0,0,0,0.3)",
      padding: "16px",
      fontFamily: "system-ui, sans-serif",
      fontSize: "14px",
      boxSizing: "border-box",
    });
    panel.id = PANEL_ID;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "Intercom Messenger (sandbox)");
    placeFixed(panel, 72);

    const header = element("div", null, { display: "flex", justifyContent: "space-between", alignItems: "center" });
    header.appendChild(element("h2", "Sandbox Messenger", { fontSize: "16px", margin: "0" }));
    const closeButton = element("button", "\u00d7", {
      border: "none",
      background: "transparent",
      fontSize: "20px",
      cursor: "pointer",
    });
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", "Close Intercom Messenger");
    closeButton.addEventListener("click", () => guarded(hidePanel));
    header.appendChild(closeButton);
    panel.appendChild(header);

    const contact = element("div", null, { marginTop: "8px" });
    contact.setAttribute("data-section", "contact");
    describeContact(contact);
    panel.appendChild(contact);

    const viewLine = element("p", view.label || "Home", { color: "#555", margin: "8px 0" });
    viewLine.setAttribute("data-section", "view");
    panel.appendChild(viewLine);

    if (typeof view.composer === "string") {
      const composer = element("textarea", null, { width: "100%", minHeight: "60px", boxSizing: "border-box" });
      composer.setAttribute("aria-label", "Message");
      composer.value = view.composer;
      panel.appendChild(composer);
    }
    if (typeof view.sent === "string") {
      panel.appendChild(element("p", `You: ${view.sent}`, { background: "#eef", padding: "6px", borderRadius: "6px" }));
    }

    const details = element("div");
    details.setAttribute("data-section", "details");
    panel.appendChild(details);
    loadContact(details);
    return panel;
  }

  /** @param {SandboxView} view */
  function showPanel(view) {
    if (!state.booted) return;
    const wasOpen = state.panelOpen;
    whenBody(() => {
      if (!state.booted) return;
      const panel = buildPanel(view);
      if (state.panel && state.panel.parentNode) state.panel.parentNode.replaceChild(panel, state.panel);
      else document.body.appendChild(panel);
      state.panel = panel;
    });
    if (!wasOpen) {
      state.panelOpen = true;
      post("open", { app_id: appId(), anonymous_id: state.visitorId });
      fire(state.callbacks.show);
    }
  }

  function removePanel() {
    state.panelSeq += 1;
    if (state.panel && state.panel.parentNode) state.panel.parentNode.removeChild(state.panel);
    state.panel = null;
    state.panelOpen = false;
  }

  function hidePanel() {
    if (!state.panelOpen) return;
    removePanel();
    fire(state.callbacks.hide);
  }

  // ----------------------------------------------------------------------------------------------------------
  // API methods
  // ----------------------------------------------------------------------------------------------------------

  /** @param {unknown} id the session's app id */
  function ensureVisitorId(id) {
    const cookieName = `intercom-id-${id}`;
    let visitor = readCookie(cookieName);
    if (!visitor) {
      visitor = uuid();
      writeCookie(cookieName, visitor, VISITOR_COOKIE_SECONDS);
    }
    const device = `intercom-device-id-${id}`;
    if (!readCookie(device)) writeCookie(device, uuid(), DEVICE_COOKIE_SECONDS);
    return visitor;
  }

  /** @param {unknown} settings page input */
  function boot(settings) {
    if (!isPlainObject(settings) || settings.app_id === undefined || settings.app_id === null || settings.app_id === "") {
      safeConsole("error", "Intercom: boot requires settings with an app_id; the call was ignored.");
      return;
    }
    const copy = wireCopy(settings);
    if (!isPlainObject(copy)) return;
    copy.app_id = String(copy.app_id);
    state.generation += 1;
    state.session = copy;
    state.booted = true;
    state.bootCount += 1;
    state.visitorId = ensureVisitorId(copy.app_id);
    if (typeof copy.hide_notifications === "boolean") state.hideNotifications = copy.hide_notifications;
    renderLauncher();
    bindActivator();
    ping(true, "apiBoot");
  }

  /** @param {unknown} arg page input */
  function update(arg) {
    if (!state.booted) return;
    if (arg !== undefined && arg !== null && !isPlainObject(arg)) {
      safeConsole("warn", "Intercom: update expects an object; the call was ignored.");
      return;
    }
    // The throttle window starts with the first update and resets 30 minutes later (boot does not count).
    const now = Date.now();
    if (state.updateWindowStart === null || now - state.updateWindowStart >= UPDATE_WINDOW_MS) {
      state.updateWindowStart = now;
      state.updateWindowCount = 0;
    }
    if (state.updateWindowCount >= UPDATE_LIMIT) {
      state.rateLimitedUpdates += 1;
      safeConsole("warn", "Intercom: rate_limited_update");
      return;
    }
    state.updateWindowCount += 1;
    const changes = arg ? wireCopy(arg) : {};
    const impression = !isPlainObject(changes) || Object.keys(changes).length === 0;
    if (!impression && state.session) {
      const appIdBefore = state.session.app_id;
      for (const key of Object.keys(changes)) {
        // defineProperty: page data named like a prototype member ("toString") stays data under a frozen prototype
        Object.defineProperty(state.session, key, { value: changes[key], enumerable: true, writable: true, configurable: true });
      }
      state.session.app_id = appIdBefore; // a session's app cannot change; boot again for that
      if (typeof changes.hide_notifications === "boolean") {
        state.hideNotifications = changes.hide_notifications;
        updateBadge();
      }
      const ui = ["hide_default_launcher", "alignment", "horizontal_padding", "vertical_padding", "z_index",
        "action_color", "background_color"];
      if (ui.some((key) => key in changes)) renderLauncher();
      if ("custom_launcher_selector" in changes || "widget" in changes) bindActivator();
    }
    state.updateCount += 1;
    ping(impression, "apiUpdate");
  }

  function shutdown() {
    if (!state.booted) return;
    const id = appId();
    // Callbacks go first so closing the panel here does not call onHide: they belong to the ended session.
    state.callbacks = { show: [], hide: [], unread: [], email: [] };
    removePanel();
    removeLauncher();
    unbindActivator();
    clearCookie(`intercom-session-${id}`);
    // A new visitor id, so the next anonymous visitor on this browser is not linked to the user who left.
    clearCookie(`intercom-id-${id}`);
    state.generation += 1;
    state.booted = false;
    state.session = null;
    state.visitorId = null;
    state.unreadCount = 0;
    state.lastContent = null;
    state.shutdownCount += 1;
  }

  /**
   * @param {unknown} eventName page input
   * @param {unknown} metadata page input
   */
  function trackEvent(eventName, metadata) {
    if (!state.booted) return;
    if (typeof eventName !== "string" || eventName.trim() === "") {
      safeConsole("warn", "Intercom: trackEvent needs an event name; the call was ignored.");
      return;
    }
    const meta = metadata === undefined || metadata === null ? {} : wireCopy(metadata);
    if (!isPlainObject(meta)) {
      safeConsole("warn", "Intercom: trackEvent metadata must be an object; the call was ignored.");
      return;
    }
    const fields = identityFields();
    fields.event_name = eventName;
    fields.metadata = JSON.stringify(meta);
    fields.created_at = String(Math.floor(Date.now() / 1000)); // Intercom dates are Unix seconds
    post("events", fields);
  }

  /**
   * @param {string} type
   * @param {unknown} id page input
   * @param {boolean} openPanel
   */
  function content(type, id, openPanel) {
    state.lastContent = { type, id: jsonSafe(id) };
    if (openPanel) showPanel({ label: `${type} ${id === undefined ? "" : String(id)}`.trim() });
  }

  /**
   * @param {"show" | "hide" | "email"} kind
   * @param {unknown} fn page input
   */
  function onCallback(kind, fn) {
    if (typeof fn !== "function") return;
    state.callbacks[kind].push(/** @type {SandboxCallback} */ (fn));
  }

  /** @param {unknown} count */
  function setUnread(count) {
    const n = Number(count);
    state.unreadCount = Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
    updateBadge();
    fire(state.callbacks.unread, state.unreadCount);
  }

  /** @type {Record<string, (...args: unknown[]) => unknown>} every argument is page input */
  const methods = {
    boot,
    update,
    shutdown,
    trackEvent,
    show: () => showPanel({ label: "Home" }),
    hide: hidePanel,
    showMessages: () => showPanel({ label: "Messages" }),
    showNewMessage: (text) => showPanel({ label: "New message", composer: typeof text === "string" ? text : "" }),
    startConversation: (text) => {
      if (typeof text !== "string" || text === "") return;
      showPanel({ label: "Conversation", sent: text });
    },
    showSpace: (space) => {
      if (typeof space !== "string" || SPACES.indexOf(space) === -1) return; // other values do nothing, like Intercom
      content("space", space, false);
      showPanel({ label: `Space: ${space}` });
    },
    showArticle: (id) => content("article", id, true),
    showNews: (id) => content("news", id, true),
    showTicket: (id) => content("ticket", id, true),
    showConversation: (id) => content("conversation", id, true),
    startTour: (id) => content("tour", id, false),
    startSurvey: (id) => content("survey", id, false),
    startChecklist: (id) => content("checklist", id, false),
    hideNotifications: (flag) => {
      state.hideNotifications = flag === true;
      updateBadge();
    },
    getVisitorId: () => (state.booted ? state.visitorId : undefined),
    onShow: (fn) => onCallback("show", fn),
    onHide: (fn) => onCallback("hide", fn),
    onUnreadCountChange: (fn) => {
      if (typeof fn !== "function") return;
      const callback = /** @type {SandboxCallback} */ (fn);
      state.callbacks.unread.push(callback);
      fire([callback], state.unreadCount); // Intercom calls it at once with the current count
    },
    onUserEmailSupplied: (fn) => onCallback("email", fn),
    reattach_activator: bindActivator,
  };

  /** Methods that act even without a session: boot starts one, ready only reports that the script loaded. */
  /** @type {Record<string, (...args: unknown[]) => unknown>} */
  const alwaysAvailable = {
    boot,
    ready: (fn) => {
      if (typeof fn === "function") fire([/** @type {SandboxCallback} */ (fn)]);
    },
  };

  /**
   * @param {unknown} method page input
   * @param {unknown[]} args page input
   */
  function dispatch(method, args) {
    try {
      state.calls.push([String(method), jsonSafe(args)]);
    } catch (_err) {
      // the log is best effort
    }
    if (typeof method !== "string" || !(hasOwn(methods, method) || hasOwn(alwaysAvailable, method))) {
      safeConsole("warn", `Intercom: unknown method ${String(method)}; the call was ignored.`);
      return undefined;
    }
    if (hasOwn(alwaysAvailable, method)) {
      alwaysAvailable[method](...args);
      return undefined;
    }
    if (!state.booted) return undefined; // after shutdown (or before boot) nothing but boot works
    const result = methods[method](...args);
    return method === "getVisitorId" ? result : undefined;
  }

  /**
   * @param {unknown} method page input
   * @param {...unknown} args page input
   */
  function Intercom(method, ...args) {
    try {
      return dispatch(method, args);
    } catch (err) {
      safeConsole("warn", "Intercom sandbox: internal error", err);
      return undefined;
    }
  }
  Object.defineProperty(Intercom, MARK, { value: true });
  // The loader's sign that it ran (wrappers such as Segment's wait for it); not whether a session is booted.
  Object.defineProperty(Intercom, "booted", { value: true, enumerable: true });

  // ----------------------------------------------------------------------------------------------------------
  // Test surface
  // ----------------------------------------------------------------------------------------------------------

  const testApi = {
    get appId() {
      return state.session ? String(state.session.app_id) : SCRIPT_APP_ID;
    },
    get scriptAppId() {
      return SCRIPT_APP_ID;
    },
    get booted() {
      return state.booted;
    },
    get autoBooted() {
      return state.autoBooted;
    },
    get bootCount() {
      return state.bootCount;
    },
    get shutdownCount() {
      return state.shutdownCount;
    },
    get updateCount() {
      return state.updateCount;
    },
    get rateLimitedUpdates() {
      return state.rateLimitedUpdates;
    },
    get calls() {
      return jsonSafe(state.calls);
    },
    get settings() {
      return state.session ? jsonSafe(state.session) : null;
    },
    get visitorId() {
      return state.visitorId;
    },
    get panelOpen() {
      return state.panelOpen;
    },
    get launcherVisible() {
      const el = state.launcher;
      return Boolean(el && el.isConnected && el.style.display !== "none");
    },
    get unreadCount() {
      return state.unreadCount;
    },
    get hideNotifications() {
      return state.hideNotifications;
    },
    get lastContent() {
      return jsonSafe(state.lastContent);
    },
    get frameStarts() {
      return state.frameStarts;
    },
    get apiInstalled() {
      return w.Intercom === Intercom;
    },
    get pendingRequests() {
      return state.pending;
    },
    /** @param {unknown} n */
    simulateUnread(n) {
      guarded(() => {
        if (state.booted) setUnread(n);
      });
    },
    /** @param {unknown} email */
    simulateUserEmailSupplied(email) {
      guarded(() => {
        if (state.booted) fire(state.callbacks.email, email);
      });
    },
    /** @returns {Promise<void>} */
    idle() {
      return new Promise((resolve) => {
        state.idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
  Object.freeze(testApi);
  // Only a copy that acts exposes its state: a second copy or a skipped bot must not hide the first one's.
  if (!isBot && !loaderRan) try {
    Object.defineProperty(w, "__intercomSandbox", { value: testApi, configurable: true, enumerable: false });
  } catch (_err) {
    w.__intercomSandbox = testApi;
  }

  // ----------------------------------------------------------------------------------------------------------
  // The loader, as Intercom's `shim.latest.js` behaves (`docs/intercom-facts.md`, "Loading"): it keeps the page's
  // queue stub (or installs its own), marks it `booted`, adds a hidden #intercom-frame, and only later,
  // asynchronously, the frame bundle drains `Intercom.q` and installs the API. With no `boot` queued at that moment
  // the Messenger boots itself from `window.intercomSettings`.
  // ----------------------------------------------------------------------------------------------------------

  function installStub() {
    const stub = function () {
      stub.c(arguments);
    };
    /** @type {ArrayLike<unknown>[]} */
    stub.q = [];
    /** @param {ArrayLike<unknown>} args */
    stub.c = function (args) {
      stub.q.push(args);
    };
    w.Intercom = stub;
    return stub;
  }

  /** @param {IntercomMessenger} fn */
  function markBooted(fn) {
    try {
      fn.booted = true;
    } catch (_err) {
      // a frozen page function: the frame still drains it
    }
  }

  // Not named frameElement: that is a window global (the element embedding this window).
  function sandboxFrame() {
    const el = document.getElementById(FRAME_ID);
    return el && el.tagName === "IFRAME" ? el : null;
  }

  function removeFrame() {
    state.frameGeneration += 1; // a frame start still waiting belongs to the removed frame
    const el = sandboxFrame();
    if (el && el.parentNode) el.parentNode.removeChild(el);
  }

  function addFrame() {
    if (sandboxFrame()) return;
    const generation = ++state.frameGeneration;
    whenBody(() => {
      if (generation !== state.frameGeneration || sandboxFrame()) return;
      const frame = document.createElement("iframe");
      frame.id = FRAME_ID;
      frame.title = "Intercom";
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      Object.assign(frame.style, { position: "absolute", width: "1px", height: "1px", border: "0", display: "none" });
      document.body.appendChild(frame);
      if (FRAME_DELAY_MS < 0) return; // the frame bundle never arrives (blocked): nothing drains the queue
      setTimeout(() => guarded(() => startFrame(generation)), FRAME_DELAY_MS);
    });
  }

  /** @param {number} generation */
  function startFrame(generation) {
    if (generation !== state.frameGeneration || !sandboxFrame()) return;
    /** @type {unknown[][]} */
    const queued = [];
    try {
      const current = w.Intercom;
      const q = typeof current === "function" && current !== Intercom && Array.isArray(current.q) ? current.q : [];
      for (const entry of q) {
        // The official stub queues `arguments` objects; Segment's old stub queued arrays.
        if (entry && typeof entry === "object" && typeof entry.length === "number") {
          queued.push(Array.prototype.slice.call(entry));
        }
      }
      q.length = 0;
    } catch (err) {
      safeConsole("warn", "Intercom: could not read the queued calls", err);
    }
    w.Intercom = Intercom;
    state.frameStarts += 1;
    guarded(() => {
      const settings = w.intercomSettings;
      const hasBoot = queued.some((entry) => entry[0] === "boot");
      if (!hasBoot && isPlainObject(settings) && settings.app_id) {
        state.autoBooted = true;
        boot(settings); // intercomSettings alone boots the Messenger, before any queued call runs
      }
    });
    for (const entry of queued) {
      if (entry.length === 0) continue;
      Intercom(entry[0], ...entry.slice(1));
    }
  }

  // Turbo / Turbolinks: a visit ends the session and starts over with a fresh stub; a load adds the frame again,
  // which boots from intercomSettings.
  function onVisit() {
    guarded(() => {
      if (typeof w.Intercom === "function") w.Intercom("shutdown");
      try {
        delete w.Intercom;
      } catch (_err) {
        w.Intercom = undefined;
      }
      removeFrame();
      markBooted(installStub());
    });
  }

  // A Turbo/Turbolinks load: the frame comes back if a visit removed it; if it stayed and its Messenger was shut
  // down, it boots again from intercomSettings (observed with Intercom's real loader: issue 15,
  // `docs/intercom-facts.md`, "Loading").
  function onLoad() {
    if (!sandboxFrame()) {
      addFrame();
      return;
    }
    const settings = w.intercomSettings;
    if (w.Intercom === Intercom && !state.booted && isPlainObject(settings) && settings.app_id) {
      state.autoBooted = true;
      boot(settings);
    }
  }

  if (isBot) {
    // The real loader does nothing at all for crawlers: no stub marked, no frame, no Messenger.
  } else if (loaderRan) {
    safeConsole("warn", "Intercom: the Messenger script was included more than once; the second copy does nothing.");
  } else {
    markBooted(typeof existing === "function" ? existing : installStub());
    for (const type of ["turbo:visit", "turbolinks:visit", "page:before-change"]) {
      document.addEventListener(type, onVisit);
    }
    for (const type of ["turbo:before-cache", "turbolinks:before-cache"]) {
      document.addEventListener(type, () => guarded(removeFrame));
    }
    for (const type of ["turbo:load", "turbolinks:load", "page:change"]) {
      document.addEventListener(type, () => guarded(onLoad));
    }
    addFrame();
  }
})();
