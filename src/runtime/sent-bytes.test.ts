import { describe, expect, it } from "vitest";
import { countSentBytes } from "./sent-bytes.ts";

const get = new Request("http://x/");

describe("countSentBytes", () => {
  it("counts a body without Content-Length as it is read, once it ends", async () => {
    const counts: number[] = [];
    const sent = countSentBytes(get, new Response("héllo", { status: 201, headers: { "x-a": "1" } }), (n) => counts.push(n));
    expect(counts).toEqual([]);
    expect(sent.status).toBe(201);
    expect(sent.headers.get("x-a")).toBe("1");
    expect(await sent.text()).toBe("héllo");
    expect(counts).toEqual([6]);
  });

  it("counts what a cancelled stream had sent", async () => {
    const counts: number[] = [];
    const body = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(10)) });
    const reader = countSentBytes(get, new Response(body), (n) => counts.push(n)).body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(counts).toEqual([20]);
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
