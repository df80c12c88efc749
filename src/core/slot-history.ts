/**
 * What happened at each position of the pool: a worker that replaces another takes its slot, so an
 * operator reading `mgr status` sees how often slot 2 restarted and how its last worker ended.
 *
 * @module
 */

/** The record of one slot. */
export interface SlotRecord {
  /** How often its worker died unplanned (a crash or a timeout). */
  restarts: number;
  /** How its last worker ended, e.g. `was killed by SIGKILL`, `retired, exited with code 0`. */
  lastExit?: string;
}

/** Slot records by slot number, 1…workers. */
export class SlotHistory {
  readonly #slots = new Map<number, SlotRecord>();

  /** The lowest slot not in `held`, with a record from now on. */
  take(held: ReadonlySet<number | undefined>): number {
    let slot = 1;
    while (held.has(slot)) slot++;
    if (!this.#slots.has(slot)) this.#slots.set(slot, { restarts: 0 });
    return slot;
  }

  get(slot: number | undefined): SlotRecord | undefined {
    return slot === undefined ? undefined : this.#slots.get(slot);
  }

  /** Records how the worker in `slot` ended; an unplanned end counts as a restart. */
  recordExit(slot: number | undefined, lastExit: string, unplanned: boolean): void {
    const record = this.get(slot);
    if (!record) return;
    record.lastExit = lastExit;
    if (unplanned) record.restarts++;
  }
}
