/**
 * An sd_notify datagram sent with the C library's own calls (`socket`, `sendto`), for runtimes that
 * reach libc through FFI (Bun's `bun:ffi`, Deno's `Deno.dlopen`) but have no unix datagram socket
 * of their own. The message leaves from the master's own pid, so `NotifyAccess=main` accepts it.
 *
 * @module
 */

/** The libc calls the sender needs, as the runtime's FFI exposes them. */
export interface NotifyLibc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buffer: Uint8Array, length: number, flags: number, address: Uint8Array, addressLength: number): number | bigint;
  close(fd: number): number;
  clock_gettime(clock: number, timespec: BigInt64Array): number;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
// Never block the master's loop on a full receive queue, and never die of SIGPIPE.
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const CLOCK_MONOTONIC = 1;
/** `sun_path` holds 108 bytes; a path needs one of them for its terminating NUL. */
const SUN_PATH_SIZE = 108;

/**
 * The `struct sockaddr_un` of `$NOTIFY_SOCKET`: an absolute path, or an abstract name written
 * `@name` (its leading byte a NUL, its length exact, as systemd reads it).
 *
 * @throws {RangeError} when `socket` is neither, or too long.
 */
export function notifySocketAddress(socket: string): Uint8Array {
  const abstract = socket.startsWith("@");
  if (!abstract && !socket.startsWith("/")) {
    throw new RangeError(`Cannot notify: NOTIFY_SOCKET must be an absolute path or @name, got \`${socket}\``);
  }
  const name = new TextEncoder().encode(socket);
  if (abstract) name[0] = 0;
  if (name.length > (abstract ? SUN_PATH_SIZE : SUN_PATH_SIZE - 1)) {
    throw new RangeError(`Cannot notify: NOTIFY_SOCKET is longer than ${SUN_PATH_SIZE - 1} bytes: \`${socket}\``);
  }
  const address = new Uint8Array(2 + name.length + (abstract ? 0 : 1));
  // sun_family in host byte order; the trailing NUL of a path is already the array's zero.
  new DataView(address.buffer).setUint16(0, AF_UNIX, isLittleEndian());
  address.set(name, 2);
  return address;
}

/**
 * Sends `message` to `socket` in one datagram.
 *
 * @throws {Error} when the socket cannot be made or the datagram is refused (no listener, a full queue).
 */
export function sendNotifyDatagram(libc: NotifyLibc, socket: string, message: string): void {
  const address = notifySocketAddress(socket);
  const data = new TextEncoder().encode(message);
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error("Cannot notify: socket(AF_UNIX, SOCK_DGRAM) failed");
  try {
    const sent = Number(libc.sendto(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, address, address.length));
    if (sent !== data.length) throw new Error(`Cannot notify: sendto ${socket} failed`);
  } finally {
    libc.close(fd);
  }
}

/** CLOCK_MONOTONIC in microseconds, read with `clock_gettime`. */
export function monotonicMicros(libc: NotifyLibc): bigint {
  const timespec = new BigInt64Array(2);
  if (libc.clock_gettime(CLOCK_MONOTONIC, timespec) !== 0) throw new Error("clock_gettime(CLOCK_MONOTONIC) failed");
  return timespec[0]! * 1_000_000n + timespec[1]! / 1_000n;
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
