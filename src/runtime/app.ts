/**
 * The app contract: what a module must export for mgr to serve it, and how it is loaded.
 *
 * @module
 */

import { parseAppReference } from "./app-reference.ts";

/** A Web-standard fetch handler, the shape Hono apps, `deno serve` and `Bun.serve` share. */
export type FetchHandler = (request: Request, info?: unknown) => Response | Promise<Response>;

/** Optional lifecycle: run inside each worker, before it serves and after it has drained. */
export type LifecycleHook = () => void | Promise<void>;

/** A loaded app, ready to serve. */
export interface LoadedApp {
  fetch: FetchHandler;
  setup?: LifecycleHook;
  teardown?: LifecycleHook;
  /**
   * The app's WebSocket handlers, exported beside `fetch` as `websocket` (or from the module): on Bun,
   * the handlers `Bun.serve` takes (`websocket` from `hono/bun`); on Node, `{ server }`, a ws
   * `WebSocketServer` made with `noServer: true`, as `@hono/node-server`'s `serve()` takes; on Deno,
   * `true`, which makes the worker serve with `Deno.serve`, the server that can keep a socket
   * `Deno.upgradeWebSocket` (`hono/deno`) opened.
   */
  websocket?: object | true;
}

/**
 * Imports the app module and finds its fetch handler: the default export (or the named one in
 * `app.ts:name`), either an object with a `fetch` method (a Hono app, `{ fetch }`) or a bare function.
 * `setup` and `teardown` are taken from the module's own exports, or else from the handler object.
 *
 * @throws {TypeError} when the module has no usable handler, with a message that says what to export.
 */
export async function loadApp(reference: string, importModule: (url: string) => Promise<unknown>): Promise<LoadedApp> {
  const { path, exportName } = parseAppReference(reference);
  const module = unwrapCommonJs(await importModule(toFileUrl(path)));
  const exported = module[exportName];
  const where = exportName === "default" ? "default export" : `export \`${exportName}\``;
  if (exported === undefined) {
    throw new TypeError(
      `Cannot serve ${path}: it has no ${where}. Export a fetch handler, e.g. \`export default app\` ` +
        `for a Hono app or \`export default { fetch(request) { return new Response("ok") } }\``,
    );
  }
  const handlerObject = typeof exported === "object" && exported !== null
    ? exported as Record<string, unknown>
    : undefined;
  let fetch: FetchHandler;
  if (typeof exported === "function") {
    fetch = exported as FetchHandler;
  } else if (handlerObject && typeof handlerObject.fetch === "function") {
    const method = handlerObject.fetch as FetchHandler;
    fetch = (request, info) => method.call(handlerObject, request, info);
  } else {
    throw new TypeError(
      `Cannot serve ${path}: its ${where} is not a fetch handler (got ${describe(exported)}). ` +
        "Export an object with a `fetch(request)` method, such as a Hono app, or a function `(request) => Response`",
    );
  }
  return {
    fetch,
    setup: lifecycle("setup", module, handlerObject, path),
    teardown: lifecycle("teardown", module, handlerObject, path),
    websocket: websocketHandlers(module, handlerObject, path),
  };
}

function websocketHandlers(
  module: Record<string, unknown>,
  handlerObject: Record<string, unknown> | undefined,
  path: string,
): object | true | undefined {
  const handlers = module.websocket ?? handlerObject?.websocket;
  if (handlers === undefined) return undefined;
  if (handlers !== true && (typeof handlers !== "object" || handlers === null)) {
    throw new TypeError(
      `Cannot serve ${path}: \`websocket\` must be Bun's WebSocket handlers, \`{ server }\` with a ws ` +
        `WebSocketServer on Node, or true on Deno; got ${handlers === null ? "null" : `a ${typeof handlers}`}`,
    );
  }
  return handlers;
}

function lifecycle(
  name: "setup" | "teardown",
  module: Record<string, unknown>,
  handlerObject: Record<string, unknown> | undefined,
  path: string,
): LifecycleHook | undefined {
  const fromModule = module[name];
  const hook = fromModule !== undefined ? fromModule : handlerObject?.[name];
  if (hook === undefined) return undefined;
  if (typeof hook !== "function") {
    throw new TypeError(`Cannot serve ${path}: \`${name}\` must be a function, got ${describe(hook)}`);
  }
  return () => (hook as LifecycleHook).call(fromModule !== undefined ? module : handlerObject);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object without a fetch method" : `a ${typeof value}`;
}

/**
 * The exports of an imported module. A TypeScript module that Node compiled to CommonJS (there is no
 * `"type": "module"` package around it) arrives wrapped: its exports sit under `default`, marked
 * `__esModule`. Unwrapped, it reads like the ES module it was written as.
 */
export function unwrapCommonJs(imported: unknown): Record<string, unknown> {
  const module = imported as Record<string, unknown>;
  const inner = module.default as Record<string, unknown> | undefined;
  return typeof inner === "object" && inner !== null && inner.__esModule === true ? inner : module;
}

/** Turns an absolute path into a `file:` URL, percent-encoding what a URL cannot hold as is. */
export function toFileUrl(path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `file://${encoded.startsWith("/") ? "" : "/"}${encoded}`;
}
