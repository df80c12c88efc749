/**
 * The requests a worker is serving, kept so that the log of a hung worker can name them: the oldest
 * few go to the master with each heartbeat, and a debugger that has paused the worker (the master's
 * stack capture on Node) reads them all through {@linkcode IN_FLIGHT_SYMBOL}.
 *
 * Per request it costs a slot taken and given back (below). The method and path are read only when
 * the list is asked for.
 *
 * @module
 */

import type { InFlightRequest } from "../core/runtime.ts";

/** Most requests a heartbeat names: the oldest, which a hung worker's log needs most. */
export const HEARTBEAT_REQUESTS = 5;

/**
 * Where the list is published on `globalThis`, as a function returning its JSON. The master's stack
 * capture evaluates `globalThis[Symbol.for("mgr.requestsInFlight")]()` in the paused worker.
 */
export const IN_FLIGHT_SYMBOL: unique symbol = Symbol.for("mgr.requestsInFlight") as never;

/** The expression a debugger evaluates in a paused worker to read the list as JSON. */
export const IN_FLIGHT_EXPRESSION = `globalThis[Symbol.for("mgr.requestsInFlight")]?.() ?? "null"`;

/**
 * Requests in flight with their start times (`performance.now()`), each in a slot of two arrays: a
 * request costs two array stores and a push and pop of a free slot (a Map's insertion and deletion of
 * object keys cost Node ~60 ns more per request, measured with bench/).
 */
export class RequestsInFlight {
  readonly #requests: (Request | undefined)[] = [];
  readonly #startedAt: number[] = [];
  readonly #free: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `request`, started at `startedAt`; returns its slot, for {@linkcode startedAt} and {@linkcode delete}. */
  add(request: Request, startedAt: number): number {
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#requests.length;
    this.#requests[slot] = request;
    this.#startedAt[slot] = startedAt;
    this.#size++;
    return slot;
  }

  /** When the request in `slot` started. */
  startedAt(slot: number): number {
    return this.#startedAt[slot]!;
  }

  /** The request in `slot` is done. */
  delete(slot: number): void {
    if (this.#requests[slot] === undefined) return;
    this.#requests[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
  }

  /** The oldest `max` requests, with their age at `now`; oldest first. */
  describe(now: number, max = Number.POSITIVE_INFINITY): InFlightRequest[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.#requests.length; slot++) if (this.#requests[slot] !== undefined) slots.push(slot);
    slots.sort((a, b) => this.#startedAt[a]! - this.#startedAt[b]!);
    return slots.slice(0, max).map((slot) => {
      const request = this.#requests[slot]!;
      return { method: request.method, path: pathOf(request.url), ageMs: Math.round(now - this.#startedAt[slot]!) };
    });
  }

  /** Makes the list readable by a debugger that has paused this process. */
  publish(): void {
    (globalThis as Record<symbol, unknown>)[IN_FLIGHT_SYMBOL] = () => JSON.stringify(this.describe(performance.now()));
  }
}

function pathOf(url: string): string {
  // Bun gives an HTTP/1.0 request without Host a relative URL.
  if (url.startsWith("/")) return url;
  const scheme = url.indexOf("://");
  const slash = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  return slash < 0 ? "/" : url.slice(slash);
}
