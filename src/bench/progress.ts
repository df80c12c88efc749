/**
 * The live progress line: which setup, round k of n, the phase, elapsed time and an estimate of what
 * is left. On a terminal it is one line rewritten in place; otherwise (a log, CI) one line is written
 * per measurement done.
 *
 * @module
 */

import { formatDuration } from "./format.ts";

/** Where the progress goes. */
export interface ProgressSink {
  write(text: string): void;
  /** Whether it is a terminal, where a line can be redrawn. */
  isTTY: boolean;
}

const REDRAW_MS = 500;

/** Tracks `total` measurements and draws the line. */
export class ProgressLine {
  readonly #sink: ProgressSink;
  readonly #total: number;
  readonly #guessMs: number;
  readonly #startedAt = performance.now();
  #done = 0;
  #current = "";
  #phase = "";
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `guessMs`: what one measurement is expected to take, for the ETA until one has been timed. */
  constructor(sink: ProgressSink, total: number, guessMs: number) {
    this.#sink = sink;
    this.#total = total;
    this.#guessMs = guessMs;
    if (sink.isTTY) {
      this.#timer = setInterval(() => this.#draw(), REDRAW_MS);
      this.#timer.unref();
    }
  }

  /** A measurement begins. */
  begin(setup: string, round: number, rounds: number): void {
    this.#current = `[${this.#done + 1}/${this.#total}] ${setup}, round ${round} of ${rounds}`;
    this.#phase = "";
    this.#draw();
  }

  /** The current measurement moves on to `phase` (starting, measuring, …). */
  phase(phase: string): void {
    this.#phase = phase;
    this.#draw();
  }

  /** The current measurement is done; `result` is its one-line summary. */
  finish(result: string): void {
    this.#done++;
    this.#clear();
    this.#sink.write(`${this.#current}: ${result}  (elapsed ${formatDuration(this.#elapsed())}, ETA ${this.#eta()})\n`);
  }

  /** Prints a line above the progress line. */
  note(line: string): void {
    this.#clear();
    this.#sink.write(`${line}\n`);
    this.#draw();
  }

  /** Stops redrawing and clears the line. */
  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #elapsed(): number {
    return performance.now() - this.#startedAt;
  }

  #eta(): string {
    if (this.#done === 0) return `~${formatDuration(this.#guessMs * this.#total - this.#elapsed())}`;
    return formatDuration((this.#elapsed() / this.#done) * (this.#total - this.#done));
  }

  #draw(): void {
    if (!this.#sink.isTTY || !this.#current || this.#timer === undefined) return;
    this.#sink.write(`\r\x1b[K${this.#current}: ${this.#phase}  elapsed ${formatDuration(this.#elapsed())}, ETA ${this.#eta()}`);
  }

  #clear(): void {
    if (this.#sink.isTTY) this.#sink.write("\r\x1b[K");
  }
}
