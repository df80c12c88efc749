/**
 * The clock of a worker's connections: how long each may take to send its first request head, and
 * how long it may stay idle between keep-alive requests.
 *
 * One timer for the whole worker, not one per connection: a timer costs ~3 µs to set and clear in
 * Deno (measured), a third of a whole hello-world request, and a connection that carries one request
 * would pay it two or three times. The timer ticks every {@linkcode ConnectionClock.periodMs} and looks
 * at every connection; the request path only bumps counters ({@linkcode WatchedConnection}). So a
 * connection is closed between the bound and the bound plus one period, never sooner: the period is a
 * quarter of the smaller bound, at most a second (Node looks every `connectionsCheckingInterval`).
 *
 * @module
 */

import type { Clock, TimerId } from "../../src/core/clock.ts";

/** The longest period between two looks, in milliseconds. */
export const MAX_PERIOD_MS = 1_000;

/** Options of {@linkcode ConnectionClock}. */
export interface ConnectionClockOptions {
  /** Time for the first request head to arrive; 0: no bound. */
  headersTimeoutMs: number;
  /** Time a connection may stay idle after a request; 0: no bound. */
  keepaliveMs: number;
  clock: Clock;
}

/**
 * One connection as its clock sees it. The server calls {@linkcode begin} when a request begins, and
 * for a handler that answers asynchronously {@linkcode beginAsync}, then {@linkcode end} once it has
 * answered: a request in progress is never idle, however long it takes.
 */
export class WatchedConnection {
  /** Bumped when a request begins and when an asynchronous one ends. */
  activity = 0;
  /** Requests whose handler has not answered yet. */
  busy = 0;
  /** The clock's own: looks since the connection came, quiet looks in a row, and `activity` at the last look. */
  looks = 0;
  quiet = 0;
  seen = 0;

  constructor(
    /** The first request head did not arrive in time. */
    readonly onHeadTimeout: () => void,
    /** Nothing began or ended for `keepalive`, and nothing is in progress. */
    readonly onIdle: () => void,
  ) {}

  /** A request begins: its head has arrived. */
  begin(): void {
    this.activity++;
  }

  /** The request that began last answers asynchronously: it is in progress until {@linkcode end}. */
  beginAsync(): void {
    this.busy++;
  }

  /** An asynchronous request has answered. */
  end(): void {
    this.busy--;
    this.activity++;
  }
}

/**
 * Watches connections for a late first head and for idleness, with one timer.
 *
 * @example
 * ```ts
 * const clock = new ConnectionClock({ headersTimeoutMs: 10_000, keepaliveMs: 5_000, clock: realClock });
 * const connection = new WatchedConnection(closeSlow, closeIdle);
 * clock.watch(connection);
 * // for each request: connection.begin(); … when it is gone: clock.unwatch(connection);
 * ```
 */
export class ConnectionClock {
  /** Milliseconds between two looks. */
  readonly periodMs: number;
  readonly #options: ConnectionClockOptions;
  readonly #connections = new Set<WatchedConnection>();
  #timer: TimerId | undefined;

  constructor(options: ConnectionClockOptions) {
    this.#options = options;
    const bounds = [options.headersTimeoutMs, options.keepaliveMs].filter((ms) => ms > 0);
    this.periodMs = Math.min(MAX_PERIOD_MS, Math.min(...bounds) / 4);
    if (bounds.length > 0) this.#timer = options.clock.setTimeout(this.#look, this.periodMs);
  }

  /** Starts watching `connection`, which has just been accepted. */
  watch(connection: WatchedConnection): void {
    if (this.#timer !== undefined) this.#connections.add(connection);
  }

  /** Stops watching `connection`: it is gone, or closing. */
  unwatch(connection: WatchedConnection): void {
    this.#connections.delete(connection);
  }

  /** Stops the clock; no connection is reported after this. */
  stop(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connections.clear();
  }

  #look = () => {
    const { headersTimeoutMs, keepaliveMs } = this.#options;
    // A look counts a whole period only from the second one on: the first may come just after the event.
    const headLooks = Math.ceil(headersTimeoutMs / this.periodMs) + 1;
    const idleLooks = Math.ceil(keepaliveMs / this.periodMs);
    for (const connection of this.#connections) {
      if (connection.activity === 0) {
        if (headersTimeoutMs > 0 && ++connection.looks >= headLooks) {
          this.#connections.delete(connection);
          connection.onHeadTimeout();
        }
      } else if (keepaliveMs <= 0) {
        this.#connections.delete(connection); // nothing more to watch
      } else if (connection.busy === 0 && connection.activity === connection.seen) {
        if (++connection.quiet >= idleLooks) {
          this.#connections.delete(connection);
          connection.onIdle();
        }
      } else {
        // The quiet looks count from the first look after the last activity: never sooner than `keepalive`.
        connection.seen = connection.activity;
        connection.quiet = 0;
      }
    }
    this.#timer = this.#options.clock.setTimeout(this.#look, this.periodMs);
  };
}
