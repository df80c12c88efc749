/**
 * What a Deno worker checks of a request head before the app sees it: the request line's length
 * (414), a method in lowercase and a missing Host (400). Deno's parser leaves all three through.
 *
 * What it cannot check cheaply, and leaves to Deno's own caps (measured, Deno 2.9): the number of
 * fields (Deno answers 400 past 128) and one field's size (Deno answers 400 when the whole head
 * passes 64 KiB). Counting fields or measuring them means building the request's `Headers`, 0.6 µs
 * a request at the least (2 µs iterating them), against ~8 µs for a whole hello-world request; the
 * one cheap signal for a large head (the bytes the socket received, `TCP_INFO`) is a system call of
 * 0.75 µs. Both are over the edge's budget of 3%.
 *
 * Cost on the hot path: `request.url` and `request.method` (which the app reads anyway, and Deno
 * caches), a few comparisons, and no `headers.get`: Deno names the host it falls back on in the URL
 * of a request without Host, so only a URL that names it (a client may send that very host) has its
 * Host looked up, for ~0.1 µs.
 *
 * @module
 */

/** Why a request head is refused, and with which status. */
export interface HeadRefusal {
  status: 400 | 414;
  reason: string;
}

const LOWERCASE = /[a-z]/;
const SLASH = 47;

/**
 * The refusal of `request`'s head, if any. `fallbackPrefix` is what Deno puts before the path of a
 * request that has no Host (see {@linkcode fallbackPrefix}); `limitRequestLine` 0 means unlimited.
 */
export function checkHead(request: Request, limitRequestLine: number, fallbackPrefix: string): HeadRefusal | undefined {
  const url = request.url;
  const method = request.method;
  // `METHOD SP target SP HTTP/1.1`; the URL is at least as long as the target, so most requests stop here.
  if (limitRequestLine > 0 && method.length + url.length + 10 > limitRequestLine) {
    const path = url.indexOf("/", 8);
    const line = method.length + (path === -1 ? 1 : url.length - path) + 10;
    if (line > limitRequestLine) {
      return { status: 414, reason: `request line of ${line} bytes, over the limit of ${limitRequestLine}` };
    }
  }
  if (method !== "GET" && LOWERCASE.test(method)) return { status: 400, reason: "method not in upper case" };
  // Two characters first: `startsWith` on the URL string Deno makes costs ~45 ns, these ~5.
  const end = fallbackPrefix.length - 1;
  if (
    url.charCodeAt(end) === SLASH && url.charCodeAt(7) === fallbackPrefix.charCodeAt(7) && url.startsWith(fallbackPrefix) &&
    request.headers.get("host") === null
  ) {
    return { status: 400, reason: "no Host header" };
  }
  return undefined;
}

/** The answer to a refused head: the status, its text, and `Connection: close`. */
export function refusalResponse(refusal: HeadRefusal): Response {
  const text = refusal.status === 414 ? "URI Too Long" : "Bad Request";
  return new Response(`${text}\n`, {
    status: refusal.status,
    headers: { "content-type": "text/plain", connection: "close" },
  });
}

/**
 * What Deno's URL of a request without Host begins with, for a connection to `hostname`:`port` (the
 * local address): `http://localhost:PORT/` for a loopback or unspecified address, else
 * `http://ADDRESS:PORT/`, the port left out when it is 80 (`req_host_from_addr`, `ext/http`).
 */
export function fallbackPrefix(hostname: string, port: number): string {
  const local = hostname === "0.0.0.0" || hostname === "::" || hostname === "::1" || hostname.startsWith("127.");
  if (port === 80) return `http://${local ? "localhost" : hostname}/`;
  const host = local ? "localhost" : hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:${port}/`;
}
