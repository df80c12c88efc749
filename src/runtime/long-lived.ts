/**
 * The connections of a worker that outlive their request (WebSockets, event streams): counted as in
 * flight, and closed with a proper goodbye when the worker drains (a 1001 close, the end of the
 * stream), so that clients reconnect to the workers that stay instead of meeting a reset when this one
 * exits.
 *
 * @module
 */

/** A WebSocket as each runtime's server gives it: Bun's ServerWebSocket, Deno's WebSocket, ws's. */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

/** RFC 6455 §7.4.1: the endpoint is going away (a server going down). */
export const GOING_AWAY = 1001;
const GOING_AWAY_REASON = "server is restarting";

/**
 * The long-lived connections open in this worker. Each adapter adds the WebSockets its server opens
 * and removes them once closed; the worker loop reports their count as in flight and closes them when
 * its drain's time is nearly up.
 */
export class LongLivedConnections {
  readonly #open = new Set<ClosableSocket>();
  #closing = false;
  #onEmpty: (() => void)[] = [];

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /** True once {@linkcode closeAll} has been called: a socket opened from now on is closed at once. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Counts `socket` until {@linkcode remove}; one opened after {@linkcode closeAll} is closed at once. */
  add(socket: ClosableSocket): void {
    this.#open.add(socket);
    if (this.#closing) closeGoingAway(socket);
  }

  /** The socket is closed (by either side). */
  remove(socket: ClosableSocket): void {
    if (!this.#open.delete(socket) || this.#open.size > 0) return;
    for (const resolve of this.#onEmpty.splice(0)) resolve();
  }

  /** Resolves once none is open (at once if none is). */
  whenEmpty(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onEmpty.push(resolve));
  }

  /** Closes every open socket with 1001 (going away); they are removed as their close completes. */
  closeAll(): void {
    this.#closing = true;
    for (const socket of this.#open) closeGoingAway(socket);
  }
}

function closeGoingAway(socket: ClosableSocket): void {
  try {
    socket.close(GOING_AWAY, GOING_AWAY_REASON);
  } catch {
    // Already closing or closed: its own close completes.
  }
}

/** True for a response that is a stream of server-sent events (`text/event-stream`). */
export function isEventStream(response: Response): boolean {
  return response.headers.get("content-type")?.startsWith("text/event-stream") === true;
}

/**
 * `response` with its body passed through a stream that `longLived` can end: counted from now until
 * the body ends or the client goes, and ended cleanly (the runtime writes the body's last chunk) at
 * the drain's goodbye.
 */
export function endableStream(response: Response, longLived: LongLivedConnections): Response {
  const source = response.body;
  if (source === null) return response;
  const reader = source.getReader();
  let ended = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  /** Ends the count once, whichever side ends first; false if it had ended already. */
  const end = (): boolean => {
    if (ended) return false;
    ended = true;
    longLived.remove(entry);
    return true;
  };
  const entry: ClosableSocket = {
    close() {
      if (!end()) return;
      controller.close();
      reader.cancel().catch(() => {});
    },
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      longLived.add(entry);
    },
    async pull(c) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (end()) c.error(error);
        return;
      }
      if (ended) return;
      if (!chunk.done) return c.enqueue(chunk.value);
      end();
      c.close();
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
