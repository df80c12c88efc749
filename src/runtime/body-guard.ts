/**
 * The body guard: bounds how large a request body may grow and how long it may stall while the app
 * reads it, on every runtime alike, and remembers why a read failed so the answer can say so (413,
 * 408, or a client that went away).
 *
 * @module
 */

/** Why a guarded body failed: too large, stalled, or the client's connection broke. */
export type BodyFault = "too-large" | "stalled" | "client";

/** The body grew past the limit: the client is answered 413. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`Request body is larger than ${limit} bytes`);
  }
}

/** No byte of the body came for too long while the app waited for one: the client is answered 408. */
export class BodyTimeoutError extends Error {
  override name = "BodyTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`Request body stalled for ${timeoutMs} ms`);
  }
}

/** Options of {@linkcode guardBody}. */
export interface GuardBodyOptions {
  /** Most bytes the body may have; 0 for no limit. */
  limit: number;
  /** Longest wait for the next bytes while the app reads, in milliseconds; 0 for none. */
  stallMs: number;
}

/** What happened to a guarded body; `fault` is set once its read has failed. */
export interface BodyGuard {
  fault?: BodyFault;
  /** The error the read failed with. */
  error?: unknown;
}

/** The Request members that read the body, redirected to the guarded stream. */
const READERS = ["text", "json", "arrayBuffer", "blob", "bytes", "formData"] as const;

/**
 * Guards the body of `request` in place: its body readers (`text()`, `json()`, `body`…) read through
 * a stream that fails past `limit` bytes, or when no byte comes for `stallMs` while a read waits.
 *
 * The request stays the same object, its readers shadowed by own properties: copying it (`new
 * Request(request, …)`) would lose what the runtime ties to it (Bun's `server.requestIP(request)`
 * answers null for a copy, Hono's `getConnInfo` with it) and makes Deno warn about `request.signal`.
 * Only requests that have a body pay for this (a stream and a timer per read).
 */
export function guardBody(request: Request, options: GuardBodyOptions): BodyGuard {
  const guard: BodyGuard = {};
  const source = request.body;
  if (source === null) return guard;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let received = 0;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, fault: BodyFault, error: unknown) => {
    guard.fault ??= fault;
    guard.error ??= error;
    controller.error(error);
  };
  const read = (): Promise<ReadableStreamReadResult<Uint8Array> | "stalled"> => {
    reader ??= source.getReader();
    const next = reader.read();
    if (options.stallMs <= 0) return next;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((resolve) => (timer = setTimeout(() => resolve("stalled"), options.stallMs)));
    return Promise.race([next, stalled]).finally(() => clearTimeout(timer));
  };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array> | "stalled";
      try {
        result = await read();
      } catch (error) {
        // The runtime's own body failed: the client went away or sent a malformed body.
        return fail(controller, "client", error);
      }
      // The source is not cancelled: the answer (408, 413) still has to go out on its connection,
      // with `Connection: close`, after which the runtime drops the rest.
      if (result === "stalled") return fail(controller, "stalled", new BodyTimeoutError(options.stallMs));
      if (result.done) return controller.close();
      received += result.value.byteLength;
      if (options.limit > 0 && received > options.limit) {
        return fail(controller, "too-large", new BodyTooLargeError(options.limit));
      }
      controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader ? reader.cancel(reason) : source.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const type = request.headers.get("content-type");
  const shadow = new Response(stream, type === null ? undefined : { headers: { "content-type": type } });
  const properties: PropertyDescriptorMap = {
    body: { get: () => shadow.body, configurable: true },
    bodyUsed: { get: () => shadow.bodyUsed, configurable: true },
  };
  for (const name of READERS) {
    const read = name === "bytes" && typeof shadow.bytes !== "function"
      // Node 20's Response has no bytes(); the request may have one (@hono/node-server's adds it).
      ? () => shadow.arrayBuffer().then((buffer) => new Uint8Array(buffer))
      : () => (shadow[name] as () => Promise<unknown>).call(shadow);
    properties[name] = { value: read, configurable: true, writable: true };
  }
  Object.defineProperties(request, properties);
  return guard;
}
