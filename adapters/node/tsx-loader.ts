/**
 * tsx, registered for the rest of the process: what runs the TypeScript that Node's type stripping
 * cannot (typescript-loader-choice.ts).
 *
 * @module
 */

import nodeModule from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrivateDirectory } from "../../src/runtime/private-directory.ts";
import { withRetryKey } from "./retry-key.ts";

/** The slice of `module.registerHooks` (Node 22.15, 23.5) used here. */
type RegisterHooks = (hooks: {
  resolve(
    specifier: string,
    context: { parentURL?: string },
    next: (specifier: string, context: { parentURL?: string }) => { url: string },
  ): { url: string };
}) => unknown;

let registered = false;
let rekeyed = false;
let cacheChecked = false;

/**
 * Keeps tsx from running code another local user wrote: tsx keeps what it compiled in `tsx-EUID` in
 * the temporary directory, whoever made that directory, and runs what it finds there. Unless the
 * directory is this user's alone (made 0700 here when missing), tsx is told to keep its cache in
 * memory, as it is where the directory cannot be made at all (tsx would fail to load the app).
 * Called before any module hook is registered: Node 20 runs tsx's ESM hooks in a thread that takes a
 * copy of the environment when it starts.
 */
export function keepTsxCachePrivate(): void {
  if (cacheChecked) return;
  cacheChecked = true;
  // tsx names its directory after the effective user id (the user name where there is none).
  const uid = typeof process.geteuid === "function" ? process.geteuid() : undefined;
  if (uid === undefined || process.env.TSX_DISABLE_CACHE) return;
  try {
    ensurePrivateDirectory(join(tmpdir(), `tsx-${uid}`), uid);
  } catch {
    process.env.TSX_DISABLE_CACHE = "1";
  }
}

/**
 * Registers tsx's loaders: both, as the tsx command does, because outside a `"type": "module"` package
 * Node loads a `.ts` file as CommonJS, and only tsx's CommonJS hook compiles its `export` syntax there.
 */
export async function registerTsx(): Promise<void> {
  if (registered) return;
  const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
  if (registered) return;
  cjs.register();
  esm.register();
  registered = true;
}

/**
 * From now on, gives every TypeScript module a URL of its own (`?mgr-loader=tsx`)
 * for tsx to load. After Node failed on a module graph, its loader keeps what it made of those URLs:
 * Node 22 rethrows the failure of a module at the same URL, and every Node links the same module
 * record again, where an import of a type fails the same way. Registered after tsx, so it sees the URL
 * tsx resolved (synchronous hooks run before the asynchronous ones tsx may have registered).
 */
export function rekeyTypeScriptModules(): void {
  if (rekeyed) return;
  rekeyed = true;
  const registerHooks = (nodeModule as unknown as { registerHooks: RegisterHooks }).registerHooks;
  registerHooks({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      return { ...resolved, url: withRetryKey(resolved.url) };
    },
  });
}
