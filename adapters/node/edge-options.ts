/**
 * The `node:http` server settings that enforce mgr's HTTP edge natively.
 *
 * @module
 */

import type { HttpEdge } from "../../src/core/protocol.ts";
import { maxHeaderSizeFor, maxHeadersCountFor } from "./head-limits.ts";

/** How often, at most, Node looks for connections past their head bound, in milliseconds. */
export const MAX_CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;
const MIN_CONNECTIONS_CHECKING_INTERVAL_MS = 100;

/** What `createServer()` takes (plus `maxHeadersCount`, which is set on the server). */
export interface NodeEdgeOptions {
  maxHeaderSize: number;
  maxHeadersCount: number;
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
  keepAliveTimeout: number;
  requireHostHeader: boolean;
}

/**
 * Node's settings for `edge` and `keepaliveMs`:
 * - `maxHeaderSize` and `maxHeadersCount` from the head limits (see head-limits.ts);
 * - `headersTimeout` is the head bound; Node answers 408 and closes when it expires, checking every
 *   `connectionsCheckingInterval` (30 s by default, so a 60 s bound was measured to close at 90 s):
 *   checked every second here, or twice per bound when it is shorter;
 * - `requestTimeout` 0: Node's bound on head and body together would cut a slow upload that keeps
 *   sending; a stalled body is the shared body guard's (`bodyTimeoutMs`);
 * - `keepAliveTimeout`: Node arms it only once a response has finished and disarms it when the next
 *   request's head is complete, so it bounds idle keep-alive and never a handler, a streamed body or an
 *   upload (measured);
 * - `requireHostHeader` off: Node would answer a 1.1 request without Host itself, unlogged; mgr's own
 *   check answers the same 400 for 1.0 and 1.1 and logs it.
 */
export function nodeEdgeOptions(edge: HttpEdge, keepaliveMs: number): NodeEdgeOptions {
  const headersTimeout = edge.headersTimeoutMs;
  const checking = headersTimeout === 0
    ? MAX_CONNECTIONS_CHECKING_INTERVAL_MS
    : Math.max(MIN_CONNECTIONS_CHECKING_INTERVAL_MS, Math.min(MAX_CONNECTIONS_CHECKING_INTERVAL_MS, Math.floor(headersTimeout / 2)));
  return {
    maxHeaderSize: maxHeaderSizeFor(edge),
    maxHeadersCount: maxHeadersCountFor(edge),
    headersTimeout,
    requestTimeout: 0,
    connectionsCheckingInterval: checking,
    keepAliveTimeout: keepaliveMs,
    requireHostHeader: false,
  };
}
