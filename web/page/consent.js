// The page's own record of the visitor's answer, set the moment pybridge.consent() is called. Commands that reach
// Intercom are applied only while it says "granted": whatever Python sends (decided before a withdrawal, or from a
// state a transformation forged), nothing reaches Intercom after a refusal.
import { say } from "./report.js";

export class ConsentAnswer {
  /**
   * @param {boolean} required the site requires consent (settings.consent.required)
   * @param {{ debug: boolean }} config debug mode says what was not applied
   */
  constructor(required, config) {
    this.config = config;
    /** @type {"pending" | "granted" | "denied"} */
    this.answer = required ? "pending" : "granted";
  }

  /** @param {string} what for the debug line */
  allows(what) {
    if (this.answer === "granted") return true;
    if (this.config.debug) say("debug", what + " not applied: consent is " + this.answer);
    return false;
  }
}
