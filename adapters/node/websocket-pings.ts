/**
 * Pings for the WebSockets of a Node worker, as Uvicorn does (ws does none of its own): a socket that
 * has received nothing for `wsPingIntervalMs` is pinged, and one whose ping has gone unanswered for
 * `wsPingTimeoutMs` is terminated (its close is then 1006 to the client, as a dead peer's is). One
 * sweep for all of a worker's sockets, not a timer each.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";

/** What of a ws `WebSocket` the pings use. */
export interface PingableSocket {
  ping(): void;
  terminate(): void;
  on(event: "message" | "pong", listener: () => void): void;
  once(event: "close", listener: () => void): void;
}

interface Watched {
  /** When something last arrived from the client. */
  heardAt: number;
  /** When the unanswered ping went out, if one is out. */
  pingedAt?: number;
}

/** Pings the sockets it is given; `now` and the timer functions are the clock's. */
export class WebSocketPings {
  readonly #sockets = new Map<PingableSocket, Watched>();
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #sweepEveryMs: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(edge: Pick<HttpEdge, "wsPingIntervalMs" | "wsPingTimeoutMs">, readonly now: () => number = Date.now) {
    this.#intervalMs = edge.wsPingIntervalMs;
    this.#timeoutMs = edge.wsPingTimeoutMs;
    // A ping or a close comes at most a quarter of the shorter bound late.
    this.#sweepEveryMs = Math.max(50, Math.min(this.#intervalMs, this.#timeoutMs || this.#intervalMs) / 4);
  }

  /** Watches `socket` until it closes. */
  watch(socket: PingableSocket): void {
    if (this.#intervalMs <= 0) return;
    const watched: Watched = { heardAt: this.now() };
    const heard = () => {
      watched.heardAt = this.now();
      watched.pingedAt = undefined;
    };
    socket.on("message", heard);
    socket.on("pong", heard);
    socket.once("close", () => {
      this.#sockets.delete(socket);
      if (this.#sockets.size === 0) this.#stop();
    });
    this.#sockets.set(socket, watched);
    this.#sweeper ??= setInterval(() => this.sweep(), this.#sweepEveryMs);
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  /** Pings the sockets silent for the interval, and terminates those whose ping timed out. */
  sweep(): void {
    const now = this.now();
    for (const [socket, watched] of this.#sockets) {
      if (watched.pingedAt !== undefined) {
        if (this.#timeoutMs > 0 && now - watched.pingedAt >= this.#timeoutMs) socket.terminate();
      } else if (now - watched.heardAt >= this.#intervalMs) {
        watched.pingedAt = now;
        try {
          socket.ping();
        } catch {
          // Closing already: its close removes it.
        }
      }
    }
  }

  #stop(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
