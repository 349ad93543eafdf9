// A look-alike of Intercom's launcher, drawn while the "interaction" policy waits for the visitor to reach for it
// (nothing heavy downloads before). Decoration only: anything that fails leaves no button.
import { DOC, createElement, doc, own } from "./dom.js";

/** @param {unknown} value */
function pixels(value) {
  return typeof value === "number" && value >= 20 && value <= 2000 ? Math.round(value) : 20;
}

/**
 * @param {Record<string, any>} settings alignment, colours and paddings as the Messenger would use them
 * @returns {HTMLButtonElement | null} the button, on the page
 */
export function drawLookAlike(settings) {
  try {
    const button = createElement("button");
    button.type = "button";
    button.setAttribute("aria-label", "Open chat");
    button.setAttribute("data-py-bridge", "launcher");
    const side = own(settings, "alignment") === "left" ? "left" : "right";
    const color = own(settings, "action_color") || own(settings, "background_color");
    const style = button.style;
    style.position = "fixed";
    const inset = pixels(own(settings, "horizontal_padding")) + "px";
    if (side === "left") style.left = inset;
    else style.right = inset;
    style.bottom = pixels(own(settings, "vertical_padding")) + "px";
    style.width = style.height = "48px";
    style.borderRadius = "50%";
    style.border = "0";
    style.cursor = "pointer";
    style.zIndex = "2147483000";
    style.background = typeof color === "string" && /^#[0-9a-fA-F]{3,8}$/.test(color) ? color : "#0057ff";
    style.boxShadow = "0 1px 6px rgba(0,0,0,.06), 0 2px 32px rgba(0,0,0,.16)";
    const svg = DOC.createElementNS.call(document, "http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 28 32");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    const path = DOC.createElementNS.call(document, "http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "#ffffff");
    path.setAttribute("d", "M28 32s-4.7-1.9-8.5-3.3H3.5A3.5 3.5 0 0 1 0 25.2V3.5A3.5 3.5 0 0 1 3.5 0h21A3.5 3.5 0 0 1 28 3.5V32z");
    svg.appendChild(path);
    button.appendChild(svg);
    const body = doc("body");
    if (!body) return null;
    body.appendChild(button);
    return button;
  } catch (e) {
    return null;
  }
}
