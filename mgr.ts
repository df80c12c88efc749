/**
 * mgr's entry point on Deno: `deno run -A mgr.ts APP [options]`.
 *
 * @module
 */

import { main } from "./src/cli/main.ts";

// Only the slice of Deno's API used here, so this file type-checks with Node's types too.
declare const Deno: {
  args: string[];
  cwd(): string;
  env: { toObject(): Record<string, string> };
  exit(code: number): never;
  stdout: { writeSync(data: Uint8Array): number };
  stderr: { writeSync(data: Uint8Array): number };
};

const encoder = new TextEncoder();
const writeAll = (stream: { writeSync(data: Uint8Array): number }, text: string) => {
  let data = encoder.encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
};

const code = await main(Deno.args, {
  env: Deno.env.toObject(),
  cwd: Deno.cwd(),
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
});
Deno.exit(code);
