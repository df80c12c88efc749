/**
 * Stopping a `Deno.serve` listener from accepting, without `server.shutdown()`, on Linux.
 *
 * `Deno.serve` owns its listening socket and shows no file descriptor for it, and its one way to
 * stop accepting, `shutdown()`, also closes at once the connections it has accepted but not yet read
 * (`ext/http/http_next.rs`), so a connection accepted in the instant before is reset unanswered.
 * (A worker that accepts connections itself, connection-server.ts, just closes its listener.) The
 * kernel can stop the listener alone: `shutdown(fd, SHUT_RD)` on a listening TCP socket unhashes it,
 * so no new connection is routed to it, and with `net.ipv4.tcp_migrate_req=1` moves the connections waiting in its accept queue to
 * another listener of the SO_REUSEPORT group. Deno's accept loop then fails (EINVAL) and ends, while
 * the connections it accepted live on and send their requests, which `shutdown()` later waits for
 * instead of closing them unread.
 *
 * The socket is told apart as one that appeared in `/proc/self/fd` while `Deno.serve` ran (it
 * listens before it returns) and that listens when the drain comes
 * (`getsockopt(SO_ACCEPTCONN)`); `getsockopt(2)` and `shutdown(2)` are called through FFI (libc.ts),
 * loaded at the first drain. Not through `/proc/net/tcp`: it lists every TIME_WAIT socket of the
 * host, tens of thousands under a load of new connections, and reading it took 25 ms and more, on
 * the path of a spare worker taking over. Measured with bench/recycle-loss.ts.
 *
 * @module
 */

import { Deno } from "./deno-api.ts";
import { openLibc } from "./libc.ts";

/** `shutdown(2)`'s `how` that stops receiving: on a listening socket, stops listening. */
const SHUT_RD = 0;
/** `getsockopt(2)` level and option (Linux) that tell whether a socket listens. */
const SOL_SOCKET = 1;
const SO_ACCEPTCONN = 30;

/** A socket of this process, named by its descriptor and its inode. */
export interface OpenSocket {
  fd: number;
  inode: string;
}

/** The sockets this process holds, or `[]` where `/proc/self/fd` cannot tell (not Linux). */
export function findOpenSockets(): OpenSocket[] {
  try {
    const sockets: OpenSocket[] = [];
    for (const entry of Deno.readDirSync("/proc/self/fd")) {
      const fd = Number(entry.name);
      const inode = socketInode(fd);
      if (inode !== undefined) sockets.push({ fd, inode });
    }
    return sockets;
  } catch {
    return [];
  }
}

/** The sockets this process holds now and did not hold `before`. */
export function findNewSockets(before: OpenSocket[]): OpenSocket[] {
  const known = new Set(before.map((socket) => socket.inode));
  return findOpenSockets().filter((socket) => !known.has(socket.inode));
}

/**
 * Stops `socket` from accepting with `shutdown(fd, SHUT_RD)` if it is a listening socket; false if
 * it is not, or could not be stopped (no libc, or the descriptor no longer names that socket, as
 * when Deno's accept loop already ended and closed it: the number may name another file by now).
 */
export function stopAccepting(socket: OpenSocket): boolean {
  if (socketInode(socket.fd) !== socket.inode || !isListening(socket.fd)) return false;
  const shutdown = openLibc()?.symbols.shutdown;
  return shutdown !== undefined && shutdown(socket.fd, SHUT_RD) === 0;
}

function isListening(fd: number): boolean {
  const getsockopt = openLibc()?.symbols.getsockopt;
  if (getsockopt === undefined) return false;
  const value = new Int32Array(1);
  const length = new Uint32Array([value.byteLength]);
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) === 0 && value[0] === 1;
}

function socketInode(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}
