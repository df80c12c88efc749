/**
 * What the master does to one worker: start it, tell it to serve, drain or stop, and watch it with
 * deadlines. Every request to exit has a deadline after which the worker is killed: the master never
 * trusts a worker to obey.
 *
 * @module
 */

import type { Config } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { ToWorker, WorkerSpec } from "./protocol.ts";
import type { Runtime } from "./runtime.ts";
import { describeBootStep } from "./describe.ts";
import type { WorkerRecord } from "./worker-table.ts";
import { errorMessage } from "./error-text.ts";
import { formatHungWorker, STACK_CAPTURE_DEADLINE_MS, type StackOutcome } from "./hung-worker-report.ts";
import { type WorkerTimerKind, WorkerTimers } from "./worker-timers.ts";

/** How long a worker told to exit now may take before it is killed, in milliseconds. */
export const QUICK_STOP_TIMEOUT_MS = 2_000;

/** Options of {@linkcode WorkerCommands}. */
export interface WorkerCommandsOptions {
  runtime: Runtime;
  log: Logger;
  /** The config in force (it changes with a reload). */
  config: () => Config;
  /** Called when one of a worker's timers falls due; the master handles it in its loop. */
  onTimer: (worker: WorkerRecord, kind: WorkerTimerKind) => void;
}

/** The master's commands to its workers, and the deadlines that back them. */
export class WorkerCommands {
  readonly #runtime: Runtime;
  readonly #log: Logger;
  readonly #config: () => Config;
  readonly #onTimer: (worker: WorkerRecord, kind: WorkerTimerKind) => void;
  readonly #timers: WorkerTimers;

  constructor(options: WorkerCommandsOptions) {
    this.#runtime = options.runtime;
    this.#log = options.log;
    this.#config = options.config;
    this.#onTimer = options.onTimer;
    this.#timers = new WorkerTimers(options.runtime.clock);
  }

  /**
   * Spawns a worker for `spec` and returns its record, with its boot deadline and watchdog armed.
   *
   * @throws whatever the runtime throws when it cannot start a process.
   */
  spawn(spec: WorkerSpec, generation: number): WorkerRecord {
    const handle = this.#runtime.spawnWorker(spec);
    const now = this.#runtime.clock.now();
    const worker: WorkerRecord = {
      id: spec.id,
      pid: handle.pid,
      handle,
      state: "booting",
      retiring: false,
      spare: spec.mode === "standby",
      generation,
      spawnedAt: now,
      lastSeen: now,
      outbox: [],
      served: 0,
      inFlight: 0,
      rss: 0,
    };
    // The boot deadline first: when both fall due together, its log line says more.
    this.armBootDeadline(worker);
    this.armWatchdog(worker);
    return worker;
  }

  /** Sends a message, or holds it until the worker has first spoken. */
  send(worker: WorkerRecord, message: ToWorker): void {
    if (worker.outbox) worker.outbox.push(message);
    else worker.handle.send(message);
  }

  /** The worker has spoken: every message held for it goes out now. */
  flushOutbox(worker: WorkerRecord): void {
    const held = worker.outbox;
    if (!held) return;
    worker.outbox = undefined;
    for (const message of held) worker.handle.send(message);
  }

  /** Asks a worker to finish its requests and exit, killing it after `gracefulTimeout`. */
  drain(worker: WorkerRecord): void {
    worker.state = "draining";
    const graceMs = this.#config().gracefulTimeout * 1000;
    this.send(worker, { type: "drain", graceMs });
    this.#armExitDeadline(worker, graceMs);
  }

  /** Asks a worker to exit now, killing it after {@linkcode QUICK_STOP_TIMEOUT_MS} (or `gracefulTimeout`). */
  stopNow(worker: WorkerRecord): void {
    worker.state = "stopping";
    this.send(worker, { type: "stop" });
    this.#armExitDeadline(worker, Math.min(QUICK_STOP_TIMEOUT_MS, this.#config().gracefulTimeout * 1000));
  }

  /** No heartbeat for `timeout` and the worker is killed; every message it sends pushes this back. */
  armWatchdog(worker: WorkerRecord): void {
    if (this.#config().timeout > 0) this.#arm(worker, "watchdog", this.#config().timeout * 1000);
  }

  /** Not ready within `timeout` (a hung import or setup()) and the worker is killed. */
  armBootDeadline(worker: WorkerRecord): void {
    if (this.#config().timeout > 0) this.#arm(worker, "boot", this.#config().timeout * 1000);
  }

  /** The worker met its boot deadline. */
  clearBootDeadline(worker: WorkerRecord): void {
    this.#timers.clear(worker.id, "boot");
  }

  /** The worker is gone: none of its timers may fire. */
  forget(worker: WorkerRecord): void {
    this.#timers.clearAll(worker.id);
  }

  /**
   * Acts on a timer of `worker` that fell due: SIGKILL, with one log line saying why. Returns false
   * when the timer no longer applies (the worker moved on, or is already being killed).
   */
  killOverdue(worker: WorkerRecord, kind: WorkerTimerKind): boolean {
    if (worker.killedBy) return false;
    if (kind === "watchdog") {
      if (worker.state !== "booting" && worker.state !== "ready") return false;
      this.#log.critical(`WORKER TIMEOUT (pid:${worker.pid})`);
      worker.killedBy = "timeout";
      this.#killAfterStackCapture(worker);
      return true;
    } else if (kind === "boot") {
      if (worker.state !== "booting") return false;
      const step = describeBootStep(worker);
      this.#log.error(`Worker (pid:${worker.pid}) did not boot within ${this.#config().timeout}s (${step}); killing it`);
      worker.killedBy = "boot-deadline";
    } else {
      this.#log.warning(`Worker (pid:${worker.pid}) did not exit in time; sending SIGKILL`);
      worker.killedBy = "exit-deadline";
    }
    worker.handle.kill("SIGKILL");
    return true;
  }

  /**
   * Logs where a hung worker's JavaScript is and what it was serving, then kills it: at once where the
   * runtime cannot capture a stack, else when the capture settles or its deadline passes, whichever
   * comes first, so a worker that cannot be sampled is still killed on time.
   */
  #killAfterStackCapture(worker: WorkerRecord): void {
    const { clock } = this.#runtime;
    const kill = (outcome: StackOutcome) => {
      const heard = worker.requests && { requests: worker.requests, sinceMs: clock.now() - worker.lastSeen };
      this.#log.critical(formatHungWorker(worker.pid, outcome, heard));
      worker.handle.kill("SIGKILL");
    };
    if (!this.#runtime.captureWorkerStack) {
      return kill({ unavailable: `${this.#runtime.name} cannot interrupt a busy worker from outside (see the README)` });
    }
    let settled = false;
    const settle = (outcome: StackOutcome) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(deadline);
      kill(outcome);
    };
    const deadline = clock.setTimeout(
      () => settle({ unavailable: `no answer within ${STACK_CAPTURE_DEADLINE_MS} ms` }),
      STACK_CAPTURE_DEADLINE_MS,
    );
    this.#runtime.captureWorkerStack(worker.pid, STACK_CAPTURE_DEADLINE_MS).then(
      (capture) => settle({ capture }),
      (error) => settle({ unavailable: errorMessage(error) }),
    );
  }

  #arm(worker: WorkerRecord, kind: WorkerTimerKind, ms: number): void {
    this.#timers.arm(worker.id, kind, ms, () => this.#onTimer(worker, kind));
  }

  /** Arms the kill deadline of a worker asked to exit; an earlier deadline already set wins. */
  #armExitDeadline(worker: WorkerRecord, ms: number): void {
    this.#timers.clear(worker.id, "watchdog");
    this.#timers.clear(worker.id, "boot");
    this.#timers.armNoLater(worker.id, "exit", ms, () => this.#onTimer(worker, "exit"));
  }
}
