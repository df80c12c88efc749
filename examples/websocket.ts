/**
 * A WebSocket echo with Hono, the same file on every runtime: `npx mgr examples/websocket.ts`, then
 * open ws://127.0.0.1:8000/ws. Each runtime's Hono helper is chosen where the app starts:
 * - Bun: `upgradeWebSocket` and `websocket` from `hono/bun`; mgr hands `websocket` to `Bun.serve`.
 * - Deno: `upgradeWebSocket` from `hono/deno` (it calls `Deno.upgradeWebSocket`), and `websocket: true`,
 *   which has mgr serve the app with `Deno.serve`, the Deno server that keeps an upgraded connection.
 * - Node: `upgradeWebSocket` from `@hono/node-server`, and `websocket: { server }`, a ws
 *   `WebSocketServer` with `noServer: true` (`npm install ws`).
 * A worker that drains (reload, recycle, stop) closes its sockets with 1001 just before
 * `--graceful-timeout`; clients reconnect to the workers that stay.
 */
import { Hono } from "hono";
import type { UpgradeWebSocket } from "hono/ws";

const { upgradeWebSocket, websocket } = await webSocketHelpers();

const app = new Hono();

app.get("/", (c) => c.text("WebSocket echo at /ws\n"));

app.get(
  "/ws",
  upgradeWebSocket(() => ({
    onMessage(event, socket) {
      socket.send(String(event.data));
    },
  })),
);

export default { fetch: app.fetch, websocket };

/** Hono's `upgradeWebSocket` for the runtime this runs on, and what mgr needs exported as `websocket`. */
export async function webSocketHelpers(): Promise<{ upgradeWebSocket: UpgradeWebSocket; websocket: object | true }> {
  if ("Bun" in globalThis) {
    const { upgradeWebSocket, websocket } = await import("hono/bun");
    return { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket, websocket };
  }
  if ("Deno" in globalThis) {
    const { upgradeWebSocket } = await import("hono/deno");
    return { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket, websocket: true };
  }
  const { upgradeWebSocket } = await import("@hono/node-server");
  const { WebSocketServer } = await import("ws");
  return { upgradeWebSocket: upgradeWebSocket as UpgradeWebSocket, websocket: { server: new WebSocketServer({ noServer: true }) } };
}
