import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveAsTsx, resolveAsTsxAsync } from "../../adapters/node/resolve-as-tsx.ts";

let dir: string;
let asked: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-ts-resolution-"));
  asked = [];
  write("app/package.json", `{ "type": "module" }`);
  write("legacy/package.json", `{ "name": "legacy" }`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text = "export {};\n"): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

const url = (path: string) => pathToFileURL(join(dir, path)).href;

/** Node's ESM resolution, as far as these tests need it: with the errors Node throws and their `url`. */
function nodeResolve(specifier: string, context: { parentURL?: string }): { url: string } {
  asked.push(specifier);
  if (specifier.startsWith("#")) throw Object.assign(new Error(`Package import specifier "${specifier}" is not defined`), { code: "ERR_PACKAGE_IMPORT_NOT_DEFINED" });
  const isPath = /^(?:\.{1,2}\/|\/|file:)/.test(specifier);
  const target = isPath ? new URL(specifier, context.parentURL) : new URL(`node_modules/${specifier}`, url("app/"));
  const path = fileURLToPath(target);
  if (!existsSync(path)) throw Object.assign(new Error(`Cannot find module '${path}'`), { code: "ERR_MODULE_NOT_FOUND", url: target.href });
  if (statSync(path).isDirectory()) throw Object.assign(new Error(`Directory import '${path}' is not supported`), { code: "ERR_UNSUPPORTED_DIR_IMPORT", url: target.href });
  return { url: target.href };
}

const fromTs = (specifier: string) => resolveAsTsx(specifier, { parentURL: url("app/main.ts") }, nodeResolve).url;
const fromJs = (specifier: string) => resolveAsTsx(specifier, { parentURL: url("app/main.js") }, nodeResolve).url;

describe("resolveAsTsx", () => {
  it("takes Node's resolution when there is one, and looks no further: even with x.ts beside x.js", () => {
    write("app/x.js");
    write("app/x.ts");
    expect(fromTs("./x.js")).toBe(url("app/x.js"));
    expect(asked).toEqual(["./x.js"]);
  });

  it("resolves what tsx resolves after Node failed: `.js` to `.ts`, `.mjs` to `.mts`, no extension, a directory", () => {
    write("app/x.ts");
    write("app/m.mts");
    write("app/plain.js");
    write("app/lib/index.ts");
    expect(fromTs("./x.js")).toBe(url("app/x.ts"));
    expect(fromTs("./m.mjs")).toBe(url("app/m.mts"));
    expect(fromTs("./x")).toBe(url("app/x.ts"));
    expect(fromTs("./plain")).toBe(url("app/plain.js"));
    expect(fromTs("./lib")).toBe(url("app/lib/index.ts"));
    expect(fromTs("./lib/")).toBe(url("app/lib/index.ts"));
    expect(fromTs(url("app/x.js"))).toBe(url("app/x.ts"));
  });

  it("does so for a JavaScript parent too, as tsx does once Node failed", () => {
    write("app/x.ts");
    expect(fromJs("./x.js")).toBe(url("app/x.ts"));
  });

  it("tries the candidates in tsx's order: `.ts` before `.js` for no extension, a file before a directory from TypeScript", () => {
    write("app/both.ts");
    write("app/both.js");
    expect(fromTs("./both")).toBe(url("app/both.ts"));
    write("app/lib.ts");
    write("app/lib/index.ts");
    expect(fromTs("./lib")).toBe(url("app/lib.ts"));
    // tsx tries a JavaScript parent's directory only after Node, which failed on it as a directory.
    expect(fromJs("./lib")).toBe(url("app/lib/index.ts"));
  });

  it("keeps the query of the specifier", () => {
    write("app/x.ts");
    expect(fromTs("./x.js?v=2")).toBe(`${url("app/x.ts")}?v=2`);
  });

  it("leaves Node's error when the file tsx would take is tsx's to run: .tsx, .jsx, .cts, JSON, CommonJS TypeScript", () => {
    write("app/view.tsx");
    expect(() => fromTs("./view.js")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND", url: url("app/view.js") }));
    // `.tsx` comes before `.js` for no extension: tsx would load view.tsx, not view.js.
    write("app/view.js");
    expect(() => fromTs("./view")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
    write("app/c.cts");
    expect(() => fromTs("./c.cjs")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
    write("app/data.json", "{}");
    expect(() => fromTs("./data")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
    write("legacy/x.ts");
    expect(() => resolveAsTsx("./x.js", { parentURL: url("legacy/main.ts") }, nodeResolve)).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
  });

  it("leaves Node's error when tsx finds nothing either, or the specifier is not a path Node named", () => {
    expect(() => fromTs("./missing.js")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND", url: url("app/missing.js") }));
    expect(() => fromTs("./x.ts")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
    expect(() => fromTs("#internal")).toThrow(expect.objectContaining({ code: "ERR_PACKAGE_IMPORT_NOT_DEFINED" }));
  });

  it("takes a package's JavaScript for a subpath without extension, never its TypeScript", () => {
    write("app/node_modules/pkg/sub.js");
    write("app/node_modules/pkg/sub.ts");
    write("app/node_modules/pkg/only.ts");
    expect(fromTs("pkg/sub")).toBe(url("app/node_modules/pkg/sub.js"));
    expect(() => fromTs("pkg/only")).toThrow(expect.objectContaining({ code: "ERR_MODULE_NOT_FOUND" }));
  });
});

describe("resolveAsTsxAsync", () => {
  it("resolves as resolveAsTsx does, with Node's asynchronous resolution", async () => {
    write("app/x.ts");
    const next = async (specifier: string, context: { parentURL?: string }) => nodeResolve(specifier, context);
    expect((await resolveAsTsxAsync("./x.js", { parentURL: url("app/main.ts") }, next)).url).toBe(url("app/x.ts"));
    await expect(resolveAsTsxAsync("./missing.js", { parentURL: url("app/main.ts") }, next)).rejects.toMatchObject({ code: "ERR_MODULE_NOT_FOUND" });
  });
});
