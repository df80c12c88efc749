/**
 * sd_notify on Deno: one datagram from the master itself, through libc with `Deno.dlopen` (stable
 * since Deno 2; the master runs with `-A`). Deno's own unix datagrams (`Deno.listenDatagram` with
 * `unixpacket`) need `--unstable-net`, a path of their own to bind, and reach no abstract socket.
 *
 * @module
 */

import { monotonicMicros, type NotifyLibc, sendNotifyDatagram } from "../../src/runtime/notify-datagram.ts";
import { Deno } from "./deno-api.ts";

let libc: NotifyLibc | undefined;

/** libc with the four calls, opened at the first use. */
function openLibc(): NotifyLibc {
  if (!libc) {
    libc = Deno.dlopen("libc.so.6", {
      socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
      sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "i32"], result: "isize" },
      close: { parameters: ["i32"], result: "i32" },
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    }).symbols as unknown as NotifyLibc;
  }
  return libc;
}

/** Sends `message` to the sd_notify socket `socket`. */
export function notifyDeno(socket: string, message: string): Promise<void> {
  try {
    sendNotifyDatagram(openLibc(), socket, message);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** CLOCK_MONOTONIC in microseconds (Deno's `process.hrtime` counts from the process's start). */
export function monotonicMicrosDeno(): bigint {
  return monotonicMicros(openLibc());
}
