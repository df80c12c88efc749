/**
 * Watching a master's pool from outside, at a fine interval: which of its children are alive
 * (`/proc`) and which of those the master has logged as ready (`--log-level debug`).
 *
 * @module
 */

import { liveChildren, processState } from "./proc-children.ts";

/** The master's line, at debug level, for a worker that has started listening. */
export const READY_LINE = /Worker \(pid:(\d+)\) ready/;

/** One look at the pool. */
export interface PoolSample {
  /** `Date.now()` milliseconds. */
  at: number;
  /** Live children of the master. */
  live: number[];
  /** How many of them the master has logged as ready: the workers answering. */
  serving: number;
}

/** Samples the pool of the master `masterPid` every `intervalMs` until stopped. */
export class PoolWatch {
  readonly samples: PoolSample[] = [];
  /** When each worker's ready line was first seen, by pid. */
  readonly readyAt = new Map<number, number>();
  /** When the master was first seen gone, if it went. */
  masterGoneAt?: number;
  #linesRead = 0;
  #timer?: ReturnType<typeof setInterval>;

  constructor(
    readonly masterPid: number,
    /** The master's log so far; only lines past those already read are parsed. */
    readonly logLines: () => readonly string[],
    readonly intervalMs = 20,
  ) {}

  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }

  /** Takes one sample now. */
  sample(): PoolSample {
    const now = Date.now();
    const lines = this.logLines();
    for (; this.#linesRead < lines.length; this.#linesRead++) {
      const match = READY_LINE.exec(lines[this.#linesRead]!);
      if (match && !this.readyAt.has(Number(match[1]))) this.readyAt.set(Number(match[1]), now);
    }
    const live = liveChildren(this.masterPid);
    const sample = { at: now, live, serving: live.filter((pid) => this.readyAt.has(pid)).length };
    this.samples.push(sample);
    if (this.masterGoneAt === undefined) {
      const state = processState(this.masterPid);
      if (state === undefined || state === "Z") this.masterGoneAt = now;
    }
    return sample;
  }

  /**
   * How long after `since` the pool was first full again: `size` workers serving, `gone` not among
   * them. Undefined if that did not happen before `until`.
   */
  refillMs(since: number, gone: number, size: number, until = Number.POSITIVE_INFINITY): number | undefined {
    const full = this.samples.find((s) => s.at >= since && s.at < until && s.serving >= size && !s.live.includes(gone));
    return full === undefined ? undefined : full.at - since;
  }

  /**
   * The longest stretch between `from` and `to` with no worker serving, in ms: from the first sample
   * that showed none to the first that showed one again (or `to`), so within one interval of the truth.
   */
  longestEmptyMs(from: number, to: number): number {
    let longest = 0;
    let emptySince: number | undefined;
    for (const sample of this.samples) {
      if (sample.at < from || sample.at > to) continue;
      if (sample.serving === 0) emptySince ??= sample.at;
      else if (emptySince !== undefined) {
        longest = Math.max(longest, sample.at - emptySince);
        emptySince = undefined;
      }
    }
    if (emptySince !== undefined) longest = Math.max(longest, to - emptySince);
    return longest;
  }
}
