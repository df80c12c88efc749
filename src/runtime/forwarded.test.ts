import { describe, expect, it } from "vitest";
import { compileAddressMatcher, parseAddress, parseForwarded, resolveForwarded } from "./forwarded.ts";

describe("compileAddressMatcher", () => {
  it("matches Gunicorn's default, the local proxy, on IPv4, IPv6 and IPv4-mapped IPv6", () => {
    const trusted = compileAddressMatcher(["127.0.0.1", "::1"]);
    expect(trusted("127.0.0.1")).toBe(true);
    expect(trusted("::1")).toBe(true);
    expect(trusted("0:0:0:0:0:0:0:1")).toBe(true);
    expect(trusted("::ffff:127.0.0.1")).toBe(true);
    expect(trusted("127.0.0.2")).toBe(false);
    expect(trusted("10.0.0.1")).toBe(false);
  });

  it("matches CIDR ranges of both families", () => {
    const trusted = compileAddressMatcher(["10.0.0.0/8", "192.168.1.128/25", "fd00::/8"]);
    expect(trusted("10.255.1.2")).toBe(true);
    expect(trusted("11.0.0.1")).toBe(false);
    expect(trusted("192.168.1.200")).toBe(true);
    expect(trusted("192.168.1.100")).toBe(false);
    expect(trusted("fdab::1")).toBe(true);
    expect(trusted("fe80::1")).toBe(false);
  });

  it("trusts everyone with *, and no one with an empty list", () => {
    expect(compileAddressMatcher(["*"])("203.0.113.9")).toBe(true);
    expect(compileAddressMatcher([])("127.0.0.1")).toBe(false);
  });

  it("trusts nothing that is not an address", () => {
    const trusted = compileAddressMatcher(["127.0.0.1"]);
    expect(trusted("localhost")).toBe(false);
    expect(trusted("")).toBe(false);
    expect(trusted("127.0.0.1.5")).toBe(false);
  });
});

describe("parseAddress", () => {
  it("reads IPv4, compressed IPv6, embedded IPv4 and zone ids, and refuses the rest", () => {
    expect(parseAddress("1.2.3.4")?.slice(12)).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(parseAddress("::ffff:1.2.3.4")).toEqual(parseAddress("1.2.3.4"));
    expect(parseAddress("2001:db8::1")).toBeDefined();
    expect(parseAddress("fe80::1%eth0")).toEqual(parseAddress("fe80::1"));
    for (const bad of ["256.1.1.1", "1.2.3", "1::2::3", "1:2:3:4:5:6:7:8:9", "g::1", "1.2.3.4/8", "unknown"]) {
      expect(parseAddress(bad), bad).toBeUndefined();
    }
  });
});

describe("parseForwarded", () => {
  it("reads for and proto of each element, quoted or not, in any case", () => {
    expect(parseForwarded('for=192.0.2.60;proto=https;by=203.0.113.43, For="[2001:db8::1]:4711"')).toEqual([
      { for: "192.0.2.60", proto: "https" },
      { for: "[2001:db8::1]:4711" },
    ]);
  });

  it("stops at what it cannot read", () => {
    expect(parseForwarded("for=1.2.3.4, ???")).toEqual([{ for: "1.2.3.4" }]);
  });
});

describe("resolveForwarded", () => {
  const trusted = compileAddressMatcher(["127.0.0.1", "10.0.0.0/8"]);
  const none = { forwardedFor: null, forwardedProto: null, forwarded: null };

  it("takes the address the trusted proxy appended, not what the client wrote before it", () => {
    const headers = { ...none, forwardedFor: "6.6.6.6, 203.0.113.7" };
    expect(resolveForwarded(headers, "127.0.0.1", trusted)).toEqual({ address: "203.0.113.7" });
  });

  it("walks past a chain of trusted proxies to the first untrusted hop", () => {
    const headers = { ...none, forwardedFor: "6.6.6.6, 203.0.113.7, 10.0.0.5, 10.0.0.6" };
    expect(resolveForwarded(headers, "127.0.0.1", trusted).address).toBe("203.0.113.7");
  });

  it("takes the farthest hop when every one is trusted", () => {
    const headers = { ...none, forwardedFor: "10.0.0.5" };
    expect(resolveForwarded(headers, "127.0.0.1", trusted).address).toBe("10.0.0.5");
  });

  it("stops at a hop that is not an address, keeping the one to its right", () => {
    const headers = { ...none, forwardedFor: "203.0.113.7, garbage\nx, 10.0.0.5" };
    expect(resolveForwarded(headers, "127.0.0.1", trusted).address).toBe("10.0.0.5");
  });

  it("takes the scheme of the nearest proxy, http or https only", () => {
    expect(resolveForwarded({ ...none, forwardedProto: "HTTPS" }, "127.0.0.1", trusted)).toEqual({
      address: "127.0.0.1",
      scheme: "https",
    });
    expect(resolveForwarded({ ...none, forwardedProto: "https, http" }, "127.0.0.1", trusted).scheme).toBe("http");
    expect(resolveForwarded({ ...none, forwardedProto: "gopher" }, "127.0.0.1", trusted).scheme).toBeUndefined();
  });

  it("reads Forwarded, with ports and brackets, only when there is no X-Forwarded-*", () => {
    const forwarded = 'for=6.6.6.6, for="[2001:db8::7]:4711";proto=https';
    expect(resolveForwarded({ ...none, forwarded }, "127.0.0.1", trusted)).toEqual({
      address: "2001:db8::7",
      scheme: "https",
    });
    expect(resolveForwarded({ ...none, forwarded, forwardedFor: "203.0.113.7" }, "127.0.0.1", trusted)).toEqual({
      address: "203.0.113.7",
    });
    expect(resolveForwarded({ ...none, forwarded: "for=1.2.3.4:80" }, "127.0.0.1", trusted).address).toBe("1.2.3.4");
  });
});
