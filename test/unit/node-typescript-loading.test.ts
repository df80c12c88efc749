import { afterEach, describe, expect, it, vi } from "vitest";
import { isTypeStrippingWarning, silenceTypeStrippingWarning } from "../../adapters/node/type-stripping-warning.ts";
import { hasRetryKey, withRetryKey } from "../../adapters/node/retry-key.ts";

describe("withRetryKey", () => {
  it("gives a TypeScript module a URL of its own, keeping its query", () => {
    expect(withRetryKey("file:///srv/app/src/app.ts")).toBe("file:///srv/app/src/app.ts?mgr-loader=tsx");
    expect(withRetryKey("file:///srv/app/mgr.config.ts?reload=2")).toBe("file:///srv/app/mgr.config.ts?reload=2&mgr-loader=tsx");
    expect(withRetryKey("file:///srv/app/a.mts")).toBe("file:///srv/app/a.mts?mgr-loader=tsx");
    expect(withRetryKey("file:///srv/app/node_modules/lib/index.ts")).toBe("file:///srv/app/node_modules/lib/index.ts?mgr-loader=tsx");
  });

  it("is recognised on a URL, and only there", () => {
    expect(hasRetryKey("file:///srv/app/src/app.ts?mgr-loader=tsx")).toBe(true);
    expect(hasRetryKey("file:///srv/app/mgr.config.ts?reload=2&mgr-loader=tsx")).toBe(true);
    expect(hasRetryKey("file:///srv/app/src/app.ts")).toBe(false);
    expect(hasRetryKey("file:///srv/mgr-loader=tsx/app.ts")).toBe(false);
  });

  it("keeps the URL of JavaScript, built-ins and a module already keyed", () => {
    for (const url of ["file:///srv/app/node_modules/hono/dist/index.js", "node:http", "data:text/javascript,1", "file:///a.ts?mgr-loader=tsx"]) {
      expect(withRetryKey(url)).toBe(url);
    }
  });
});

describe("isTypeStrippingWarning", () => {
  it("knows Node's type stripping warning, as a string with its type or as an Error", () => {
    const text = "Type Stripping is an experimental feature and might change at any time";
    expect(isTypeStrippingWarning(text, "ExperimentalWarning")).toBe(true);
    expect(isTypeStrippingWarning(Object.assign(new Error(text), { name: "ExperimentalWarning" }))).toBe(true);
  });

  it("knows the warning of module.stripTypeScriptTypes, which the strip cache calls", () => {
    expect(isTypeStrippingWarning("stripTypeScriptTypes is an experimental feature and might change at any time", "ExperimentalWarning")).toBe(true);
  });

  it("leaves every other warning alone", () => {
    expect(isTypeStrippingWarning("The Fetch API is an experimental feature", "ExperimentalWarning")).toBe(false);
    expect(isTypeStrippingWarning("Type Stripping is an experimental feature", "DeprecationWarning")).toBe(false);
    expect(isTypeStrippingWarning("Type Stripping is an experimental feature")).toBe(false);
  });
});

describe("silenceTypeStrippingWarning", () => {
  const emitWarning = process.emitWarning;
  afterEach(() => {
    process.emitWarning = emitWarning;
  });

  it("drops the type stripping warning and passes the others on", () => {
    const seen = vi.fn();
    process.emitWarning = seen as unknown as typeof process.emitWarning;
    silenceTypeStrippingWarning();
    process.emitWarning("Type Stripping is an experimental feature and might change at any time", "ExperimentalWarning");
    process.emitWarning("Something else is experimental", { type: "ExperimentalWarning", code: "X" });
    expect(seen.mock.calls).toEqual([["Something else is experimental", { type: "ExperimentalWarning", code: "X" }]]);
  });
});
