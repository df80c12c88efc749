/**
 * The client end of the control socket: check that the socket is the user's own, connect, ask, and
 * turn every way that can fail into one line for the user.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { dirname } from "node:path";
import {
  checkChosenDirectory,
  checkOwnSocket,
  checkPrivateDirectory,
  UnsafePathError,
} from "../runtime/private-directory.ts";
import { type ControlReply, type ControlRequest, parseControlReply } from "./control-request.ts";
import { type ControlSocketLocation, controlSocketPathProblem } from "./control-socket.ts";

/** How long `mgr` waits for the master to accept and to answer, in milliseconds. */
export const CONTROL_TIMEOUT_MS = 5_000;
/** The longest reply line read, in bytes: a status of the largest pool is a small fraction of it. */
const MAX_REPLY_BYTES = 8 * 1024 * 1024;

/** Why a control command could not talk to the master, in one line for the user. */
export class ControlError extends Error {
  override name = "ControlError";
}

/** Options of {@linkcode ControlSession.open}. */
export interface ControlSessionOptions {
  timeoutMs?: number;
}

/** One connection to a master's control socket, opened only to a socket that is the user's own. */
export class ControlSession {
  /** Settles when the master ends the connection (as it does when it exits). */
  readonly closed: Promise<void>;
  readonly #socket: Socket;
  readonly #path: string;
  readonly #timeoutMs: number;
  #pending: Buffer = Buffer.alloc(0);
  #onLine: ((line: string) => void) | undefined;

  private constructor(socket: Socket, path: string, timeoutMs: number) {
    this.#socket = socket;
    this.#path = path;
    this.#timeoutMs = timeoutMs;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      const newline = this.#pending.indexOf(0x0a);
      if (newline < 0) {
        if (this.#pending.length > MAX_REPLY_BYTES) socket.destroy();
        return;
      }
      const line = this.#pending.subarray(0, newline).toString("utf8");
      this.#pending = this.#pending.subarray(newline + 1);
      const deliver = this.#onLine;
      this.#onLine = undefined;
      deliver?.(line);
    });
  }

  /**
   * Checks `location` (its directory by the rule it is held to, the socket owned by this user), then
   * connects.
   *
   * @throws {ControlError} when no master answers there, access is denied, or the socket could be
   * another user's.
   */
  static async open(location: ControlSocketLocation, options: ControlSessionOptions = {}): Promise<ControlSession> {
    const { path } = location;
    const timeoutMs = options.timeoutMs ?? CONTROL_TIMEOUT_MS;
    // Node would connect to the path cut short, where another socket may be.
    const tooLong = controlSocketPathProblem(location);
    if (tooLong) throw new ControlError(tooLong);
    try {
      if (location.privateDirectory) checkPrivateDirectory(dirname(path));
      else checkChosenDirectory(dirname(path));
      checkOwnSocket(path);
    } catch (error) {
      throw describeOpenError(error, path);
    }
    const socket = await new Promise<Socket>((resolve, reject) => {
      const socket = connect(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ControlError(`the master did not accept a connection on ${path} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(describeOpenError(error, path));
      });
    });
    return new ControlSession(socket, path, timeoutMs);
  }

  /**
   * Sends `request` and resolves with the master's reply.
   *
   * @throws {ControlError} when the master does not answer in time, closes the connection first, or
   * answers something that is not a reply.
   */
  ask(request: ControlRequest): Promise<ControlReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#onLine = undefined;
        reject(new ControlError(`the master did not answer within ${this.#timeoutMs / 1000} s on ${this.#path}`));
      }, this.#timeoutMs);
      this.#onLine = (line) => {
        clearTimeout(timer);
        const reply = parseControlReply(line, request);
        if (typeof reply === "string") reject(new ControlError(`${reply} (on ${this.#path})`));
        else resolve(reply);
      };
      void this.closed.then(() => {
        if (!this.#onLine) return;
        this.#onLine = undefined;
        clearTimeout(timer);
        reject(new ControlError(`the master closed the connection on ${this.#path} before answering`));
      });
      this.#socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Ends the connection. */
  close(): void {
    this.#socket.end();
  }
}

/**
 * The pid of the master answering on `location`, or undefined when none answers (or it is not the
 * user's own). A short timeout: this runs while a master starts.
 */
export async function askMasterPid(location: ControlSocketLocation, timeoutMs = 1_000): Promise<number | undefined> {
  let session: ControlSession | undefined;
  try {
    session = await ControlSession.open(location, { timeoutMs });
    const reply = await session.ask({ command: "status" });
    return reply.ok ? reply.status?.pid : undefined;
  } catch {
    return undefined;
  } finally {
    session?.close();
  }
}

/** The one line that says why `path` cannot be talked to. */
function describeOpenError(error: unknown, path: string): ControlError {
  if (error instanceof UnsafePathError) {
    return new ControlError(
      error.path === path
        ? `refusing to talk to ${path}: it ${error.reason}; run as the user that started the master`
        : `refusing to talk to ${path}: ${error.message}, so another user could answer in the master's place`,
    );
  }
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
    case "ECONNREFUSED":
    case "ENOTDIR":
      return new ControlError(
        `no master answers on ${path}; is it running? Name it the way it was started ` +
          `(--pid, --bind, --name, -c) or give --control PATH`,
      );
    case "EACCES":
    case "EPERM":
      return new ControlError(`permission denied on ${path}; run as the user that started the master`);
    default:
      return new ControlError(`cannot connect to ${path}: ${(error as Error).message ?? String(error)}`);
  }
}
