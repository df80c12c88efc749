/**
 * Process titles on Bun: `process.title` changes nothing Bun shows (measured on 1.4: /proc's `comm`
 * and `cmdline` stay `bun …`), so the title is set as the main thread's name with
 * `prctl(PR_SET_NAME)` through `bun:ffi`. That is what `ps -o comm`, `top` and `pgrep` read, 15
 * characters at most; `ps aux` still shows Bun's command line, which a process cannot change here.
 *
 * @module
 */

import { createRequire } from "node:module";

const PR_SET_NAME = 15;
/** The kernel keeps 16 bytes, the last one NUL. */
const MAX_NAME_BYTES = 15;

interface PrctlLibc {
  prctl(option: number, name: Uint8Array, a: number, b: number, c: number): number;
}

let libc: PrctlLibc | undefined;

/** Names this process `title` (cut to 15 bytes) where `ps -o comm` and `top` show it; false if it cannot. */
export function setBunProcessTitle(title: string): boolean {
  try {
    libc ??= (createRequire(import.meta.url)("bun:ffi") as {
      dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: PrctlLibc };
    }).dlopen("libc.so.6", { prctl: { args: ["i32", "ptr", "u64", "u64", "u64"], returns: "i32" } }).symbols;
    const bytes = new TextEncoder().encode(title).subarray(0, MAX_NAME_BYTES);
    const name = new Uint8Array(MAX_NAME_BYTES + 1);
    name.set(bytes);
    return libc.prctl(PR_SET_NAME, name, 0, 0, 0) === 0;
  } catch {
    return false;
  }
}
