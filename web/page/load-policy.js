// When to start Python: the load policy. The runtime is megabytes; the host page's own content comes first. "load"
// (default) waits for the page's load event, "idle" also for an idle main thread (at most 5 s more), "interaction"
// for the visitor to reach for the launcher; "eager" starts at once. Save-Data and 2g-class connections get
// "interaction". Calls made meanwhile are queued by the link as before. On a PyScript page Python is already there:
// the in-page transport starts at once.
//
// "interaction": nothing heavy until the visitor hovers, focuses or clicks the launcher. Without a launcher of the
// site's own (a custom widget_id selector) or hide_default_launcher, a look-alike launcher is drawn; a click on
// either is replayed as intercom.show() once the Messenger is up. A Messenger control call starts it too.
import { PROTOCOL } from "../shared/protocol.js";
import { afterLoad, on } from "./dom.js";
import { drawLookAlike } from "./look-alike.js";

/** @param {import("./tag-config.js").TagConfig} config */
export function loadPolicy(config) {
  if (config.pagePython) return "eager"; // a PyScript page's Python is already loaded: nothing to download
  const asked = config.get("load");
  const policy = PROTOCOL.load_policies.indexOf(asked) !== -1 ? asked : PROTOCOL.default_load;
  const connection = navigator.connection;
  let slow = false;
  try {
    slow = !!connection && (connection.saveData === true || /(^|-)2g$/.test(String(connection.effectiveType)));
  } catch (e) { /* no connection info */ }
  return slow ? "interaction" : policy;
}

export class StartPolicy {
  /**
   * @param {import("./tag-config.js").TagConfig} config
   * @param {import("./link.js").PythonLink} link
   * @param {Record<string, Function>} controls pybridge.intercom: the visitor's way to the Messenger
   */
  constructor(config, link, controls) {
    this.config = config;
    this.link = link;
    this.controls = controls;
    /** @type {HTMLButtonElement | null} */
    this.lookAlike = null;
    /** @type {(() => void) | null} */
    this.stopWaiting = null;
  }

  startWhenPolicyAllows() {
    const policy = loadPolicy(this.config);
    /** @param {string} reason */
    const start = (reason) => this.link.requestStart(reason);
    if (policy === "eager") {
      start("eager");
    } else if (policy === "load") {
      afterLoad(() => start("after the page's load event"));
    } else if (policy === "idle") {
      afterLoad(() => {
        if (typeof window.requestIdleCallback === "function") {
          window.requestIdleCallback(() => start("idle"), { timeout: 5000 });
        } else {
          setTimeout(() => start("idle (timer)"), 1000);
        }
      });
    } else {
      this.waitForInteraction();
    }
  }

  waitForInteraction() {
    const selector = this.config.get("widget_id");
    const custom = typeof selector === "string" && selector !== PROTOCOL.default_launcher;
    const hidden = this.config.get("hide_default_launcher") === true || this.config.get("hideDefaultLauncher") === true;
    const controls = this.controls;
    const show = controls.show;
    /** @param {Event} happening */
    const trigger = (happening) => {
      const target = happening.target;
      if (custom) {
        try {
          if (!(target instanceof Element) || !target.closest(selector)) return;
        } catch (e) {
          return; // an invalid selector: Python reports it once started
        }
      } else if (!this.lookAlike || !(target instanceof Node) || !this.lookAlike.contains(target)) {
        return;
      }
      // Hover or focus starts the downloads; a click (until the Messenger is up) is also replayed as show().
      if (happening.type === "click") {
        if (this.lookAlike) happening.preventDefault();
        show();
      }
      this.link.requestStart("visitor interaction (" + happening.type + ")");
    };
    const kinds = ["pointerover", "focusin", "touchstart", "click"];
    this.stopWaiting = () => {
      kinds.forEach((kind) => EventTarget.prototype.removeEventListener.call(document, kind, trigger, true));
    };
    kinds.forEach((kind) => on(document, kind, trigger, { capture: true, passive: kind !== "click" }));
    PROTOCOL.controls.forEach((method) => {
      const control = controls[method];
      controls[method] = (/** @type {unknown[]} */ ...args) => {
        const result = control.apply(null, args);
        this.link.requestStart("intercom." + method + "()");
        return result;
      };
    });
    if (!custom && !hidden) {
      afterLoad(() => {
        if (!this.link.startRequested && !this.lookAlike) this.lookAlike = drawLookAlike(this.config.settings);
      });
    }
  }

  /** The Messenger is up (or failed, or consent refused): its own launcher and click handling take over from ours. */
  endInteractionWait() {
    if (this.stopWaiting) this.stopWaiting();
    this.stopWaiting = null;
    if (this.lookAlike && this.lookAlike.parentNode) this.lookAlike.parentNode.removeChild(this.lookAlike);
    this.lookAlike = null;
  }
}
