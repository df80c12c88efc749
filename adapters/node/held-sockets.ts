/**
 * Listening sockets the Node master keeps a descriptor of its own of, once a USR2 upgrade has handed
 * them to a new master.
 *
 * node:cluster closes its descriptor of a socket when the last worker leaves it, as WINCH makes them
 * all do. Workers a HUP then brings back (the way back from a new release that misbehaves) would ask
 * it to bind an address the new master holds, fail with EADDRINUSE, and the master would exit. So the
 * master keeps a copy, and workers spawned from then on serve that copy themselves, as they serve a
 * socket systemd passed (spawn.ts). Node has no dup(2): a child process is handed the socket and sends
 * it back over IPC, where it arrives as a new descriptor.
 *
 * @module
 */

import { spawn } from "node:child_process";
import type { TcpAddress } from "../../src/core/protocol.ts";

// The child's descriptor 3 is its IPC channel, the socket is 4. A raw handle travels as itself,
// where a net.Socket would be made readable on arrival. The child stays until the master disconnects:
// the master acknowledges the socket first, and that write to a channel already closed raised SIGPIPE
// in the master, which ended it when it no longer ignored the signal (on its way out).
const SEND_BACK = `const { Socket } = require("node:net");
process.on("disconnect", () => {});
process.send(0, new Socket({ fd: 4, readable: false, writable: false })._handle);`;

/** How long the child may take to send the socket back, in milliseconds. */
const HOLD_TIMEOUT_MS = 10_000;

/** A libuv handle as it arrives over IPC: only its descriptor and `unref` are used. */
interface ArrivedHandle {
  fd: number;
  unref(): void;
}

/** By address (`host:port`); the handles are kept so their descriptors stay open. */
const held = new Map<string, ArrivedHandle>();

const keyOf = (address: TcpAddress) => `${address.host}:${address.port}`;

/** The master's own descriptor of the socket of `address`, once {@linkcode holdListeningSocket} took one. */
export function heldSocketFd(address: TcpAddress): number | undefined {
  return held.get(keyOf(address))?.fd;
}

/**
 * Takes a descriptor of its own of the listening socket `fd` (cluster's, for `address`) and resolves
 * with it; the same one for the same address every time. Rejects when the copy cannot be made.
 */
export async function holdListeningSocket(fd: number, address: TcpAddress): Promise<number> {
  const found = held.get(keyOf(address));
  if (found) return found.fd;
  const handle = await new Promise<ArrivedHandle>((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", SEND_BACK], { stdio: ["ignore", "ignore", "inherit", "ipc", fd], env: {} });
    const timer = setTimeout(() => child.kill("SIGKILL"), HOLD_TIMEOUT_MS);
    child.once("message", (_, arrived?: ArrivedHandle) => {
      if (arrived) resolve(arrived);
      child.disconnect();
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the process copying it ended (${signal ?? `code ${code}`}) without sending it back`));
    });
  });
  // Held, never listened on here: it must not keep the master's event loop alive.
  handle.unref();
  held.set(keyOf(address), handle);
  return handle.fd;
}
