/**
 * The per-request half of the head limits on Bun (see head-limits.ts): a missing Host, the request
 * line and the Host field, judged from `request.url` before the app sees the request.
 *
 * @module
 */

import type { BunServer } from "./bun-api.ts";
import { checkUrl, urlCheckThreshold } from "./head-limits.ts";
import type { HeadLimits, HeadRejection } from "./head-limits.ts";
import type { BunFetch } from "./idle-timeout.ts";

/** `h`: an absolute URL, which Bun builds from the Host field (`http://…`). */
const LOWER_H = 104;

/**
 * Wraps `fetch` so that a request whose head breaks the limits is answered with its status and
 * `Connection: close`, and told to `logClientError`, without reaching `fetch`. A good request pays
 * a read of `request.url` (built once; apps read it anyway), one character and one length compare.
 */
export function refuseBadHeads(fetch: BunFetch, limits: HeadLimits, logClientError: (message: string) => void): BunFetch {
  const threshold = urlCheckThreshold(limits);
  const refuse = (request: Request, server: BunServer, rejection: HeadRejection): Response => {
    const peer = server.requestIP(request)?.address ?? "an unknown peer";
    logClientError(`Invalid request from ${peer}: ${rejection.reason}; answered ${rejection.status}`);
    return new Response(null, { status: rejection.status, headers: { connection: "close" } });
  };
  return (request, server) => {
    const url = request.url;
    // Without a Host field (HTTP/1.0; Bun itself answers 400 to HTTP/1.1) or with one that is no
    // host, Bun hands over the bare target (`/p?q=1`), which apps cannot parse (`new URL` throws).
    if (url.charCodeAt(0) !== LOWER_H) return refuse(request, server, { status: 400, reason: "no valid Host header" });
    if (url.length > threshold) {
      const rejection = checkUrl(url, request.method, limits);
      if (rejection !== undefined) return refuse(request, server, rejection);
    }
    return fetch(request, server);
  };
}
