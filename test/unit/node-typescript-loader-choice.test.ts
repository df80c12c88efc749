import { describe, expect, it } from "vitest";
import { chooseTypeScriptLoader, needsTsx, tsxOnlySetting } from "../../adapters/node/typescript-loader-choice.ts";
import type { TypeScriptFacts } from "../../adapters/node/typescript-loader-choice.ts";

/** A Node 24 importing `app.ts` of a `"type": "module"` package without a tsconfig. */
const node24: TypeScriptFacts = {
  nodeTypeScript: "strip",
  syncHooks: true,
  asyncHooks: true,
  extension: ".ts",
  packageType: "module",
  compilerOptions: undefined,
};

/** Node 20: no stripping, no module.registerHooks, module.register. */
const node20: TypeScriptFacts = { ...node24, nodeTypeScript: undefined, syncHooks: false };

describe("chooseTypeScriptLoader", () => {
  it("strips types natively where Node does and the module is an ES module", () => {
    expect(chooseTypeScriptLoader(node24)).toEqual({ loader: "node", reason: "Node strips its types" });
    expect(chooseTypeScriptLoader({ ...node24, extension: ".mts", packageType: "commonjs" }).loader).toBe("node");
    expect(chooseTypeScriptLoader({ ...node24, nodeTypeScript: "transform" }).loader).toBe("node");
    expect(chooseTypeScriptLoader({ ...node24, compilerOptions: { target: "es2022", strict: true } }).loader).toBe("node");
  });

  it("compiles with esbuild where Node does not strip types (Node 20, or 22 before 22.18 without the flag)", () => {
    expect(chooseTypeScriptLoader({ ...node20 })).toEqual({ loader: "esbuild", reason: "this Node does not strip types" });
    expect(chooseTypeScriptLoader({ ...node20, nodeTypeScript: false, syncHooks: true }).loader).toBe("esbuild");
  });

  it("gives esbuild every tsconfig tsx would compile with, but not one that changes resolution", () => {
    expect(chooseTypeScriptLoader({ ...node20, compilerOptions: { target: "es2020", experimentalDecorators: true } }).loader).toBe("esbuild");
    expect(chooseTypeScriptLoader({ ...node20, compilerOptions: { baseUrl: "./src" } })).toEqual({ loader: "tsx", reason: "its tsconfig sets `baseUrl`" });
  });

  it("uses tsx where no module hooks could retry a failed import", () => {
    expect(chooseTypeScriptLoader({ ...node24, syncHooks: false, asyncHooks: false }).loader).toBe("tsx");
    expect(chooseTypeScriptLoader({ ...node24, syncHooks: false }).loader).toBe("tsx");
    expect(chooseTypeScriptLoader({ ...node20, asyncHooks: false }).loader).toBe("tsx");
  });

  it("uses tsx for a module of a CommonJS package, which tsx compiles to CommonJS", () => {
    const choice = chooseTypeScriptLoader({ ...node24, packageType: "commonjs" });
    expect(choice.loader).toBe("tsx");
    expect(choice.reason).toMatch(/CommonJS/);
    expect(chooseTypeScriptLoader({ ...node24, extension: ".cts", packageType: "module" }).loader).toBe("tsx");
    expect(chooseTypeScriptLoader({ ...node20, packageType: "commonjs" }).loader).toBe("tsx");
  });

  it("uses tsx for JSX", () => {
    expect(chooseTypeScriptLoader({ ...node24, extension: ".tsx" }).loader).toBe("tsx");
    expect(chooseTypeScriptLoader({ ...node20, extension: ".tsx" }).loader).toBe("tsx");
  });

  it("uses tsx when the tsconfig asks for what stripping cannot give, naming the setting", () => {
    expect(chooseTypeScriptLoader({ ...node24, compilerOptions: { paths: { "@/*": ["./src/*"] } } }))
      .toEqual({ loader: "tsx", reason: "its tsconfig sets `paths`" });
  });

  it("uses tsx when the tsconfig cannot be read, saying why", () => {
    const choice = chooseTypeScriptLoader({ ...node24, compilerOptions: new Error("Unexpected token } in JSON") });
    expect(choice).toEqual({ loader: "tsx", reason: "its tsconfig could not be read (Unexpected token } in JSON)" });
    expect(chooseTypeScriptLoader({ ...node20, compilerOptions: new Error("x") }).loader).toBe("tsx");
  });
});

describe("tsxOnlySetting", () => {
  it("finds the settings that change what a module means under tsx", () => {
    expect(tsxOnlySetting({ baseUrl: "." })).toBe("`baseUrl`");
    expect(tsxOnlySetting({ experimentalDecorators: true })).toBe("`experimentalDecorators`");
    expect(tsxOnlySetting({ useDefineForClassFields: false })).toBe("`useDefineForClassFields: false`");
  });

  it("finds a target below ES2022, where class fields are assigned, unless define semantics are asked for", () => {
    expect(tsxOnlySetting({ target: "ES2020" })).toMatch(/^`target: ES2020`/);
    expect(tsxOnlySetting({ target: "es5" })).toMatch(/^`target: es5`/);
    expect(tsxOnlySetting({ target: "es2020", useDefineForClassFields: true })).toBeUndefined();
  });

  it("passes the settings stripping gives the same meaning", () => {
    for (const target of ["es2022", "ES2023", "esnext", "ESNext"]) expect(tsxOnlySetting({ target })).toBeUndefined();
    expect(tsxOnlySetting({ strict: true, module: "nodenext", verbatimModuleSyntax: true, experimentalDecorators: false })).toBeUndefined();
    expect(tsxOnlySetting({})).toBeUndefined();
  });
});

describe("needsTsx", () => {
  const error = (name: string, code?: string) => Object.assign(new Error("x"), { name, ...(code ? { code } : {}) });

  it("falls back on what Node's loader refuses before running anything", () => {
    expect(needsTsx(error("SyntaxError", "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX"))).toBe(true); // enum, namespace, parameter property
    expect(needsTsx(error("Error", "ERR_MODULE_NOT_FOUND"))).toBe(true); // ./x.js naming ./x.ts
    expect(needsTsx(error("Error", "ERR_UNSUPPORTED_DIR_IMPORT"))).toBe(true);
    expect(needsTsx(error("TypeError", "ERR_UNKNOWN_FILE_EXTENSION"))).toBe(true); // .tsx
    expect(needsTsx(error("Error", "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING"))).toBe(true);
    expect(needsTsx(error("SyntaxError"))).toBe(true); // an imported type, decorators
    expect(needsTsx(error("Error", "ERR_MGR_COMMONJS_TYPESCRIPT"))).toBe(true); // a CommonJS module, to the esbuild hooks
  });

  it("lets the app's own errors through", () => {
    expect(needsTsx(new Error("database unreachable"))).toBe(false);
    expect(needsTsx(error("TypeError"))).toBe(false);
    expect(needsTsx(error("Error", "ECONNREFUSED"))).toBe(false);
    expect(needsTsx("a string")).toBe(false);
    expect(needsTsx(undefined)).toBe(false);
  });
});
