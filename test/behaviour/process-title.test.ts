/**
 * `--name` on every runtime: `ps -o comm`, `top` and `pgrep` (or `ps aux`, where the runtime can
 * change its command line) show `mgr: master [NAME]` and `mgr: worker [NAME]`, cut to Linux's 15
 * characters where it is the command name.
 */

import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { destroyAllMasters, FIXTURES, freePort, RUNTIMES_WITH_FLOOR, startServing } from "./harness.ts";

/** What `ps` can show for `pid`: its command name and its command line. */
function titlesOf(pid: number): string[] {
  return ["comm", "cmdline"].map((file) => readFileSync(`/proc/${pid}/${file}`, "utf8").replace(/\0/g, " ").trim());
}

describe.each(RUNTIMES_WITH_FLOOR)("process titles on %s", (runtime) => {
  afterAll(destroyAllMasters);

  it("names the master and its workers", async () => {
    const port = await freePort();
    const master = await startServing(runtime, `${FIXTURES}app.ts`, port, ["-w", "1", "-n", "shop"]);
    const [worker] = await master.waitForWorkers(1);
    // The master's pid is the harness child's, whichever runtime runs it.
    const shows = (pid: number, title: string) => titlesOf(pid).some((seen) => title.startsWith(seen.slice(0, 15)) && seen.startsWith("mgr: "));
    expect(shows(master.pid, "mgr: master [shop]"), titlesOf(master.pid).join(" | ")).toBe(true);
    expect(shows(worker!, "mgr: worker [shop]"), titlesOf(worker!).join(" | ")).toBe(true);
  });
});
