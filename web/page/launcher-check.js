// A launcher selector that matches nothing leaves the site's button unbound and says nothing: check once the page
// has loaded, and again a little later for pages that render their button after load, then warn once.
import { PROTOCOL } from "../shared/protocol.js";
import { DOC, afterLoad } from "./dom.js";
import { say } from "./report.js";

/**
 * @param {unknown} selector the widget_id setting
 * @param {() => boolean} stopped the bridge stopped: no warning then
 */
export function checkLauncherAfterLoad(selector, stopped) {
  if (typeof selector !== "string" || selector === PROTOCOL.default_launcher) return;
  /** @param {number} attempt */
  const check = (attempt) => {
    let found = null;
    try {
      found = DOC.querySelector.call(document, selector);
    } catch (e) {
      return; // not a valid selector: Python reports it once started
    }
    if (found || stopped()) return;
    if (attempt === 0) return void setTimeout(() => check(1), 2000);
    say("warn", "the launcher selector " + JSON.stringify(selector.slice(0, 200)) + " (data-widget-id) matches no element on this page; the Messenger opens from Intercom's own launcher only if hide_default_launcher is off");
  };
  afterLoad(() => check(0));
}
