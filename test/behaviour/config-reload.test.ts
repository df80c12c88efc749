/**
 * A reload reads the config file afresh, on every runtime in RUNTIMES_WITH_FLOOR, whatever the project's package
 * type and whether the file is an ES module or CommonJS: a runtime's module cache must not hand the
 * master the config it read at start while `mgr print-config` already shows the new one.
 */

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, isAlive, Master, ROOT, runMgr, RUNTIMES_WITH_FLOOR, waitFor } from "./harness.ts";

const APP = `${FIXTURES}app.ts`;

/** A project layout a user may have: its package type, and the config file it writes. */
interface Project {
  title: string;
  packageType: "commonjs" | "module";
  configName: string;
  /** The config's source for `workers` workers, each printing `edit` once it is up. */
  source(workers: number, edit: number, port: number): string;
}

/** The settings object of a config file; `typed` annotates the hook's parameter, as TypeScript wants. */
const settings = (workers: number, edit: number, port: number, typed: boolean) => `{
  workers: ${workers},
  bind: "127.0.0.1:${port}",
  postWorkerInit(worker${typed ? ": { id: number }" : ""}) {
    console.error("config edit ${edit}: worker " + worker.id + " up");
  },
}`;

const PROJECTS: readonly Project[] = [
  {
    // What `npm init -y` writes: on Node the TypeScript config is compiled to CommonJS.
    title: 'mgr.config.ts in a "type": "commonjs" package',
    packageType: "commonjs",
    configName: "mgr.config.ts",
    source: (workers, edit, port) =>
      `import { defineConfig } from "mgr";\n\nexport default defineConfig(${
        settings(workers, edit, port, true)
      });\n`,
  },
  {
    title: 'a CommonJS mgr.config.js (module.exports) in a "type": "commonjs" package',
    packageType: "commonjs",
    configName: "mgr.config.js",
    source: (workers, edit, port) =>
      `const { defineConfig } = require("mgr");\n\nmodule.exports = defineConfig(${
        settings(workers, edit, port, false)
      });\n`,
  },
  {
    title: 'mgr.config.ts in a "type": "module" package',
    packageType: "module",
    configName: "mgr.config.ts",
    source: (workers, edit, port) =>
      `import { defineConfig } from "mgr";\n\nexport default defineConfig(${
        settings(workers, edit, port, true)
      });\n`,
  },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-config-reload-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a project that depends on mgr as an installed package would. */
function writeProject(project: Project): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: project.packageType }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "mgr"), "dir");
}

/**
 * The master's live workers, from its log. Not its children: on Node, tsx's esbuild service is a child
 * of a master that compiled a TypeScript config as CommonJS.
 */
function liveWorkers(master: Master): number[] {
  master.workers(); // remembers every child for cleanup
  const booted = master.lines(/Booting (?:spare )?worker with pid: \d+/).map((line) => Number(line.split(": ").pop()));
  return booted.filter(isAlive);
}

/**
 * Waits until the config of `edit` is the one in force: `workers` live workers, every reload so far
 * complete, and `workers` workers started by the hooks of that edit.
 */
async function waitForEdit(master: Master, edit: number, workers: number, reloads: number): Promise<void> {
  const marker = new RegExp(`config edit ${edit}: worker \\d+ up`);
  try {
    await waitFor(
      `edit ${edit} in force: ${workers} workers started by its hooks`,
      () =>
        liveWorkers(master).length === workers &&
        master.lines(/Reload complete/).length === reloads &&
        master.lines(marker).length >= workers,
      { timeoutMs: 15_000 },
    );
  } catch (error) {
    // The log as it is when the wait gives up, not as it was when it began.
    throw new Error(`${(error as Error).message}\n--- log ---\n${master.log}`);
  }
}

describe.each(RUNTIMES_WITH_FLOOR)("config reload on %s", (runtime) => {
  it.each(PROJECTS)("reads $title afresh on every SIGHUP and mgr reload", async (project) => {
    writeProject(project);
    const port = await freePort();
    const config = join(dir, project.configName);
    writeFileSync(config, project.source(1, 0, port));

    const master = new Master(runtime, [APP], {}, dir);
    await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 15_000);
    await waitForEdit(master, 0, 1, 0);

    writeFileSync(config, project.source(3, 1, port));
    master.signal("SIGHUP");
    await waitForEdit(master, 1, 3, 1);

    // A second edit proves the first was not a one-time miss of the cache.
    writeFileSync(config, project.source(2, 2, port));
    master.signal("SIGHUP");
    await waitForEdit(master, 2, 2, 2);

    writeFileSync(config, project.source(1, 3, port));
    const reload = await runMgr(runtime, ["reload"], { cwd: dir });
    expect(reload.code, reload.stderr).toBe(0);
    await waitForEdit(master, 3, 1, 3);
    expect(master.lines(/config edit [0-3]: worker \d+ up/).length).toBe(1 + 3 + 2 + 1);
  });
});
