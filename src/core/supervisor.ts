/**
 * The supervisor: keeps a pool of workers serving, replaces the ones that crash, hang or retire, and
 * shuts the pool down on a signal. Runtime-free: everything it does to the world goes through the
 * injected {@linkcode Runtime}, and time comes from its clock.
 *
 * Callbacks (signals, exits, messages, timers) only enqueue an event; one loop takes events in order,
 * dispatches each by kind, then reconciles the pool it has with the pool it wants.
 *
 * @module
 */

import type { Config } from "./config.ts";
import { formatListenUrl, MAX_WORKERS } from "./config.ts";
import type { Logger } from "./logger.ts";
import { type FromWorker, isFdAddress } from "./protocol.ts";
import { HookRunner } from "./hook-runner.ts";
import type { ServerInfo } from "./hooks.ts";
import { buildWorkerSpec } from "./worker-spec.ts";
import { EXIT_APP_LOAD_ERROR, EXIT_FAILURE, EXIT_OK, EXIT_WORKER_BOOT_ERROR } from "./exit-codes.ts";
import { RESTART_BACKOFF_BASE_MS } from "./restart-backoff.ts";
import type { WorkerInfo, WorkerRecord } from "./worker-table.ts";
import { WorkerTable } from "./worker-table.ts";
import type { Runtime, Signal } from "./runtime.ts";
import { type BootFailureCause, classifyExit } from "./exit-classification.ts";
import { NO_RELOAD, type PoolBeforeReload, type ReloadState } from "./reload-state.ts";
import type { WorkerTimerKind } from "./worker-timers.ts";
import { SlotHistory } from "./slot-history.ts";
import { errorMessage, errorStack } from "./error-text.ts";
import { describeExit, describeReload } from "./describe.ts";
import { RespawnGate } from "./respawn-gate.ts";
import { WorkerCommands } from "./worker-commands.ts";
import { HANDLED_SIGNALS } from "./handled-signals.ts";
import type { MasterPhase, StatusReport } from "./status-report.ts";
import type { PoolEvent } from "./pool-event.ts";
import { MAX_HEARTBEAT_INTERVAL_MS } from "./worker-spec.ts";
import { MAX_BOOT_ATTEMPTS, SPARE_WORKERS_WHEN_RECYCLING, SPAWN_BATCH } from "./pool-policy.ts";
import type { SupervisorEvent } from "./supervisor-event.ts";
import type { LifecycleEvent } from "./lifecycle-event.ts";

export { describeExit } from "./describe.ts";
export { MAX_HEARTBEAT_INTERVAL_MS } from "./worker-spec.ts";
export { QUICK_STOP_TIMEOUT_MS } from "./worker-commands.ts";
export { HANDLED_SIGNALS } from "./handled-signals.ts";
export type { StatusReport } from "./status-report.ts";
export { MAX_BOOT_ATTEMPTS, SPARE_WORKERS_WHEN_RECYCLING, SPAWN_BATCH } from "./pool-policy.ts";

/** Options of {@linkcode createSupervisor}. */
export interface SupervisorOptions {
  runtime: Runtime;
  config: Config;
  logger: Logger;
  /** A number in [0, 1), for max-requests jitter; `Math.random` when omitted. */
  random?: () => number;
  /** Reads the config again, for SIGHUP; without it a reload keeps the config it has. */
  reloadConfig?: () => Promise<Config>;
  /** Reopens the master's own log files, for SIGUSR1. */
  reopenLogs?: () => void;
  /** The config file, whose worker-side hooks workers run; null or absent when there is none. */
  configFile?: string | null;
  /** Told when the pool is first ready, reloads, is resized and stops (sd_notify listens here). */
  onLifecycle?: (event: LifecycleEvent) => void;
  /** Told of every request count, restart, recycle and reload outcome (the metrics add them up). */
  onPoolEvent?: (event: PoolEvent) => void;
  /** Starts a new master from the files on disk, for SIGUSR2; without it USR2 is logged and ignored. */
  upgrade?: () => void;
  /**
   * What a graceful stop waits for, if anything, before the workers drain: the CLI waits for a new
   * master a USR2 started to serve, so that the addresses are never left without a server. Resolves
   * to whether the stop goes ahead; false calls it off (that new master died before it served).
   */
  beforeGracefulStop?: () => Promise<boolean> | undefined;
  /**
   * The pid of the master this one replaces, when started by its USR2: that master still holds the
   * addresses, so they are not probed at start (the probe would find them taken).
   */
  upgradingFrom?: number;
  /**
   * Whether SIGWINCH should stop every worker now; when absent it always does. A terminal's resize
   * sends WINCH to the jobs in its foreground too, so the CLI says no there unless an upgrade is under way.
   */
  stopWorkersOnWinch?: () => boolean;
}

/**
 * Creates a supervisor for `config`. Nothing happens until {@linkcode Supervisor.start}.
 *
 * @example
 * ```ts
 * const supervisor = createSupervisor({ runtime, config, logger });
 * await supervisor.start();
 * runtime.exit(await supervisor.done);
 * ```
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  return new Supervisor(options);
}

/** `idle` until started, `running`, `stopping` once a stop began, `stopped` once every worker is gone. */
type Phase = MasterPhase;

/** The master's pool of workers. See the module documentation. */
export class Supervisor {
  /** Resolves with the master's exit code once every worker is gone after a stop. */
  readonly done: Promise<number>;

  readonly #runtime: Runtime;
  #config: Config;
  readonly #options: SupervisorOptions;
  readonly #hooks: HookRunner;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #table = new WorkerTable();
  readonly #commands: WorkerCommands;
  readonly #slots = new SlotHistory();
  readonly #respawn: RespawnGate;
  readonly #queue: SupervisorEvent[] = [];
  #dispatching = false;
  #phase: Phase = "idle";
  #quick = false;
  #exitCode = EXIT_OK;
  #exitReason?: string;
  #desired: number;
  #everReady = false;
  /** Boot failures in a row, with no worker becoming ready in between. */
  #bootFailures = 0;
  /** Bumped by each reload; a worker remembers the generation it was spawned in. */
  #generation = 0;
  #reload: ReloadState = NO_RELOAD;
  /** The message of the last app-load error logged, so the same error from a sibling is not logged again. */
  #lastLoadError?: string;
  #nextId = 1;
  #startedAt = 0;
  #unsubscribe: (() => void)[] = [];
  #resolveDone!: (code: number) => void;

  constructor(options: SupervisorOptions) {
    this.#runtime = options.runtime;
    this.#options = options;
    this.#config = options.config;
    this.#hooks = new HookRunner(options.config.hooks, options.logger);
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    this.#desired = options.config.workers;
    this.#commands = new WorkerCommands({
      runtime: options.runtime,
      log: options.logger,
      config: () => this.#config,
      onTimer: (worker, kind) => this.#enqueue({ type: "timer", worker, kind }),
    });
    this.#respawn = new RespawnGate(options.runtime.clock, options.logger, () => this.#enqueue({ type: "respawn-due" }));
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** How many workers the master wants (the pool size, changed by TTIN and TTOU). */
  get desiredWorkers(): number {
    return this.#desired;
  }

  /** A snapshot of the workers, oldest first. */
  workers(): WorkerInfo[] {
    return this.#table.info();
  }

  /** The master and its pool, for `mgr status` and the admin endpoint. */
  status(): StatusReport {
    const now = this.#runtime.clock.now();
    // Two heartbeats and a little: one late beat is not yet a worker that stopped answering.
    const silentAfter = 2 * this.#heartbeatMs() + 250;
    const pool = this.#table.info().map((worker) => {
      const slot = this.#slots.get(worker.slot);
      const responsive = worker.state === "ready" && now - worker.lastSeen <= silentAfter;
      return { ...worker, restarts: slot?.restarts ?? 0, lastExit: slot?.lastExit, ageMs: now - worker.spawnedAt, responsive };
    });
    return {
      pid: this.#runtime.pid,
      runtime: `${this.#runtime.name} ${this.#runtime.version}`,
      phase: this.#phase,
      workers: this.#desired,
      ready: pool.filter((worker) => worker.responsive).length,
      startedAt: this.#startedAt,
      now,
      maxRssBytes: this.#config.maxRss * 1024 * 1024,
      pool,
    };
  }

  /** The workers' heartbeat interval, as buildWorkerSpec sets it. */
  #heartbeatMs(): number {
    const timeoutMs = this.#config.timeout * 1000;
    return timeoutMs > 0 ? Math.min(MAX_HEARTBEAT_INTERVAL_MS, timeoutMs / 2) : MAX_HEARTBEAT_INTERVAL_MS;
  }

  #count(event: PoolEvent): void {
    this.#options.onPoolEvent?.(event);
  }

  /** Reloads as SIGHUP does: new config, new workers, each old one drained once a new one is ready. */
  reload(): void {
    this.#enqueue({ type: "reload-requested" });
  }

  /** Sets the pool size, as repeated TTIN or TTOU would. */
  scale(workers: number): void {
    this.#enqueue({ type: "scale", workers });
  }

  #serverInfo(): ServerInfo {
    return { pid: this.#runtime.pid, workers: this.#desired, pool: () => this.workers() };
  }

  /**
   * Checks every address can be listened on, then boots the pool. If an address is taken, logs one
   * line naming it and finishes with exit code 1 without spawning anything.
   */
  async start(): Promise<void> {
    if (this.#phase !== "idle") throw new Error("Cannot start: the supervisor has already started");
    for (const address of this.#config.bind) {
      // An inherited socket is still checked: that its descriptor is one.
      if (this.#options.upgradingFrom !== undefined && !isFdAddress(address)) continue;
      try {
        await this.#runtime.checkListen(address);
      } catch (error) {
        this.#log.error(errorMessage(error));
        this.#phase = "stopped";
        this.#resolveDone(EXIT_FAILURE);
        return;
      }
    }
    for (const address of this.#config.bind) {
      this.#log.info(`Listening at: ${formatListenUrl(address)} (${this.#runtime.pid})`);
    }
    this.#log.info(`Using runtime: ${this.#runtime.name} ${this.#runtime.version}`);
    for (const note of (await this.#runtime.preflight?.()) ?? []) this.#log[note.level](note.message);
    this.#startedAt = this.#runtime.clock.now();
    await this.#hooks.run("onStarting", this.#serverInfo());
    this.#unsubscribe = HANDLED_SIGNALS.map((signal) =>
      this.#runtime.onSignal(signal, () => this.#enqueue({ type: "signal", signal }))
    );
    this.#phase = "running";
    this.#wake();
  }

  /** Stops the pool, gracefully (drain) or quickly, and resolves with the exit code. */
  stop(options: { graceful?: boolean } = {}): Promise<number> {
    this.#enqueue({ type: "stop", graceful: options.graceful ?? true });
    return this.done;
  }

  #enqueue(event: SupervisorEvent): void {
    this.#queue.push(event);
    this.#wake();
  }

  /** The one loop: events are handled one at a time, even when handling one causes another. */
  #wake(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      do {
        const event = this.#queue.shift();
        if (event) this.#dispatchSafely(event);
        this.#reconcile();
      } while (this.#queue.length > 0);
      this.#finishIfDone();
    } finally {
      this.#dispatching = false;
    }
  }

  #dispatchSafely(event: SupervisorEvent): void {
    try {
      this.#dispatch(event);
    } catch (error) {
      // A bug here must not take the master down and orphan its workers: log it and keep supervising.
      this.#log.critical(`Unexpected error while handling ${event.type}: ${errorStack(error)}`);
    }
  }

  #dispatch(event: SupervisorEvent): void {
    switch (event.type) {
      case "signal":
        return this.#onSignal(event.signal);
      case "stop":
        return event.graceful ? this.#stopGracefully() : this.#stopQuickly();
      case "message":
        return this.#onMessage(event.worker, event.message);
      case "exit":
        return this.#onExit(event.worker, event.code, event.signal);
      case "timer":
        return this.#onTimer(event.worker, event.kind);
      case "respawn-due":
        return; // the reconcile that follows every event spawns what is missing
      case "reload-requested":
        return this.#onReloadRequested();
      case "config-read":
        return this.#onConfigRead(event.config);
      case "config-unreadable":
        this.#reload = NO_RELOAD;
        this.#log.error(`Reload failed, keeping the workers and config as they are: ${errorMessage(event.error)}`);
        this.#count({ type: "reload", outcome: "failed" });
        return this.#options.onLifecycle?.({ type: "reloaded", workers: this.#desired });
      case "reload-hook-done":
        return this.#onReloadHookDone();
      case "scale":
        return this.#resize(event.workers);
    }
  }

  // --- signals -------------------------------------------------------------------------------------

  #onSignal(signal: Signal): void {
    // Never logged: with a closed stderr pipe, the log line itself would raise the next SIGPIPE.
    if (signal === "SIGPIPE") return;
    this.#log.info(`Handling signal: ${signal.slice(3).toLowerCase()}`);
    switch (signal) {
      case "SIGTERM":
        // A second TERM during a graceful stop means the operator is done waiting.
        return this.#phase === "stopping" ? this.#stopQuickly() : this.#stopGracefully();
      case "SIGINT":
      case "SIGQUIT":
        return this.#stopQuickly();
      case "SIGHUP":
        return this.#onReloadRequested();
      case "SIGTTIN":
        return this.#resize(this.#desired + 1);
      case "SIGTTOU":
        return this.#resize(this.#desired - 1);
      case "SIGUSR1":
        return this.#onUsr1();
      case "SIGUSR2":
        if (!this.#options.upgrade) {
          return this.#log.warning("Ignoring SIGUSR2: this master has no way to start a new one; send HUP to reload");
        }
        return this.#phase === "running" ? this.#options.upgrade() : undefined;
      case "SIGWINCH":
        if (this.#options.stopWorkersOnWinch?.() === false) {
          return this.#log.info("Ignoring SIGWINCH: a terminal's resize sends it too, so in a terminal it stops the workers only during an upgrade (after USR2)");
        }
        return this.#stopWorkersOnly();
    }
  }

  /** SIGHUP or `mgr reload`: reads the config again, then replaces every worker. */
  #onReloadRequested(): void {
    if (this.#phase !== "running") return;
    this.#log.info("Hang up: Master");
    if (this.#reload.phase !== "idle") {
      this.#log.warning(`A reload is already in progress (${describeReload(this.#reload)}); send HUP again once it has finished`);
      return;
    }
    this.#options.onLifecycle?.({ type: "reloading" });
    const reloadConfig = this.#options.reloadConfig;
    if (!reloadConfig) return this.#applyConfig(this.#config);
    this.#reload = { phase: "reading-config" };
    reloadConfig().then(
      (config) => this.#enqueue({ type: "config-read", config }),
      (error) => this.#enqueue({ type: "config-unreadable", error }),
    );
  }

  #onConfigRead(config: Config): void {
    if (this.#reload.phase !== "reading-config") return;
    this.#reload = NO_RELOAD;
    if (this.#phase === "running") this.#applyConfig(config);
  }

  /** Puts `config` in force; `onReload` runs before the new generation boots, as Gunicorn's on_reload does. */
  #applyConfig(config: Config): void {
    if (JSON.stringify(config.bind) !== JSON.stringify(this.#config.bind)) {
      this.#log.warning("The new config changes `bind`; addresses change on restart, so the old ones stay in use");
      config = { ...config, bind: this.#config.bind };
    }
    const before = { config: this.#config, workers: this.#desired };
    this.#config = config;
    this.#hooks.hooks = config.hooks;
    if (!this.#hooks.has("onReload")) return this.#replaceGeneration(before);
    this.#reload = { phase: "running-hook", before };
    void this.#hooks.run("onReload", this.#serverInfo()).then(() => this.#enqueue({ type: "reload-hook-done" }));
  }

  #onReloadHookDone(): void {
    if (this.#reload.phase !== "running-hook") return;
    const { before } = this.#reload;
    this.#reload = NO_RELOAD;
    if (this.#phase === "running") this.#replaceGeneration(before);
  }

  /** The new generation: every worker now serving is retired, each once a new one is ready. */
  #replaceGeneration(before: PoolBeforeReload): void {
    this.#generation++;
    this.#reload = { phase: "replacing", before, generation: this.#generation, bootFailures: 0 };
    // After a WINCH, a reload brings the pool back, as Gunicorn's does.
    if (this.#config.workers !== before.config.workers || this.#desired === 0) this.#resize(this.#config.workers);
    for (const worker of this.#table.active()) {
      worker.retiring = true;
      this.#count({ type: "recycle", reason: "reload" });
    }
  }

  /**
   * SIGWINCH, as in Gunicorn's upgrade: every worker drains and none replaces it, while the master
   * stays, so the new master of a USR2 serves alone. HUP starts the workers again, TERM ends the master.
   */
  #stopWorkersOnly(): void {
    if (this.#phase !== "running" || this.#desired === 0) return;
    this.#log.info("Stopping every worker gracefully; the master stays (HUP starts them again, TERM ends it)");
    this.#setPoolSize(0);
  }

  #onUsr1(): void {
    this.#log.info("Reopening log files");
    try {
      this.#options.reopenLogs?.();
    } catch (error) {
      this.#log.error(`Cannot reopen log files: ${errorMessage(error)}`);
    }
    for (const worker of this.#table.all()) this.#commands.send(worker, { type: "reopen-logs" });
  }

  #resize(workers: number): void {
    if (this.#phase !== "running") return;
    if (workers < 1 || workers > MAX_WORKERS) {
      const bound = workers < 1 ? "below one worker" : `above ${MAX_WORKERS} workers`;
      this.#log.info(`Number of workers stays at ${this.#desired}: a pool is never scaled ${bound}`);
      return;
    }
    if (workers === this.#desired) return;
    this.#log.info(`Number of workers: ${workers}`);
    this.#setPoolSize(workers);
  }

  /** The pool size changes: reconcile follows it, and the lifecycle and the hook are told. */
  #setPoolSize(workers: number): void {
    const previous = this.#desired;
    this.#desired = workers;
    this.#options.onLifecycle?.({ type: "scaled", workers });
    void this.#hooks.run("nworkersChanged", this.#serverInfo(), workers, previous);
  }

  #stopGracefully(): void {
    if (this.#phase === "stopped" || this.#phase === "stopping") return;
    const waiting = this.#options.beforeGracefulStop?.();
    if (waiting) {
      void waiting.then((goesAhead) => goesAhead && this.#enqueue({ type: "stop", graceful: true }));
      return;
    }
    this.#beginStopping();
    for (const worker of this.#table.active()) this.#dismiss(worker);
  }

  #stopQuickly(): void {
    if (this.#phase === "stopped") return;
    if (this.#phase !== "stopping") this.#beginStopping();
    this.#quick = true;
    for (const worker of this.#table.all()) {
      if (worker.state !== "stopping") this.#commands.stopNow(worker);
    }
  }

  #beginStopping(): void {
    this.#phase = "stopping";
    this.#respawn.cancelWake();
    this.#options.onLifecycle?.({ type: "stopping" });
  }

  /** Stops everything because the pool cannot run; the master exits with `code`. */
  #halt(code: number, reason: string): void {
    if (this.#phase === "stopping" || this.#phase === "stopped") return;
    this.#exitCode = code;
    this.#exitReason = reason;
    this.#stopQuickly();
  }

  // --- worker events -------------------------------------------------------------------------------

  #onMessage(worker: WorkerRecord, message: FromWorker): void {
    if (!this.#table.has(worker)) return;
    const now = this.#runtime.clock.now();
    worker.lastSeen = now;
    this.#commands.flushOutbox(worker);
    if (worker.state === "booting" || worker.state === "ready") this.#commands.armWatchdog(worker);
    switch (message.type) {
      case "booting":
        worker.bootStep = message.step;
        return;
      case "booted":
        worker.bootedAt = now;
        // A spare has booted once its app is loaded: its boot deadline is met.
        if (worker.spare) this.#commands.clearBootDeadline(worker);
        this.#log.debug(`Worker (pid:${worker.pid}) imported the app`);
        return;
      case "ready":
        return this.#onReady(worker);
      case "ping":
        this.#commands.send(worker, { type: "pong", seq: message.seq });
        return;
      case "heartbeat":
        this.#countServed(worker, message.served, message.latency);
        worker.inFlight = message.inFlight;
        worker.requests = message.requests ?? [];
        worker.rss = message.rss;
        if (message.loopDelayMs !== undefined) worker.loopDelayMs = message.loopDelayMs;
        return;
      case "retire":
        this.#countServed(worker, message.served);
        if (message.rss !== undefined) worker.rss = message.rss;
        if (this.#phase !== "running" || worker.state !== "ready" || worker.retiring) return;
        worker.retiring = true;
        if (message.reason === "max-rss") {
          const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
          this.#log.info(`Worker (pid:${worker.pid}) uses ${mb(message.rss ?? worker.rss)} of memory, over max-rss ${this.#config.maxRss} MB; replacing it`);
          this.#count({ type: "recycle", reason: "max-rss" });
        } else {
          this.#log.info(`Worker (pid:${worker.pid}) served ${message.served} requests; replacing it`);
          this.#count({ type: "recycle", reason: "max-requests" });
        }
        return;
      case "boot-error":
        worker.bootError = { kind: message.kind, message: message.message, stack: message.stack };
        return;
    }
  }

  /** Adds what a worker served since it last said so to the master's count; a worker's own count only grows. */
  #countServed(worker: WorkerRecord, served: number, latency?: readonly number[]): void {
    const requests = Math.max(0, served - worker.served);
    worker.served = Math.max(worker.served, served);
    if (requests > 0 || latency) this.#count({ type: "served", requests, latency });
  }

  #onReady(worker: WorkerRecord): void {
    if (worker.state !== "booting" || worker.spare) return;
    worker.state = "ready";
    worker.readyAt = this.#runtime.clock.now();
    this.#commands.clearBootDeadline(worker);
    this.#bootFailures = 0;
    if (this.#reload.phase === "replacing") this.#reload.bootFailures = 0;
    this.#log.debug(`Worker (pid:${worker.pid}) ready`);
    if (this.#phase !== "running") {
      // Became ready after a stop began: it gets the same treatment as its siblings.
      if (this.#quick) this.#commands.stopNow(worker);
      else this.#commands.drain(worker);
      return;
    }
    if (!this.#everReady && this.#table.ready().length >= this.#desired) {
      this.#everReady = true;
      const urls = this.#config.bind.map(formatListenUrl).join(", ");
      this.#log.info(`Ready: ${this.#desired} worker${this.#desired === 1 ? "" : "s"} serving ${urls}`);
      void this.#hooks.run("whenReady", this.#serverInfo());
      this.#options.onLifecycle?.({ type: "ready", workers: this.#desired });
    }
  }

  #onExit(worker: WorkerRecord, code: number | null, signal: string | null): void {
    if (!this.#table.has(worker)) return;
    this.#commands.forget(worker);
    this.#table.delete(worker);
    const how = describeExit(code, signal);
    const exit = classifyExit(worker, code, this.#runtime.clock.now(), this.#phase === "running");
    const ended = exit.kind === "planned"
      ? `${worker.retiring ? "retired" : "stopped"}, ${how}`
      : worker.killedBy === "timeout"
      ? `timed out, ${how}`
      : worker.killedBy === "boot-deadline"
      ? `boot timed out, ${how}`
      : how;
    this.#slots.recordExit(worker.slot, ended, exit.kind !== "planned");
    void this.#hooks.run("childExit", this.#serverInfo(), { id: worker.id, pid: worker.pid }, { code, signal });

    switch (exit.kind) {
      case "planned":
        if (worker.killedBy === "exit-deadline") return; // logged when the deadline passed
        if (code === 0) return this.#log.debug(`Worker (pid:${worker.pid}) exited`);
        // A sibling of the worker whose error abandoned a reload, stopped as it failed the same way: said once.
        if (worker.bootError?.kind === "app-load" && worker.bootError.message === this.#lastLoadError) {
          return this.#log.debug(`Worker (pid:${worker.pid}) could not load the app either`);
        }
        if (this.#phase === "running" || !this.#quick) {
          this.#log.warning(`Worker (pid:${worker.pid}) ${how} after it was asked to ${worker.state === "draining" ? "drain" : "stop"}`);
        }
        return;
      case "crash":
        return this.#onCrash(worker, signal, how, exit.early);
      case "boot-failure":
        return this.#onBootFailure(worker, exit.cause, how);
    }
  }

  /**
   * A worker that had booted died. One that had been up a while is replaced at once, every time, as
   * Gunicorn does: kills in a streak must not empty the pool. One that died right after it became
   * ready is part of a crash loop, and waits out the backoff.
   */
  #onCrash(worker: WorkerRecord, signal: string | null, how: string, early: boolean): void {
    const timedOut = worker.killedBy === "timeout";
    if (!timedOut) {
      this.#log.error(
        signal === "SIGKILL" ? `Worker (pid:${worker.pid}) was sent SIGKILL! Perhaps out of memory?` : `Worker (pid:${worker.pid}) ${how}`,
      );
    }
    // A SIGKILL the master did not send is most often the kernel's OOM killer (or an operator's kill -9).
    this.#count({ type: "restart", reason: timedOut ? "timeout" : "crash", oom: !timedOut && signal === "SIGKILL" });
    if (early) this.#respawn.recordFailure("crashes");
    else this.#respawn.reset();
  }

  #onBootFailure(worker: WorkerRecord, cause: BootFailureCause, how: string): void {
    this.#count({ type: "restart", reason: "boot-failure", oom: false });
    if (cause === "bind") {
      this.#log.error(worker.bootError!.message);
      return this.#halt(EXIT_FAILURE, "Cannot listen.");
    }
    if (cause === "app-load") {
      const error = worker.bootError;
      this.#lastLoadError = error?.message;
      this.#log.error(error ? `App failed to load: ${error.stack ?? error.message}` : `Worker (pid:${worker.pid}) could not load the app`);
      // At start there is nothing to protect: stop at once rather than boot a broken app N times.
      if (!this.#everReady) return this.#halt(EXIT_APP_LOAD_ERROR, "App failed to load.");
      if (this.#abandonReload(worker, "the app no longer loads")) return;
    } else if (cause === "died") {
      this.#log.error(`Worker (pid:${worker.pid}) failed to boot: it ${how}`);
    }
    this.#bootFailures++;
    const reload = this.#reload;
    if (reload.phase === "replacing" && worker.generation === reload.generation) {
      // A new generation that never boots would be retried forever while the old one serves.
      reload.bootFailures++;
      const why = `new workers failed to boot ${reload.bootFailures} times in a row`;
      if (reload.bootFailures >= MAX_BOOT_ATTEMPTS && this.#abandonReload(worker, why)) return;
    }
    if (this.#bootFailures >= MAX_BOOT_ATTEMPTS && this.#table.ready().length === 0) {
      return cause === "app-load"
        ? this.#halt(EXIT_APP_LOAD_ERROR, "App failed to load.")
        : this.#halt(EXIT_WORKER_BOOT_ERROR, "Worker failed to boot.");
    }
    this.#respawn.recordFailure("boot failures");
  }

  /**
   * A worker of a new generation could not boot: the reload is called off. The old workers stop
   * retiring and keep serving, the new ones still booting are stopped, and the config, hooks and pool
   * size go back to what they were before it. Returns false when there was no reload to call off.
   */
  #abandonReload(failed: WorkerRecord, why: string): boolean {
    const reload = this.#reload;
    if (reload.phase !== "replacing" || failed.generation !== reload.generation) return false;
    const old = this.#table.active().filter((w) => w.retiring && w.state === "ready");
    if (old.length === 0) return false;
    this.#log.error(`Reload abandoned: ${why}; ${old.length} worker(s) keep serving`);
    this.#count({ type: "reload", outcome: "abandoned" });
    for (const worker of old) worker.retiring = false;
    for (const worker of this.#table.active()) {
      if (worker.generation === reload.generation && worker.state === "booting") this.#dismiss(worker);
    }
    this.#reload = NO_RELOAD;
    this.#config = reload.before.config;
    this.#hooks.hooks = this.#config.hooks;
    this.#resize(reload.before.workers);
    this.#options.onLifecycle?.({ type: "reloaded", workers: this.#desired });
    return true;
  }

  #onTimer(worker: WorkerRecord, kind: WorkerTimerKind): void {
    if (this.#table.has(worker)) this.#commands.killOverdue(worker, kind);
  }

  // --- the pool ------------------------------------------------------------------------------------

  /** Makes the pool match what is wanted: spawn what is missing, drain what is surplus or retired. */
  #reconcile(): void {
    if (this.#phase !== "running") return;
    if (this.#reload.phase === "replacing" && !this.#table.all().some((w) => w.retiring)) {
      this.#reload = NO_RELOAD;
      this.#log.info("Reload complete");
      this.#count({ type: "reload", outcome: "complete" });
      this.#options.onLifecycle?.({ type: "reloaded", workers: this.#desired });
    }
    const members = this.#table.poolMembers();
    let missing = this.#desired - members.length;
    if (missing < 0) {
      for (const worker of members.slice(0, -missing)) this.#dismiss(worker);
    }
    for (const spare of this.#table.spares()) {
      if (missing <= 0) break;
      this.#promote(spare);
      missing--;
    }
    const recycles = this.#config.maxRequests > 0 || this.#config.maxRss > 0;
    const wantedSpares = recycles ? SPARE_WORKERS_WHEN_RECYCLING : 0;
    const missingSpares = Math.max(0, wantedSpares - this.#table.spares().length);
    if (missing > 0 || missingSpares > 0) this.#spawnMissing(missing, missingSpares);

    // A retiring worker keeps serving until a fresh one is ready to take its place, oldest first.
    let surplus = this.#table.ready().length - this.#desired;
    for (const worker of this.#table.active()) {
      if (!worker.retiring) continue;
      if (worker.state === "booting") this.#dismiss(worker); // never needed: its successor is on the way
      else if (surplus > 0) {
        this.#commands.drain(worker);
        surplus--;
      }
    }
  }

  /** Spawns up to a batch of the missing workers, then spares; the rest on a later turn of the loop. */
  #spawnMissing(workers: number, spares: number): void {
    // A backoff holds every spawn until it has passed; a refused spawn sets one.
    let spawning = this.#respawn.open;
    let batch = SPAWN_BATCH;
    for (; workers > 0 && spawning && batch > 0; workers--, batch--) spawning = this.#spawn(false);
    for (; spares > 0 && spawning && batch > 0; spares--, batch--) spawning = this.#spawn(true);
    if (!spawning || workers + spares > 0) this.#respawn.armWake();
  }

  /**
   * Asks a worker to go. One that has set up its app (serving, a spare, or about to listen) drains, so
   * no connection handed to it is dropped and its teardown() runs; one still loading is stopped. A
   * worker may already listen before its `ready` arrives: stopping it then would drop what it accepted.
   */
  #dismiss(worker: WorkerRecord): void {
    const setUp = worker.state === "ready" || worker.bootedAt !== undefined || worker.bootStep === "listen";
    if (setUp) this.#commands.drain(worker);
    else this.#commands.stopNow(worker);
  }

  /** Puts a spare to work: it starts listening and counts toward the pool from now on. */
  #promote(worker: WorkerRecord): void {
    worker.spare = false;
    this.#takeSlot(worker);
    // A spare that has booted gets a fresh deadline to start listening; one still booting keeps its own.
    if (worker.bootedAt !== undefined) this.#commands.armBootDeadline(worker);
    this.#commands.send(worker, { type: "serve" });
    this.#log.info(`Promoting spare worker (pid:${worker.pid})`);
  }

  /** Starts a worker; returns false if the runtime refused, after arranging the retry. */
  #spawn(spare: boolean): boolean {
    const id = this.#nextId++;
    const spec = buildWorkerSpec(this.#config, {
      id,
      mode: spare ? "standby" : "serve",
      random: this.#random,
      configFile: this.#options.configFile ?? null,
    });
    void this.#hooks.run("preFork", this.#serverInfo(), { id });
    let worker: WorkerRecord;
    try {
      worker = this.#commands.spawn(spec, this.#generation);
    } catch (error) {
      this.#log.error(`Cannot start a worker: ${errorMessage(error)}`);
      // Counted like a boot failure: a runtime that can never spawn ends the master with exit 3.
      this.#bootFailures++;
      if (this.#bootFailures >= MAX_BOOT_ATTEMPTS && this.#table.ready().length === 0) {
        this.#halt(EXIT_WORKER_BOOT_ERROR, "Worker failed to boot.");
        return false;
      }
      // Even the first refusal waits: retrying at once would most likely be refused again.
      this.#respawn.recordFailure("spawn failures", RESTART_BACKOFF_BASE_MS);
      return false;
    }
    this.#table.add(worker);
    if (!spare) this.#takeSlot(worker);
    worker.handle.onMessage((message) => this.#enqueue({ type: "message", worker, message }));
    worker.handle.onExit((code, signal) => this.#enqueue({ type: "exit", worker, code, signal }));
    this.#log.info(`Booting ${spare ? "spare " : ""}worker with pid: ${worker.pid}`);
    return true;
  }

  /** Gives a worker that joins the pool the lowest position no other pool member holds. */
  #takeSlot(worker: WorkerRecord): void {
    worker.slot = this.#slots.take(new Set(this.#table.poolMembers().filter((w) => w !== worker).map((w) => w.slot)));
  }

  #finishIfDone(): void {
    if (this.#phase !== "stopping" || this.#table.size > 0) return;
    this.#phase = "stopped";
    this.#respawn.cancelWake();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#log.info("Shutting down: Master");
    if (this.#exitReason) this.#log.error(`Reason: ${this.#exitReason}`);
    const code = this.#exitCode;
    void this.#hooks.run("onExit", this.#serverInfo()).then(() => this.#resolveDone(code));
  }
}
