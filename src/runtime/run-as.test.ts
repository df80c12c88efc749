import { describe, expect, it } from "vitest";
import { AccountError, resolveRunAs } from "./run-as.ts";

const files = () => ({
  passwd: [["root", "x", "0", "0"], ["app", "x", "1001", "1002"]],
  groups: [["root", "x", "0"], ["web", "x", "33"]],
});

describe("resolveRunAs", () => {
  it("is undefined without a user or a group", () => {
    expect(resolveRunAs(null, null, files)).toBeUndefined();
  });

  it("runs a named user in its primary group, or the group given", () => {
    expect(resolveRunAs("app", null, files)).toEqual({ uid: 1001, gid: 1002 });
    expect(resolveRunAs("app", "web", files)).toEqual({ uid: 1001, gid: 33 });
  });

  it("takes numbers as they are, with a known uid's own group", () => {
    expect(resolveRunAs("1001", null, files)).toEqual({ uid: 1001, gid: 1002 });
    expect(resolveRunAs("4242", "4343", files)).toEqual({ uid: 4242, gid: 4343 });
  });

  it("names the account that does not exist, and the fix", () => {
    expect(() => resolveRunAs("nobody-here", null, files)).toThrow(AccountError);
    expect(() => resolveRunAs("nobody-here", null, files)).toThrow(
      "no user named nobody-here in /etc/passwd (--user): create it, or give a numeric uid",
    );
    expect(() => resolveRunAs("app", "nogroup-here", files)).toThrow("no group named nogroup-here in /etc/group (--group)");
  });
});
