import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BodyTimeoutError, BodyTooLargeError, guardBody } from "./body-guard.ts";

/** A request whose body the test feeds by hand. */
function streamingRequest(headers: Record<string, string> = {}) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const request = new Request("http://x/upload", { method: "POST", body, headers, duplex: "half" } as RequestInit);
  const bytes = (text: string) => controller.enqueue(new TextEncoder().encode(text));
  return { request, send: bytes, end: () => controller.close(), error: (e: unknown) => controller.error(e) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("guardBody", () => {
  it("lets the app read a body within the limit, through every reader, as the same request", async () => {
    const request = new Request("http://x/", { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
    const guard = guardBody(request, { limit: 100, stallMs: 1_000 });
    expect(await request.json()).toEqual({ a: 1 });
    expect(request.bodyUsed).toBe(true);
    expect(guard.fault).toBeUndefined();
  });

  it("keeps the content type for formData()", async () => {
    const form = new FormData();
    form.append("name", "mgr");
    const request = new Request("http://x/", { method: "POST", body: form });
    guardBody(request, { limit: 0, stallMs: 1_000 });
    expect((await request.formData()).get("name")).toBe("mgr");
  });

  it("fails the read past the limit with BodyTooLargeError, and records the fault", async () => {
    const { request, send } = streamingRequest();
    const guard = guardBody(request, { limit: 10, stallMs: 0 });
    const text = request.text();
    send("123456");
    send("78901");
    await expect(text).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(guard.fault).toBe("too-large");
  });

  it("fails a read that waits longer than stallMs with BodyTimeoutError", async () => {
    const { request, send } = streamingRequest();
    const guard = guardBody(request, { limit: 0, stallMs: 5_000 });
    const text = request.text();
    text.catch(() => {});
    send("abc");
    await vi.advanceTimersByTimeAsync(4_999);
    expect(guard.fault).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await expect(text).rejects.toBeInstanceOf(BodyTimeoutError);
    expect(guard.fault).toBe("stalled");
  });

  it("bounds each wait of a body with a Content-Length, not its whole read", async () => {
    const { request, send } = streamingRequest({ "content-length": "10" });
    const guard = guardBody(request, { limit: 0, stallMs: 5_000 });
    const text = request.text();
    text.catch(() => {});
    send("abc");
    await vi.advanceTimersByTimeAsync(4_000);
    send("def");
    await vi.advanceTimersByTimeAsync(4_000);
    expect(guard.fault).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(text).rejects.toBeInstanceOf(BodyTimeoutError);
    expect(guard.fault).toBe("stalled");
  });

  it("reads a body with every reader", async () => {
    const make = () => new Request("http://x/", { method: "POST", body: '{"a":1}', headers: { "content-type": "application/json" } });
    const guarded = (request: Request) => (guardBody(request, { limit: 0, stallMs: 1_000 }), request);
    expect(await guarded(make()).json()).toEqual({ a: 1 });
    expect(await guarded(make()).text()).toBe('{"a":1}');
    expect(new TextDecoder().decode(await guarded(make()).arrayBuffer())).toBe('{"a":1}');
    expect(new TextDecoder().decode(await guarded(make()).bytes())).toBe('{"a":1}');
    const blob = await guarded(make()).blob();
    expect([blob.type, await blob.text()]).toEqual(["application/json", '{"a":1}']);
    const request = guarded(make());
    const chunks: string[] = [];
    for await (const chunk of request.body!) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks.join("")).toBe('{"a":1}');
  });

  it("refuses a second read, as a Request does", async () => {
    const request = new Request("http://x/", { method: "POST", body: "once" });
    guardBody(request, { limit: 0, stallMs: 1_000 });
    expect(request.bodyUsed).toBe(false);
    expect(await request.text()).toBe("once");
    expect(request.bodyUsed).toBe(true);
    await expect(request.text()).rejects.toBeInstanceOf(TypeError);
  });

  it("stays the same Request, an instance of Request, with no own property added", () => {
    const request = new Request("http://x/", { method: "POST", body: "x" });
    guardBody(request, { limit: 0, stallMs: 1_000 });
    expect(request).toBeInstanceOf(Request);
    expect(Object.getPrototypeOf(request)).toBe(Request.prototype);
    expect(Object.getOwnPropertyNames(request)).toEqual([]);
    expect(request.method).toBe("POST");
    expect(request.url).toBe("http://x/");
  });

  it("restarts the stall clock with every chunk", async () => {
    const { request, send, end } = streamingRequest();
    const guard = guardBody(request, { limit: 0, stallMs: 5_000 });
    const text = request.text();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(4_000);
      send("x");
    }
    end();
    expect(await text).toBe("xxxx");
    expect(guard.fault).toBeUndefined();
  });

  it("does not count the time the app spends before it reads", async () => {
    const { request, send, end } = streamingRequest();
    const guard = guardBody(request, { limit: 0, stallMs: 5_000 });
    await vi.advanceTimersByTimeAsync(60_000);
    send("late");
    end();
    expect(await request.text()).toBe("late");
    expect(guard.fault).toBeUndefined();
  });

  it("records a failure of the runtime's own body as the client's fault, passing its error on", async () => {
    const { request, error } = streamingRequest();
    const guard = guardBody(request, { limit: 0, stallMs: 5_000 });
    const text = request.text();
    const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    error(aborted);
    await expect(text).rejects.toBe(aborted);
    expect(guard).toEqual({ fault: "client", error: aborted });
  });

  it("never reads request.signal, which makes Deno print a warning about its legacy abort", async () => {
    const request = new Request("http://x/", { method: "POST", body: "hello" });
    let signalRead = false;
    Object.defineProperty(request, "signal", { get: () => ((signalRead = true), new AbortController().signal) });
    guardBody(request, { limit: 100, stallMs: 1_000 });
    expect(await request.text()).toBe("hello");
    expect(signalRead).toBe(false);
  });

  it("guards through own properties a request whose prototype's readers are read-only (@hono/node-server's)", async () => {
    const native = new Request("http://x/", { method: "POST", body: "light" });
    const lightPrototype = Object.create(Request.prototype) as object;
    for (const name of ["text", "json", "arrayBuffer", "blob", "bytes", "formData"]) {
      Object.defineProperty(lightPrototype, name, { value: function () { return (native as never as Record<string, () => unknown>)[name]!(); } });
    }
    Object.defineProperty(lightPrototype, "body", { get: () => native.body, configurable: true });
    const light = Object.create(lightPrototype) as Request;
    const guard = guardBody(light, { limit: 3, stallMs: 0 });
    expect(Object.getOwnPropertyNames(light)).toContain("text");
    await expect(light.text()).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(guard.fault).toBe("too-large");
  });

  it("leaves a request without a body alone", () => {
    const request = new Request("http://x/");
    expect(guardBody(request, { limit: 10, stallMs: 10 })).toEqual({});
    expect(Object.getOwnPropertyNames(request)).toEqual([]);
  });
});
