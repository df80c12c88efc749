/**
 * The master's record of its workers, in spawn order.
 *
 * @module
 */

import type { BootErrorKind, BootStep, ToWorker } from "./protocol.ts";
import type { InFlightRequest, WorkerHandle } from "./runtime.ts";

/**
 * Where a worker is in its life: `booting` until it reports ready, `ready` while it serves,
 * `draining` once asked to finish its requests and exit, `stopping` once asked to exit now.
 */
export type WorkerState = "booting" | "ready" | "draining" | "stopping";

/** Everything the master tracks about one worker. */
export interface WorkerRecord {
  id: number;
  pid: number;
  handle: WorkerHandle;
  state: WorkerState;
  /** Marked for replacement (max requests, reload): drained once a fresh worker is ready to take its place. */
  retiring: boolean;
  /** A spare: booted with the app loaded, not listening until the master promotes it. */
  spare: boolean;
  /** The reload generation it was spawned in. */
  generation: number;
  /** Its position in the pool (1…workers), which its replacement inherits; none while a spare. */
  slot?: number;
  spawnedAt: number;
  /** When the worker reported its app imported and set up. */
  bootedAt?: number;
  readyAt?: number;
  /** When the worker last proved its event loop alive. */
  lastSeen: number;
  /**
   * Messages held until the worker first speaks: before then its runtime may not be listening on the
   * channel yet, and a message sent too early would be lost.
   */
  outbox: ToWorker[] | undefined;
  served: number;
  inFlight: number;
  rss: number;
  /** The requests in flight at the worker's last heartbeat, for the log if it hangs. */
  requests?: InFlightRequest[];
  /** How late the worker's last heartbeat timer fired, in milliseconds: its event loop's delay. */
  loopDelayMs?: number;
  bootError?: { kind: BootErrorKind; message: string; stack?: string };
  /** What a booting worker last said it was doing, for the log if it misses its boot deadline. */
  bootStep?: BootStep;
  /**
   * Set when the master itself killed the worker: `timeout` (no heartbeat), `boot-deadline` (not
   * ready in time), `exit-deadline` (asked to exit and did not), so its exit is logged once, as that.
   */
  killedBy?: "timeout" | "boot-deadline" | "exit-deadline";
}

/** A read-only view of one worker, for status displays and tests. */
export type WorkerInfo = Readonly<
  Pick<
    WorkerRecord,
    "id" | "pid" | "state" | "retiring" | "spare" | "generation" | "slot" | "spawnedAt" | "readyAt" | "lastSeen" | "served" | "inFlight" | "rss" | "loopDelayMs"
  >
>;

/** The workers the master knows of, oldest first. */
export class WorkerTable {
  readonly #byId = new Map<number, WorkerRecord>();

  get size(): number {
    return this.#byId.size;
  }

  add(worker: WorkerRecord): void {
    this.#byId.set(worker.id, worker);
  }

  delete(worker: WorkerRecord): boolean {
    return this.#byId.delete(worker.id);
  }

  has(worker: WorkerRecord): boolean {
    return this.#byId.get(worker.id) === worker;
  }

  /** Every worker, oldest first (a Map iterates in insertion order and ids only grow). */
  all(): WorkerRecord[] {
    return [...this.#byId.values()];
  }

  /** Workers that serve or will serve: booting or ready. */
  active(): WorkerRecord[] {
    return this.all().filter((w) => w.state === "booting" || w.state === "ready");
  }

  /** Active workers that are neither spares nor waiting to be replaced: the ones that make the pool size. */
  poolMembers(): WorkerRecord[] {
    return this.active().filter((w) => !w.retiring && !w.spare);
  }

  /** Spares not yet promoted, booted ones first: those can serve at once. */
  spares(): WorkerRecord[] {
    const spares = this.active().filter((w) => w.spare && !w.retiring);
    return [...spares.filter((w) => w.bootedAt !== undefined), ...spares.filter((w) => w.bootedAt === undefined)];
  }

  /** Workers serving requests now, retiring or not. */
  ready(): WorkerRecord[] {
    return this.all().filter((w) => w.state === "ready");
  }

  info(): WorkerInfo[] {
    return this.all().map(({ id, pid, state, retiring, spare, generation, slot, spawnedAt, readyAt, lastSeen, served, inFlight, rss, loopDelayMs }) => ({
      id, pid, state, retiring, spare, generation, slot, spawnedAt, readyAt, lastSeen, served, inFlight, rss, loopDelayMs,
    }));
  }
}
