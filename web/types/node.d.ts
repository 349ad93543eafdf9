// The few Node.js APIs web/snapshot.mjs uses (a build-time tool run with Node), declared here so that the type check
// needs no @types/node. Signatures are the subset of Node's own that the tool calls. Checked by tsc, never shipped.

declare module "node:fs" {
  function readFileSync(path: string): Uint8Array;
  function readFileSync(path: string, encoding: "utf8"): string;
  function writeFileSync(path: string, data: string | ArrayBufferView): void;
  const fs: { readFileSync: typeof readFileSync; writeFileSync: typeof writeFileSync };
  export default fs;
}

declare module "node:path" {
  const path: {
    resolve(...segments: string[]): string;
    join(...segments: string[]): string;
    readonly sep: string;
  };
  export default path;
}

declare module "node:url" {
  export function pathToFileURL(path: string): { readonly href: string };
}

declare const process: {
  readonly argv: string[];
  readonly stderr: { write(text: string): boolean };
  exit(code?: number): never;
};
