/**
 * sd_notify on Bun: one datagram from the master itself, through libc with `bun:ffi` (Bun has no
 * unix datagram socket). Four plain calls with integer and buffer arguments, the part of `bun:ffi`
 * that has been stable since Bun 1.0.
 *
 * @module
 */

import { createRequire } from "node:module";
import { monotonicMicros, type NotifyLibc, sendNotifyDatagram } from "../../src/runtime/notify-datagram.ts";

/** The slice of `bun:ffi` used here. */
interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: NotifyLibc };
}

let libc: NotifyLibc | undefined;

/** libc, opened at the first use (loading `bun:ffi` costs nothing until then). */
function openLibc(): NotifyLibc {
  if (!libc) {
    // A require, not an import: `bun:ffi` exists only under Bun, and this stays synchronous.
    const ffi = createRequire(import.meta.url)("bun:ffi") as BunFfi;
    libc = ffi.dlopen("libc.so.6", {
      socket: { args: ["i32", "i32", "i32"], returns: "i32" },
      sendto: { args: ["i32", "ptr", "usize", "i32", "ptr", "u32"], returns: "isize" },
      close: { args: ["i32"], returns: "i32" },
      clock_gettime: { args: ["i32", "ptr"], returns: "i32" },
    }).symbols;
  }
  return libc;
}

/** Sends `message` to the sd_notify socket `socket`. */
export function notifyBun(socket: string, message: string): Promise<void> {
  try {
    sendNotifyDatagram(openLibc(), socket, message);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** CLOCK_MONOTONIC in microseconds (Bun's `process.hrtime` counts from the process's start). */
export function monotonicMicrosBun(): bigint {
  return monotonicMicros(openLibc());
}
