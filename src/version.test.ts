import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VERSION } from "./version.ts";

describe("VERSION", () => {
  it("matches package.json and deno.json", () => {
    for (const file of ["package.json", "deno.json"]) {
      const manifest = JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
      expect(manifest.version, file).toBe(VERSION);
    }
  });
});
