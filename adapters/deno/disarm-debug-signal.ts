/**
 * Keeping SIGUSR1 from opening a debugger in a Deno process, master or worker.
 *
 * Deno 2.9.2 and later start an inspector on 127.0.0.1:9229 when a process gets SIGUSR1 more than
 * 500 ms after its start, even when the program listens for the signal, and leave it open
 * (https://github.com/denoland/deno/pull/35738). mgr's USR1 reopens the logs, Gunicorn's meaning, so
 * a logrotate would hand anyone on the machine a debugger running as the master's user. Deno has no
 * flag against it, but starts nothing while an inspector server is already up. So each process opens
 * one at start, on an address nobody can connect to, and keeps it: 127.255.255.255, loopback's
 * broadcast address, where Linux lets a socket listen but refuses every connection (`connect` fails
 * with ENETUNREACH; a SYN sent there is dropped, `tcp_v4_conn_request`). Measured on Deno 2.9.6:
 * `inspector.close()` forgets the server, so an open-then-close at start disarms nothing (the next
 * SIGUSR1 opens 9229), and neither does a failed `open()`.
 *
 * Deno announces the server ("Debugger listening on ws://…", "Visit chrome://inspect…") from its own
 * thread, after `open()` has returned. Standard error is pointed at a pipe (C library through FFI:
 * mgr's Deno processes run with `-A`) until those lines have come, then restored; anything else
 * written meanwhile is passed on. They come 0.3-0.5 ms after `open()` on an idle machine; with 2 cores
 * shared by busy loops, measured over 100 starts each, at most 23 ms later (4 loops), 69 ms (6 loops),
 * and 2 of 200 past 100 ms (8 loops). So the wait is 100 ms: `deno run -q` prints no announcement,
 * and a master started so waits that long once; a later one is printed as it comes, and names
 * 127.255.255.255 itself. Where the C library cannot be opened (musl), a line first says what the
 * announcement is.
 *
 * Cost (BENCHMARKS.md, "The SIGUSR1 disarm on Deno"): one thread per process (the inspector's server)
 * and about 3.3 MB more RSS per worker, nearly all of it pages of the deno executable that its first
 * FFI symbol brings in (the first binding does; closing the library gives nothing back).
 * Those pages are shared by every Deno process on the machine: a master with 4 workers uses 2.2 MB
 * more in all (PSS), and no more private memory.
 *
 * @module
 */

import inspector from "node:inspector";
import { errorMessage } from "../../src/core/error-text.ts";
import { createLogger } from "../../src/core/logger.ts";
import { Deno } from "./deno-api.ts";
import type { DenoDynamicLibrary } from "./deno-api.ts";

/** Loopback's broadcast address: a socket can listen there, nothing can connect to it. */
const UNREACHABLE_HOST = "127.255.255.255";
/** How long to wait for Deno's announcement, which `deno run -q` never prints (measurements above). */
const ANNOUNCEMENT_WAIT_MS = 100;
const STDERR = 2;
const O_CLOEXEC = 0o2000000;
const POLLIN = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = O_CLOEXEC;
/** The end of Deno's announcement: `Visit chrome://inspect to connect to the debugger.` */
const ANNOUNCED = /chrome:\/\/inspect.*\n/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Opens this process's inspector where nobody can reach it, so that SIGUSR1 no longer opens one on
 * 127.0.0.1:9229. Call it first thing in every Deno process mgr starts. An inspector already open
 * (`--inspect`, a developer's choice) already keeps SIGUSR1 from opening another, and is left alone.
 * Side effect: the app's own `inspector.open()` then throws (already open), and its `inspector.close()`
 * would arm SIGUSR1 again.
 */
export function disarmDebugSignal(): void {
  if (Deno.build.os === "windows") return;
  // Asked, not tried: a missing permission would prompt on a terminal.
  if (!granted({ name: "sys", kind: "inspector" }) || !granted({ name: "net", host: UNREACHABLE_HOST })) {
    warn(`Cannot disarm Deno's SIGUSR1 debugger without --allow-sys=inspector and --allow-net=${UNREACHABLE_HOST} (or -A): ` +
      `a SIGUSR1 to pid ${Deno.pid} may open one on 127.0.0.1:9229`);
    return;
  }
  if (inspector.url() !== undefined) return;
  const libc = granted({ name: "ffi" }) ? openLibc() : undefined;
  const stderr = libc && redirectStderr(libc);
  if (!stderr) warn(announcementNote());
  let failure: unknown;
  try {
    inspector.open(0, UNREACHABLE_HOST);
  } catch (error) {
    failure = error;
  }
  if (stderr) {
    let text: string;
    try {
      if (failure === undefined) stderr.readUntil(ANNOUNCED, performance.now() + ANNOUNCEMENT_WAIT_MS);
    } finally {
      text = stderr.restore();
    }
    writeStderr(withoutAnnouncement(text));
  }
  const port = Number(/:(\d+)\//.exec(inspector.url() ?? "")?.[1]);
  if (failure === undefined && libc && connects(libc, UNREACHABLE_HOST, port)) {
    inspector.close();
    failure = `${UNREACHABLE_HOST} accepts connections here`;
  }
  if (failure !== undefined) {
    warn(`Cannot disarm Deno's SIGUSR1 debugger (${errorMessage(failure)}): a SIGUSR1 to pid ${Deno.pid} opens one on 127.0.0.1:9229`);
  }
}

/** Whether Deno grants `descriptor`; true for one it does not know (an older Deno that does not ask for it). */
function granted(descriptor: { name: string; kind?: string; host?: string }): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return true;
  }
}

function announcementNote(): string {
  return `Disarming Deno's SIGUSR1 debugger with an inspector on ${UNREACHABLE_HOST}, an address nobody can connect to: ` +
    `Deno may announce it ("Debugger listening on ws://${UNREACHABLE_HOST}:…")`;
}

/** The C library's calls used here; undefined where it cannot be opened (no glibc, no FFI). */
function openLibc(): DenoDynamicLibrary | undefined {
  try {
    return Deno.dlopen("libc.so.6", {
      pipe2: { parameters: ["buffer", "i32"], result: "i32" },
      dup: { parameters: ["i32"], result: "i32" },
      dup2: { parameters: ["i32", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
      poll: { parameters: ["buffer", "usize", "i32"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
      connect: { parameters: ["i32", "buffer", "i32"], result: "i32" },
    });
  } catch {
    return undefined;
  }
}

/** Standard error pointed at a pipe, read with {@linkcode readUntil} until {@linkcode restore}. */
interface RedirectedStderr {
  /** Reads what is written until `pattern` matches all of it, or `deadline` (`performance.now()`) passes; true if it matched. */
  readUntil(pattern: RegExp, deadline: number): boolean;
  /** Points standard error back where it was and returns everything written meanwhile. */
  restore(): string;
}

/** Points standard error at a pipe; undefined if it cannot (it is then left as it was). */
function redirectStderr(libc: DenoDynamicLibrary): RedirectedStderr | undefined {
  const { pipe2, dup, dup2, close, poll, read } = libc.symbols;
  const ends = new Int32Array(2);
  if (pipe2!(ends, O_CLOEXEC) !== 0) return undefined;
  const [readEnd, writeEnd] = [ends[0]!, ends[1]!];
  const saved = Number(dup!(STDERR));
  if (saved < 0 || dup2!(writeEnd, STDERR) < 0) {
    for (const fd of [saved, readEnd, writeEnd]) if (fd >= 0) close!(fd);
    return undefined;
  }
  let text = "";
  const chunk = new Uint8Array(4096);
  const pollFd = new DataView(new ArrayBuffer(8));
  pollFd.setInt32(0, readEnd, true);
  const readFor = (waitMs: number) => {
    pollFd.setInt16(4, POLLIN, true);
    if (Number(poll!(pollFd, 1, Math.ceil(waitMs))) <= 0) return false;
    const count = Number(read!(readEnd, chunk, chunk.length));
    if (count > 0) text += decoder.decode(chunk.subarray(0, count), { stream: true });
    return count > 0;
  };
  return {
    readUntil(pattern, deadline) {
      while (!pattern.test(text) && readFor(Math.max(0, deadline - performance.now())));
      return pattern.test(text);
    },
    restore() {
      dup2!(saved, STDERR);
      close!(saved);
      close!(writeEnd);
      // What came between the last read and the restore.
      while (readFor(0));
      close!(readEnd);
      return text + decoder.decode();
    },
  };
}

/** `text` without Deno's two announcement lines for the unreachable inspector. */
function withoutAnnouncement(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !line.startsWith(`Debugger listening on ws://${UNREACHABLE_HOST}:`) && !line.startsWith("Visit chrome://inspect"))
    .join("");
}

/** Whether a TCP connection to `host`:`port` opens; it must not, for the address chosen above. */
function connects(libc: DenoDynamicLibrary, host: string, port: number): boolean {
  const { socket, connect, close } = libc.symbols;
  const fd = Number(socket!(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return false;
  const address = new DataView(new ArrayBuffer(16));
  address.setUint16(0, AF_INET, true);
  address.setUint16(2, port, false);
  host.split(".").forEach((byte, i) => address.setUint8(4 + i, Number(byte)));
  const connected = Number(connect!(fd, address, address.byteLength)) === 0;
  close!(fd);
  return connected;
}

function warn(message: string): void {
  createLogger({ level: "warning", pid: Deno.pid, write: (line) => writeStderr(`${line}\n`) }).warning(message);
}

function writeStderr(text: string): void {
  let data = encoder.encode(text);
  while (data.length > 0) data = data.subarray(Deno.stderr.writeSync(data));
}
