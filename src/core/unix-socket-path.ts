/**
 * The length limit of a unix socket's path. Linux's `sun_path` holds 108 bytes with the terminating
 * NUL (macOS's 104). Deno refuses a longer path (EINVAL), but Node 20 binds it cut short without a word,
 * leaving a socket under another name that the next master then finds in its way (EADDRINUSE), and
 * connects to a path cut the same way: every path mgr binds or connects to is checked first.
 *
 * @module
 */

/** The most bytes a unix socket's path may have on Linux, the terminating NUL not counted. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;

/**
 * The length of `path` in bytes when it is too long for a unix socket, else undefined. It is counted
 * as it is passed to the system: UTF-8, and relative if it is.
 *
 * @example
 * ```ts
 * unixSocketPathOverLimit("/run/app.sock"); // undefined
 * unixSocketPathOverLimit(`/${"d".repeat(120)}/app.sock`); // 130
 * ```
 */
export function unixSocketPathOverLimit(path: string): number | undefined {
  const bytes = new TextEncoder().encode(path).length;
  return bytes > MAX_UNIX_SOCKET_PATH_BYTES ? bytes : undefined;
}
