/**
 * `--reload` on every runtime in RUNTIMES_WITH_FLOOR (Node 20 too): a developer saves the app while
 * requests keep coming. The new code answers within 2 s of the save and no request fails; a save that
 * breaks the app leaves the old workers serving and its error in the log once; the next good save
 * recovers.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, freePort, get, Master, RUNTIMES_WITH_FLOOR, startServing, waitFor } from "./harness.ts";

/** How soon after a save the new code must answer. */
const RELOAD_WITHIN_MS = 2_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-reload-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

/** An app that answers `body`. */
const appSource = (body: string) => `export default { fetch: () => new Response(${JSON.stringify(body)}) };\n`;

/** A few clients in a loop, remembering the last body each saw and every failure. */
function bodyLoad(port: number, clients = 3) {
  let running = true;
  const seen = { latest: "", failures: [] as string[], answers: 0 };
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      try {
        const response = await get(port, "/");
        if (response.status !== 200) seen.failures.push(`status ${response.status}: ${response.body}`);
        else seen.latest = response.body;
        seen.answers++;
      } catch (error) {
        seen.failures.push(String(error));
      }
    }
  });
  return {
    seen,
    async stop() {
      running = false;
      await Promise.all(loops);
      return seen;
    },
  };
}

/** Saves the app as `body` and resolves with how long until the new code answered. */
async function saveAndWait(app: string, body: string, seen: { latest: string }): Promise<number> {
  const saved = Date.now();
  writeFileSync(app, appSource(body));
  await waitFor(`the app to answer ${body}`, () => seen.latest === body, { timeoutMs: 10_000, intervalMs: 10 });
  return Date.now() - saved;
}

describe.each(RUNTIMES_WITH_FLOOR)("--reload on %s", (runtime) => {
  it("serves a save within 2 s with no failed request, survives a broken save and recovers", async () => {
    const app = join(dir, "app.ts");
    writeFileSync(app, appSource("one"));
    const port = await freePort();
    // An access log beside the app is written at every request, and must not reload it.
    const master = await startServing(runtime, app, port, ["-w", "1", "--reload", "--access-log", join(dir, "access.log")]);
    await master.waitForLine(/Watching .* for changes/);
    const load = bodyLoad(port);
    await waitFor("a first answer", () => load.seen.latest === "one");

    expect(await saveAndWait(app, "two", load.seen), master.log).toBeLessThan(RELOAD_WITHIN_MS);
    await master.waitForLine(/Reload complete/);

    // A broken save: the old workers keep answering, the error is logged once.
    const answeredBefore = load.seen.answers;
    writeFileSync(app, "export default { fetch: () => new Response(\"three\" };\n");
    await master.waitForLine(/Reload abandoned/);
    await waitFor("answers after the broken save", () => load.seen.answers > answeredBefore + 20);
    expect(load.seen.latest).toBe("two");
    expect(master.lines(/App failed to load/), master.log).toHaveLength(1);

    // The next good save recovers.
    const completes = master.lines(/Reload complete/).length;
    expect(await saveAndWait(app, "four", load.seen), master.log).toBeLessThan(RELOAD_WITHIN_MS);
    await waitFor("the second reload to complete", () => master.lines(/Reload complete/).length > completes);

    const seen = await load.stop();
    expect(seen.failures, master.log).toEqual([]);
    // One reload per save: two good ones and the broken one.
    expect(master.lines(/Reloading: /), master.log).toEqual([
      expect.stringContaining("Reloading: app.ts changed"),
      expect.stringContaining("Reloading: app.ts changed"),
      expect.stringContaining("Reloading: app.ts changed"),
    ]);
  }, 40_000);

  it("re-reads the config file when it changes", async () => {
    // The app in a directory of its own: the config file is watched as the config, not as part of its tree.
    mkdirSync(join(dir, "app"));
    const app = join(dir, "app", "app.ts");
    writeFileSync(app, appSource("one"));
    const port = await freePort();
    const config = join(dir, "mgr.config.mjs");
    const source = (edit: number) =>
      `export default { workers: 1, bind: "127.0.0.1:${port}", postWorkerInit() { console.error("config edit ${edit}: worker up"); } };\n`;
    writeFileSync(config, source(0));
    const master = new Master(runtime, [app, "--reload"], {}, dir);
    await master.waitForLine(/config edit 0: worker up/, 15_000);
    await master.waitForLine(/Watching .* for changes/);

    writeFileSync(config, source(1));
    await master.waitForLine(/Reloading: \.\.\/mgr\.config\.mjs changed/);
    await master.waitForLine(/config edit 1: worker up/);
    await master.waitForLine(/Reload complete/);
  }, 40_000);
});
