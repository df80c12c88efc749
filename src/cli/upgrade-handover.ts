/**
 * The old master's wait, after a USR2, for the new master to serve. A graceful stop (TERM) sent before
 * then drains the old workers only once it does: Bun's and Deno's workers each listen with
 * SO_REUSEPORT, so the port would close with the last old worker and refuse connections until the new
 * workers listen, and on Node connections would wait in the queue for the new master's boot.
 *
 * The new master answers on the control socket at the usual path once it has started; it serves when
 * its status says the whole pool is ready. Asked only while a stop waits, never otherwise. How the
 * handover ends decides the stop: it goes ahead once the new master serves or the wait timed out, and
 * is called off when the new master is gone before it served (the old master is then all that serves).
 *
 * @module
 */

import type { Logger } from "../core/logger.ts";
import type { Runtime } from "../core/runtime.ts";
import { ControlSession } from "./control-client.ts";
import type { ControlSocketLocation } from "./control-socket.ts";

/** How often a stop that waits asks the new master whether it serves, in milliseconds. */
const POLL_MS = 100;
/** How long one question may take, in milliseconds: a master busy starting answers late, not never. */
const ASK_TIMEOUT_MS = 1_000;

/** How a handover ended: the new master serves, is gone before it served, or the wait timed out. */
export type HandoverEnd = "serves" | "gone" | "timed-out";

/** What {@linkcode Handover} needs. */
export interface HandoverOptions {
  runtime: Runtime;
  logger: Logger;
  /** The new master's pid once it is spawned. */
  newMaster: () => number | undefined;
  /** Where the new master's control socket answers; without one, the new master serves once spawned. */
  location: ControlSocketLocation | undefined;
  /** How long to wait at most, in milliseconds, from the first {@linkcode Handover.watch}. */
  timeoutMs: number;
}

/** From a USR2 until the new master it started serves, is gone, or the wait times out. */
export class Handover {
  /** Settles when the handover ends, with how it did. */
  readonly settled: Promise<HandoverEnd>;
  readonly #options: HandoverOptions;
  #settle!: (how: HandoverEnd) => void;
  #pending = true;
  #watched = false;
  #deadline: unknown;

  constructor(options: HandoverOptions) {
    this.#options = options;
    this.settled = new Promise((resolve) => (this.#settle = resolve));
  }

  /** True until the handover ended. */
  get pending(): boolean {
    return this.#pending;
  }

  /** True while a stop waits for the handover to end (from the first {@linkcode watch} until it ends). */
  get stopWaits(): boolean {
    return this.#watched && this.#pending;
  }

  /** Starts asking the new master whether it serves (once, whoever calls) and resolves with how the handover ends. */
  watch(): Promise<HandoverEnd> {
    if (this.#watched || !this.#pending) return this.settled;
    this.#watched = true;
    const { runtime, logger, timeoutMs } = this.#options;
    logger.info("Stopping gracefully once the new master serves");
    this.#deadline = runtime.clock.setTimeout(() => {
      const pid = this.#options.newMaster();
      logger.warning(`The new master${pid === undefined ? "" : ` (pid: ${pid})`} does not serve after ${timeoutMs / 1000} s; stopping anyway`);
      this.end("timed-out");
    }, timeoutMs);
    void this.#poll();
    return this.settled;
  }

  /** Ends the handover as `how` says; the first end counts. */
  end(how: HandoverEnd): void {
    if (!this.#pending) return;
    this.#pending = false;
    this.#options.runtime.clock.clearTimeout(this.#deadline);
    this.#settle(how);
  }

  async #poll(): Promise<void> {
    if (!this.#pending) return;
    const pid = this.#options.newMaster();
    if (pid !== undefined && (!this.#options.location || (await servesAt(this.#options.location, pid)))) {
      if (this.#pending) this.#options.logger.info(`The new master (pid: ${pid}) serves`);
      return this.end("serves");
    }
    this.#options.runtime.clock.setTimeout(() => void this.#poll(), POLL_MS);
  }
}

/** Whether master `pid` answers at `location` with its whole pool ready. */
async function servesAt(location: ControlSocketLocation, pid: number): Promise<boolean> {
  let session: ControlSession | undefined;
  try {
    session = await ControlSession.open(location, { timeoutMs: ASK_TIMEOUT_MS });
    const reply = await session.ask({ command: "status" });
    const status = reply.ok ? reply.status : undefined;
    return status !== undefined && status.pid === pid && status.phase === "running" && status.ready >= status.workers;
  } catch {
    // Not started yet, or not listening yet: ask again.
    return false;
  } finally {
    session?.close();
  }
}
