import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.ts";

describe("parseBenchOptions", () => {
  it("reads the APP, lists and numbers, with defaults", () => {
    expect(parseBenchOptions(["app.ts", "--runtimes", "deno,node", "--workers", "1,2", "--baseline", "--json", "r.json"])).toEqual({
      app: "app.ts",
      runtimes: ["node", "deno"],
      workers: [1, 2],
      durationS: 10,
      warmupS: 1,
      rounds: 3,
      connections: 50,
      path: "/",
      baseline: true,
      load: "auto",
      jsonFile: "r.json",
      htmlFile: undefined,
      help: false,
    });
  });

  it.each([
    [["app.ts", "--workers", "0"], "option `--workers` must be an integer >= 1, got `0`"],
    [["app.ts", "--path", "x"], 'option `--path` must start with "/", got `x`'],
    [["app.ts", "--load", "ab"], "option `--load` takes one of auto, wrk, autocannon, got `ab`"],
    [["app.ts", "--json"], "--json needs a value"],
    [["a.ts", "b.ts"], "bench takes one APP, got a.ts b.ts"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseBenchOptions(argv)).toThrow(message);
  });
});
