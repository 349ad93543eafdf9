// Safe access to the page: its document, its elements and the objects it hands us. A host page may clobber
// `document.<name>` with named elements, pollute Object.prototype, replace Promise or throw from getters; every
// other module reaches the page through these helpers, so none of that reaches or breaks the tag.

// Named elements shadow `document.<name>` (DOM clobbering: `<img name="currentScript">` injected by a comment
// box). Read the document's own properties through the prototype getters, never through `document.<name>`.
export const DOC = Document.prototype;

/**
 * @param {string} property
 * @returns {any} the getter's value (an element, a string: the caller knows which property it asked for)
 */
export function doc(property) {
  try {
    const descriptor = Object.getOwnPropertyDescriptor(DOC, property);
    return descriptor && descriptor.get ? descriptor.get.call(document) : undefined;
  } catch (e) {
    return undefined;
  }
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @returns {HTMLElementTagNameMap[K]}
 */
export function createElement(tag) {
  return /** @type {HTMLElementTagNameMap[K]} */ (DOC.createElement.call(document, tag));
}

/** The element new scripts and hints go into: the head, else the root element. */
export function head() {
  return /** @type {HTMLElement} */ (doc("head") || doc("documentElement"));
}

/**
 * addEventListener through EventTarget's prototype: `<img name="addEventListener">` shadows document's and
 * window's own (DOM clobbering), and the interaction policy must still start.
 * @param {EventTarget} target
 * @param {string} type
 * @param {(happening: Event) => void} listener
 * @param {AddEventListenerOptions} [options]
 */
export function on(target, type, listener, options) {
  EventTarget.prototype.addEventListener.call(target, type, listener, options);
}

/**
 * Run fn once the page's load event has passed (at once if it has).
 * @param {() => void} fn
 */
export function afterLoad(fn) {
  if (doc("readyState") === "complete") fn();
  else on(window, "load", () => fn(), { once: true });
}

/**
 * An own property of page input (never one inherited from a polluted prototype).
 * @param {unknown} object
 * @param {string} key
 * @returns {any} page input: checked by the caller before use
 */
export function own(object, key) {
  return object && Object.prototype.hasOwnProperty.call(object, key) ? /** @type {any} */ (object)[key] : undefined;
}

/**
 * defineProperty: a key such as "__proto__" or "toString" stays plain data, even with a frozen Object.prototype.
 * @param {object} object
 * @param {string} key
 * @param {unknown} value
 */
export function put(object, key, value) {
  Object.defineProperty(object, key, { value: value, enumerable: true, writable: true, configurable: true });
}

/** @param {unknown} value */
export function text(value) {
  return typeof value === "string" ? value : "";
}

/**
 * What `error && error.message` gives, for a thrown value of any type.
 * @param {unknown} error
 */
export function messageOf(error) {
  return error && /** @type {{ message?: unknown }} */ (error).message;
}

// A page that replaced window.Promise must not stop the bridge: microtasks through queueMicrotask, else a timer.
const nativeMicrotask = typeof queueMicrotask === "function" ? queueMicrotask : null;
/** @param {() => void} fn */
export function later(fn) {
  try {
    if (nativeMicrotask) return nativeMicrotask.call(window, fn);
  } catch (e) { /* fall through */ }
  setTimeout(fn, 0);
}
