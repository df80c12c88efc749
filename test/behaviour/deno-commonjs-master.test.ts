/**
 * The CommonJS limits of a Deno master, which runs with the flags its user starts it with (the README's
 * CommonJS bullet): in a package without a "type", an ES-module config file that imports a CommonJS
 * `.js` file fails, and a CommonJS config file's top-level code runs twice (a failed ES-module run,
 * then `require`). Started with `--unstable-detect-cjs`, the master does neither. Pinned here so that a
 * Deno that changes either shows in the README's claims.
 */

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROOT, RUNTIMES, userEnvironment } from "./harness.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-deno-commonjs-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "legacy", version: "1.0.0", private: true }));
  writeFileSync(join(dir, "helper.js"), `module.exports = { workers: 3 };\n`);
  writeFileSync(join(dir, "esm.config.js"), `import helper from "./helper.js";\nexport default { workers: helper.workers };\n`);
  writeFileSync(join(dir, "cjs.config.js"), `console.error("config evaluated");\nmodule.exports = { workers: 3 };\n`);
  writeFileSync(join(dir, "app.js"), `module.exports = { fetch: () => new Response("ok") };\n`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `mgr print-config -c CONFIG app.js` on a Deno master started with `denoFlags`. */
function printConfig(denoFlags: string[], config: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ["run", "-A", ...denoFlags, `${ROOT}mgr.ts`, "print-config", "-c", config, "app.js"];
  return new Promise((resolve) => {
    execFile(`${ROOT}node_modules/.bin/deno`, args, { cwd: dir, env: userEnvironment(), timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe.runIf(RUNTIMES.includes("deno"))("CommonJS in a Deno master", () => {
  it("fails an ES-module config importing CommonJS, and runs a CommonJS config twice, without --unstable-detect-cjs", async () => {
    const esm = await printConfig([], "esm.config.js");
    expect(esm.code).not.toBe(0);
    expect(esm.stderr).toMatch(/does not provide an export named 'default'/);
    const cjs = await printConfig([], "cjs.config.js");
    expect(cjs.stdout).toMatch(/^workers\s+3\s/m);
    expect(cjs.stderr.match(/config evaluated/g)).toHaveLength(2);
  });

  it("loads both, each once, with --unstable-detect-cjs", async () => {
    for (const config of ["esm.config.js", "cjs.config.js"]) {
      const result = await printConfig(["--unstable-detect-cjs"], config);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^workers\s+3\s/m);
      expect(result.stderr.match(/config evaluated/g) ?? [], result.stderr).toHaveLength(config.startsWith("cjs") ? 1 : 0);
    }
  });
});
