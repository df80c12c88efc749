/**
 * A CommonJS project as `npm init` wrote it for years (no "type" in package.json): an app and a config
 * file in `.js` with `require` and `module.exports`. Node and Bun run such files as CommonJS; Deno runs a
 * `.js` file as an ES module unless told, so mgr tells it: its workers detect CommonJS, and its master
 * loads a CommonJS config file with `require`.
 */

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, freePort, get, Master, ROOT, RUNTIMES, waitFor } from "./harness.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-commonjs-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

function writeProject(port: number, workers: number): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "legacy", version: "1.0.0", private: true }));
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(ROOT, join(dir, "node_modules", "mgr"), "dir");
  writeFileSync(
    join(dir, "app.js"),
    `const { basename } = require("node:path");\n` +
      `module.exports = { fetch: () => new Response("commonjs " + basename(__filename)) };\n`,
  );
  writeConfig(port, workers);
}

function writeConfig(port: number, workers: number): void {
  writeFileSync(
    join(dir, "mgr.config.js"),
    `const { defineConfig } = require("mgr");\n` +
      `module.exports = defineConfig({ workers: ${workers}, bind: "127.0.0.1:${port}" });\n`,
  );
}

describe.each(RUNTIMES)("a CommonJS project without a package type on %s", (runtime) => {
  it("serves its .js app with its .js config, and reads the config again on HUP", async () => {
    const port = await freePort();
    writeProject(port, 1);
    const master = new Master(runtime, ["app.js"], {}, dir);
    await master.waitForLine(/Ready: 1 worker serving/, 20_000);
    const answer = await get(port, "/", { fresh: true });
    expect(answer.body).toBe("commonjs app.js");

    writeConfig(port, 2);
    master.signal("SIGHUP");
    await master.waitForLine(/Reload complete/, 20_000);
    await waitFor("two workers", () => master.log.includes("Number of workers: 2"));
    expect(master.log).not.toMatch(/is not defined/);
  }, 60_000);
});
