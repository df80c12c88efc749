/**
 * A runtime that spawns nothing: it records what the supervisor asks for, and a worker sends a
 * message or exits only when the test says so.
 *
 * @module
 */

import { formatAddress } from "../../src/core/config.ts";
import type { FromWorker, ListenAddress, ToWorker, WorkerSpec } from "../../src/core/protocol.ts";
import type { KillSignal, Runtime, Signal, WorkerHandle } from "../../src/core/runtime.ts";
import { FakeClock } from "./fake-clock.ts";

/** One fake worker process. */
export class FakeWorker implements WorkerHandle {
  readonly sent: ToWorker[] = [];
  readonly signals: KillSignal[] = [];
  exited = false;
  #onMessage: ((message: FromWorker) => void)[] = [];
  #onExit: ((code: number | null, signal: string | null) => void)[] = [];

  constructor(readonly pid: number, readonly spec: WorkerSpec, readonly runtime: FakeRuntime) {}

  send(message: ToWorker): void {
    if (!this.exited) this.sent.push(message);
  }

  onMessage(fn: (message: FromWorker) => void): void {
    this.#onMessage.push(fn);
  }

  onExit(fn: (code: number | null, signal: string | null) => void): void {
    this.#onExit.push(fn);
  }

  kill(signal: KillSignal): void {
    this.signals.push(signal);
    this.runtime.killed.push([this.spec.id, signal]);
  }

  /** The worker sends `message` to the master. */
  message(message: FromWorker): this {
    for (const fn of this.#onMessage) fn(message);
    return this;
  }

  ready(): this {
    return this.message({ type: "booted" }).message({ type: "ready" });
  }

  heartbeat(served = 0, inFlight = 0): this {
    return this.message({ type: "heartbeat", served, inFlight, rss: 1 });
  }

  /** The process ends, with an exit code or a signal. */
  exit({ code = null, signal = null }: { code?: number | null; signal?: string | null } = { code: 0 }): void {
    if (this.exited) throw new Error(`worker ${this.spec.id} has already exited`);
    this.exited = true;
    for (const fn of this.#onExit) fn(code, signal);
  }

  /** True once the master has asked this worker to drain. */
  get drained(): boolean {
    return this.sent.some((m) => m.type === "drain");
  }

  /** True once the master has asked this worker to stop now. */
  get stopped(): boolean {
    return this.sent.some((m) => m.type === "stop");
  }
}

/** A {@linkcode Runtime} for supervisor tests. */
export class FakeRuntime implements Runtime {
  readonly name = "node" as const;
  readonly version = "0.0.0-fake";
  readonly pid = 1000;
  readonly clock: FakeClock;
  /** Every worker ever spawned, by id (index 0 is worker 1). */
  readonly spawned: FakeWorker[] = [];
  /** Every kill, as [worker id, signal]. */
  readonly killed: [number, KillSignal][] = [];
  /** Addresses refused by checkListen. */
  readonly busyAddresses: ListenAddress[] = [];
  /** Makes the next spawn throw, to simulate a runtime that cannot start a process. */
  spawnError?: Error;
  #signalHandlers = new Map<Signal, Set<() => void>>();
  #nextPid = 2000;

  constructor(clock = new FakeClock()) {
    this.clock = clock;
  }

  spawnWorker(spec: WorkerSpec): WorkerHandle {
    if (this.spawnError) {
      const error = this.spawnError;
      this.spawnError = undefined;
      throw error;
    }
    const worker = new FakeWorker(this.#nextPid++, spec, this);
    this.spawned.push(worker);
    return worker;
  }

  onSignal(signal: Signal, fn: () => void): () => void {
    const set = this.#signalHandlers.get(signal) ?? new Set();
    set.add(fn);
    this.#signalHandlers.set(signal, set);
    return () => set.delete(fn);
  }

  checkListen(address: ListenAddress): Promise<void> {
    const busy = this.busyAddresses.some((a) => formatAddress(a) === formatAddress(address));
    return busy
      ? Promise.reject(new Error(`Cannot listen on ${formatAddress(address)}: address already in use`))
      : Promise.resolve();
  }

  cpuCount(): number {
    return 2;
  }

  readonly unixSockets = true;

  importModule(url: string): Promise<unknown> {
    return Promise.reject(new Error(`FakeRuntime cannot import ${url}`));
  }

  /** Delivers a signal to the master. */
  signal(signal: Signal): void {
    for (const fn of this.#signalHandlers.get(signal) ?? []) fn();
  }

  /** Number of handlers listening for `signal`. */
  listeners(signal: Signal): number {
    return this.#signalHandlers.get(signal)?.size ?? 0;
  }

  /** Worker `id` (1-based, in spawn order). */
  worker(id: number): FakeWorker {
    const worker = this.spawned[id - 1];
    if (!worker) throw new Error(`no worker ${id}; spawned ${this.spawned.length}`);
    return worker;
  }

  /** Workers that have not exited. */
  alive(): FakeWorker[] {
    return this.spawned.filter((w) => !w.exited);
  }

  /** Every live worker that has not said so reports ready. */
  readyAll(): void {
    for (const worker of this.alive()) {
      if (!worker.drained && !worker.stopped) worker.ready();
    }
  }
}
