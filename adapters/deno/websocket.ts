/**
 * WebSockets on Deno: apps upgrade with `Deno.upgradeWebSocket(request)` (`upgradeWebSocket` from
 * `hono/deno`), as under `Deno.serve`. mgr wraps that function once in the worker so that every socket
 * it opens counts as long-lived until it closes.
 *
 * @module
 */

import type { ClosableSocket, LongLivedConnections } from "../../src/runtime/long-lived.ts";

interface Upgrade {
  socket: ClosableSocket & EventTarget;
  response: Response;
}
type UpgradeWebSocket = (request: Request, options?: unknown) => Upgrade;

const WRAPPED = Symbol("mgr.countsWebSockets");

/**
 * Why a worker serving each connection with its own server cannot upgrade: that server ends when its
 * connection stops speaking HTTP, and closes the socket with it (measured on Deno 2.9: the client gets
 * a close frame at once).
 */
export const UPGRADE_NEEDS_DENO_SERVE = "this worker serves each connection with its own server, which closes a " +
  "WebSocket as soon as it opens; export `websocket: true` beside `fetch` (`export default { fetch: app.fetch, " +
  "websocket: true }`) and mgr serves this app with Deno.serve";

/**
 * Makes `deno.upgradeWebSocket` count the sockets it opens in `longLived`, once per process; with
 * `refusal`, it throws a TypeError with that text instead of upgrading.
 */
export function countWebSockets(deno: object, longLived: LongLivedConnections, refusal?: string): void {
  const namespace = deno as { upgradeWebSocket?: UpgradeWebSocket & { [WRAPPED]?: true } };
  const original = namespace.upgradeWebSocket;
  if (typeof original !== "function" || original[WRAPPED]) return;
  const counting = Object.assign((request: Request, options?: unknown): Upgrade => {
    if (refusal !== undefined) throw new TypeError(`Cannot upgrade to a WebSocket: ${refusal}`);
    const upgrade = original.call(deno, request, options);
    const { socket } = upgrade;
    socket.addEventListener("open", () => longLived.add(socket), { once: true });
    socket.addEventListener("close", () => longLived.remove(socket), { once: true });
    return upgrade;
  }, { [WRAPPED]: true as const });
  try {
    Object.defineProperty(deno, "upgradeWebSocket", { value: counting, writable: true, configurable: true });
  } catch {
    // A namespace that cannot be changed: the sockets go uncounted, and the drain's grace ends them.
  }
}
