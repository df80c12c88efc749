/**
 * A worker's channel to its master over the process's IPC channel. Node's cluster, Bun's
 * `spawn({ ipc })` and Deno's `node:child_process` all give a child the same `process.send`,
 * `"message"` and `"disconnect"`, so the three worker hosts share this.
 *
 * @module
 */

import { isToWorker } from "../core/protocol.ts";
import type { WorkerHost } from "./worker-host.ts";

/** The part of `process` the channel uses. */
export interface IpcProcess {
  connected?: boolean;
  send?(message: unknown, handle: undefined, options: object, callback: (error: Error | null) => void): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  once(event: "disconnect", listener: () => void): unknown;
}

/** The channel methods of a {@linkcode WorkerHost}, over `proc`'s IPC channel. */
export function processChannel(
  proc: IpcProcess,
): Pick<WorkerHost, "send" | "roundTrip" | "onMessage" | "onParentLost"> {
  if (!proc.send) throw new Error("Cannot run a worker: this process has no channel to the master");
  const pongs = new Map<number, () => void>();
  let nextSeq = 1;
  const send: WorkerHost["send"] = (message) =>
    new Promise((resolve) => {
      if (!proc.connected || !proc.send) return resolve();
      try {
        proc.send(message, undefined, {}, () => resolve());
      } catch {
        // The channel closed between the check and the send: the master is gone, nothing to tell.
        resolve();
      }
    });
  proc.on("message", (message) => {
    if (isToWorker(message) && message.type === "pong") pongs.get(message.seq)?.();
  });
  proc.once("disconnect", () => {
    for (const resolve of pongs.values()) resolve();
  });
  return {
    send,
    roundTrip() {
      if (!proc.connected) return Promise.resolve();
      const seq = nextSeq++;
      return new Promise<void>((resolve) => {
        pongs.set(seq, () => {
          pongs.delete(seq);
          resolve();
        });
        void send({ type: "ping", seq });
      });
    },
    onMessage(fn) {
      proc.on("message", (message) => {
        if (isToWorker(message) && message.type !== "pong") fn(message);
      });
    },
    onParentLost(fn) {
      // The channel's end of file comes the moment the master dies, SIGKILL included.
      proc.once("disconnect", fn);
    },
  };
}
