/**
 * The clock of one connection: how long it may take to send its first request head, and how long it
 * may stay idle between keep-alive requests.
 *
 * The request path pays an increment and a comparison per request (and two more for a handler that
 * answers asynchronously), never a timer: from the first request on, the idle bound is checked by
 * one timer per connection that looks every quarter of `keepalive` whether anything happened since
 * its last look, and closes the connection after four quiet looks in a row. So an idle connection
 * closes between `keepalive` and 1.25 x `keepalive` after its last activity, never sooner.
 *
 * @module
 */

import type { Clock, TimerId } from "../../src/core/clock.ts";

/** Quiet looks in a row that make a connection idle: the idle bound's granularity is `keepalive / IDLE_LOOKS`. */
export const IDLE_LOOKS = 4;

/** Options of {@linkcode ConnectionWatch}. */
export interface ConnectionWatchOptions {
  /** Time for the first request head to arrive; 0: no bound. */
  headersTimeoutMs: number;
  /** Time a connection may stay idle after a request; 0: no bound. */
  keepaliveMs: number;
  clock: Clock;
  /** The first request head did not arrive in time. */
  onHeadTimeout(): void;
  /** No request began or ended for `keepaliveMs` and none is in progress. */
  onIdle(): void;
}

/**
 * Watches one connection. The server calls {@linkcode begin} when a request begins, and for a handler
 * that answers asynchronously {@linkcode beginAsync} then {@linkcode end} once it has answered.
 *
 * @example
 * ```ts
 * const watch = new ConnectionWatch({ headersTimeoutMs: 10_000, keepaliveMs: 5_000, clock, onHeadTimeout, onIdle });
 * // for each request:
 * watch.begin();
 * ```
 */
export class ConnectionWatch {
  /** Bumped when a request begins and when an asynchronous one ends. */
  #activity = 0;
  /** Requests whose handler has not answered yet. */
  #busy = 0;
  readonly #options: ConnectionWatchOptions;
  #timer: TimerId | undefined;
  #seen = 0;
  #quiet = 0;
  #stopped = false;

  constructor(options: ConnectionWatchOptions) {
    this.#options = options;
    if (options.headersTimeoutMs > 0) this.#timer = options.clock.setTimeout(this.#headDue, options.headersTimeoutMs);
    else this.#watchIdle();
  }

  /** A request begins: its head has arrived. */
  begin(): void {
    if (this.#activity++ === 0 && this.#options.headersTimeoutMs > 0 && !this.#stopped) {
      // The head bound is met: idleness counts from now on.
      this.#options.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#watchIdle();
    }
  }

  /** The request that began last answers asynchronously: it is in progress until {@linkcode end}. */
  beginAsync(): void {
    this.#busy++;
  }

  /** An asynchronous request has answered. */
  end(): void {
    this.#busy--;
    this.#activity++;
  }

  /** Stops watching: the connection is gone, or closing. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #headDue = () => {
    this.#timer = undefined;
    this.#options.onHeadTimeout();
  };

  #watchIdle(): void {
    const { keepaliveMs, clock } = this.#options;
    if (keepaliveMs <= 0 || this.#stopped) return;
    this.#seen = this.#activity;
    this.#quiet = 0;
    this.#timer = clock.setTimeout(this.#look, keepaliveMs / IDLE_LOOKS);
  }

  #look = () => {
    this.#timer = undefined;
    // Before its first request (with no head bound) a connection is not idle: it has not begun.
    if (this.#busy === 0 && this.#activity === this.#seen && this.#activity > 0) {
      if (++this.#quiet >= IDLE_LOOKS) return this.#options.onIdle();
    } else {
      this.#seen = this.#activity;
      this.#quiet = 0;
    }
    this.#timer = this.#options.clock.setTimeout(this.#look, this.#options.keepaliveMs / IDLE_LOOKS);
  };
}
