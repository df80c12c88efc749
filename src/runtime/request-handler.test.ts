import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HttpEdge, WorkerSpec } from "../core/protocol.ts";
import { FakeHost, settle, SPEC } from "../../test/support/fake-worker-host.ts";
import type { FetchHandler } from "./app.ts";
import { getClientInfo } from "./client-info.ts";
import { runWorker } from "./worker-loop.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A worker serving `fetch`, with `edge` and `spec` over the defaults; returns its host. */
async function serve(fetch: FetchHandler, edge: Partial<HttpEdge> = {}, spec: Partial<WorkerSpec> = {}): Promise<FakeHost> {
  const host = new FakeHost({ ...SPEC, ...spec, edge: { ...SPEC.edge, ...edge } }, { default: fetch });
  await runWorker(host);
  return host;
}

/** The error log's lines at `level`, without their trailing newline. */
function lines(host: FakeHost, level: "ERROR" | "INFO" | "DEBUG"): string[] {
  return host.errors.map((line) => line.trimEnd()).filter((line) => line.includes(`[${level}]`));
}

/** The counts the next heartbeat reports. */
function counts(host: FakeHost): { served: number; inFlight: number } {
  vi.advanceTimersByTime(SPEC.heartbeatMs);
  const beat = host.sent.findLast((message) => message.type === "heartbeat") as { served: number; inFlight: number };
  return { served: beat.served, inFlight: beat.inFlight };
}

/** A POST whose body the test feeds by hand, without a Content-Length (as a chunked upload). */
function upload(path = "/upload") {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const request = new Request(`http://x${path}`, {
    method: "POST",
    body,
    headers: { "transfer-encoding": "chunked" },
    duplex: "half",
  } as RequestInit);
  return {
    request,
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    end: () => controller.close(),
    fail: (error: unknown) => controller.error(error),
  };
}

describe("the request path", () => {
  it("gives a synchronous handler's Response back synchronously, as it is", async () => {
    const response = new Response("ok");
    const host = await serve(() => response);
    expect(host.handler!(new Request("http://x/"))).toBe(response);
    expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
  });

  describe("when the handler's result is not a Response", () => {
    const results: [string, unknown, string][] = [
      ["undefined", undefined, "undefined"],
      ["null", null, "null"],
      ["a string", "hello", "a string"],
      ["a plain object", { status: 200 }, "an object"],
      ["a number", 42, "a number"],
    ];

    it.each(results)("answers 500 for %s returned synchronously, with one error line naming it", async (_, value, named) => {
      const host = await serve(() => value as Response);
      const response = await host.handler!(new Request("http://x/items/7?full=1", { method: "PUT" }));
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("Internal Server Error");
      expect(lines(host, "ERROR")).toEqual([
        expect.stringMatching(new RegExp(`\\[ERROR\\] Error handling request PUT /items/7\\?full=1: the handler returned ${named}, not a Response$`)),
      ]);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
    });

    it.each(results)("answers 500 for a promise of %s, with one error line naming it", async (_, value, named) => {
      const host = await serve(() => Promise.resolve(value as Response));
      const response = await host.handler!(new Request("http://x/a"));
      expect(response.status).toBe(500);
      expect(lines(host, "ERROR")).toEqual([
        expect.stringContaining(`Error handling request GET /a: the handler a promise of ${named}, not a Response`),
      ]);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
    });

    it("counts each toward max-requests and writes its access log line", async () => {
      const host = await serve(() => undefined as unknown as Response, {}, {
        maxRequests: 2,
        accessLog: "-",
        accessLogFormat: '"%(r)s" %(s)s',
      });
      await host.handler!(new Request("http://x/a"));
      await host.handler!(new Request("http://x/b"));
      vi.advanceTimersByTime(0);
      expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", served: 2 }]);
      expect(host.output.join("")).toBe('"GET /a HTTP/1.1" 500\n"GET /b HTTP/1.1" 500\n');
    });
  });

  it("takes the responses of @hono/node-server, which replaces the global Response class", async () => {
    const { getRequestListener } = await import("@hono/node-server");
    const original = globalThis.Response;
    getRequestListener(() => new Response("x"));
    try {
      expect(globalThis.Response).not.toBe(original);
      const host = await serve((request) => new URL(request.url).pathname === "/sync" ? new Response("s") : Promise.resolve(new Response("a")));
      const sync = host.handler!(new Request("http://x/sync")) as Response;
      expect(sync.status).toBe(200);
      expect((await host.handler!(new Request("http://x/async"))).status).toBe(200);
      expect(host.errors).toEqual([]);
    } finally {
      Object.defineProperty(globalThis, "Response", { value: original, writable: true, configurable: true });
    }
  });

  describe("when the handler throws", () => {
    it("answers 500 with one error line carrying the stack, for a throw and for a rejection", async () => {
      const host = await serve((request) => {
        if (request.method === "DELETE") throw new Error("sync kaboom");
        return Promise.reject(new Error("async kaboom"));
      });
      expect((await host.handler!(new Request("http://x/s", { method: "DELETE" }))).status).toBe(500);
      expect((await host.handler!(new Request("http://x/a"))).status).toBe(500);
      const errors = lines(host, "ERROR");
      expect(errors).toHaveLength(2);
      expect(host.errors[0]).toMatch(/Error handling request DELETE \/s: Error: sync kaboom\n\s+at /);
      expect(host.errors[1]).toMatch(/Error handling request GET \/a: Error: async kaboom\n\s+at /);
      expect(counts(host)).toEqual({ served: 2, inFlight: 0 });
    });

    it("logs a failed body read the runtime blames on the client as one line at info, without a stack", async () => {
      const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
      const host = await serve(() => Promise.reject(aborted), { bodyTimeoutMs: 0, limitRequestBody: 0 });
      const response = await host.handler!(new Request("http://x/up", { method: "POST", body: "x" }));
      expect(response.status).toBe(400);
      expect(lines(host, "ERROR")).toEqual([]);
      expect(lines(host, "INFO")).toEqual([expect.stringMatching(/\[INFO\] Client error on POST \/up: Error: aborted$/)]);
    });
  });

  describe("with --request-timeout", () => {
    const never = () => new Promise<Response>(() => {});

    it("answers 503 when the app has not answered in time, with one error line naming the method, path and age", async () => {
      const host = await serve(never, { requestTimeoutMs: 30_000 });
      let answered: Response | undefined;
      void (host.handler!(new Request("http://x/slow?q=1")) as Promise<Response>).then((r) => (answered = r));
      await vi.advanceTimersByTimeAsync(29_999);
      expect(answered).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(answered?.status).toBe(503);
      expect(lines(host, "ERROR")).toEqual([
        expect.stringContaining("Request timed out: GET /slow?q=1 had no response after 30 s; answered 503"),
      ]);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
    });

    it("drops a late answer, counting the request once, and keeps serving", async () => {
      let resolveLate!: (response: Response) => void;
      const host = await serve(
        (request) => new URL(request.url).pathname === "/late" ? new Promise<Response>((r) => (resolveLate = r)) : new Response("ok"),
        { requestTimeoutMs: 1_000 },
        { maxRequests: 2 },
      );
      const late = host.handler!(new Request("http://x/late")) as Promise<Response>;
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await late).status).toBe(503);
      const body = new ReadableStream({ cancel: () => void (cancelled = true) });
      let cancelled = false;
      resolveLate(new Response(body));
      await settle();
      expect(cancelled).toBe(true);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
      expect(host.sent.filter((m) => m.type === "retire")).toEqual([]);
      expect((await host.handler!(new Request("http://x/next"))).status).toBe(200);
      expect(host.sent.filter((m) => m.type === "retire")).toEqual([{ type: "retire", served: 2 }]);
    });

    it("answers the app's own Response when it comes in time, and clears its timer", async () => {
      const host = await serve(() => Promise.resolve(new Response("ok")), { requestTimeoutMs: 1_000 });
      const timers = vi.getTimerCount();
      expect((await host.handler!(new Request("http://x/"))).status).toBe(200);
      expect(vi.getTimerCount()).toBe(timers);
    });

    it("sets no timer at all when it is off", async () => {
      let finish!: (response: Response) => void;
      const host = await serve(() => new Promise<Response>((r) => (finish = r)), { requestTimeoutMs: 0 });
      const timers = vi.getTimerCount();
      const pending = host.handler!(new Request("http://x/"));
      expect(vi.getTimerCount()).toBe(timers);
      finish(new Response("ok"));
      expect((await pending).status).toBe(200);
    });
  });

  describe("request bodies", () => {
    it("answers 413 with Connection: close before the app runs when Content-Length is over the limit", async () => {
      const fetch = vi.fn(() => new Response("ok"));
      const host = await serve(fetch, { limitRequestBody: 10 });
      const request = new Request("http://x/up", { method: "POST", body: "x".repeat(11), headers: { "content-length": "11" } });
      const response = await host.handler!(request);
      expect(response.status).toBe(413);
      expect(response.headers.get("connection")).toBe("close");
      expect(fetch).not.toHaveBeenCalled();
      expect(lines(host, "INFO")).toEqual([expect.stringContaining("Request body too large (Content-Length 11 > 10): POST /up; answered 413")]);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
    });

    it("lets a body at the limit through", async () => {
      const host = await serve(async (request) => new Response(await request.text()), { limitRequestBody: 10 });
      const response = await host.handler!(new Request("http://x/up", { method: "POST", body: "x".repeat(10), headers: { "content-length": "10" } }));
      expect(await response.text()).toBe("x".repeat(10));
    });

    it("fails the app's read of a chunked body past the limit, and answers 413 when the app throws", async () => {
      const seen: unknown[] = [];
      const host = await serve(async (request) => {
        try {
          return new Response(await request.text());
        } catch (error) {
          seen.push(error);
          throw error;
        }
      }, { limitRequestBody: 10 });
      const { request, send } = upload();
      const pending = host.handler!(request);
      send("0123456789");
      send("!");
      const response = await pending;
      expect(response.status).toBe(413);
      expect(response.headers.get("connection")).toBe("close");
      expect(seen).toEqual([expect.objectContaining({ name: "BodyTooLargeError" })]);
      expect(lines(host, "ERROR")).toEqual([]);
      expect(lines(host, "INFO")).toEqual([expect.stringContaining("Request body too large (over 10 bytes): POST /upload; answered 413")]);
    });

    it("answers 413 for the 500 a framework makes of that failure (Hono's default error handler)", async () => {
      const host = await serve(async (request) => {
        try {
          return new Response(await request.text());
        } catch {
          return new Response("Internal Server Error", { status: 500 });
        }
      }, { limitRequestBody: 4 });
      const { request, send } = upload();
      const pending = host.handler!(request);
      send("12345");
      expect((await pending).status).toBe(413);
    });

    it("keeps the app's own answer to a failed body read, telling the client to close", async () => {
      const host = await serve(async (request) => {
        try {
          return new Response(await request.text());
        } catch {
          return new Response("too big, sorry", { status: 400 });
        }
      }, { limitRequestBody: 4 });
      const { request, send } = upload();
      const pending = host.handler!(request);
      send("12345");
      const response = await pending;
      expect(response.status).toBe(400);
      expect(response.headers.get("connection")).toBe("close");
    });

    it("fails a read that stalls past bodyTimeout, and answers 408 when the app throws", async () => {
      const host = await serve(async (request) => new Response(await request.text()), { bodyTimeoutMs: 5_000 });
      const { request, send } = upload();
      let answered: Response | undefined;
      void (host.handler!(request) as Promise<Response>).then((r) => (answered = r));
      send("abc");
      await vi.advanceTimersByTimeAsync(4_999);
      expect(answered).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      expect(answered?.status).toBe(408);
      expect(answered?.headers.get("connection")).toBe("close");
      expect(lines(host, "ERROR")).toEqual([]);
      expect(lines(host, "INFO")).toEqual([expect.stringContaining("Request body stalled for 5 s: POST /upload; answered 408")]);
      expect(counts(host)).toEqual({ served: 1, inFlight: 0 });
    });

    it("answers 408 for a small body with a Content-Length that stalls while the app reads it", async () => {
      const host = await serve(async (request) => new Response(await request.text()), { bodyTimeoutMs: 2_000 });
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const request = new Request("http://x/form", { method: "POST", body, headers: { "content-length": "100" }, duplex: "half" } as RequestInit);
      let answered: Response | undefined;
      void (host.handler!(request) as Promise<Response>).then((r) => (answered = r));
      controller.enqueue(new TextEncoder().encode("0123456789"));
      await vi.advanceTimersByTimeAsync(2_000);
      expect(answered?.status).toBe(408);
      expect(lines(host, "INFO")).toEqual([expect.stringContaining("Request body stalled for 2 s: POST /form; answered 408")]);
    });

    it("lets a slow upload through whose pauses are each shorter than bodyTimeout", async () => {
      const host = await serve(async (request) => new Response(`len=${(await request.text()).length}`), { bodyTimeoutMs: 5_000 });
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      const request = new Request("http://x/up", { method: "POST", body, headers: { "content-length": "30" }, duplex: "half" } as RequestInit);
      const pending = host.handler!(request) as Promise<Response>;
      for (let i = 0; i < 3; i++) {
        controller.enqueue(new TextEncoder().encode("u".repeat(10)));
        await vi.advanceTimersByTimeAsync(3_000);
      }
      controller.close();
      expect(await (await pending).text()).toBe("len=30");
    });

    it("logs a client that breaks off mid-body as one line at info, without a stack, and answers 400", async () => {
      const host = await serve(async (request) => new Response(await request.text()));
      const { request, send, fail } = upload();
      const pending = host.handler!(request);
      send("abc");
      fail(Object.assign(new Error("The connection was closed."), { name: "AbortError" }));
      const response = await pending;
      expect(response.status).toBe(400);
      expect(lines(host, "ERROR")).toEqual([]);
      expect(lines(host, "INFO")).toEqual([expect.stringMatching(/Client error on POST \/upload: AbortError: The connection was closed\.$/)]);
    });

    it("leaves announced bodies to a server that bounds stalls itself, and answers 408 for its BodyTimeoutError", async () => {
      const host = new FakeHost(SPEC, {
        default: async (request: Request) => {
          try {
            return new Response(await request.text());
          } catch (error) {
            throw new Error("read failed", { cause: error });
          }
        },
      });
      host.boundsBodyStalls = true;
      await runWorker(host);
      const request = new Request("http://x/up", { method: "POST", body: "x", headers: { "content-length": "1" } });
      await host.handler!(request);
      expect(Object.getPrototypeOf(request)).toBe(Request.prototype);

      const stalled = new Request("http://x/up", { method: "POST", body: "x", headers: { "content-length": "1" } });
      const { BodyTimeoutError } = await import("./body-guard.ts");
      Object.defineProperty(stalled, "text", { value: () => Promise.reject(new BodyTimeoutError(60_000)) });
      const response = await host.handler!(stalled);
      expect(response.status).toBe(408);
      expect(lines(host, "ERROR")).toEqual([]);
    });

    it("answers 408 for the 500 a framework makes of a body the server reports stalled, logged as a stall", async () => {
      const stalledInfo = { stalled: true };
      const host = new FakeHost(SPEC, {
        default: async (request: Request) => {
          try {
            return new Response(await request.text());
          } catch {
            return new Response("Internal Server Error", { status: 500 });
          }
        },
      });
      host.boundsBodyStalls = true;
      host.bodyFaultOf = (info) => (info === stalledInfo ? "stalled" : undefined);
      await runWorker(host);
      const failing = () => {
        const request = new Request("http://x/up", { method: "POST", body: "x", headers: { "content-length": "1" } });
        Object.defineProperty(request, "text", { value: () => Promise.reject(new Error("aborted")) });
        return request;
      };
      expect((await host.handler!(failing(), stalledInfo)).status).toBe(408);
      expect(lines(host, "INFO")).toEqual([expect.stringMatching(/Request body stalled for .*: POST \/up; answered 408$/)]);
      // Any other 500 of the app's stays as it is.
      expect((await host.handler!(failing(), {})).status).toBe(500);
    });

    it("guards nothing for a GET, a HEAD or a POST without a body", async () => {
      const requests: Request[] = [];
      const host = await serve((request) => (requests.push(request), new Response("ok")), { limitRequestBody: 1 });
      await host.handler!(new Request("http://x/", { method: "GET" }));
      await host.handler!(new Request("http://x/", { method: "HEAD" }));
      await host.handler!(new Request("http://x/", { method: "POST" }));
      expect(requests.map((request) => Object.getOwnPropertyNames(request))).toEqual([[], [], []]);
    });
  });

  describe("log lines", () => {
    it("escape what the client sent, so it cannot forge a line", async () => {
      const host = await serve(() => undefined as unknown as Response);
      // What reaches the handler when a runtime lets odd bytes through (Deno keeps a lowercase method).
      const forged = { method: "get", url: "http://x/a\n[2026-01-01] [1] [ERROR] forged", headers: new Headers() };
      await host.handler!(forged as unknown as Request);
      expect(host.errors).toHaveLength(1);
      expect(host.errors[0]!.trimEnd()).not.toContain("\n");
      expect(host.errors[0]).toContain("get /a\\n[2026-01-01] [1] [ERROR] forged");
    });
  });

  describe("the client's address and scheme", () => {
    const echo = (request: Request, info: unknown) => Response.json(getClientInfo(request, info));
    const forwarded = (headers: Record<string, string>) => new Request("http://x/", { headers });

    it("are the peer's when the peer is not a trusted proxy, whatever it forwards", async () => {
      const host = await serve(echo, {}, { accessLog: "-", accessLogFormat: "%(h)s" });
      host.peer = "203.0.113.9";
      const response = await host.handler!(forwarded({ "x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https" }));
      expect(await response.json()).toEqual({ address: "203.0.113.9", scheme: "http", httpVersion: "1.1" });
      vi.advanceTimersByTime(0);
      expect(host.output.join("")).toBe("203.0.113.9\n");
    });

    it("are the forwarded ones when the peer is a trusted proxy", async () => {
      const host = await serve(echo, { forwardedAllowIps: ["127.0.0.1"] }, { accessLog: "-", accessLogFormat: "%(h)s" });
      host.peer = "127.0.0.1";
      const response = await host.handler!(forwarded({ "x-forwarded-for": "6.6.6.6, 198.51.100.4", "x-forwarded-proto": "https" }));
      expect(await response.json()).toEqual({ address: "198.51.100.4", scheme: "https", httpVersion: "1.1" });
      vi.advanceTimersByTime(0);
      expect(host.output.join("")).toBe("198.51.100.4\n");
    });

    it("trust any peer with *, and read Forwarded", async () => {
      const host = await serve(echo, { forwardedAllowIps: ["*"] });
      const response = await host.handler!(forwarded({ forwarded: 'for="[2001:db8::7]:4711";proto=https' }));
      expect(await response.json()).toEqual({ address: "2001:db8::7", scheme: "https", httpVersion: "1.1" });
    });
  });
});
