/**
 * tsx, registered for the rest of the process: what runs the TypeScript that Node's type stripping
 * cannot (typescript-loader-choice.ts).
 *
 * @module
 */

import nodeModule from "node:module";
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
