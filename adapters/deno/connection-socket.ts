/**
 * Answering `408 Request Timeout` on a connection whose request head never came, as Node does.
 *
 * Deno's HTTP server owns the connection once it serves it, and shows JavaScript no way to write to
 * it. But no response can be under way on a connection that has not sent a complete head, so the
 * answer is written straight to its socket with `send(2)` (libc.ts), just before the server is told
 * to close it. The descriptor is checked to still name that connection (its peer's address and port)
 * first: had the connection gone meanwhile, the number could name another one by now.
 *
 * @module
 */

import type { DenoNetAddr } from "./deno-api.ts";
import { openLibc } from "./libc.ts";

const ANSWER = new TextEncoder().encode("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

/** `socket.h` (Linux): address families and the flags of a send that neither blocks nor raises SIGPIPE. */
const AF_INET = 2;
const AF_INET6 = 10;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

/** Writes a 408 answer to socket `fd` if it is still connected to `peer`; true if it was written whole. */
export function answerRequestTimeout(fd: number, peer: DenoNetAddr): boolean {
  const libc = openLibc();
  const getpeername = libc?.symbols.getpeername;
  const send = libc?.symbols.send;
  if (getpeername === undefined || send === undefined || !isConnectedTo(getpeername, fd, peer)) return false;
  return Number(send(fd, ANSWER, ANSWER.byteLength, MSG_DONTWAIT | MSG_NOSIGNAL)) === ANSWER.byteLength;
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
