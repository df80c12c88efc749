import { describe, expect, it } from "vitest";
import { checkHead, fallbackPrefix } from "../../adapters/deno/head-checks.ts";

/** A request as Deno's server makes it: an absolute URL, the method as sent, and its Host if any. */
function request(method: string, url: string, host: string | null = "example.com"): Request {
  return { method, url, headers: { get: (name: string) => (name === "host" ? host : null) } } as unknown as Request;
}

const PREFIX = "http://localhost:8000/";

describe("checkHead", () => {
  it("passes an ordinary request", () => {
    expect(checkHead(request("GET", "http://example.com/a?b=c"), 4094, PREFIX)).toBeUndefined();
  });

  it("measures the request line as METHOD SP target SP HTTP/1.1 and refuses it past the limit with 414", () => {
    const target = `/${"a".repeat(86)}`; // 87 bytes: `POST ` + 87 + ` HTTP/1.1` = 101
    expect(checkHead(request("POST", `http://example.com${target}`), 101, PREFIX)).toBeUndefined();
    expect(checkHead(request("POST", `http://example.com${target}a`), 101, PREFIX)).toEqual({
      status: 414,
      reason: "request line of 102 bytes, over the limit of 101",
    });
  });

  it("does not count the host in the request line", () => {
    expect(checkHead(request("GET", `http://${"h".repeat(200)}.example/`), 100, PREFIX)).toBeUndefined();
  });

  it("takes a limit of 0 as unlimited", () => {
    expect(checkHead(request("GET", `http://example.com/${"a".repeat(100_000)}`), 0, PREFIX)).toBeUndefined();
  });

  it("refuses a method with a lowercase letter", () => {
    expect(checkHead(request("get", "http://example.com/"), 4094, PREFIX)).toEqual({ status: 400, reason: "method not in upper case" });
    expect(checkHead(request("Post", "http://example.com/"), 4094, PREFIX)?.status).toBe(400);
    expect(checkHead(request("PROPFIND", "http://example.com/"), 4094, PREFIX)).toBeUndefined();
  });

  it("refuses a request without Host, which Deno gives the fallback host, and not one that names it", () => {
    expect(checkHead(request("GET", "http://localhost:8000/x", null), 4094, PREFIX)).toEqual({ status: 400, reason: "no Host header" });
    expect(checkHead(request("GET", "http://localhost:8000/x", "localhost:8000"), 4094, PREFIX)).toBeUndefined();
    expect(checkHead(request("GET", "http://localhost:80000/x", null), 4094, PREFIX)).toBeUndefined();
  });
});

describe("fallbackPrefix", () => {
  it("names loopback and unspecified addresses localhost, others by address, the port left out at 80", () => {
    expect(fallbackPrefix("127.0.0.1", 8000)).toBe("http://localhost:8000/");
    expect(fallbackPrefix("0.0.0.0", 8000)).toBe("http://localhost:8000/");
    expect(fallbackPrefix("::1", 8000)).toBe("http://localhost:8000/");
    expect(fallbackPrefix("::", 80)).toBe("http://localhost/");
    expect(fallbackPrefix("10.1.2.3", 8000)).toBe("http://10.1.2.3:8000/");
    expect(fallbackPrefix("10.1.2.3", 80)).toBe("http://10.1.2.3/");
    expect(fallbackPrefix("2001:db8::1", 8000)).toBe("http://[2001:db8::1]:8000/");
  });
});
