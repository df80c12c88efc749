/**
 * How many body bytes a response really sent, for the access log's `%(b)s` and `%(B)s`.
 *
 * @module
 */

/**
 * Calls `done` once with the number of body bytes `response` sends, and returns the response to send
 * in its place. A response whose length is known up front (`Content-Length`, no body, a HEAD request,
 * a 1xx/204/304 status) is returned as it is and `done` is called at once. Any other body (what
 * `new Response("text")` makes, as Hono's `c.text()` does, or a stream) is passed through a counting
 * stream, and `done` is called when it ends, is cancelled (the client went away) or fails: the bytes
 * actually sent by then.
 */
export function countSentBytes(request: Request, response: Response, done: (bytes: number) => void): Response {
  const known = knownLength(request, response);
  if (known !== undefined) {
    done(known);
    return response;
  }
  const source = response.body!.getReader();
  let bytes = 0;
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    done(bytes);
  };
  const counted = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: ended, value } = await source.read();
        if (ended) {
          controller.close();
          return report();
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        report();
      }
    },
    cancel(reason) {
      report();
      return source.cancel(reason);
    },
  });
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The bytes a response sends when they are known before it is sent; undefined when they must be counted. */
function knownLength(request: Request, response: Response): number | undefined {
  const status = response.status;
  if (request.method === "HEAD" || status < 200 || status === 204 || status === 304 || response.body === null) return 0;
  const header = response.headers.get("content-length");
  if (header !== null && /^\d+$/.test(header)) return Number(header);
  return undefined;
}
