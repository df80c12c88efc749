/**
 * Keeping a request's announced size from reserving memory in a Deno worker.
 *
 * Deno's body readers (`text()`, `json()`, `arrayBuffer()`…) on a request body still in the socket
 * reserve memory for the whole `Content-Length` up front, up to 16 MiB, before a byte has come
 * (measured: 20 connections that announce 1 GB, send 10 bytes and stall while the app reads took a
 * worker from 32 to 356 MB). A body read through a JavaScript stream reserves nothing (41 MB). The
 * shared body guard (src/runtime/body-guard.ts) reads every body that way whenever a body bound is on
 * (`--limit-request-body` or `--body-timeout`, on by default); with both off, a Deno worker still
 * reads a body announced over {@linkcode RESERVING_LENGTH} through the guard's stream, unbounded.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import { guardBody } from "../../src/runtime/body-guard.ts";

/** Announced bodies up to this size are read Deno's own way: what it reserves, they will send. */
export const RESERVING_LENGTH = 1024 * 1024;

/** Makes `request`'s body readers read through a stream if it announces more than {@linkcode RESERVING_LENGTH}. */
export function avoidBodyReservation(request: Request): void {
  const method = request.method;
  if (method === "GET" || method === "HEAD") return;
  const length = request.headers.get("content-length");
  if (length !== null && Number(length) > RESERVING_LENGTH) guardBody(request, { limit: 0, stallMs: 0 });
}

/** `handler`, made to call {@linkcode avoidBodyReservation} first when `edge` has no body bound (else as it is). */
export function withoutBodyReservation(handler: FetchHandler, edge: HttpEdge): FetchHandler {
  if (edge.limitRequestBody > 0 || edge.bodyTimeoutMs > 0) return handler; // the guard streams every body already
  return (request, info) => {
    avoidBodyReservation(request);
    return handler(request, info);
  };
}
