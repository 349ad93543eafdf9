// The page re-checks what it applies: a boot, update or intercomSettings naming another app, API host or launcher
// than the settings this page parsed is refused, whoever produced it (a transformation's code runs with Python).
import { PROTOCOL } from "../shared/protocol.js";
import { own } from "./dom.js";
import { regionHost } from "./widget-loader.js";

export class PinnedSettings {
  /** @param {import("./tag-config.js").TagConfig} config */
  constructor(config) {
    /** @param {string[]} names the setting and its legacy alias */
    const configured = (names) => names.map((key) => config.get(key)).filter((value) => value !== undefined);
    const launchers = configured(["widget_id", "activator"]);
    /** @type {Record<string, unknown[]>} */
    this.allowed = {
      app_id: configured(["app_id", "appId"]),
      api_base: config.sandboxUrl ? [config.sandboxUrl] : configured(["api_base", "apiBase"]).concat([regionHost(config.settings)]),
      // Only the launcher the site configured; Intercom's default only where the site configured none.
      custom_launcher_selector: launchers.length ? launchers : [PROTOCOL.default_launcher]
    };
  }

  /**
   * The key of a payload that differs from this page's settings, or null when it matches.
   * @param {unknown} payload
   */
  foreignKey(payload) {
    if (!payload || typeof payload !== "object") return null;
    for (const key in this.allowed) {
      if (!Object.prototype.hasOwnProperty.call(this.allowed, key)) continue;
      const value = own(payload, key);
      if (value !== undefined && this.allowed[key].indexOf(value) === -1) return key;
    }
    return null;
  }
}
