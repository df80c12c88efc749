/**
 * Where mgr's own files are: the bench runs the built CLI (`dist/src/cli/bin.js`), `mgr.ts` for Deno
 * and its baseline launchers from there, whether it runs from the sources (`npm run bench`, via tsx)
 * or from the build (`npx mgr bench`).
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The directory of mgr's package.json: the closest one above this file whose name is `mgr`. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "mgr") return dir;
    dir = dirname(dir);
  }
  throw new Error(`Cannot find mgr's package.json above ${fileURLToPath(import.meta.url)}`);
}

/**
 * The file a baseline launcher runs from: the built JavaScript beside this module when running from
 * dist/, else the TypeScript source (`npm run bench` runs the sources through tsx).
 */
export function benchFile(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), here.endsWith(".js") ? `${name}.js` : `${name}.ts`);
}
