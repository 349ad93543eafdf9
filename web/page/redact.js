// What the page shows of Intercom calls (the `pybridge:log` call events): a copy with every credential value
// replaced, in any spelling (case, `-`, `_` and spaces ignored) and at any depth.
import { PROTOCOL } from "../shared/protocol.js";
import { put } from "./dom.js";

/** @param {string} key */
const bare = (key) => String(key).toLowerCase().replace(/[-_\s]/g, "");
const SECRETS = PROTOCOL.credential_keys.map(bare);

/**
 * @param {unknown} value
 * @param {number} [depth]
 * @returns {unknown}
 */
export function redact(value, depth) {
  const level = depth || 0;
  if (!value || typeof value !== "object") return value;
  if (level > PROTOCOL.limits.max_depth) return "[too deep]";
  if (Array.isArray(value)) return value.map((item) => redact(item, level + 1));
  const object = /** @type {Record<string, unknown>} */ (value);
  const copy = {};
  Object.keys(object).forEach((key) => {
    put(copy, key, SECRETS.indexOf(bare(key)) !== -1 ? "[redacted]" : redact(object[key], level + 1));
  });
  return copy;
}
