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
  /** Times the reads; one is made for this body if absent. */
  watch?: StallWatch;
}

/** What happened to a guarded body; `fault` is set once its read has failed. */
export interface BodyGuard {
  fault?: BodyFault;
  /** The error the read failed with. */
  error?: unknown;
}

/** The body readers of a Request. */
const READERS = ["text", "json", "arrayBuffer", "bytes", "blob", "formData"] as const;
type Reader = (typeof READERS)[number];

/** One guarded request's state. */
interface GuardState {
  guard: BodyGuard;
  options: GuardBodyOptions;
  /** The runtime's own readers and `body` getter for this request. */
  original: OriginalMembers;
  reader?: ReadableStreamDefaultReader<Uint8Array>;
  received: number;
  stream?: ReadableStream<Uint8Array>;
  used: boolean;
  watch?: StallWatch;
}

type OriginalMembers = Record<Reader, ((this: Request) => Promise<unknown>) | undefined> & {
  body: (this: Request) => ReadableStream<Uint8Array> | null;
};

/** Marks a patched reader, holding the runtime's own. */
const ORIGINAL = Symbol("mgr.originalReader");

/** The guards of requests whose prototype's readers are patched, by request. */
const states = new WeakMap<Request, GuardState>();
/** Per prototype: true once its readers consult {@linkcode states}, false if they cannot be patched. */
const patchedPrototypes = new WeakMap<object, boolean>();
const originals = new WeakMap<object, OriginalMembers>();

/**
 * Guards the body of `request` in place: its readers (`text()`, `json()`, `body`…) fail past `limit`
 * bytes (BodyTooLargeError), or when the body stalls longer than `stallMs` while the app waits for it
 * (BodyTimeoutError); a failure of the runtime's own body read (the client went away, or sent a
 * malformed chunk) passes through as it is, recorded as the client's fault.
 *
 * The request stays the same object, its shape untouched: a copy (`new Request(request, …)`) would
 * lose what the runtime ties to it (Bun's `server.requestIP(request)` answers null for a copy, Hono's
 * `getConnInfo` with it) and makes Deno warn about `request.signal`; a new prototype or own
 * properties make the runtime's later work on the object slower (measured on a 512-byte POST: own
 * properties +8 µs on Deno, +15 µs on Node; a new prototype +2 µs on Deno, +14 µs on Node). So the
 * readers of the request's prototype are wrapped once, to look the request up in a WeakMap (+0.3-0.5
 * µs on Bun and Deno). Where they cannot be (@hono/node-server's lightweight request defines them
 * read-only), the request gets own properties, at that cost: a host whose server bounds body stalls
 * itself is then not asked to guard announced bodies (see request-handler.ts). Bun's `body` getter
 * cannot be wrapped: an app that streams `request.body` itself reads past the guard there (Bun's own
 * `maxRequestBodySize` and idle timeout still bound it).
 *
 * The body is read chunk by chunk, each read bounded, whatever its length: the runtime's own whole
 * readers are cheaper (taking `request.body` costs Deno ~5 µs, a JavaScript stream over the socket),
 * but a bound on a whole read is not a bound on stalls (a 30-byte upload sent in three parts 3 s apart
 * must pass a 5 s bound). Measured on a 512-byte POST: +2-3 µs on Bun, +5-10 µs on Deno, which is why
 * a server that bounds stalls itself is not asked to guard announced bodies.
 */
export function guardBody(request: Request, options: GuardBodyOptions): BodyGuard {
  const guard: BodyGuard = {};
  const prototype = Object.getPrototypeOf(request) as object;
  const state: GuardState = {
    guard,
    options,
    original: originalMembersOf(prototype),
    received: 0,
    used: false,
  };
  if (patchPrototype(prototype)) states.set(request, state);
  else Object.defineProperties(request, guardedMembers(state));
  return guard;
}

/** The runtime's own readers as found on `prototype`'s chain (unwrapped if patched already). */
function originalMembersOf(prototype: object): OriginalMembers {
  let members = originals.get(prototype);
  if (!members) {
    members = {} as OriginalMembers;
    for (const name of READERS) members[name] = unwrap(descriptorOf(prototype, name)?.descriptor.value) as never;
    members.body = unwrap(descriptorOf(prototype, "body")?.descriptor.get) as never;
    originals.set(prototype, members);
  }
  return members;
}

function unwrap(fn: unknown): unknown {
  return (fn as { [ORIGINAL]?: unknown } | undefined)?.[ORIGINAL] ?? fn;
}

function descriptorOf(prototype: object | null, name: string): { owner: object; descriptor: PropertyDescriptor } | undefined {
  for (let owner = prototype; owner !== null; owner = Object.getPrototypeOf(owner) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(owner, name);
    if (descriptor) return { owner, descriptor };
  }
  return undefined;
}

/**
 * Wraps, once, the readers `prototype`'s chain gives its requests so that they read through the guard
 * of a request in {@linkcode states}; false if a reader cannot be replaced (neither writable nor
 * configurable). The `body` and `bodyUsed` getters are wrapped where they are configurable.
 */
function patchPrototype(prototype: object): boolean {
  let patched = patchedPrototypes.get(prototype);
  if (patched !== undefined) return patched;
  const readers = READERS.map((name) => ({ name, found: descriptorOf(prototype, name) }));
  patched = readers.every(({ found }) => found === undefined || found.descriptor.writable || found.descriptor.configurable);
  if (patched) {
    for (const { name, found } of readers) {
      if (!found) continue;
      const { owner, descriptor } = found;
      const original = descriptor.value as (this: Request, ...args: unknown[]) => Promise<unknown>;
      if ((original as { [ORIGINAL]?: unknown })[ORIGINAL] !== undefined) continue;
      const wrapped = Object.assign(function (this: Request, ...args: unknown[]) {
        const state = states.get(this);
        return state === undefined ? original.apply(this, args) : read(this, state, name);
      }, { [ORIGINAL]: original });
      if (descriptor.configurable) Object.defineProperty(owner, name, { ...descriptor, value: wrapped });
      else (owner as Record<string, unknown>)[name] = wrapped;
    }
    for (const name of ["body", "bodyUsed"] as const) {
      const found = descriptorOf(prototype, name);
      const get = found?.descriptor.get;
      if (!found || !get || !found.descriptor.configurable || (get as { [ORIGINAL]?: unknown })[ORIGINAL] !== undefined) continue;
      const wrapped = Object.assign(function (this: Request) {
        const state = states.get(this);
        if (state === undefined) return get.call(this);
        return name === "body" ? streamOf(this, state) : state.used;
      }, { [ORIGINAL]: get });
      Object.defineProperty(found.owner, name, { ...found.descriptor, get: wrapped });
    }
  }
  patchedPrototypes.set(prototype, patched);
  return patched;
}

/** Own properties for a request whose prototype's readers cannot be wrapped. */
function guardedMembers(state: GuardState): PropertyDescriptorMap {
  const members: PropertyDescriptorMap = {
    body: {
      get(this: Request) {
        return streamOf(this, state);
      },
      configurable: true,
    },
    bodyUsed: {
      get() {
        return state.used;
      },
      configurable: true,
    },
  };
  for (const name of READERS) {
    members[name] = {
      value(this: Request) {
        return read(this, state, name);
      },
      configurable: true,
      writable: true,
    };
  }
  return members;
}

const decoder = new TextDecoder();

/** Reads the whole body as `reader` would, within the guard. */
function read(request: Request, state: GuardState, reader: Reader): Promise<unknown> {
  if (state.used) return Promise.reject(new TypeError("Body already used"));
  if (reader === "formData") {
    // Parsing a form is the runtime's; its bytes still come through the guard.
    const type = request.headers.get("content-type");
    return new Response(streamOf(request, state), type === null ? undefined : { headers: { "content-type": type } }).formData();
  }
  return readChunks(request, state).then((bytes) => {
    switch (reader) {
      case "text":
        return decoder.decode(bytes);
      case "json":
        return JSON.parse(decoder.decode(bytes));
      case "bytes":
        return bytes;
      case "arrayBuffer":
        return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
      case "blob":
        return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: request.headers.get("content-type") ?? "" });
    }
  });
}

/** The body, read chunk by chunk, each read bounded, the bytes counted. */
async function readChunks(request: Request, state: GuardState): Promise<Uint8Array> {
  state.used = true;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await nextChunk(request, state); chunk !== undefined; chunk = await nextChunk(request, state)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The next chunk of the body, or undefined at its end; throws the guard's errors. */
async function nextChunk(request: Request, state: GuardState): Promise<Uint8Array | undefined> {
  if (state.guard.fault !== undefined) throw state.guard.error;
  if (!state.reader) {
    const source = state.original.body.call(request);
    if (source === null) return undefined;
    state.reader = source.getReader();
  }
  let result: ReadableStreamReadResult<Uint8Array>;
  try {
    result = await withStallTimer(state.reader.read(), state);
  } catch (error) {
    // The source is not cancelled: the answer (408) still has to go out on its connection, with
    // `Connection: close`, after which the runtime drops the rest.
    throw fail(state, error instanceof BodyTimeoutError ? "stalled" : "client", error);
  }
  if (result.done) return undefined;
  state.received += result.value.byteLength;
  if (state.options.limit > 0 && state.received > state.options.limit) {
    throw fail(state, "too-large", new BodyTooLargeError(state.options.limit));
  }
  return result.value;
}

/** `request.body` for the app: a stream over the guarded chunks, made when first asked for. */
function streamOf(request: Request, state: GuardState): ReadableStream<Uint8Array> {
  if (!state.stream) {
    state.stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        state.used = true;
        try {
          const chunk = await nextChunk(request, state);
          if (chunk === undefined) controller.close();
          else controller.enqueue(chunk);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel(reason) {
        return state.reader?.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }
  return state.stream;
}

/**
 * Bounds how long reads wait, with one interval for all of them that runs only while a read waits: a
 * timer per read (and the promises to race it) cost Node ~4 µs per request (measured), a set entry far
 * less. A stall is noticed between `stallMs` and `stallMs` plus a quarter of it (at most a second).
 * One per request handler, shared by its requests.
 */
export class StallWatch {
  readonly #waiting = new Set<{ deadline: number; fail: (error: BodyTimeoutError) => void }>();
  readonly #everyMs: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(readonly stallMs: number) {
    this.#everyMs = Math.max(10, Math.min(1_000, Math.floor(stallMs / 4)));
  }

  /** `reading`, failed with a BodyTimeoutError if it has not settled `stallMs` after this call. */
  watch<T>(reading: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = { deadline: Date.now() + this.stallMs, fail: reject };
      this.#waiting.add(waiter);
      if (this.#sweeper === undefined) {
        this.#sweeper = setInterval(() => this.#sweep(), this.#everyMs);
        (this.#sweeper as { unref?: () => void }).unref?.();
      }
      reading.then(
        (value) => {
          this.#waiting.delete(waiter);
          resolve(value);
        },
        (error) => {
          this.#waiting.delete(waiter);
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    const now = Date.now();
    for (const waiter of this.#waiting) {
      if (now < waiter.deadline) continue;
      this.#waiting.delete(waiter);
      waiter.fail(new BodyTimeoutError(this.stallMs));
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

function withStallTimer<T>(reading: Promise<T>, state: GuardState): Promise<T> {
  const { stallMs } = state.options;
  if (stallMs <= 0) return reading;
  state.watch ??= state.options.watch ?? new StallWatch(stallMs);
  return state.watch.watch(reading);
}

function fail(state: GuardState, fault: BodyFault, error: unknown): unknown {
  state.guard.fault ??= fault;
  state.guard.error ??= error;
  return state.guard.error;
}
