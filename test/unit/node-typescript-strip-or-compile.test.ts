import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStripOrCompile, isStrippingRefusal } from "../../adapters/node/strip-or-compile.ts";

const TAG = "node v24.22.3 strip";
const ENUM = "enum Color { Red = \"red\" }\nclass Base { name: string; }\nexport default Color.Red;\n";

let dir: string;
let strips: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-strip-or-compile-"));
  strips = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Stripping as Node's refuses an enum; it removes `: number` from the rest. */
const strip = (source: string) => {
  strips.push(source);
  if (/\benum\b/.test(source)) throw Object.assign(new SyntaxError("TypeScript enum is not supported in strip-only mode"), { code: "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX" });
  if (source.includes("boom")) throw new RangeError("boom");
  return source.replace(": number", "");
};

const entries = () => readdirSync(dir).sort((a, b) => a.slice(-7).localeCompare(b.slice(-7)));

describe("createStripOrCompile", () => {
  it("strips what stripping takes, as Node would", () => {
    const stripOrCompile = createStripOrCompile({ directory: dir, tag: TAG, strip, compilerOptions: undefined });
    expect(stripOrCompile("export const x: number = 1;\n", "/srv/app/x.ts")).toEqual({ code: "export const x = 1;\n", compiled: false });
  });

  it("compiles with esbuild, as tsx does, a module stripping refuses, with the tsconfig's options and a source map naming it", () => {
    const stripOrCompile = createStripOrCompile({ directory: dir, tag: TAG, strip, compilerOptions: { target: "es2020" } });
    const { code, compiled } = stripOrCompile(ENUM, "/srv/app/color.ts");
    expect(compiled).toBe(true);
    expect(code).toMatch(/\["Red"\] = "red"/);
    // target es2020: a field without initializer is not defined, as tsx compiles it.
    expect(code).not.toMatch(/\bname;/);
    const map = JSON.parse(Buffer.from(code.match(/sourceMappingURL=data:application\/json;base64,(\S+)/)![1], "base64").toString("utf8")) as { sources: string[] };
    expect(map.sources).toEqual(["/srv/app/color.ts"]);
  });

  it("remembers the refusal and keeps the compiled module, so that another worker neither strips nor compiles it", () => {
    createStripOrCompile({ directory: dir, tag: TAG, strip, compilerOptions: undefined })(ENUM, "/srv/app/color.ts");
    const [failed, compiled] = entries();
    expect([failed, compiled].map((name) => name!.replace(/^[0-9a-f]+/, "KEY"))).toEqual(["KEY.failed", "KEY.js"]);
    // Served from the cache: an entry altered there is what another worker gets.
    writeFileSync(join(dir, compiled!), "export default \"cached\";\n");
    const another = createStripOrCompile({ directory: dir, tag: TAG, strip, compilerOptions: undefined });
    expect(another(ENUM, "/srv/app/color.ts")).toEqual({ code: "export default \"cached\";\n", compiled: true });
    expect(strips).toHaveLength(1);
  });

  it("strips and compiles anew without a directory for the cache", () => {
    const stripOrCompile = createStripOrCompile({ directory: undefined, tag: TAG, strip, compilerOptions: undefined });
    expect(stripOrCompile(ENUM, "/srv/app/color.ts").code).toMatch(/\["Red"\] = "red"/);
    expect(stripOrCompile(ENUM, "/srv/app/color.ts").compiled).toBe(true);
    expect(strips).toHaveLength(2);
  });

  it("throws any other error of stripping", () => {
    const stripOrCompile = createStripOrCompile({ directory: dir, tag: TAG, strip, compilerOptions: undefined });
    expect(() => stripOrCompile("boom", "/srv/app/boom.ts")).toThrow(RangeError);
    expect(entries()).toEqual([]);
  });
});

describe("isStrippingRefusal", () => {
  it("knows what Node's stripping throws for a source it cannot run", () => {
    expect(isStrippingRefusal(Object.assign(new SyntaxError("x"), { code: "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX" }))).toBe(true);
    expect(isStrippingRefusal(Object.assign(new SyntaxError("x"), { code: "ERR_INVALID_TYPESCRIPT_SYNTAX" }))).toBe(true);
    expect(isStrippingRefusal(new SyntaxError("x"))).toBe(false);
    expect(isStrippingRefusal(undefined)).toBe(false);
  });
});
