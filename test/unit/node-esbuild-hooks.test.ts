import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { initialize, load, resolve } from "../../adapters/node/esbuild-hooks.ts";

let dir: string;
let cache: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-esbuild-hooks-"));
  cache = join(dir, "cache");
  mkdirSync(cache);
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/package.json"), `{ "type": "module" }`);
  mkdirSync(join(dir, "legacy"));
  writeFileSync(join(dir, "legacy/package.json"), `{ "name": "legacy" }`);
  initialize({ directory: cache, compilerOptions: { target: "es2020" } });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const next = vi.fn(async (url: string) => ({ format: "module", source: `// next ${url}` }));
const file = (path: string, text: string) => {
  writeFileSync(join(dir, path), text);
  return pathToFileURL(join(dir, path)).href;
};

describe("esbuild hooks: load", () => {
  it("compiles a TypeScript ES module with the tsconfig's options, once for every worker", async () => {
    const url = file("app/app.ts", `enum Color { Red = "red" }\nclass Base { name: string; }\nexport default Color.Red;\n`);
    const loaded = await load(url, {}, next);
    expect(loaded.format).toBe("module");
    expect(loaded.source).toMatch(/\["Red"\] = "red"/);
    // target es2020: a field without initializer is not defined, as tsx compiles it.
    expect(loaded.source).not.toMatch(/\bname;/);
    expect(loaded.source).toMatch(/sourceMappingURL=data:application\/json/);
    expect(readdirSync(cache).filter((name) => name.endsWith(".js"))).toHaveLength(1);
    expect(await load(url, {}, next)).toEqual(loaded);
    expect(next).not.toHaveBeenCalled();
  });

  it("refuses a .ts file of a CommonJS package with the error that means tsx", async () => {
    const url = file("legacy/app.ts", "export default 1;\n");
    await expect(load(url, {}, next)).rejects.toMatchObject({ code: "ERR_MGR_COMMONJS_TYPESCRIPT" });
  });

  it("leaves JavaScript, and what tsx loads after a failure, to the next loader", async () => {
    const js = file("app/lib.js", "export default 1;\n");
    await load(js, {}, next);
    const retried = `${file("app/again.ts", "export default 1;\n")}?mgr-loader=tsx`;
    await load(retried, {}, next);
    expect(next.mock.calls.map(([url]) => url)).toEqual([js, retried]);
  });
});

describe("esbuild hooks: resolve", () => {
  it("resolves `./x.js` to x.ts once Node could not, as tsx does, and leaves a `.tsx` file to tsx", async () => {
    file("app/x.ts", "export default 1;\n");
    file("app/view.tsx", "export default 1;\n");
    const parentURL = pathToFileURL(join(dir, "app/app.ts")).href;
    const asked: string[] = [];
    const nodeResolve = async (specifier: string, context: { parentURL?: string }) => {
      asked.push(specifier);
      const url = new URL(specifier, context.parentURL).href;
      if (!url.endsWith(".ts")) throw Object.assign(new Error(`Cannot find module ${url}`), { code: "ERR_MODULE_NOT_FOUND", url });
      return { url };
    };
    expect(await resolve("./x.js", { parentURL }, nodeResolve)).toEqual({ url: pathToFileURL(join(dir, "app/x.ts")).href });
    expect(asked).toEqual(["./x.js", pathToFileURL(join(dir, "app/x.ts")).href]);
    await expect(resolve("./view.js", { parentURL }, nodeResolve)).rejects.toMatchObject({ code: "ERR_MODULE_NOT_FOUND" });
  });

  it("keys what a module loaded by tsx after a failure imports, so that tsx loads it too", async () => {
    const resolveNext = async (specifier: string) => ({ url: new URL(specifier, "file:///srv/app/").href });
    expect(await resolve("./util.ts", { parentURL: "file:///srv/app/app.ts?mgr-loader=tsx" }, resolveNext))
      .toEqual({ url: "file:///srv/app/util.ts?mgr-loader=tsx" });
    expect(await resolve("./util.ts", { parentURL: "file:///srv/app/app.ts" }, resolveNext)).toEqual({ url: "file:///srv/app/util.ts" });
  });
});
