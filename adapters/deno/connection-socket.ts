/**
 * The socket under a connection Deno's HTTP server serves, reached by its descriptor (libc.ts).
 *
 * Deno's server owns the connection once it serves it, and shows JavaScript no way to write to it or
 * to close it once it has been told to close gracefully (its `shutdown()` frees the handle its abort
 * signal needs: aborting then throws `BadResource` out of the signal's listener, which ends the
 * process). Two things are done on the socket itself instead:
 * - answering `408 Request Timeout` to a connection whose request head never came, as Node does: no
 *   response can be under way on it, so the answer is written with `send(2)`, just before the server
 *   is told to close it;
 * - closing a connection that was told to close after an error answer but whose server still waits
 *   for the rest of a request body nobody reads: `shutdown(2)` ends it, the answer already sent first.
 *
 * The descriptor is checked to still name that connection (its peer's address and port) first: had
 * the connection gone meanwhile, the number could name another one by now.
 *
 * @module
 */

import type { DenoNetAddr } from "./deno-api.ts";
import { openLibc } from "./libc.ts";

const ANSWER = new TextEncoder().encode("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

/** `socket.h` (Linux): address families, the flags of a send that neither blocks nor raises SIGPIPE, `shutdown(2)` both ways. */
const AF_INET = 2;
const AF_INET6 = 10;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SHUT_RDWR = 2;

/** Writes a 408 answer to socket `fd` if it is still connected to `peer`; true if it was written whole. */
export function answerRequestTimeout(fd: number, peer: DenoNetAddr): boolean {
  const libc = openLibc();
  const getpeername = libc?.symbols.getpeername;
  const send = libc?.symbols.send;
  if (getpeername === undefined || send === undefined || !isConnectedTo(getpeername, fd, peer)) return false;
  return Number(send(fd, ANSWER, ANSWER.byteLength, MSG_DONTWAIT | MSG_NOSIGNAL)) === ANSWER.byteLength;
}

/** Ends socket `fd` both ways if it is still connected to `peer` (what it has sent goes first); true if it did. */
export function shutdownConnection(fd: number, peer: DenoNetAddr): boolean {
  const libc = openLibc();
  const getpeername = libc?.symbols.getpeername;
  const shutdown = libc?.symbols.shutdown;
  if (getpeername === undefined || shutdown === undefined || !isConnectedTo(getpeername, fd, peer)) return false;
  return shutdown(fd, SHUT_RDWR) === 0;
}

function isConnectedTo(
  getpeername: (...args: (number | ArrayBufferView)[]) => number | bigint,
  fd: number,
  peer: DenoNetAddr,
): boolean {
  const address = new Uint8Array(128); // sockaddr_storage
  const length = new Uint32Array([address.byteLength]);
  if (getpeername(fd, address, length) !== 0) return false;
  const family = address[0]! | (address[1]! << 8);
  const port = (address[2]! << 8) | address[3]!;
  if (port !== peer.port) return false;
  if (family === AF_INET) return address.subarray(4, 8).join(".") === peer.hostname;
  // An IPv6 peer: its port is enough, the address text has more than one spelling.
  return family === AF_INET6;
}
