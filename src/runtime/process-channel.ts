/**
 * A worker's channel to its master over the process's IPC channel. Node's cluster, Bun's
 * `spawn({ ipc })` and Deno's `node:child_process` all give a child the same `process.send`,
 * `"message"` and `"disconnect"`, so the three worker hosts share this.
 *
 * @module
 */

import { isToWorker } from "../core/protocol.ts";
import { watchParentPid, type WatchParentPidOptions } from "./parent-watch.ts";
import type { WorkerHost } from "./worker-host.ts";

/** The part of `process` the channel uses. */
export interface IpcProcess {
  connected?: boolean;
  /** The parent pid, read afresh on every access. */
  readonly ppid: number;
  send?(message: unknown, handle: undefined, options: object, callback: (error: Error | null) => void): boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  once(event: "disconnect", listener: () => void): unknown;
}

/** Options of {@linkcode processChannel}. */
export interface ProcessChannelOptions {
  /** How the parent pid is polled; see {@linkcode watchParentPid}. */
  every?: WatchParentPidOptions["every"];
}

/** The channel methods of a {@linkcode WorkerHost}, over `proc`'s IPC channel. */
export function processChannel(
  proc: IpcProcess,
  options: ProcessChannelOptions = {},
): Pick<WorkerHost, "send" | "roundTrip" | "onMessage" | "onParentLost"> {
  if (!proc.send) throw new Error("Cannot run a worker: this process has no channel to the master");
  const pongs = new Map<number, () => void>();
  const lostListeners: (() => void)[] = [];
  let lost = false;
  let nextSeq = 1;

  // Three signs the master is gone, whichever comes first: the channel's end of file, a send the
  // channel refuses, a new parent pid (see parent-watch.ts for why one is not enough).
  const parentLost = () => {
    if (lost) return;
    lost = true;
    stopWatching();
    for (const resolve of pongs.values()) resolve();
    for (const listener of lostListeners.splice(0)) listener();
  };
  proc.once("disconnect", parentLost);
  const stopWatching = watchParentPid({ ppid: () => proc.ppid, onLost: parentLost, every: options.every });

  const send: WorkerHost["send"] = (message) =>
    new Promise((resolve) => {
      if (lost || !proc.connected || !proc.send) return resolve();
      try {
        proc.send(message, undefined, {}, (error) => {
          if (error && isChannelGone(error)) parentLost();
          resolve();
        });
      } catch (error) {
        // The channel closed between the check and the send: the master is gone, nothing to tell.
        if (isChannelGone(error)) parentLost();
        resolve();
      }
    });
  proc.on("message", (message) => {
    if (isToWorker(message) && message.type === "pong") pongs.get(message.seq)?.();
  });
  return {
    send,
    roundTrip() {
      if (lost || !proc.connected) return Promise.resolve();
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
      // Everything but the pongs answered above goes on: the worker loop tells known from unknown.
      proc.on("message", (message) => {
        if (!(isToWorker(message) && message.type === "pong")) fn(message);
      });
    },
    onParentLost(fn) {
      if (lost) queueMicrotask(fn);
      else lostListeners.push(fn);
    },
  };
}

/** Errors of a send whose channel has closed: EPIPE (Node, Deno), ECONNRESET, or Node's own codes. */
function isChannelGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ENOTCONN" || code === "ERR_IPC_CHANNEL_CLOSED" ||
    code === "ERR_IPC_DISCONNECTED";
}
