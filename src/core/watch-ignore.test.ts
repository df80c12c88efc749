import { describe, expect, it } from "vitest";
import { createWatchIgnore, globToRegExp } from "./watch-ignore.ts";

describe("createWatchIgnore", () => {
  const ignored = createWatchIgnore(["*.test.ts", "src/generated/**", "dist"]);

  it("ignores node_modules, .git and every dot-directory or dot-file, at any depth", () => {
    expect(ignored("node_modules/hono/dist/index.js")).toBe(true);
    expect(ignored("packages/api/node_modules")).toBe(true);
    expect(ignored(".git/index")).toBe(true);
    expect(ignored("src/.cache/x.json")).toBe(true);
    expect(ignored(".app.ts.swp")).toBe(true);
  });

  it("ignores editors' backup and probe files", () => {
    expect(ignored("app.ts~")).toBe(true);
    expect(ignored("src/4913")).toBe(true);
  });

  it("matches a glob without a slash against any name, one with a slash against the whole path", () => {
    expect(ignored("src/app.test.ts")).toBe(true);
    expect(ignored("dist/app.js")).toBe(true);
    expect(ignored("src/generated")).toBe(true);
    expect(ignored("src/generated/deep/types.ts")).toBe(true);
    expect(ignored("lib/src/generated/x.ts")).toBe(false);
  });

  it("keeps the app's own files", () => {
    expect(ignored("app.ts")).toBe(false);
    expect(ignored("src/routes/users.ts")).toBe(false);
    expect(ignored("")).toBe(false);
  });
});

describe("globToRegExp", () => {
  it("reads * within a segment, ** across segments and ? as one character", () => {
    expect(globToRegExp("*.ts").test("a.ts")).toBe(true);
    expect(globToRegExp("*.ts").test("a/b.ts")).toBe(false);
    expect(globToRegExp("src/**/*.ts").test("src/b.ts")).toBe(true);
    expect(globToRegExp("src/**/*.ts").test("src/a/b/c.ts")).toBe(true);
    expect(globToRegExp("a?c").test("abc")).toBe(true);
    expect(globToRegExp("a.c").test("abc")).toBe(false);
  });
});
