// ESLint for the JavaScript that ships or builds the bundle (`make lint-js`, part of `make test`).
//
// Why these rules: a page script lives among the browser's globals. `var history = []` inside embed.js once hid
// `window.history` and SPA page tracking silently did nothing; `no-shadow` with `builtinGlobals` reports any local
// that hides a global of the file's own context (window globals for page code, worker globals for the worker, Node
// globals for the build tool). Types are checked separately by tsc (tsconfig.page/worker/node.json).
import js from "@eslint/js";
import globals from "globals";

/** The scope rules every file gets on top of @eslint/js recommended. */
const scopeRules = {
  "no-shadow": ["error", { builtinGlobals: true }],
  "no-redeclare": ["error", { builtinGlobals: true }],
  "no-implicit-globals": "error",
  "no-undef": "error",
  // `catch (e) {}` that deliberately ignores the error is the house pattern for "never throw into the page".
  "no-unused-vars": ["error", { caughtErrors: "none" }],
};

export default [
  {
    // Only the files listed below are linted; build output and installed packages never are.
    ignores: ["node_modules/", "bench/node_modules/", ".venv/", "static/", "build/", "dist/", "py_bridge/_runtime/"],
  },
  js.configs.recommended,
  {
    // The page runtime: ES modules (bundled into the classic script embed.js) running in the site's window.
    files: ["web/page/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: scopeRules,
  },
  {
    // The Intercom sandbox widget: a classic script (an IIFE) running in the site's window.
    files: ["py_bridge/tools/sandbox/widget.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser } },
    rules: scopeRules,
  },
  {
    // Modules both the page runtime and the worker import: only what every context has.
    files: ["web/shared/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.es2021 } },
    rules: scopeRules,
  },
  {
    // The module worker that starts Pyodide: worker globals (self, postMessage, importScripts...), no window.
    files: ["web/worker/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.worker } },
    rules: scopeRules,
  },
  {
    // Build-time tools run with Node as ES modules (Node's globals without CommonJS `module`/`require`).
    files: ["web/snapshot.mjs", "eslint.config.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.nodeBuiltin } },
    rules: scopeRules,
  },
];
