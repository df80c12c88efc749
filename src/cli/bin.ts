#!/usr/bin/env node
/**
 * The `mgr` executable.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { bunToRelaunchUnder, followLauncher, LAUNCHED_ENV, relaunchUnder } from "./bunx-launcher.ts";
import { main } from "./main.ts";

const bun = bunToRelaunchUnder(process.env);
if (bun) {
  relaunchUnder(bun, fileURLToPath(import.meta.url));
} else {
  if (process.env[LAUNCHED_ENV]) followLauncher();
  const code = await main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
  process.exit(code);
}
