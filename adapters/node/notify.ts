/**
 * sd_notify on Node, which has no unix datagram socket (node:dgram is UDP only) and no FFI. The
 * message is handed to `systemd-notify`, the sender systemd itself ships wherever it sets
 * `NOTIFY_SOCKET`: nothing to compile at install (the npm bindings, `unix-dgram` and `sd-notify`,
 * are native addons that need a compiler, and the latter libsystemd's headers), and the same wire
 * format as systemd's own clients, abstract sockets included.
 *
 * The datagram leaves from systemd-notify's pid, not the master's, so the unit needs
 * `NotifyAccess=all` (`mgr`'s unit has it). systemd-notify (systemd 246 and later) waits until the
 * manager has read the message before it exits, so the manager can still tell which unit sent it.
 *
 * @module
 */

import { spawn } from "node:child_process";

/** Where systemd-notify is looked for; `PATH` first. */
const SYSTEMD_NOTIFY = "systemd-notify";
/** A sender that hangs (a manager that never reads) is given up on after this long. */
const SEND_TIMEOUT_MS = 5_000;

let queue: Promise<void> = Promise.resolve();

/**
 * Sends `message` (lines joined by `\n`) to the sd_notify socket `socket`. Messages go one at a time,
 * in the order given, so READY=1 can never overtake the STATUS before it.
 */
export function notifyNode(socket: string, message: string): Promise<void> {
  const sent = queue.then(() => runSystemdNotify(socket, message.split("\n")));
  queue = sent.catch(() => {});
  return sent;
}

function runSystemdNotify(socket: string, assignments: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEMD_NOTIFY, assignments, {
      env: { ...process.env, NOTIFY_SOCKET: socket },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), SEND_TIMEOUT_MS);
    child.once("error", (error) => {
      clearTimeout(timer);
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      reject(new Error(missing ? "systemd-notify is not installed (Node has no unix datagram socket to send with)" : error.message));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`systemd-notify ${signal ? `was killed (${signal})` : `exited with ${code}`}: ${stderr.trim()}`));
    });
  });
}

/** CLOCK_MONOTONIC in microseconds: on Linux, Node's `hrtime` is read from it. */
export function monotonicMicrosNode(): bigint {
  return process.hrtime.bigint() / 1_000n;
}
