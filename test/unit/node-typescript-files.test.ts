import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packageTypeOf } from "../../adapters/node/package-type.ts";
import { findTsconfig, readCompilerOptions } from "../../adapters/node/tsconfig.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-ts-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const full = join(dir, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, text);
  return full;
}

describe("findTsconfig", () => {
  it("finds the nearest tsconfig.json from the working directory up, as tsx does", () => {
    const path = write("tsconfig.json", "{}");
    mkdirSync(join(dir, "src/deep"), { recursive: true });
    expect(findTsconfig(join(dir, "src/deep"), {})).toBe(path);
  });

  it("takes TSX_TSCONFIG_PATH first, relative to the working directory", () => {
    write("tsconfig.json", "{}");
    const other = write("config/tsconfig.build.json", "{}");
    expect(findTsconfig(dir, { TSX_TSCONFIG_PATH: "config/tsconfig.build.json" })).toBe(other);
  });
});

describe("readCompilerOptions", () => {
  it("reads comments and trailing commas, as tsconfig.json holds them", () => {
    const path = write("tsconfig.json", `{
      // Node 22 and up
      "compilerOptions": { "target": "es2022", /* inline */ "lib": ["es2023",], },
    }`);
    expect(readCompilerOptions(path)).toMatchObject({ target: "es2022", lib: ["es2023"] });
  });

  it("merges the options of the files it extends under its own", () => {
    write("base.json", `{ "compilerOptions": { "target": "es2020", "strict": true } }`);
    const path = write("tsconfig.json", `{ "extends": "./base", "compilerOptions": { "target": "es2022" } }`);
    expect(readCompilerOptions(path)).toMatchObject({ target: "es2022", strict: true });
  });

  it("follows an extends array, later entries winning, and a package's tsconfig", () => {
    write("node_modules/@tsconfig/node22/tsconfig.json", `{ "compilerOptions": { "target": "es2022", "module": "nodenext" } }`);
    write("node_modules/@tsconfig/node22/package.json", `{ "name": "@tsconfig/node22" }`);
    write("legacy.json", `{ "compilerOptions": { "target": "es2019" } }`);
    const path = write("tsconfig.json", `{ "extends": ["./legacy.json", "@tsconfig/node22/tsconfig.json"] }`);
    expect(readCompilerOptions(path)).toMatchObject({ target: "es2022", module: "nodenext" });
  });

  it("throws when a file it extends is missing, so that the caller stays with tsx", () => {
    const path = write("tsconfig.json", `{ "extends": "./missing.json" }`);
    expect(() => readCompilerOptions(path)).toThrow();
    const package_ = write("b/tsconfig.json", `{ "extends": "@tsconfig/none" }`);
    expect(() => readCompilerOptions(package_)).toThrow(/@tsconfig\/none/);
  });

  it("throws on a loop of extends", () => {
    write("a.json", `{ "extends": "./b.json" }`);
    write("b.json", `{ "extends": "./a.json" }`);
    expect(() => readCompilerOptions(join(dir, "a.json"))).toThrow(/[Cc]ircularity/);
  });
});

describe("packageTypeOf", () => {
  it("reads the type of the nearest package.json", () => {
    write("package.json", `{ "type": "module" }`);
    write("legacy/package.json", `{ "name": "legacy" }`);
    expect(packageTypeOf(join(dir, "src/app.ts"))).toBe("module");
    expect(packageTypeOf(join(dir, "legacy/app.ts"))).toBe("commonjs");
  });

  it("is CommonJS for a package.json Node cannot parse, whose error tsx then reports", () => {
    write("broken/package.json", `{ "type": "module", }`);
    expect(packageTypeOf(join(dir, "broken/app.ts"))).toBe("commonjs");
  });
});
