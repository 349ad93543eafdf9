// The text of anything thrown or rejected, for the one-line messages the bridge reports. Shared by the worker, the
// session relay and the transformation files' fetch (anything may be thrown through Pyodide or the network).

/**
 * The text of anything thrown or rejected (an Error, a Pyodide PythonError, a DOMException, a plain value).
 * @param {unknown} error
 */
export function errorText(error) {
  return String((error && /** @type {{ message?: unknown }} */ (error).message) || error);
}
