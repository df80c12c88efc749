import { describe, expect, it } from "vitest";
import { originalPosition, parseInlineSourceMap } from "./source-map.ts";

describe("originalPosition", () => {
  // Generated line 0: column 0 from app.ts 1:1, column 8 from app.ts 3:5; line 1: column 2 from lib.ts 10:1.
  const map = { sources: ["app.ts", "lib.ts"], mappings: "AAAA,QAEI;ECOJ" };

  it("finds the closest mapping at or before the column, on the same line", () => {
    expect(originalPosition(map, 0, 0)).toEqual({ source: "app.ts", line: 1, column: 1 });
    expect(originalPosition(map, 0, 7)).toEqual({ source: "app.ts", line: 1, column: 1 });
    expect(originalPosition(map, 0, 20)).toEqual({ source: "app.ts", line: 3, column: 5 });
    expect(originalPosition(map, 1, 5)).toEqual({ source: "lib.ts", line: 10, column: 1 });
  });

  it("finds nothing on a line without mappings", () => {
    expect(originalPosition(map, 5, 0)).toBeUndefined();
  });
});

describe("parseInlineSourceMap", () => {
  it("reads a base64 data URL and refuses anything else", () => {
    const json = JSON.stringify({ version: 3, sources: ["a.ts"], mappings: "AAAA" });
    expect(parseInlineSourceMap(`data:application/json;base64,${btoa(json)}`)).toMatchObject({ sources: ["a.ts"] });
    expect(parseInlineSourceMap(`data:application/json;charset=utf-8;base64,${btoa(json)}`)).toMatchObject({ mappings: "AAAA" });
    expect(parseInlineSourceMap("app.js.map")).toBeUndefined();
    expect(parseInlineSourceMap("data:application/json;base64,!!!")).toBeUndefined();
  });
});
