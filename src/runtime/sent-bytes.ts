/**
 * How many body bytes a response really sent, for the access log's `%(b)s` and `%(B)s`.
 *
 * @module
 */

import { honoCachedBody } from "./hono-response-cache.ts";

/**
 * Calls `done` once with the number of body bytes `response` sends, and returns the response to send
 * in its place (a promise of it when the body has to be looked at).
 *
 * - Known up front (`Content-Length`, no body, a HEAD request, a 1xx/204/304 status, a string or bytes
 *   body the Response still holds as such): `response` itself, `done` called at once.
 * - Complete within a few microtask turns (`new Response("text")` on Bun, a short stream): the same
 *   bytes as one piece, `done` called at once.
 * - Still being produced: a counting stream, `done` called when it ends, is cancelled (the client
 *   went away) or fails, with the bytes handed to the runtime by then.
 */
export function countSentBytes(request: Request, response: Response, done: (bytes: number) => void): Response | Promise<Response> {
  const known = knownLength(request, response);
  if (known !== undefined) {
    done(known);
    return response;
  }
  return settleBody(response, done);
}

/** How many chunks a body may have and still be sent whole, with its length, once it is complete. */
const EAGER_CHUNKS = 4;
/** Microtask turns a read may take before the body is taken for a stream that is still being produced. */
const EAGER_TICKS = 4;
const PENDING = Symbol("pending");

/**
 * Reads a body's first chunks, for as long as they come without waiting (a few microtask turns). A body
 * complete by then (a string, bytes, a short stream) is sent as one piece, so the runtime still sends
 * its Content-Length and takes its fast path: a stream wrapped around such a body cost Deno 60% and
 * Bun 35% of a hello-world's throughput, and made them send it chunked (measured). Any other body is
 * counted as it streams, its first chunks first.
 */
async function settleBody(response: Response, done: (bytes: number) => void): Promise<Response> {
  const source = response.body!.getReader();
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  for (let i = 0; i < EAGER_CHUNKS; i++) {
    pending ??= source.read();
    const result = await Promise.race([pending, ticks(EAGER_TICKS)]);
    if (result === PENDING) break;
    pending = undefined;
    if (result.done) {
      done(bytes);
      return new Response((chunks.length === 1 ? chunks[0]! : concat(chunks, bytes)) as Uint8Array<ArrayBuffer>, init);
    }
    chunks.push(result.value);
    bytes += result.value.byteLength;
  }
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    done(bytes);
  };
  // `bytes` counts what was read from the body; on a cancel or an error, the chunks read ahead and
  // never handed to the runtime are taken off.
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const early = chunks.shift();
        if (early) return controller.enqueue(early);
        const { done: ended, value } = await (pending ?? source.read());
        pending = undefined;
        if (ended) {
          controller.close();
          return report();
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        bytes = bytes - chunkBytes(chunks);
        report();
      }
    },
    cancel(reason) {
      bytes = bytes - chunkBytes(chunks);
      report();
      return source.cancel(reason);
    },
  });
  return new Response(counted, init);
}

function chunkBytes(chunks: Uint8Array[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const whole = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** Resolves with PENDING after `n` microtask turns. */
function ticks(n: number): Promise<typeof PENDING> {
  let promise: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < n; i++) promise = promise.then(() => {});
  return promise.then(() => PENDING);
}

/** The bytes a response sends when they are known before it is sent; undefined when they must be counted. */
function knownLength(request: Request, response: Response): number | undefined {
  const status = response.status;
  if (request.method === "HEAD" || status < 200 || status === 204 || status === 304) return 0;
  const header = response.headers.get("content-length");
  if (header !== null && /^\d+$/.test(header)) return Number(header);
  // Before `body`, which would turn a held string into a stream.
  const held = heldBodyLength(response);
  if (held !== undefined) return held;
  return response.body === null ? 0 : undefined;
}

/**
 * The length of a body a Response holds as a string or bytes, read without touching `body` (which
 * would turn it into a stream), from what two Response implementations keep under symbols:
 * - @hono/node-server's (the global one in a Node worker) holds it until its body is read (see
 *   hono-response-cache.ts), then writes it in one piece with a Content-Length;
 * - Deno's keeps a string body under `lazy static body`, and other bodies as an inner response's
 *   `body`, with `source` and, where known, `length`.
 *
 * Undefined for any other Response, whose body is then looked at (see settleBody).
 */
function heldBodyLength(response: Response): number | undefined {
  const cached = honoCachedBody(response);
  if (cached) return cached.body === null ? 0 : lengthOf(cached.body);
  const fields = response as unknown as Record<symbol, unknown>;
  for (const symbol of Object.getOwnPropertySymbols(response)) {
    const held = fields[symbol];
    switch (symbol.description) {
      case "lazy static body":
        if (held !== null && held !== undefined) return lengthOf(held);
        break;
      case "response": {
        const body = (held as { body?: { length?: unknown; source?: unknown } | null } | undefined)?.body;
        if (typeof body?.length === "number") return body.length;
        if (body) return lengthOf(body.source);
        break;
      }
    }
  }
  return undefined;
}

function lengthOf(body: unknown): number | undefined {
  if (typeof body === "string") return utf8Length(body);
  if (body instanceof Uint8Array) return body.byteLength;
  if (body instanceof Blob) return body.size;
  return undefined;
}

/** The bytes of `text` in UTF-8, a lone surrogate counting as the 3 bytes of U+FFFD. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
