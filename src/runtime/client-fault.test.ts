import { describe, expect, it } from "vitest";
import { isClientFault } from "./client-fault.ts";

const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name }, extra);

describe("isClientFault", () => {
  it("knows each runtime's error for a client that went away mid-body or sent a bad chunk", () => {
    expect(isClientFault(Object.assign(new Error("aborted"), { code: "ECONNRESET" }))).toBe(true);
    expect(isClientFault(named("AbortError", "The connection was closed."))).toBe(true);
    expect(isClientFault(named("BadResource", "Cannot read body as underlying resource unavailable"))).toBe(true);
    expect(isClientFault(named("Http", "unexpected EOF while reading HTTP/1 body"))).toBe(true);
  });

  it("looks inside @hono/node-server's RequestError", () => {
    const wrapped = named("RequestError", "aborted", { cause: Object.assign(new Error("aborted"), { code: "ECONNRESET" }) });
    expect(isClientFault(wrapped)).toBe(true);
  });

  it("does not excuse the app's own errors, even those caused by a broken connection elsewhere", () => {
    expect(isClientFault(new Error("kaboom"))).toBe(false);
    expect(isClientFault(new TypeError("fetch failed", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) })))
      .toBe(false);
    expect(isClientFault(named("AbortError", "This operation was aborted"))).toBe(false);
    expect(isClientFault("aborted")).toBe(false);
    expect(isClientFault(undefined)).toBe(false);
  });
});
