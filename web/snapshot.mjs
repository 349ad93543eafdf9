// Build-time tool (run by `py-bridge build` with Node): boots the pinned Pyodide, imports the py-bridge core and
// writes a memory snapshot. A worker that finds the snapshot in its cache starts from it in a fraction of the time.
// Usage: node snapshot.mjs <pyodide dir> <py_bridge.zip> <out file>
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, zipPath, outPath] = process.argv.slice(2);
const indexURL = path.resolve(pyodideDir) + path.sep;
const { loadPyodide } = await import(pathToFileURL(path.join(indexURL, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true, stdout: () => {}, stderr: () => {} });
pyodide.FS.writeFile("/home/pyodide/py_bridge.zip", fs.readFileSync(zipPath));
// Only pure-Python imports may be in a snapshot (no references to JS objects).
pyodide.runPython("import sys\nsys.path.insert(0, '/home/pyodide/py_bridge.zip')\nimport py_bridge.worker");
fs.writeFileSync(outPath, pyodide.makeMemorySnapshot());
