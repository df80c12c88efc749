/**
 * sd_notify for `Type=notify` systemd units: what the master tells the service manager, and when.
 * The transport (a datagram to `$NOTIFY_SOCKET`) is the runtime's; this module only decides the
 * messages, from the supervisor's {@linkcode LifecycleEvent}s, and keeps the watchdog fed.
 *
 * @module
 */

import type { Clock, TimerId } from "./clock.ts";
import type { LifecycleEvent } from "./lifecycle-event.ts";

/** Options of {@linkcode ServiceNotifier}. */
export interface ServiceNotifierOptions {
  /** Sends one message (lines joined by `\n`); never throws (the caller reports failures). */
  send(message: string): void;
  clock: Clock;
  /** CLOCK_MONOTONIC in microseconds, for `MONOTONIC_USEC`. */
  monotonicMicros(): bigint;
  /** The master's pid, sent as `MAINPID=`: a launcher (npx, bunx) may be the process systemd started. */
  pid: number;
  /** Milliseconds between `WATCHDOG=1` pings (half of `WATCHDOG_USEC`), or 0 for no watchdog. */
  watchdogIntervalMs: number;
  /** What the pool serves, for `STATUS=`, e.g. `http://0.0.0.0:8000`. */
  serving: string;
}

/**
 * Tells the service manager the master's state: `MAINPID=` and a `STATUS=` at start, `READY=1` once
 * the first pool is ready, `RELOADING=1` (with `MONOTONIC_USEC=`) then `READY=1` around a reload,
 * `STOPPING=1` when a stop begins, and `WATCHDOG=1` every `watchdogIntervalMs` while it runs.
 *
 * @example
 * ```ts
 * const notifier = new ServiceNotifier({ send, clock, monotonicMicros, pid, watchdogIntervalMs: 0, serving });
 * notifier.starting(4);
 * createSupervisor({ ..., onLifecycle: (event) => notifier.onLifecycle(event) });
 * ```
 */
export class ServiceNotifier {
  readonly #options: ServiceNotifierOptions;
  #watchdog: TimerId | undefined;
  #closed = false;
  /** Set while a new master started by USR2 speaks for the service. */
  #handedOver = false;

  constructor(options: ServiceNotifierOptions) {
    this.#options = options;
    if (options.watchdogIntervalMs > 0) this.#armWatchdog();
  }

  /** Says the master runs and is booting `workers` workers. */
  starting(workers: number): void {
    this.#send(`MAINPID=${this.#options.pid}`, `STATUS=Booting ${plural(workers)}`);
  }

  /** Turns one supervisor event into its message. */
  onLifecycle(event: LifecycleEvent): void {
    if (this.#handedOver) return;
    switch (event.type) {
      case "ready":
        return this.#send("READY=1", `MAINPID=${this.#options.pid}`, this.#serving(event.workers));
      case "reloading":
        return this.#send("RELOADING=1", `MONOTONIC_USEC=${this.#options.monotonicMicros()}`, "STATUS=Reloading");
      case "reloaded":
        return this.#send("READY=1", this.#serving(event.workers));
      case "scaled":
        return this.#send(this.#serving(event.workers));
      case "stopping":
        return this.#send("STOPPING=1", "STATUS=Stopping");
    }
  }

  /**
   * Lets the new master of a USR2 upgrade (`pid`) speak for the service: this one says so, then sends
   * only watchdog pings, so its own stop (STOPPING=1) does not tell systemd the service is stopping.
   */
  handOver(pid: number): void {
    this.#send(`STATUS=Upgrading: new master ${pid} is starting`);
    this.#handedOver = true;
  }

  /** Speaks for the service again, after the new master of an upgrade has gone: this one is the main process. */
  reclaim(workers: number): void {
    this.#handedOver = false;
    this.#send("READY=1", `MAINPID=${this.#options.pid}`, this.#serving(workers));
  }

  /** Stops the watchdog pings; nothing is sent after this. */
  close(): void {
    this.#closed = true;
    if (this.#watchdog !== undefined) this.#options.clock.clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  #serving(workers: number): string {
    return `STATUS=${plural(workers)} serving ${this.#options.serving}`;
  }

  #send(...lines: string[]): void {
    if (!this.#closed) this.#options.send(lines.join("\n"));
  }

  /**
   * One timer re-armed after each ping rather than an interval: a master whose loop is blocked sends
   * nothing, which is what the watchdog is there to notice.
   */
  #armWatchdog(): void {
    this.#watchdog = this.#options.clock.setTimeout(() => {
      this.#send("WATCHDOG=1");
      if (!this.#closed) this.#armWatchdog();
    }, this.#options.watchdogIntervalMs);
  }
}

function plural(workers: number): string {
  return `${workers} worker${workers === 1 ? "" : "s"}`;
}

/** The systemd environment a master reads, by variable name. */
export interface NotifyEnvironment {
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

/**
 * The milliseconds between watchdog pings that `env` asks of the process `pid`: half of
 * `WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises, when it is set and `WATCHDOG_PID` is unset or
 * names `pid`; else 0.
 */
export function watchdogIntervalMs(env: NotifyEnvironment, pid: number): number {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return 0;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return 0;
  return Math.max(1, Math.floor(usec / 2_000));
}
