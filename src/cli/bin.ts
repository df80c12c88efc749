#!/usr/bin/env node
/**
 * The `mgr` executable.
 *
 * @module
 */

import { main } from "./main.ts";

const code = await main(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exit(code);
