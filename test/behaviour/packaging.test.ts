/**
 * mgr as a user meets it: packed with `npm pack`, installed into a fresh project, and run from there
 * with `npx mgr`, `bunx mgr`, `bunx --bun mgr` and `deno run -A npm:mgr`.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyAllMasters, freePort, get, isAlive, Master, ROOT, userEnvironment, waitFor } from "./harness.ts";

const BUN = `${ROOT}node_modules/.bin/bun`;
const DENO = `${ROOT}node_modules/.bin/deno`;

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "mgr-packaging-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", project], { cwd: ROOT, stdio: "ignore", env: userEnvironment() });
  const tarball = readdirSync(project).find((name) => name.endsWith(".tgz"))!;
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "packaging-check", private: true, type: "module", dependencies: { mgr: `file:./${tarball}` } }),
  );
  // A plain fetch handler that says which runtime serves it, and a config that imports mgr by name.
  writeFileSync(
    join(project, "app.ts"),
    `const runtime: string = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
export default { fetch: (): Response => new Response(runtime) };
`,
  );
  writeFileSync(
    join(project, "mgr.config.ts"),
    `import { defineConfig } from "mgr";
export default defineConfig({ workers: 1, timeout: 20 });
`,
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--silent"], {
    cwd: project,
    stdio: "ignore",
    env: userEnvironment(),
  });
}, 240_000);

afterAll(async () => {
  await destroyAllMasters();
  rmSync(project, { recursive: true, force: true });
});

/** Starts `command` in the project, checks which runtime answers, and stops it gracefully. */
async function serveFrom(command: string[], expectedRuntime: string): Promise<void> {
  const port = await freePort();
  const master = new Master("command", [...command, "app.ts", "-b", `127.0.0.1:${port}`], {}, project);
  const body = await waitFor(`mgr to answer on ${port}\n${master.log}`, async () => {
    const response = await get(port, "/", { fresh: true });
    return response.status === 200 ? response.body : undefined;
  }, { timeoutMs: 30_000 });
  expect(body).toBe(expectedRuntime);
  await master.waitForLine(/Ready: 1 worker serving/);
  master.signal("SIGTERM");
  expect((await master.waitForExit(15_000)).code).toBe(0);
}

describe("the packed package", () => {
  it("serves with npx mgr on Node", async () => {
    // npx runs node_modules/.bin/mgr; the master is started directly so the TERM reaches it.
    const version = execFileSync("npx", ["mgr", "--version"], { cwd: project, env: userEnvironment(), encoding: "utf8" });
    expect(version).toMatch(/^mgr \d+\.\d+\.\d+ \(node /);
    await serveFrom(["node_modules/.bin/mgr"], "node");
  }, 60_000);

  it.each(["SIGTERM", "SIGKILL"] as const)("serves with npx mgr on Node, and stops gracefully when npx is sent %s", async (signal) => {
    // npm runs the command through `sh -c` and passes no signal on (TERM ends it and the shell, KILL only
    // npx): the master sees npx go, and stops.
    const port = await freePort();
    const npx = new Master("command", ["npx", "mgr", "app.ts", "-b", `127.0.0.1:${port}`], {}, project);
    await npx.waitForLine(/Ready: 1 worker serving/, 30_000);
    const masterPid = Number(/Listening at: \S+ \((\d+)\)/.exec(npx.log)![1]);
    expect(masterPid).not.toBe(npx.pid);
    expect((await get(port, "/", { fresh: true })).body).toBe("node");
    npx.signal(signal);
    await waitFor("the master to exit after npx", () => !isAlive(masterPid), { timeoutMs: 15_000 });
    expect(npx.log).toContain("The npx that started this master has exited without passing its signal on: stopping gracefully");
    expect(npx.log).toContain("Shutting down: Master");
  }, 60_000);

  it("serves with bunx --bun mgr on Bun", async () => {
    await serveFrom([BUN, "x", "--bun", "mgr"], "bun");
  }, 60_000);

  it("serves with bunx mgr on Bun, relaunched from Node", async () => {
    await serveFrom([BUN, "x", "mgr"], "bun");
  }, 60_000);

  it("serves with deno run -A npm:mgr on Deno", async () => {
    await serveFrom([DENO, "run", "-A", "npm:mgr"], "deno");
  }, 60_000);
});
