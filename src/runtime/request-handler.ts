/**
 * The request path every runtime shares: the fetch handler the worker loop hands to its server. It
 * calls the app and makes sure every request gets one answer, counted once, whatever the app does:
 * throws, returns something that is not a Response, never answers (`requestTimeoutMs`), or fails on a
 * body that is too large, stalls, or breaks off (`limitRequestBody`, `bodyTimeoutMs`).
 *
 * @module
 */

import { errorStack } from "../core/error-text.ts";
import { escapeLogText } from "../core/log-escape.ts";
import type { Logger } from "../core/logger.ts";
import type { HttpEdge } from "../core/protocol.ts";
import type { FetchHandler } from "./app.ts";
import { type BodyFault, type BodyGuard, guardBody, StallWatch } from "./body-guard.ts";
import { isClientFault } from "./client-fault.ts";
import { withConnectionClose } from "./connection-close.ts";
import type { WorkerHost } from "./worker-host.ts";

/**
 * The runtime's own Response class, taken when this module loads. @hono/node-server later replaces the
 * global `Response` with a lighter class whose prototype chain leads to this one, so `instanceof` it
 * holds for the responses of both, and stays a plain prototype walk (the replacement's own
 * `Symbol.hasInstance` is a function call).
 */
const NativeResponse = globalThis.Response;

/** How the worker loop counts a request and logs it. */
export interface RequestLifecycle {
  /** A request has arrived; returns a mark given back to `finish`. */
  start(request: Request): number;
  /**
   * The request's answer is ready: called exactly once per request, with what goes to the client;
   * returns what to send (a promise of it when the body has to be looked at first).
   */
  finish(request: Request, info: unknown, response: Response, started: number): Response | Promise<Response>;
}

/** Options of {@linkcode createRequestHandler}. */
export interface RequestHandlerOptions {
  /** The app's handler. */
  fetch: FetchHandler;
  /** The limits: `limitRequestBody`, `bodyTimeoutMs` and `requestTimeoutMs` are enforced here. */
  edge: Pick<HttpEdge, "limitRequestBody" | "bodyTimeoutMs" | "requestTimeoutMs">;
  log: Logger;
  lifecycle: RequestLifecycle;
  /**
   * True when the server bounds body stalls itself ({@linkcode WorkerHost.boundsBodyStalls}): a body
   * is then guarded only to bound its size.
   */
  serverBoundsStalls?: boolean;
  /** The fault the server found with a request's body ({@linkcode WorkerHost.bodyFaultOf}). */
  serverBodyFault?: (info: unknown) => BodyFault | undefined;
  /** True while the worker drains: a WebSocket upgrade is then refused (503), to be made to another. */
  draining?: () => boolean;
}

/**
 * Creates the fetch handler that serves the app. Its answers:
 * - the app's Response, as it is (`Connection: close` added if its body read failed);
 * - 500 with one ERROR line (method, path, stack) when the app throws or rejects, or (method, path,
 *   what it was) when it returns something that is not a Response;
 * - 503 with one ERROR line (method, path, age) when `requestTimeoutMs` passes first; the late answer
 *   is dropped;
 * - 413 before the app runs when `Content-Length` exceeds `limitRequestBody`; 413, 408 or 400 when the
 *   app fails because its body read failed (too large, stalled, the client's fault), logged as one
 *   line at info. A 500 the app (or its framework's error handler) made of such a failure is replaced
 *   the same way.
 *
 * Not an async function on purpose: a handler that answers synchronously (as many Hono routes do)
 * gets its Response back synchronously, and the runtime's server takes its fast path for it. An async
 * wrapper cost Node ~10% of its throughput (measured with bench/). A GET with no request timeout
 * costs a `method` read, a few branches and one `instanceof` more than the app itself: 1-4 ns on Bun
 * and Deno, ~20 ns on Node (measured in a loop; a hello-world request costs 8-20 µs).
 */
export function createRequestHandler(options: RequestHandlerOptions): FetchHandler {
  const { fetch, log, lifecycle, serverBoundsStalls = false, serverBodyFault = () => undefined, draining = () => false } = options;
  const { limitRequestBody, requestTimeoutMs } = options.edge;
  // The stall bound this handler enforces itself: none where the server does.
  const bodyTimeoutMs = serverBoundsStalls ? 0 : options.edge.bodyTimeoutMs;
  const guardsBodies = limitRequestBody > 0 || bodyTimeoutMs > 0;
  const watch = bodyTimeoutMs > 0 ? new StallWatch(bodyTimeoutMs) : undefined;

  /** Why the body read failed, if it did: found by the guard, or by the server's own bounds. */
  const bodyFault = (info: unknown, error: unknown, guard: BodyGuard | undefined): BodyGuard | undefined => {
    if (guard?.fault !== undefined) return guard;
    const fault = serverBodyFault(info) ?? bodyFaultOf(error);
    return fault === undefined ? undefined : { fault, error };
  };

  const failed = (request: Request, info: unknown, error: unknown, guard: BodyGuard | undefined): Response => {
    const fault = bodyFault(info, error, guard);
    if (fault !== undefined) return bodyFailed(request, fault);
    if (isClientFault(error)) {
      log.info(`Client error on ${describeRequest(request)}: ${escapeLogText(String(error))}`);
      return plain(400, "Bad Request", true);
    }
    log.error(`Error handling request ${describeRequest(request)}: ${errorStack(error)}`);
    return plain(500, "Internal Server Error");
  };

  const bodyFailed = (request: Request, guard: BodyGuard): Response => {
    const what = describeRequest(request);
    switch (guard.fault) {
      case "too-large":
        log.info(`Request body too large (over ${limitRequestBody} bytes): ${what}; answered 413`);
        return plain(413, "Content Too Large", true);
      case "stalled":
        log.info(`Request body stalled for ${formatSeconds(options.edge.bodyTimeoutMs)}: ${what}; answered 408`);
        return plain(408, "Request Timeout", true);
      default:
        log.info(`Client error on ${what}: ${escapeLogText(String(guard.error))}`);
        return plain(400, "Bad Request", true);
    }
  };

  const notAResponse = (request: Request, value: unknown, resolved: boolean): Response => {
    const returned = resolved ? "a promise of" : "returned";
    log.error(`Error handling request ${describeRequest(request)}: the handler ${returned} ${describeValue(value)}, not a Response`);
    return plain(500, "Internal Server Error");
  };

  /** The answer for what an async handler resolved to. */
  const resolved = (request: Request, info: unknown, value: unknown, guard: BodyGuard | undefined): Response => {
    if (!(value instanceof NativeResponse)) return notAResponse(request, value, true);
    if (guard?.fault === undefined && (value.status !== 500 || !serverBoundsStalls)) return value;
    const fault = bodyFault(info, undefined, guard);
    if (fault === undefined) return value;
    // The app's framework turned the failed body read into its own 500 (Hono's default onError does).
    return value.status === 500 ? bodyFailed(request, fault) : withConnectionClose(value);
  };

  const settle = (
    request: Request,
    info: unknown,
    pending: PromiseLike<unknown>,
    started: number,
    guard: BodyGuard | undefined,
  ): Promise<Response> => {
    const onValue = (value: unknown) => lifecycle.finish(request, info, resolved(request, info, value, guard), started);
    const onError = (error: unknown) => lifecycle.finish(request, info, failed(request, info, error, guard), started);
    if (requestTimeoutMs <= 0) return Promise.resolve(pending).then(onValue, onError);
    return new Promise<Response>((resolve) => {
      let answered = false;
      const timer = setTimeout(() => {
        answered = true;
        log.error(`Request timed out: ${describeRequest(request)} had no response after ${formatSeconds(requestTimeoutMs)}; answered 503`);
        resolve(lifecycle.finish(request, info, plain(503, "Service Unavailable"), started));
      }, requestTimeoutMs);
      Promise.resolve(pending).then(
        (value) => {
          if (answered) return discard(value);
          answered = true;
          clearTimeout(timer);
          resolve(onValue(value));
        },
        (error) => {
          if (answered) return log.debug(`Late failure of timed-out request ${describeRequest(request)}: ${errorStack(error)}`);
          answered = true;
          clearTimeout(timer);
          resolve(onError(error));
        },
      );
    });
  };

  return (request, info) => {
    const started = lifecycle.start(request);
    if (draining() && request.headers.get("upgrade") !== null) {
      log.debug(`Refused an upgrade while draining: ${describeRequest(request)}; answered 503`);
      return lifecycle.finish(request, info, plain(503, "Service Unavailable", true), started);
    }
    let guard: BodyGuard | undefined;
    if (guardsBodies) {
      const method = request.method;
      // A GET or HEAD body never reaches the app (@hono/node-server drops it); nor is it read here.
      if (method !== "GET" && method !== "HEAD") {
        const announced = request.headers.get("content-length");
        if (announced === null) {
          // No length: chunked, or no body at all.
          if (request.headers.get("transfer-encoding") !== null) {
            guard = guardBody(request, { limit: limitRequestBody, stallMs: bodyTimeoutMs, watch });
          }
        } else {
          const length = Number(announced);
          if (limitRequestBody > 0 && length > limitRequestBody) {
            log.info(`Request body too large (Content-Length ${escapeLogText(announced)} > ${limitRequestBody}): ${describeRequest(request)}; answered 413`);
            return lifecycle.finish(request, info, plain(413, "Content Too Large", true), started);
          }
          // Within the limit, the runtime holds the body to its length; only its stalls need a bound.
          if (length > 0 && bodyTimeoutMs > 0) {
            guard = guardBody(request, { limit: 0, stallMs: bodyTimeoutMs, watch });
          }
        }
      }
    }
    let result: unknown;
    try {
      result = fetch(request, info);
    } catch (error) {
      return lifecycle.finish(request, info, failed(request, info, error, guard), started);
    }
    if (result instanceof NativeResponse) return lifecycle.finish(request, info, result, started);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
      return settle(request, info, result as PromiseLike<unknown>, started, guard);
    }
    return lifecycle.finish(request, info, notAResponse(request, result, false), started);
  };
}

/** The body fault a BodyTimeoutError or BodyTooLargeError in `error`'s cause chain names. */
function bodyFaultOf(error: unknown): BodyFault | undefined {
  for (let depth = 0; depth < 3 && error instanceof Error; depth++, error = error.cause) {
    if (error.name === "BodyTimeoutError") return "stalled";
    if (error.name === "BodyTooLargeError") return "too-large";
  }
  return undefined;
}

/** A short text answer, closing the connection after it when the rest of the request cannot be trusted. */
function plain(status: number, text: string, close = false): Response {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (close) headers.connection = "close";
  return new NativeResponse(text, { status, headers });
}

/** Drops the answer of a request that has already had its 503, releasing its body. */
function discard(value: unknown): void {
  if (!(value instanceof NativeResponse)) return;
  try {
    value.body?.cancel().catch(() => {});
  } catch {
    // A body already locked or used: nothing to release.
  }
}

/** `POST /upload?x=1`, escaped for the log: the method and the path, not the client's Host. */
export function describeRequest(request: Request): string {
  return escapeLogText(`${request.method} ${pathOf(request.url)}`);
}

function pathOf(url: string): string {
  // Bun gives an HTTP/1.0 request without Host a relative URL.
  if (url.startsWith("/")) return url;
  const scheme = url.indexOf("://");
  const slash = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  return slash < 0 ? "/" : url.slice(slash);
}

/** What a handler gave instead of a Response: `undefined`, `null`, `a string`, `an object`… */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}
