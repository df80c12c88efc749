/**
 * Keeping the master's sockets out of its workers.
 *
 * A spawned process inherits every descriptor not marked close-on-exec, and Deno's `node:net` (2.9.6)
 * leaves that mark off the unix socket it listens on (its TCP listeners, its connections, the IPC
 * channels, `Deno.listen` and files all have it; measured through `/proc/<pid>/fdinfo`). Every Deno
 * worker therefore held the master's control-socket listener: a worker that outlived its master kept
 * the socket accepting connections that nobody would answer. No spawn option closes a descriptor the
 * child inherits, so the master marks its sockets close-on-exec itself, before each spawn, with
 * `fcntl(2)` through FFI. Linux only (it reads `/proc/self/fdinfo`), and only when FFI and reading
 * `/proc` are already allowed: the master must never prompt for a permission. Elsewhere the leak
 * stays, and costs no more than that socket.
 *
 * @module
 */

import { Deno } from "./deno-api.ts";
import type { DenoDynamicLibrary } from "./deno-api.ts";

// The slice of Deno's API used here beyond deno-api.ts.
const DenoMore = (globalThis as unknown as {
  Deno: {
    permissions: { querySync(descriptor: { name: string; path?: string }): { state: string } };
    readTextFileSync(path: string): string;
  };
}).Deno;

/** `fcntl(2)` command and flag that set close-on-exec; the bit `/proc/<pid>/fdinfo` shows for it (octal). */
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const O_CLOEXEC = 0o2000000;

/**
 * Marks close-on-exec every socket of this process that lacks it; returns their descriptors. Does
 * nothing (and returns `[]`) where it cannot: no `/proc`, no glibc, FFI not allowed.
 */
export function markSocketsCloseOnExec(): number[] {
  const fcntl = openLibc()?.symbols.fcntl;
  if (fcntl === undefined) return [];
  const marked: number[] = [];
  for (const fd of inheritableSockets()) {
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) === 0) marked.push(fd);
  }
  return marked;
}

/** The descriptors of this process that name a socket and lack close-on-exec. */
function inheritableSockets(): number[] {
  const fds: number[] = [];
  let entries: Iterable<{ name: string }>;
  try {
    entries = [...Deno.readDirSync("/proc/self/fd")];
  } catch {
    return fds;
  }
  for (const entry of entries) {
    const fd = Number(entry.name);
    try {
      if (!Deno.readLinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) continue;
      const flags = /^flags:\s*([0-7]+)$/m.exec(DenoMore.readTextFileSync(`/proc/self/fdinfo/${fd}`))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) fds.push(fd);
    } catch {
      // Closed meanwhile (the listing's own descriptor, for one).
    }
  }
  return fds;
}

let libc: DenoDynamicLibrary | null | undefined;

function openLibc(): DenoDynamicLibrary | undefined {
  if (libc === undefined) {
    libc = null;
    try {
      const allowed = DenoMore.permissions.querySync({ name: "ffi" }).state === "granted" &&
        DenoMore.permissions.querySync({ name: "read", path: "/proc/self" }).state === "granted";
      // `fcntl` is variadic; called with three ints it is called as Linux's ABIs pass them anyway.
      if (allowed) libc = Deno.dlopen("libc.so.6", { fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" } });
    } catch {
      // Not Linux with glibc: nothing to mark with.
    }
  }
  return libc ?? undefined;
}
