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
import { formatListenUrl } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { WORKER_EXIT_APP_LOAD } from "./protocol.ts";
import { HookRunner } from "./hook-runner.ts";
import type { ServerInfo } from "./hooks.ts";
import { buildWorkerSpec } from "./worker-spec.ts";
import { EXIT_APP_LOAD_ERROR, EXIT_FAILURE, EXIT_OK, EXIT_WORKER_BOOT_ERROR } from "./exit-codes.ts";
import { RESTART_BACKOFF_BASE_MS, RestartBackoff } from "./restart-backoff.ts";
import type { WorkerInfo, WorkerRecord } from "./worker-table.ts";
import { WorkerTable } from "./worker-table.ts";
import type { Runtime, Signal } from "./runtime.ts";

/** Consecutive boot failures, with no worker serving, after which the master gives up (exit 3). */
export const MAX_BOOT_ATTEMPTS = 5;
/** How long a worker told to exit now may take before it is killed, in milliseconds. */
export const QUICK_STOP_TIMEOUT_MS = 2_000;
/**
 * Spares kept booted while max-requests recycling is on. A retiring worker is then replaced in the time
 * a spare takes to start listening (milliseconds), not the time a worker takes to boot, so under any
 * load a worker serves close to its max-requests, and capacity still never dips. One is enough because
 * jitter spreads retirements out; when two coincide, the second replacement boots cold.
 */
export const SPARE_WORKERS_WHEN_RECYCLING = 1;
export { MAX_HEARTBEAT_INTERVAL_MS } from "./worker-spec.ts";

/** The signals the master listens for. */
export const HANDLED_SIGNALS: readonly Signal[] = [
  "SIGTERM",
  "SIGINT",
  "SIGQUIT",
  "SIGHUP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGUSR1",
];

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
}

/** What `mgr status` shows of the master. */
export interface StatusReport {
  pid: number;
  runtime: string;
  /** The pool size the master aims for. */
  workers: number;
  startedAt: number;
  now: number;
  pool: (WorkerInfo & { restarts: number; lastExit?: string })[];
}

type SupervisorEvent =
  | { type: "signal"; signal: Signal }
  | { type: "stop"; graceful: boolean }
  | { type: "message"; worker: WorkerRecord; message: FromWorker }
  | { type: "exit"; worker: WorkerRecord; code: number | null; signal: string | null }
  | { type: "watchdog"; worker: WorkerRecord }
  | { type: "deadline"; worker: WorkerRecord }
  | { type: "respawn" }
  | { type: "reload" }
  | { type: "reloaded"; config: Config }
  | { type: "reload-start" }
  | { type: "reload-failed"; error: unknown }
  | { type: "scale"; workers: number };

type Phase = "idle" | "running" | "stopping" | "stopped";

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

/** The master's pool of workers. See the module documentation. */
export class Supervisor {
  /** Resolves with the master's exit code once every worker is gone after a stop. */
  readonly done: Promise<number>;

  readonly #runtime: Runtime;
  #config: Config;
  readonly #options: SupervisorOptions;
  readonly #hooks: HookRunner;
  /** Bumped by each reload; a worker remembers the generation it was spawned in. */
  #generation = 0;
  #reloading = false;
  #beforeReload?: { config: Config; workers: number };
  /** The generation a reload in progress is bringing in, until every old worker has been retired. */
  #reloadGeneration?: number;
  #startedAt = 0;
  /** Per pool position: how often its worker died unplanned (crash, timeout), and how the last one ended. */
  readonly #slots = new Map<number, { restarts: number; lastExit?: string }>();
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #table = new WorkerTable();
  readonly #backoff = new RestartBackoff();
  readonly #queue: SupervisorEvent[] = [];
  #dispatching = false;
  #phase: Phase = "idle";
  #quick = false;
  #exitCode = EXIT_OK;
  #exitReason?: string;
  #desired: number;
  #everReady = false;
  #bootFailures = 0;
  #respawnAt = 0;
  #respawnTimer?: unknown;
  #nextId = 1;
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

  /** The master and its pool, for `mgr status`. */
  status(): StatusReport {
    return {
      pid: this.#runtime.pid,
      runtime: `${this.#runtime.name} ${this.#runtime.version}`,
      workers: this.#desired,
      startedAt: this.#startedAt,
      now: this.#runtime.clock.now(),
      pool: this.#table.info().map((worker) => {
        const slot = worker.slot === undefined ? undefined : this.#slots.get(worker.slot);
        return { ...worker, restarts: slot?.restarts ?? 0, lastExit: slot?.lastExit };
      }),
    };
  }

  /** Reloads as SIGHUP does: new config, new workers, each old one drained once a new one is ready. */
  reload(): void {
    this.#enqueue({ type: "reload" });
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
      case "watchdog":
        return this.#onWatchdog(event.worker);
      case "deadline":
        return this.#onDeadline(event.worker);
      case "respawn":
        this.#respawnTimer = undefined;
        return;
      case "reload":
        return this.#onHup();
      case "reloaded":
        return this.#onReloaded(event.config);
      case "reload-start":
        return this.#startGeneration();
      case "reload-failed":
        this.#reloading = false;
        this.#log.error(`Reload failed, keeping the workers and config as they are: ${errorMessage(event.error)}`);
        return;
      case "scale":
        return this.#resize(event.workers);
    }
  }

  // --- signals -------------------------------------------------------------------------------------

  #onSignal(signal: Signal): void {
    this.#log.info(`Handling signal: ${signal.slice(3).toLowerCase()}`);
    switch (signal) {
      case "SIGTERM":
        // A second TERM during a graceful stop means the operator is done waiting.
        return this.#phase === "stopping" ? this.#stopQuickly() : this.#stopGracefully();
      case "SIGINT":
      case "SIGQUIT":
        return this.#stopQuickly();
      case "SIGHUP":
        return this.#onHup();
      case "SIGTTIN":
        return this.#resize(this.#desired + 1);
      case "SIGTTOU":
        return this.#resize(this.#desired - 1);
      case "SIGUSR1":
        return this.#onUsr1();
    }
  }

  /** Reads the config again, then replaces every worker (see {@linkcode #onReloaded}). */
  #onHup(): void {
    if (this.#phase !== "running") return;
    this.#log.info("Hang up: Master");
    const reloadConfig = this.#options.reloadConfig;
    if (this.#reloading) return this.#log.info("A reload is already in progress");
    if (!reloadConfig) return this.#onReloaded(this.#config);
    this.#reloading = true;
    reloadConfig().then(
      (config) => this.#enqueue({ type: "reloaded", config }),
      (error) => this.#enqueue({ type: "reload-failed", error }),
    );
  }

  /** Starts a new generation: each old worker is drained only once a new one is ready to take its place. */
  #onReloaded(config: Config): void {
    this.#reloading = false;
    if (this.#phase !== "running") return;
    const bindChanged = JSON.stringify(config.bind) !== JSON.stringify(this.#config.bind);
    if (bindChanged) {
      this.#log.warning("The new config changes `bind`; addresses change on restart, so the old ones stay in use");
      config = { ...config, bind: this.#config.bind };
    }
    const previous = this.#config;
    this.#beforeReload = { config: previous, workers: this.#desired };
    this.#config = config;
    this.#hooks.hooks = config.hooks;
    // onReload runs before the new generation boots, as Gunicorn's on_reload does.
    if (!this.#hooks.has("onReload")) return this.#startGeneration();
    void this.#hooks.run("onReload", this.#serverInfo()).then(() => this.#enqueue({ type: "reload-start" }));
  }

  /** The new generation: every worker now serving is retired, each once a new one is ready. */
  #startGeneration(): void {
    if (this.#phase !== "running" || !this.#beforeReload) return;
    this.#generation++;
    this.#reloadGeneration = this.#generation;
    if (this.#config.workers !== this.#beforeReload.config.workers) this.#resize(this.#config.workers);
    for (const worker of this.#table.active()) worker.retiring = true;
  }

  #onUsr1(): void {
    this.#log.info("Reopening log files");
    try {
      this.#options.reopenLogs?.();
    } catch (error) {
      this.#log.error(`Cannot reopen log files: ${errorMessage(error)}`);
    }
    for (const worker of this.#table.all()) this.#send(worker, { type: "reopen-logs" });
  }

  #resize(workers: number): void {
    if (this.#phase !== "running") return;
    if (workers < 1) {
      this.#log.info(`Number of workers stays at ${this.#desired}: a pool is never scaled below one worker`);
      return;
    }
    if (workers === this.#desired) return;
    const previous = this.#desired;
    this.#desired = workers;
    this.#log.info(`Number of workers: ${workers}`);
    void this.#hooks.run("nworkersChanged", this.#serverInfo(), workers, previous);
  }

  #stopGracefully(): void {
    if (this.#phase === "stopped") return;
    if (this.#phase === "stopping") return;
    this.#beginStopping();
    for (const worker of this.#table.all()) {
      if (worker.state === "ready") this.#drain(worker);
      else if (worker.state === "booting") this.#stopNow(worker);
    }
  }

  #stopQuickly(): void {
    if (this.#phase === "stopped") return;
    if (this.#phase !== "stopping") this.#beginStopping();
    this.#quick = true;
    for (const worker of this.#table.all()) {
      if (worker.state !== "stopping") this.#stopNow(worker);
    }
  }

  #beginStopping(): void {
    this.#phase = "stopping";
    this.#cancelRespawnTimer();
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
    worker.lastSeen = this.#runtime.clock.now();
    if (worker.outbox) {
      const held = worker.outbox;
      worker.outbox = undefined;
      for (const message of held) worker.handle.send(message);
    }
    if (worker.state === "booting" || worker.state === "ready") this.#armWatchdog(worker);
    switch (message.type) {
      case "booted":
        worker.bootedAt = this.#runtime.clock.now();
        this.#log.debug(`Worker (pid:${worker.pid}) imported the app`);
        return;
      case "ready":
        return this.#onReady(worker);
      case "ping":
        this.#send(worker, { type: "pong", seq: message.seq });
        return;
      case "heartbeat":
        worker.served = message.served;
        worker.inFlight = message.inFlight;
        worker.rss = message.rss;
        return;
      case "retire":
        worker.served = message.served;
        if (this.#phase !== "running" || worker.state !== "ready" || worker.retiring) return;
        worker.retiring = true;
        this.#log.info(`Worker (pid:${worker.pid}) served ${message.served} requests; replacing it`);
        return;
      case "boot-error":
        worker.bootError = { kind: message.kind, message: message.message, stack: message.stack };
        return;
    }
  }

  #onReady(worker: WorkerRecord): void {
    if (worker.state !== "booting" || worker.spare) return;
    worker.state = "ready";
    worker.readyAt = this.#runtime.clock.now();
    this.#bootFailures = 0;
    this.#log.debug(`Worker (pid:${worker.pid}) ready`);
    if (this.#phase !== "running") {
      // Became ready after a stop began: it gets the same treatment as its siblings.
      if (this.#quick) this.#stopNow(worker);
      else this.#drain(worker);
      return;
    }
    if (!this.#everReady && this.#table.ready().length >= this.#desired) {
      this.#everReady = true;
      const urls = this.#config.bind.map(formatListenUrl).join(", ");
      this.#log.info(`Ready: ${this.#desired} worker${this.#desired === 1 ? "" : "s"} serving ${urls}`);
      void this.#hooks.run("whenReady", this.#serverInfo());
    }
  }

  #onExit(worker: WorkerRecord, code: number | null, signal: string | null): void {
    if (!this.#table.has(worker)) return;
    this.#clearTimers(worker);
    this.#table.delete(worker);
    const how = describeExit(code, signal);
    const slot = worker.slot === undefined ? undefined : this.#slots.get(worker.slot);
    const planned = worker.state === "draining" || worker.state === "stopping" || this.#phase !== "running";
    if (slot) {
      slot.lastExit = planned ? `${worker.retiring ? "retired" : "stopped"}, ${how}` : worker.killedBy === "timeout" ? `timed out, ${how}` : how;
      if (!planned) slot.restarts++;
    }
    void this.#hooks.run("childExit", this.#serverInfo(), { id: worker.id, pid: worker.pid }, { code, signal });

    if (worker.state === "draining" || worker.state === "stopping" || this.#phase !== "running") {
      if (worker.killedBy === "deadline") return; // already logged when the deadline passed
      if (code === 0) this.#log.debug(`Worker (pid:${worker.pid}) exited`);
      else if (this.#phase === "running" || !this.#quick) {
        this.#log.warning(`Worker (pid:${worker.pid}) ${how} after it was asked to ${worker.state === "draining" ? "drain" : "stop"}`);
      }
      return;
    }

    // A spare that had booted did boot: its death is a crash like any other.
    const booted = worker.readyAt !== undefined || (worker.spare && worker.bootedAt !== undefined);
    if (!booted) return this.#onBootFailure(worker, code, how);

    if (worker.killedBy !== "timeout") {
      this.#log.error(
        signal === "SIGKILL"
          ? `Worker (pid:${worker.pid}) was sent SIGKILL! Perhaps out of memory?`
          : `Worker (pid:${worker.pid}) ${how}`,
      );
    }
    this.#delayRespawn(this.#backoff.recordFailure(this.#runtime.clock.now()), "crashes");
  }

  #onBootFailure(worker: WorkerRecord, code: number | null, how: string): void {
    const error = worker.bootError;
    if (error?.kind === "bind") {
      this.#log.error(error.message);
      return this.#halt(EXIT_FAILURE, "Cannot listen.");
    }
    const appLoad = error?.kind === "app-load" || code === WORKER_EXIT_APP_LOAD;
    if (appLoad) {
      this.#log.error(
        error ? `App failed to load: ${error.stack ?? error.message}` : `Worker (pid:${worker.pid}) could not load the app`,
      );
      // At start there is nothing to protect: stop at once rather than boot a broken app N times.
      if (!this.#everReady) return this.#halt(EXIT_APP_LOAD_ERROR, "App failed to load.");
      if (this.#abandonReload(worker)) return;
    } else if (worker.killedBy !== "timeout") {
      this.#log.error(`Worker (pid:${worker.pid}) failed to boot: it ${how}`);
    }
    this.#bootFailures++;
    if (this.#bootFailures >= MAX_BOOT_ATTEMPTS && this.#table.ready().length === 0) {
      return appLoad
        ? this.#halt(EXIT_APP_LOAD_ERROR, "App failed to load.")
        : this.#halt(EXIT_WORKER_BOOT_ERROR, "Worker failed to boot.");
    }
    this.#delayRespawn(this.#backoff.recordFailure(this.#runtime.clock.now()), "boot failures");
  }

  /**
   * A worker of a new generation could not load the app: the reload is called off. The old workers
   * stop retiring and keep serving, the new ones still booting are stopped, and nothing is respawned
   * until the next reload. Returns false when there was no reload to call off.
   */
  #abandonReload(failed: WorkerRecord): boolean {
    if (this.#reloadGeneration === undefined || failed.generation !== this.#reloadGeneration) return false;
    const old = this.#table.active().filter((w) => w.retiring && w.state === "ready");
    if (old.length === 0) return false;
    this.#log.error(`Reload abandoned: the app no longer loads; ${old.length} worker(s) keep serving`);
    for (const worker of old) worker.retiring = false;
    for (const worker of this.#table.active()) {
      if (worker.generation === this.#reloadGeneration && worker.state === "booting") this.#stopNow(worker);
    }
    // The reload is over: a later failure is an ordinary boot failure, with backoff. The config, hooks
    // and pool size go back to what they were before it.
    this.#reloadGeneration = undefined;
    if (this.#beforeReload) {
      this.#config = this.#beforeReload.config;
      this.#hooks.hooks = this.#config.hooks;
      this.#resize(this.#beforeReload.workers);
    }
    return true;
  }

  #onWatchdog(worker: WorkerRecord): void {
    worker.watchdog = undefined;
    if (!this.#table.has(worker) || (worker.state !== "booting" && worker.state !== "ready")) return;
    this.#log.critical(`WORKER TIMEOUT (pid:${worker.pid})`);
    worker.killedBy = "timeout";
    worker.handle.kill("SIGKILL");
  }

  #onDeadline(worker: WorkerRecord): void {
    worker.deadline = undefined;
    if (!this.#table.has(worker)) return;
    this.#log.warning(`Worker (pid:${worker.pid}) did not exit in time; sending SIGKILL`);
    worker.killedBy = "deadline";
    worker.handle.kill("SIGKILL");
  }

  // --- the pool ------------------------------------------------------------------------------------

  /** Makes the pool match what is wanted: spawn what is missing, drain what is surplus or retired. */
  #reconcile(): void {
    if (this.#phase !== "running") return;
    if (this.#reloadGeneration !== undefined && !this.#table.all().some((w) => w.retiring)) {
      this.#reloadGeneration = undefined;
      this.#log.info("Reload complete");
    }
    const fresh = this.#table.fresh();
    let missing = this.#desired - fresh.length;
    if (missing < 0) {
      for (const worker of fresh.slice(0, -missing)) this.#retireNow(worker);
    }
    for (const spare of this.#table.spares()) {
      if (missing <= 0) break;
      this.#promote(spare);
      missing--;
    }
    const wantedSpares = this.#config.maxRequests > 0 ? SPARE_WORKERS_WHEN_RECYCLING : 0;
    const missingSpares = Math.max(0, wantedSpares - this.#table.spares().length);
    if (missing > 0 || missingSpares > 0) {
      // A refused spawn sets a backoff; nothing more is spawned until it has passed.
      let spawning = this.#runtime.clock.now() >= this.#respawnAt;
      for (let i = 0; i < missing && spawning; i++) spawning = this.#spawn(false);
      for (let i = 0; i < missingSpares && spawning; i++) spawning = this.#spawn(true);
      if (!spawning) this.#armRespawnTimer();
    }

    // A retiring worker keeps serving until a fresh one is ready to take its place, oldest first.
    let surplus = this.#table.ready().length - this.#desired;
    for (const worker of this.#table.active()) {
      if (!worker.retiring) continue;
      if (worker.state === "booting") this.#stopNow(worker); // never needed: its successor is on the way
      else if (surplus > 0) {
        this.#drain(worker);
        surplus--;
      }
    }
  }

  #retireNow(worker: WorkerRecord): void {
    if (worker.state === "booting") this.#stopNow(worker);
    else this.#drain(worker);
  }

  /** Puts a spare to work: it starts listening and counts toward the pool from now on. */
  #promote(worker: WorkerRecord): void {
    worker.spare = false;
    this.#takeSlot(worker);
    this.#send(worker, { type: "serve" });
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
    let handle;
    try {
      handle = this.#runtime.spawnWorker(spec);
    } catch (error) {
      this.#log.error(`Cannot start a worker: ${errorMessage(error)}`);
      // Counted like a boot failure: a runtime that can never spawn ends the master with exit 3.
      this.#bootFailures++;
      if (this.#bootFailures >= MAX_BOOT_ATTEMPTS && this.#table.ready().length === 0) {
        this.#halt(EXIT_WORKER_BOOT_ERROR, "Worker failed to boot.");
        return false;
      }
      // Even the first refusal waits: retrying at once would most likely be refused again.
      const delay = Math.max(RESTART_BACKOFF_BASE_MS, this.#backoff.recordFailure(this.#runtime.clock.now()));
      this.#delayRespawn(delay, "spawn failures");
      return false;
    }
    const now = this.#runtime.clock.now();
    const worker: WorkerRecord = {
      id,
      pid: handle.pid,
      handle,
      state: "booting",
      retiring: false,
      spare,
      generation: this.#generation,
      spawnedAt: now,
      lastSeen: now,
      outbox: [],
      served: 0,
      inFlight: 0,
      rss: 0,
    };
    this.#table.add(worker);
    if (!spare) this.#takeSlot(worker);
    handle.onMessage((message) => this.#enqueue({ type: "message", worker, message }));
    handle.onExit((code, signal) => this.#enqueue({ type: "exit", worker, code, signal }));
    this.#armWatchdog(worker);
    this.#log.info(`Booting ${spare ? "spare " : ""}worker with pid: ${handle.pid}`);
    return true;
  }

  /** Gives a worker that joins the pool the lowest position no other pool member holds. */
  #takeSlot(worker: WorkerRecord): void {
    const held = new Set(this.#table.fresh().filter((w) => w !== worker).map((w) => w.slot));
    let slot = 1;
    while (held.has(slot)) slot++;
    worker.slot = slot;
    if (!this.#slots.has(slot)) this.#slots.set(slot, { restarts: 0 });
  }

  /** Asks a worker to finish its requests and exit, killing it after `gracefulTimeout`. */
  #drain(worker: WorkerRecord): void {
    worker.state = "draining";
    this.#clearWatchdog(worker);
    this.#send(worker, { type: "drain" });
    this.#setDeadline(worker, this.#config.gracefulTimeout * 1000);
  }

  /** Asks a worker to exit now, killing it after {@linkcode QUICK_STOP_TIMEOUT_MS}. */
  #stopNow(worker: WorkerRecord): void {
    worker.state = "stopping";
    this.#clearWatchdog(worker);
    this.#send(worker, { type: "stop" });
    this.#setDeadline(worker, Math.min(QUICK_STOP_TIMEOUT_MS, this.#config.gracefulTimeout * 1000));
  }

  /** Sends a message, or holds it until the worker has first spoken. */
  #send(worker: WorkerRecord, message: ToWorker): void {
    if (worker.outbox) worker.outbox.push(message);
    else worker.handle.send(message);
  }

  #delayRespawn(delayMs: number, what: string): void {
    if (delayMs <= 0) return;
    const at = this.#runtime.clock.now() + delayMs;
    if (at <= this.#respawnAt) return;
    this.#respawnAt = at;
    this.#log.warning(
      `${this.#backoff.streak} ${what} in a row; waiting ${(delayMs / 1000).toFixed(2)}s before starting a worker`,
    );
    this.#cancelRespawnTimer();
  }

  #armRespawnTimer(): void {
    if (this.#respawnTimer !== undefined || this.#phase !== "running") return;
    const wait = Math.max(0, this.#respawnAt - this.#runtime.clock.now());
    this.#respawnTimer = this.#runtime.clock.setTimeout(() => this.#enqueue({ type: "respawn" }), wait);
  }

  #cancelRespawnTimer(): void {
    if (this.#respawnTimer === undefined) return;
    this.#runtime.clock.clearTimeout(this.#respawnTimer);
    this.#respawnTimer = undefined;
  }

  // --- timers --------------------------------------------------------------------------------------

  #armWatchdog(worker: WorkerRecord): void {
    if (this.#config.timeout <= 0) return;
    this.#clearWatchdog(worker);
    worker.watchdog = this.#runtime.clock.setTimeout(
      () => this.#enqueue({ type: "watchdog", worker }),
      this.#config.timeout * 1000,
    );
  }

  #clearWatchdog(worker: WorkerRecord): void {
    if (worker.watchdog === undefined) return;
    this.#runtime.clock.clearTimeout(worker.watchdog);
    worker.watchdog = undefined;
  }

  /** Arms the kill deadline of a worker asked to exit; an earlier deadline already set wins. */
  #setDeadline(worker: WorkerRecord, ms: number): void {
    const at = this.#runtime.clock.now() + ms;
    if (worker.deadlineAt !== undefined && worker.deadlineAt <= at) return;
    if (worker.deadline !== undefined) this.#runtime.clock.clearTimeout(worker.deadline);
    worker.deadlineAt = at;
    worker.deadline = this.#runtime.clock.setTimeout(() => this.#enqueue({ type: "deadline", worker }), ms);
  }

  #clearTimers(worker: WorkerRecord): void {
    this.#clearWatchdog(worker);
    if (worker.deadline !== undefined) this.#runtime.clock.clearTimeout(worker.deadline);
    worker.deadline = undefined;
  }

  #finishIfDone(): void {
    if (this.#phase !== "stopping" || this.#table.size > 0) return;
    this.#phase = "stopped";
    this.#cancelRespawnTimer();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#log.info("Shutting down: Master");
    if (this.#exitReason) this.#log.error(`Reason: ${this.#exitReason}`);
    const code = this.#exitCode;
    void this.#hooks.run("onExit", this.#serverInfo()).then(() => this.#resolveDone(code));
  }
}

/** Describes how a process ended: `exited with code 1`, `was killed by SIGTERM`. */
export function describeExit(code: number | null, signal: string | null): string {
  if (signal) return `was killed by ${signal}`;
  return `exited with code ${code ?? "unknown"}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorStack(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}
