// Intercom's Messenger script: loaded when Python says so (its `load` command) or, where the settings allow it, while
// Python starts (early-widget.js); only from Intercom's widget host (or the local sandbox) for a well-formed App ID,
// only while consent allows it, and watched until the Messenger has started.
//
// Intercom's loader keeps the page's queue stub, marks it `booted` and drains `Intercom.q` later, from its frame,
// where it also installs the API. So the script's `load` event only says whether the loader ran; that the
// Messenger started is seen later (the stub replaced or its queue drained). The queue is never emptied here: the
// frame may still drain it.
import { PROTOCOL } from "../shared/protocol.js";
import { createElement, doc, head, messageOf, on, own } from "./dom.js";
import { say } from "./report.js";

const WIDGET_PREFIX = PROTOCOL.widget_origin + "/widget/";
export const APP_ID = new RegExp("^(?:" + PROTOCOL.app_id_pattern + ")$");

/**
 * The API host of the configured region (the US one for none, or for an unknown one: Python reports it).
 * @param {Record<string, any>} settings
 */
export function regionHost(settings) {
  return own(PROTOCOL.region_hosts, String(own(settings, "region") || "us")) || PROTOCOL.region_hosts.us;
}

/**
 * @param {string | null} sandboxUrl
 * @returns {(src: unknown) => boolean} whether src is a Messenger script this page may load
 */
export function widgetScripts(sandboxUrl) {
  return (src) => {
    if (typeof src !== "string") return false;
    if (src.indexOf(WIDGET_PREFIX) === 0) return APP_ID.test(src.slice(WIDGET_PREFIX.length));
    if (sandboxUrl && src.indexOf(sandboxUrl + "/widget/") === 0) return APP_ID.test(src.slice(sandboxUrl.length + 8));
    return false;
  };
}

/** @param {IntercomMessenger} stub */
function loaderRan(stub) {
  if (window.Intercom !== stub) return true;
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
    const q = stub.q;
    return queuedAtLoad > 0 && (!q || typeof q.length !== "number" || q.length === 0);
  } catch (e) {
    return false;
  }
}

/**
 * @typedef {"idle" | "loading" | "late" | "loaded" | "failed"} WidgetStatus late: missed widget_timeout_ms, still
 *   watched for late_messenger_ms
 * @typedef {{ signal(name: string, data: Record<string, unknown>): void, settled(): void, allowed(): boolean }}
 *   WidgetHooks signal: tell Python the status; settled: the Messenger is up, failed or late (the look-alike
 *   launcher goes); allowed: consent still allows Intercom when the script is about to be injected
 */

export class WidgetLoader {
  /**
   * @param {import("./tag-config.js").TagConfig} config
   * @param {import("./trusted-types.js").ScriptUrls} urls
   * @param {(src: unknown) => boolean} allowedScript
   * @param {WidgetHooks} hooks
   * @param {import("./timeline.js").Timeline} timeline
   */
  constructor(config, urls, allowedScript, hooks, timeline) {
    this.config = config;
    this.timeline = timeline;
    this.urls = urls;
    this.allowedScript = allowedScript;
    this.hooks = hooks;
    /** @type {WidgetStatus} */
    this.status = "idle";
    /** Whether Python asked for the script (its `load` command): until then what became of it is kept, not told. */
    this.asked = false;
    /** @type {Array<Record<string, unknown>>} the widget signals kept for Python until it asks */
    this.untold = [];
    /** @type {unknown} the script started (by Python's `load` or early) */
    this.src = null;
  }

  /**
   * Python's `load` command. A script the page already started (preload) is not loaded twice: Python is told
   * what became of it so far, and the rest as it happens.
   * @param {unknown} src
   */
  load(src) {
    this.asked = true;
    this.untold.splice(0).forEach((data) => this.hooks.signal("widget", data));
    if (this.status !== "idle" && src !== this.src) {
      // The script started early is Python's own formula (early-widget.js): another URL is a worker not to be obeyed.
      say("error", "refused to load " + (this.allowedScript(src) ? "a second Messenger script: " : "a script that is not the Intercom widget: ") + String(src).slice(0, 100));
      return;
    }
    this.start(src);
  }

  /**
   * The Messenger's script while Python starts (the settings allow it: early-widget.js). Intercom's own load then
   * overlaps Python's start; its frame starts and waits, since nothing boots it before Python's `boot` (no
   * intercomSettings, no queued call).
   * @param {string} src
   */
  preload(src) {
    this.start(src);
  }

  /** @param {Record<string, unknown>} data */
  tell(data) {
    if (this.asked) this.hooks.signal("widget", data);
    else this.untold.push(data);
  }

  /** @param {unknown} src */
  start(src) {
    if (this.status !== "idle") return;
    if (!this.allowedScript(src)) {
      say("error", "refused to load a script that is not the Intercom widget: " + String(src).slice(0, 100));
      this.status = "failed";
      this.tell({ status: "failed", reason: "refused" });
      return;
    }
    this.status = "loading";
    this.src = src;
    this.preconnect(); // the frame bundle and the API host follow the widget script
    /** @type {any} window.Intercom as the page left it (any value), or the queue stub installed below */
    let stub;
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
      this.status = "failed";
      this.tell({ status: "failed", reason: "window.Intercom cannot be used on this page (" + String(messageOf(e)).slice(0, 80) + ")" });
      return;
    }
    const inject = () => this.inject(/** @type {string} */ (src), stub);
    if (doc("readyState") === "complete") inject();
    else on(window, "load", inject, { once: true });
  }

  /**
   * @param {string} src an allowed script
   * @param {IntercomMessenger} stub
   */
  inject(src, stub) {
    if (!this.hooks.allowed()) {
      // Consent refused between the decision and the page's load event: Intercom is not contacted, and a later
      // consent (with Python's `load`) may start the script again.
      this.status = "idle";
      return;
    }
    const widgetTimeoutMs = this.config.widgetTimeoutMs;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let poll;
    let lateUntil = 0;
    let lateWatch = false; // the script's load event came: watchStart polls for the Messenger's start
    /**
     * @param {boolean} ok
     * @param {string} [reason]
     */
    const settled = (ok, reason) => {
      if (this.status !== "loading" && this.status !== "late") return;
      clearTimeout(timer);
      clearTimeout(poll);
      const late = this.status === "late";
      this.status = ok ? "loaded" : "failed";
      if (ok) this.timeline.mark("messenger_started");
      this.hooks.settled(); // the Messenger's own launcher takes over (or, failed, there is nothing to open)
      this.tell(ok ? (late ? { status: "loaded", late: true } : { status: "loaded" }) : { status: "failed", reason: reason });
    };
    /** @param {number} queuedAtLoad */
    const watchStart = (queuedAtLoad) => {
      if (this.status !== "loading" && this.status !== "late") return;
      if (messengerStarted(stub, queuedAtLoad)) return settled(true);
      if (this.status === "late" && Date.now() >= lateUntil) {
        return settled(false, "no Messenger started within " + PROTOCOL.late_messenger_ms / 60000 + " minutes after widget_timeout_ms");
      }
      poll = setTimeout(() => watchStart(queuedAtLoad), this.status === "late" ? PROTOCOL.late_poll_ms : PROTOCOL.start_poll_ms);
    };
    const element = createElement("script");
    element.async = true;
    try {
      element.src = this.urls.sign(src);
    } catch (e) {
      settled(false, "Trusted Types refused the widget script (add the policy name to your CSP: trusted-types py-bridge)");
      return;
    }
    element.onload = () => {
      if (!loaderRan(stub)) {
        settled(false, "the script loaded but the Intercom loader did not run (it skips bots, or the script is not the Messenger)");
        return;
      }
      let queued = 0;
      try { queued = stub.q && typeof stub.q.length === "number" ? stub.q.length : 0; } catch (e) { /* hostile */ }
      lateWatch = true;
      clearTimeout(poll);
      watchStart(queued);
    };
    element.onerror = () => settled(false, "script request failed");
    head().appendChild(element);
    this.timeline.mark("widget_requested");
    timer = setTimeout(() => {
      if (this.status !== "loading") return;
      // A slow link may still bring the Messenger: Python keeps the calls made meanwhile for it (status "late")
      // while the page watches for its start, up to late_messenger_ms; the script's load event starts the watch
      // if it has not yet arrived.
      this.status = "late";
      lateUntil = Date.now() + PROTOCOL.late_messenger_ms;
      this.hooks.settled();
      this.tell({ status: "late", reason: "the Messenger did not start within " + widgetTimeoutMs / 1000 + " s" });
      if (!lateWatch) poll = setTimeout(() => settled(false, "the widget script did not arrive within " + PROTOCOL.late_messenger_ms / 60000 + " minutes after widget_timeout_ms"), PROTOCOL.late_messenger_ms);
    }, widgetTimeoutMs);
  }

  // Connection hints for the Messenger's hosts, added only when the script starts (Python's `load`, or early where
  // the settings allow it) and consent allows it: before that not even a preconnect may tell Intercom this visitor
  // exists.
  preconnect() {
    if (this.config.sandboxUrl) return;
    [PROTOCOL.widget_origin, PROTOCOL.intercom_cdn, regionHost(this.config.settings)].forEach((href) => {
      try {
        const link = createElement("link");
        link.rel = "preconnect";
        link.href = href;
        link.crossOrigin = "anonymous";
        head().appendChild(link);
      } catch (e) { /* a hint only */ }
    });
  }
}
