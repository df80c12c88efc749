/**
 * tsx, registered for the rest of the process: what runs the TypeScript that Node's type stripping
 * cannot (typescript-loader-choice.ts).
 *
 * @module
 */

import nodeModule from "node:module";

/** The slice of `module.registerHooks` (Node 22.15, 23.5) used here. */
type RegisterHooks = (hooks: {
  resolve(
    specifier: string,
    context: { parentURL?: string },
    next: (specifier: string, context: { parentURL?: string }) => { url: string },
  ): { url: string };
}) => unknown;

/** The query parameter that keys a module loaded by tsx after Node failed to load it. */
export const TSX_RETRY_PARAMETER = "mgr-loader";

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

/**
 * `url` with the retry parameter when it names a TypeScript file. JavaScript modules keep their URL:
 * one that the failed attempt loaded never ran (Node runs nothing of a graph that fails to load or link),
 * and one that ran before (mgr's own, a package the config file imported) stays a single instance.
 */
export function withRetryKey(url: string): string {
  if (!/^file:/.test(url)) return url;
  const parsed = new URL(url);
  if (!/\.(?:[cm]?ts|tsx)$/.test(parsed.pathname)) return url;
  if (parsed.searchParams.has(TSX_RETRY_PARAMETER)) return url;
  parsed.searchParams.append(TSX_RETRY_PARAMETER, "tsx");
  return parsed.href;
}
