// Whatever the page passes becomes plain, bounded, cloneable data before it crosses to Python. Functions,
// Symbols, cycles and the like become {"$pybridge": kind} markers that Python drops with a warning (the kinds:
// py_bridge/protocol.py MARKERS).
import { PROTOCOL } from "../shared/protocol.js";
import { put } from "./dom.js";

const LIMITS = PROTOCOL.limits;

/**
 * @param {unknown} value page input
 * @param {number} depth
 * @param {Set<unknown>} seen
 * @param {EncodeBudget} budget
 * @returns {unknown} plain data (undefined stays undefined: the caller decides)
 */
export function encode(value, depth, seen, budget) {
  try {
    if (--budget.nodes < 0) return { $pybridge: "too_large" };
    switch (typeof value) {
      case "string": {
        const keep = Math.min(value.length, LIMITS.max_string, budget.chars);
        if (keep <= 0 && value.length > 0) return { $pybridge: "too_large" };
        budget.chars -= keep;
        return keep < value.length ? value.slice(0, keep) : value;
      }
      case "number": return isFinite(value) ? value : { $pybridge: "number", value: String(value) };
      case "boolean": return value;
      case "undefined": return undefined;
      case "bigint": return { $pybridge: "bigint", value: value.toString() };
      case "function":
      case "symbol": return { $pybridge: "unsupported", type: typeof value };
    }
    if (value === null) return null;
    if (value instanceof Date) return { $pybridge: "date", ms: isNaN(value.getTime()) ? null : value.getTime() };
    // Typed arrays, buffers, Maps and Sets: enumerating them costs their whole size and carries nothing Intercom keeps.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) {
      return { $pybridge: "unsupported", type: "binary_or_collection" };
    }
    if (depth >= LIMITS.max_depth) return { $pybridge: "too_deep" };
    if (seen.has(value)) return { $pybridge: "circular" };
    seen.add(value);
    const out = Array.isArray(value) ? encodeArray(value, depth, seen, budget) : encodeObject(/** @type {object} */ (value), depth, seen, budget);
    seen.delete(value);
    return out;
  } catch (e) {
    return { $pybridge: "unsupported", type: "object" };
  }
}

/**
 * @param {unknown[]} value
 * @param {number} depth
 * @param {Set<unknown>} seen
 * @param {EncodeBudget} budget
 */
function encodeArray(value, depth, seen, budget) {
  const out = [];
  const itemCount = Math.min(value.length, LIMITS.max_items);
  for (let i = 0; i < itemCount; i++) {
    const item = encode(value[i], depth + 1, seen, budget);
    out.push(item === undefined ? null : item);
  }
  return out;
}

/**
 * @param {object} value
 * @param {number} depth
 * @param {Set<unknown>} seen
 * @param {EncodeBudget} budget
 */
function encodeObject(value, depth, seen, budget) {
  const out = {};
  const keys = Object.keys(value);
  for (let k = 0; k < keys.length && k <= LIMITS.max_items; k++) {
    const key = keys[k];
    // Keys are bounded like values: a long key is dropped (and charged), never carried to Intercom.
    budget.chars -= Math.min(key.length, LIMITS.max_key + 1);
    if (key.length > LIMITS.max_key || budget.chars < 0) {
      budget.droppedKeys++;
      continue;
    }
    const encoded = encode(/** @type {Record<string, unknown>} */ (value)[key], depth + 1, seen, budget);
    if (encoded !== undefined) put(out, key, encoded);
  }
  return out;
}

/**
 * A call's arguments. Per call, at most max_nodes values and max_chars characters cross to Python: shared
 * references can make a small object graph enormous when walked as a tree, and that walk must never freeze the page.
 * @param {ArrayLike<unknown>} args page input (a call's arguments)
 * @param {((fn: unknown) => number) | null} registerCallback the first function is the call's callback (its id
 *   travels instead), or null: no callback
 * @param {(message: string) => void} warnDroppedKeys said when keys were dropped (once per page: the caller's)
 */
export function encodeArgs(args, registerCallback, warnDroppedKeys) {
  const out = [];
  /** @type {EncodeBudget} */
  const budget = { nodes: LIMITS.max_nodes, chars: LIMITS.max_chars, droppedKeys: 0 };
  const count = Math.min(args.length, LIMITS.max_args);
  let callbackTaken = !registerCallback;
  for (let i = 0; i < count; i++) {
    if (registerCallback && !callbackTaken && typeof args[i] === "function") {
      callbackTaken = true;
      out.push({ $pybridge: "callback", id: registerCallback(args[i]) });
      continue;
    }
    const item = encode(args[i], 0, new Set(), budget);
    out.push(item === undefined ? { $pybridge: "undefined" } : item);
  }
  if (budget.droppedKeys) warnDroppedKeys("object keys longer than " + LIMITS.max_key + " characters (or past the per-call size bound) were dropped");
  return out;
}
