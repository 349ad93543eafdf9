// Trusted Types: one policy, "py-bridge", that only ever vouches for the widget script and our worker. On a page
// whose CSP enforces Trusted Types, script URLs must come from a policy; on others the URLs pass as they are.

export class ScriptUrls {
  /** @param {(src: unknown) => boolean} allowedScript the Messenger scripts this page may load */
  constructor(allowedScript) {
    /** @type {Record<string, boolean>} URLs of our worker (set just before it is created) */
    this.trusted = {};
    /** @type {TrustedTypePolicy | null} */
    this.policy = null;
    try {
      if (window.trustedTypes && typeof window.trustedTypes.createPolicy === "function") {
        this.policy = window.trustedTypes.createPolicy("py-bridge", {
          createScriptURL: (url) => {
            if (this.trusted[url] === true || allowedScript(url)) return url;
            throw new TypeError("py-bridge: refused script URL");
          }
        });
      }
    } catch (e) { /* the CSP names other policies only: enforcement will refuse our URLs and we report it */ }
  }

  /** @param {string} url our own worker's URL, trusted from now on */
  trust(url) {
    this.trusted[url] = true;
  }

  /**
   * The URL as a TrustedScriptURL where the page has Trusted Types. Typed as a string: script sinks (Worker,
   * script.src) accept both, but TypeScript's DOM library does not know Trusted Types.
   * @param {string} url
   * @returns {string}
   */
  sign(url) {
    return this.policy ? /** @type {string} */ (/** @type {unknown} */ (this.policy.createScriptURL(url))) : url;
  }
}
