/**
 * Connecting the master to systemd's `Type=notify`: when `$NOTIFY_SOCKET` is set, a
 * {@linkcode ServiceNotifier} sends over the runtime's transport, and failures are logged once.
 *
 * @module
 */

import process from "node:process";
import { formatListenUrl } from "../core/config.ts";
import type { Config } from "../core/config.ts";
import { errorMessage } from "../core/error-text.ts";
import type { Logger } from "../core/logger.ts";
import type { Runtime } from "../core/runtime.ts";
import { type NotifyEnvironment, ServiceNotifier, watchdogIntervalMs } from "../core/service-notifier.ts";

/** A notifier and how to wait for what it has sent. */
export interface ServiceNotify {
  notifier: ServiceNotifier;
  /** Stops the watchdog and waits (a second at most) until every message is sent. */
  close(): Promise<void>;
}

/** The longest the master waits at exit for its last messages (STOPPING=1) to be sent. */
const FLUSH_TIMEOUT_MS = 1_000;

/**
 * Starts notifying systemd when `env` has `NOTIFY_SOCKET`; undefined otherwise. A runtime that cannot
 * send gets one warning, and the master serves on: the unit then times out waiting for READY=1.
 */
export function startServiceNotify(runtime: Runtime, env: NotifyEnvironment, config: Config, logger: Logger): ServiceNotify | undefined {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return undefined;
  const interval = watchdogIntervalMs(env, runtime.pid);
  // The variables are the master's: a worker's app that notified too (with NotifyAccess=all) would
  // tell systemd the service is ready, or reloading, for the master (sd_notify's unset_environment).
  // `env` may be process.env itself: read first.
  for (const name of ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]) delete process.env[name];
  const notify = runtime.notify;
  if (!notify) {
    logger.warning(`NOTIFY_SOCKET is set but mgr cannot send sd_notify messages on ${runtime.name}; use Type=simple`);
    return undefined;
  }
  let pending: Promise<void> = Promise.resolve();
  let failed = false;
  const send = (message: string) => {
    logger.debug(`sd_notify: ${message.replaceAll("\n", " ")}`);
    const sent = notify(socket, message).catch((error) => {
      // The watchdog would repeat the same failure every few seconds: say it once.
      if (!failed) logger.warning(`Cannot notify systemd at ${socket}: ${errorMessage(error)}`);
      failed = true;
    });
    pending = Promise.all([pending, sent]).then(() => {});
  };
  const notifier = new ServiceNotifier({
    send,
    clock: runtime.clock,
    monotonicMicros: () => runtime.monotonicMicros?.() ?? BigInt(Math.round(runtime.clock.now() * 1000)),
    pid: runtime.pid,
    watchdogIntervalMs: interval,
    serving: config.bind.map(formatListenUrl).join(", "),
  });
  if (interval > 0) logger.info(`Pinging the systemd watchdog every ${interval} ms`);
  return {
    notifier,
    async close() {
      notifier.close();
      let timer: unknown;
      const timeout = new Promise<void>((resolve) => (timer = runtime.clock.setTimeout(resolve, FLUSH_TIMEOUT_MS)));
      await Promise.race([pending, timeout]);
      runtime.clock.clearTimeout(timer);
    },
  };
}
