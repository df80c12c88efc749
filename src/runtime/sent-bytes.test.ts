import { describe, expect, it } from "vitest";
import { countSentBytes, utf8Length } from "./sent-bytes.ts";

const get = new Request("http://x/");

describe("countSentBytes", () => {
  it("sends a body complete at once as one piece, with its length counted", async () => {
    const counts: number[] = [];
    const sent = await countSentBytes(get, new Response("héllo", { status: 201, headers: { "x-a": "1" } }), (n) => counts.push(n));
    expect(counts).toEqual([6]);
    expect(sent.status).toBe(201);
    expect(sent.headers.get("x-a")).toBe("1");
    expect(await sent.text()).toBe("héllo");
  });

  it("counts a stream still being produced as it is read, once it ends", async () => {
    const counts: number[] = [];
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (n++ === 3) c.close();
        else c.enqueue(new Uint8Array(100));
      },
    });
    const sent = await countSentBytes(get, new Response(body), (count) => counts.push(count));
    expect(counts).toEqual([]);
    expect((await sent.arrayBuffer()).byteLength).toBe(300);
    expect(counts).toEqual([300]);
  });

  it("counts what a cancelled stream had handed over, not what it read ahead", async () => {
    const counts: number[] = [];
    const body = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(10)) });
    const reader = (await countSentBytes(get, new Response(body), (n) => counts.push(n))).body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(counts).toHaveLength(1);
    expect(counts[0]).toBeGreaterThanOrEqual(20);
    expect(counts[0]).toBeLessThanOrEqual(30);
  });

  it("takes Content-Length, a HEAD request and a body-less status as they are", () => {
    const counts: number[] = [];
    const fixed = new Response("abc", { headers: { "content-length": "3" } });
    expect(countSentBytes(get, fixed, (n) => counts.push(n))).toBe(fixed);
    countSentBytes(new Request("http://x/", { method: "HEAD" }), new Response("abc"), (n) => counts.push(n));
    countSentBytes(get, new Response(null, { status: 204 }), (n) => counts.push(n));
    expect(counts).toEqual([3, 0, 0]);
  });
});

describe("utf8Length", () => {
  it("counts as TextEncoder does", () => {
    for (const text of ["", "abc", "héllo", "€", "😀 ok", "\ud800 lone", "end \udc00"]) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});

describe("countSentBytes with a Response that holds its body as a string", () => {
  it("takes the held body's length without reading it, keeping the Response as it is", () => {
    const cache = Symbol("cache");
    const held = { status: 200, headers: new Headers(), [cache]: [200, "héllo", undefined] } as unknown as Response;
    Object.defineProperty(held, "body", { get: () => { throw new Error("read"); } });
    const counts: number[] = [];
    expect(countSentBytes(get, held, (n) => counts.push(n))).toBe(held);
    expect(counts).toEqual([6]);
  });
});
