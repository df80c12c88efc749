/**
 * The few socket calls of the C library a Deno worker makes itself, through FFI (stable in Deno 2;
 * workers run with `-A`): Deno's own API has no way to stop a listener without closing its
 * connections, nor to answer a connection its HTTP server has taken over.
 *
 * Loaded at the first use; where there is no glibc (or no FFI) every caller goes on without it.
 *
 * @module
 */

import { Deno } from "./deno-api.ts";
import type { DenoDynamicLibrary } from "./deno-api.ts";

let libc: DenoDynamicLibrary | null | undefined;

/** The C library with `getsockopt`, `getpeername`, `shutdown` and `send`; undefined where it cannot be opened. */
export function openLibc(): DenoDynamicLibrary | undefined {
  if (libc === undefined) {
    try {
      libc = Deno.dlopen("libc.so.6", {
        getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
        getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
        shutdown: { parameters: ["i32", "i32"], result: "i32" },
        send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
      });
    } catch {
      libc = null;
    }
  }
  return libc ?? undefined;
}
