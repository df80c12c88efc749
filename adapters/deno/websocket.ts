/**
 * WebSockets on Deno: apps upgrade with `Deno.upgradeWebSocket(request)` (`upgradeWebSocket` from
 * `hono/deno`), as under `Deno.serve`. mgr wraps that function once in the worker so that every socket
 * it opens counts as long-lived until it closes.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";
import type { ClosableSocket, LongLivedConnections } from "../../src/runtime/long-lived.ts";

interface Upgrade {
  socket: ClosableSocket & EventTarget;
  response: Response;
}
type UpgradeWebSocket = (request: Request, options?: unknown) => Upgrade;

const WRAPPED = Symbol("mgr.countsWebSockets");
/** RFC 6455 §7.4.1: a message too big to process. */
const MESSAGE_TOO_BIG = 1009;

/** Bytes of a message as Deno delivers it: text (at least its length in UTF-16 units), or binary. */
function messageSize(data: unknown): number {
  if (typeof data === "string") return data.length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}

/**
 * Why a worker serving each connection with its own server cannot upgrade: that server ends when its
 * connection stops speaking HTTP, and closes the socket with it (measured on Deno 2.9: the client gets
 * a close frame at once).
 */
export const UPGRADE_NEEDS_DENO_SERVE = "this worker serves each connection with its own server, which closes a " +
  "WebSocket as soon as it opens; export `websocket: true` beside `fetch` (`export default { fetch: app.fetch, " +
  "websocket: true }`) and mgr serves this app with Deno.serve";

/**
 * Makes `deno.upgradeWebSocket` count the sockets it opens in `longLived`, once per process, and give
 * them the edge's ping: Deno pings a socket silent for half its `idleTimeout` and closes it when the
 * other half passes without a pong, so `idleTimeout` is the interval and the timeout together. With
 * `refusal`, it throws a TypeError with that text instead of upgrading.
 */
export function countWebSockets(
  deno: object,
  longLived: LongLivedConnections,
  edge: Pick<HttpEdge, "wsMaxSize" | "wsPingIntervalMs" | "wsPingTimeoutMs">,
  refusal?: string,
): void {
  const idleTimeout = edge.wsPingIntervalMs > 0 ? (edge.wsPingIntervalMs + edge.wsPingTimeoutMs) / 1000 : 0;
  const namespace = deno as { upgradeWebSocket?: UpgradeWebSocket & { [WRAPPED]?: true } };
  const original = namespace.upgradeWebSocket;
  if (typeof original !== "function" || original[WRAPPED]) return;
  const counting = Object.assign((request: Request, options?: unknown): Upgrade => {
    if (refusal !== undefined) throw new TypeError(`Cannot upgrade to a WebSocket: ${refusal}`);
    const upgrade = original.call(deno, request, { ...(options as object | undefined), idleTimeout });
    const { socket } = upgrade;
    socket.addEventListener("open", () => longLived.add(socket), { once: true });
    socket.addEventListener("close", () => longLived.remove(socket), { once: true });
    // Deno reads a message of up to 64 MiB whatever it is told: a larger one than the edge allows is
    // refused here, before the app's listeners (added after this one) see it.
    socket.addEventListener("message", (event) => {
      if (messageSize((event as MessageEvent).data) <= edge.wsMaxSize) return;
      event.stopImmediatePropagation();
      socket.close(MESSAGE_TOO_BIG, "message too big");
    });
    return upgrade;
  }, { [WRAPPED]: true as const });
  try {
    Object.defineProperty(deno, "upgradeWebSocket", { value: counting, writable: true, configurable: true });
  } catch {
    // A namespace that cannot be changed: the sockets go uncounted, and the drain's grace ends them.
  }
}
