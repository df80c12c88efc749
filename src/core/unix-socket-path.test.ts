import { describe, expect, it } from "vitest";
import { MAX_UNIX_SOCKET_PATH_BYTES, unixSocketPathOverLimit } from "./unix-socket-path.ts";

describe("unixSocketPathOverLimit", () => {
  it("accepts a path of up to 107 bytes, the NUL of Linux's 108 left out", () => {
    expect(MAX_UNIX_SOCKET_PATH_BYTES).toBe(107);
    expect(unixSocketPathOverLimit(`/${"a".repeat(106)}`)).toBeUndefined();
    expect(unixSocketPathOverLimit("run/app.sock")).toBeUndefined();
  });

  it("gives the length of a longer one", () => {
    expect(unixSocketPathOverLimit(`/${"a".repeat(107)}`)).toBe(108);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const path = `/${"é".repeat(60)}`;
    expect(path.length).toBe(61);
    expect(unixSocketPathOverLimit(path)).toBe(121);
  });
});
