/**
 * TypeScript apps on Node against what another local user, or the machine, may do to them: a
 * temporary directory shared with others where tsx's own cache was planted (tsx runs what Node and
 * the esbuild hooks cannot), a temporary directory nothing can be made in; and a source as an editor
 * may save it.
 *
 * @module
 */

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, freePort, get, Master, RUNTIMES_WITH_FLOOR, runtimeFamily, waitFor } from "./harness.ts";

const NODES = RUNTIMES_WITH_FLOOR.filter((runtime) => runtimeFamily(runtime) === "node");

// A CommonJS project (no "type": "module"): tsx's on every Node.
const NEEDS_TSX = {
  "package.json": `{ "name": "needs-tsx" }`,
  "v.ts": `export const v: string = "genuine";\n`,
  "app.ts": `import { v } from "./v";\nexport default { fetch: (): Response => new Response(v) };\n`,
};

// As some Windows editors save a script: a byte order mark, then the `#!` line.
const BOM_SHEBANG = {
  "package.json": `{ "name": "bom-shebang", "type": "module" }`,
  "app.ts": `\uFEFF#!/usr/bin/env node\nconst v: string = "genuine";\nexport default { fetch: (): Response => new Response(v) };\n`,
};

// The same with an enum: compiled by esbuild where Node strips types too.
const BOM_SHEBANG_ENUM = {
  "package.json": `{ "name": "bom-shebang-enum", "type": "module" }`,
  "app.ts": `\uFEFF#!/usr/bin/env node\nenum V { Genuine = "genuine" }\nexport default { fetch: (): Response => new Response(V.Genuine) };\n`,
};

// Imports, once running, a module only tsx can load (an enum, where Node only strips types).
const IMPORTS_WHILE_RUNNING = {
  "package.json": `{ "name": "imports-while-running", "type": "module" }`,
  "lazy.ts": `export enum Answer { Yes = "yes" }\n`,
  "app.ts": `console.error("top level ran");\nconst { Answer } = await import("./lazy.ts");\n` +
    `export default { fetch: (): Response => new Response(Answer.Yes) };\n`,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-typescript-attacks-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

function writeProject(files: Record<string, string>): string {
  const root = join(dir, "my project");
  mkdirSync(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

async function serveBody(runtime: string, root: string, temporary: string): Promise<string> {
  const port = await freePort();
  const master = new Master(runtime, ["app.ts", "-w", "1", "-b", `127.0.0.1:${port}`], { TMPDIR: temporary }, root);
  try {
    await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 20_000);
    await waitFor(`app.ts to answer\n${master.log}`, async () => (await get(port, "/")).status === 200);
    return (await get(port, "/")).body;
  } finally {
    await master.destroy();
  }
}

describe.each(NODES)("TypeScript apps under attack on %s", (runtime) => {
  it("does not run what another user wrote in tsx's cache, in a temporary directory they can write", async () => {
    const root = writeProject(NEEDS_TSX);
    const shared = join(dir, "shared");
    mkdirSync(shared);
    // tsx's cache directory, made by someone else before this user's first run: writable by all.
    const tsxCache = join(shared, `tsx-${process.geteuid!()}`);
    mkdirSync(tsxCache);
    chmodSync(tsxCache, 0o777);
    // A first run fills it, if it is used at all; the other user then rewrites what is there.
    expect(await serveBody(runtime, root, shared)).toBe("genuine");
    for (const name of readdirSync(tsxCache)) {
      const path = join(tsxCache, name);
      writeFileSync(path, readFileSync(path, "utf8").replaceAll("genuine", "planted"));
    }
    expect(await serveBody(runtime, root, shared)).toBe("genuine");
  });

  it("with MGR_TYPESCRIPT=tsx, runs an app that imports what only tsx loads once running, its top level once", async () => {
    const root = writeProject(IMPORTS_WHILE_RUNNING);
    const port = await freePort();
    const master = new Master(runtime, ["app.ts", "-w", "1", "-b", `127.0.0.1:${port}`], { MGR_TYPESCRIPT: "tsx" }, root);
    await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 20_000);
    expect((await get(port, "/")).body).toBe("yes");
    expect(master.lines(/top level ran/)).toHaveLength(1);
  });

  it("serves an app tsx runs where nothing can be made in the temporary directory", async () => {
    const root = writeProject(NEEDS_TSX);
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    expect(await serveBody(runtime, root, join(file, "tmp"))).toBe("genuine");
  });

  it.each([
    ["", BOM_SHEBANG],
    [" and an enum", BOM_SHEBANG_ENUM],
  ])("serves a module that starts with a byte order mark and a #! line%s", async (_what, project) => {
    const root = writeProject(project);
    expect(await serveBody(runtime, root, dir)).toBe("genuine");
  });
});
