/**
 * SIGUSR2, as in Gunicorn: start a new master from the files on disk now (new mgr, new app, new
 * runtime binary at the same path) that serves the same addresses alongside this one. It runs the
 * command line this master was started with, in the directory it was started in (`$PWD`, symlinks kept).
 *
 * - Node's workers serve the very sockets this master listens on: their descriptors are handed to
 *   the new master, which hands them to its workers, so both pools accept from one queue and nothing
 *   queued is lost when this one's workers go. This master keeps a descriptor of its own of each, for
 *   workers a HUP brings back. Bun's and Deno's workers each listen with SO_REUSEPORT, and the new
 *   master's workers join the same port.
 * - This master's pidfile becomes `PIDFILE.oldbin` and its control socket moves aside the same way
 *   (`mgr status --pid PIDFILE.oldbin` reaches it); the new master takes the usual names.
 * - The operator then sends WINCH here (every worker drains, the master stays: HUP would bring them
 *   back if the new code misbehaves) and TERM (this master ends). It never ends by itself. In a
 *   terminal, WINCH counts only now: every resize of the terminal sends one too.
 * - Should the new master exit while this one runs, the names come back and this one goes on.
 * - Once USR2 is taken the new master is started whatever comes next, as Gunicorn's exec is at once: a
 *   graceful stop (TERM) sent with it, before or after, drains the workers only once the new master
 *   serves (Bun's and Deno's ports would otherwise close with the last old worker), a quick one (QUIT,
 *   INT) at once, and either way this master exits only once the new one is spawned. Should the new
 *   master be gone before it served (a release that cannot start), that stop is called off: this master
 *   is the only one serving, and a deploy that goes on as if it had succeeded must not end it.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { renameSync, unlinkSync } from "node:fs";
import { type Config, formatAddress } from "../core/config.ts";
import { describeExit } from "../core/describe.ts";
import { errorMessage } from "../core/error-text.ts";
import type { Logger } from "../core/logger.ts";
import { isFdAddress, isTcpAddress, isUnixAddress, type ListenAddress } from "../core/protocol.ts";
import type { Runtime } from "../core/runtime.ts";
import type { ServiceNotifier } from "../core/service-notifier.ts";
import { processExists, readPid } from "../runtime/pidfile.ts";
import { inTerminalForeground } from "../runtime/terminal-foreground.ts";
import { formatUpgradeBind, LISTEN_FDS_START, UPGRADE_BIND_ENV, UPGRADE_FROM_ENV } from "./inherited-listeners.ts";
import { type ControlServer, type ControlSocketLocation, controlSocketLocation } from "./control-socket.ts";
import { masterDirectory } from "./master-command.ts";
import { Handover, type HandoverEnd } from "./upgrade-handover.ts";

/** The suffix of the old master's pidfile during an upgrade, Gunicorn's. */
export const OLDBIN_SUFFIX = ".oldbin";

/**
 * The longest this master's exit waits for a new master it is starting to be spawned, in milliseconds:
 * above the 10 s a Node master may take to keep a copy of its sockets (held-sockets.ts).
 */
const LAUNCH_WAIT_MS = 15_000;

/**
 * How long a graceful stop first waits for signals sent with it, in milliseconds. `kill -USR2;
 * kill -TERM` reach the master together, and Bun and Deno were measured handing TERM over first, tens
 * of microseconds apart (Node too, now and then). Gunicorn takes the signals pending together in
 * number order, USR2 (12) before TERM (15): so does this master, by waiting this long.
 */
const SIGNALS_TOGETHER_MS = 20;

/**
 * Where the old master's control socket goes during an upgrade: where `mgr status --pid
 * PIDFILE.oldbin` looks for it, or beside the usual one without a pidfile.
 */
export function oldbinControlPath(config: Config, env: Record<string, string | undefined>): string {
  if (config.pidfile) return controlSocketLocation({ ...config, pidfile: `${config.pidfile}${OLDBIN_SUFFIX}` }, env).path;
  return `${controlSocketLocation(config, env).path}${OLDBIN_SUFFIX}`;
}

/** What {@linkcode createUpgrader} needs from the master. */
export interface UpgraderOptions {
  runtime: Runtime;
  logger: Logger;
  /** The addresses this master serves. */
  bind: () => ListenAddress[];
  /** The command that starts a master as this one was started, arguments included. */
  command: string[];
  /** The environment this master was started with, before it removed its own variables. */
  env: Record<string, string | undefined>;
  pidfile: string | null;
  /**
   * The control socket, where this master has one, and where it moves during an upgrade. The new master
   * answers at `location` once started: a stop waiting for it asks there whether it serves.
   */
  control?: { server: ControlServer; location: ControlSocketLocation; oldbinPath: string };
  notifier?: ServiceNotifier;
  /** The master this one replaced, when it was itself started by a USR2. */
  oldMaster?: number;
  /** The pool size now, for the message when the new master fails. */
  workers: () => number;
  /** How long a graceful stop waits for the new master to serve before it drains anyway (`--graceful-timeout`). */
  handoverTimeoutMs: number;
}

/** Starts new masters on USR2 and tidies up after them. */
export interface Upgrader {
  upgrade(): void;
  /**
   * Whether WINCH, the upgrade's second step, should stop every worker now. A terminal's resize sends
   * it to the jobs in the terminal's foreground too: there, only while a new master this one started runs.
   */
  winchStopsWorkers(): boolean;
  /**
   * What a graceful stop waits for before the workers drain: at first, for {@linkcode SIGNALS_TOGETHER_MS}
   * (a USR2 sent with the stop may come just after it); then, while a new master this one started does
   * not serve yet (its whole pool ready), until it does, has gone, or `handoverTimeoutMs` passed.
   * Resolves to whether the stop goes ahead: not when the new master was gone before it served.
   */
  beforeGracefulStop(): Promise<boolean> | undefined;
  /**
   * Settles once the new master being started is spawned, or could not be, or after
   * {@linkcode LAUNCH_WAIT_MS}: this master's exit waits for it, or the new master would never start.
   */
  launched(): Promise<void>;
  /** At this master's exit: removes `PIDFILE.oldbin` if it is still this master's. */
  release(): void;
}

/** Creates the {@linkcode Upgrader} of one master. */
export function createUpgrader(options: UpgraderOptions): Upgrader {
  const { runtime, logger, pidfile, control, notifier } = options;
  let child: ChildProcess | undefined;
  const oldbin = pidfile && `${pidfile}${OLDBIN_SUFFIX}`;

  // Taken now: by the time of a USR2, `$PWD` may name another release.
  const directory = masterDirectory(options.env);

  /** From a USR2 until the new master serves or is gone: a graceful stop waits for it. */
  let handover: Handover | undefined;
  /** Whether a graceful stop has already waited for the signals sent with it. */
  let stopAsked = false;
  /** From a USR2 until the new master is spawned, or could not be: this master's exit waits for it. */
  let launch: Promise<void> | undefined;
  /** The last move of the names: this master's exit waits for it too, so its own closing does not race it. */
  let namesMoved = Promise.resolve();

  /** Moves the names aside or back; `whileClosed` runs while no control socket listens (see moveTo). */
  const moveNames = (away: boolean, whileClosed?: () => void) =>
    (namesMoved = (async () => {
      try {
        if (pidfile && oldbin) {
          const [from, to] = away ? [pidfile, oldbin] : [oldbin, pidfile];
          if (readPid(from) === runtime.pid) renameSync(from, to);
        }
        await control?.server.moveTo(away ? control.oldbinPath : control.location.path, whileClosed);
      } catch (error) {
        logger.warning(`Cannot move the pidfile or control socket ${away ? "aside" : "back"}: ${errorMessage(error)}`);
      }
    })());

  /** `exited`: the new master ran and exited, rather than could not be started at all. */
  const onChildGone = (pid: number | undefined, how: string, exited = false) => {
    child = undefined;
    // A stop that waited for this new master is called off (see beforeGracefulStop): the log says so.
    const stopDropped = handover?.stopWaits === true;
    handover?.end("gone");
    void moveNames(false);
    notifier?.reclaim(options.workers());
    const noWorkers = options.workers() === 0;
    const serving = `this master goes on serving${noWorkers ? " with no workers: send it HUP to start them again" : ""}`;
    const dropped = "drops the TERM that came with the USR2: send TERM again to stop it";
    logger.error(
      `The new master${pid ? ` (pid: ${pid})` : ""} ${how}${stopDropped && exited ? " before it served" : ""}; ${serving}` +
        (stopDropped ? (noWorkers ? `; it ${dropped}` : ` and ${dropped}`) : ""),
    );
  };

  /** This master's own descriptor of each socket in `fds` (of the addresses `bind`), where the runtime keeps one. */
  const holdSockets = (bind: ListenAddress[], fds: number[]): Promise<number[]> =>
    Promise.all(fds.map(async (fd, i) => {
      const address = bind[i]!;
      if (!runtime.holdListeningSocket || !isTcpAddress(address)) return fd;
      try {
        return await runtime.holdListeningSocket(fd, address);
      } catch (error) {
        logger.warning(`Cannot keep the socket of ${formatAddress(address)} for this master (${errorMessage(error)}): after WINCH, HUP cannot bring its workers back while the new master runs`);
        return fd;
      }
    }));

  const start = async (bind: ListenAddress[], handed: { bind: ListenAddress[]; fds: number[] }) => {
    // Before the new master has them: WINCH empties the pool, and HUP may bring it back, only after.
    handed = { ...handed, fds: await holdSockets(bind, handed.fds) };
    // The names first: the new master takes them as it starts. It is spawned while this master's
    // control socket is closed, so that it inherits no listener of it.
    let spawned = false;
    const spawnOnce = () => {
      if (spawned) return;
      spawned = true;
      spawnNewMaster(handed);
    };
    await moveNames(true, spawnOnce);
    spawnOnce();
  };

  const spawnNewMaster = (handed: { bind: ListenAddress[]; fds: number[] }) => {
    const [command, ...args] = options.command as [string, ...string[]];
    const env = { ...options.env, [UPGRADE_FROM_ENV]: String(runtime.pid), [UPGRADE_BIND_ENV]: formatUpgradeBind(handed.bind) };
    try {
      child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", ...handed.fds], env, cwd: directory });
    } catch (error) {
      return onChildGone(undefined, `could not be started: ${errorMessage(error)}`);
    }
    const started = child;
    // With its pid: one that hangs before it writes the pidfile is found by nothing else.
    const described = `in ${directory}: ${[command, ...args].join(" ")}`;
    if (started.pid !== undefined) logger.info(`Upgrading: started a new master (pid: ${started.pid}) ${described}`);
    started.once("error", (error) => {
      if (child === started) onChildGone(started.pid, `could not be started ${described} (${errorMessage(error)})`);
    });
    started.once("exit", (code, signal) => {
      if (child === started) onChildGone(started.pid, describeExit(code, signal), true);
    });
    if (started.pid !== undefined) notifier?.handOver(started.pid);
  };

  return {
    upgrade() {
      if (launch) return logger.warning("Ignoring SIGUSR2: a new master is being started");
      if (child) {
        return logger.warning(`Ignoring SIGUSR2: the new master (pid: ${child.pid}) started by the last one is still running`);
      }
      if (options.oldMaster !== undefined && processExists(options.oldMaster)) {
        return logger.warning(`Ignoring SIGUSR2: the master this one replaced (pid: ${options.oldMaster}) still runs; end it with TERM first`);
      }
      const bind = options.bind();
      let handed: { bind: ListenAddress[]; fds: number[] };
      try {
        handed = addressesToHand(runtime, bind);
      } catch (error) {
        return logger.error(`Cannot upgrade: ${errorMessage(error)}`);
      }
      handover = new Handover({
        runtime,
        logger,
        newMaster: () => child?.pid,
        location: control?.location,
        timeoutMs: options.handoverTimeoutMs,
      });
      // Taken: from here the new master is started even if a stop begins meanwhile (see launched).
      launch = start(bind, handed)
        .catch((error) => onChildGone(undefined, `could not be started: ${errorMessage(error)}`))
        .finally(() => (launch = undefined));
    },
    winchStopsWorkers() {
      return child !== undefined || !inTerminalForeground();
    },
    beforeGracefulStop() {
      const goesAhead = (ended: HandoverEnd) => {
        if (ended !== "gone") return true;
        // Called off: the next TERM is a stop of its own, and waits for signals sent with it again.
        stopAsked = false;
        return false;
      };
      const pendingNow = () => (handover?.pending ? handover : undefined);
      if (stopAsked) return pendingNow()?.watch().then(goesAhead);
      stopAsked = true;
      // Watched from now: should the new master be gone within the wait for signals, this stop is the one dropped.
      const atStop = pendingNow()?.watch();
      return new Promise<void>((resolve) => runtime.clock.setTimeout(resolve, SIGNALS_TOGETHER_MS)).then(() => {
        const ended = atStop ?? pendingNow()?.watch();
        return ended ? ended.then(goesAhead) : true;
      });
    },
    async launched() {
      let timer: unknown;
      const timedOut = new Promise<boolean>((resolve) => (timer = runtime.clock.setTimeout(() => resolve(true), LAUNCH_WAIT_MS)));
      const done = (async () => {
        await launch;
        await namesMoved;
        return false;
      })();
      if (await Promise.race([done, timedOut])) {
        logger.error(`Exiting before the new master could be started: starting it took over ${LAUNCH_WAIT_MS / 1000} s`);
      }
      runtime.clock.clearTimeout(timer);
    },
    release() {
      if (oldbin && readPid(oldbin) === runtime.pid) {
        try {
          unlinkSync(oldbin);
        } catch {
          // Gone already.
        }
      }
    },
  };
}

/**
 * The addresses as the new master will know them, and the descriptors to hand it, in order: they
 * become its descriptors 3, 4… On a runtime whose workers serve an inherited socket (Node), every
 * address goes as its socket; elsewhere the addresses go as they are, and the new workers share the
 * ports with SO_REUSEPORT.
 *
 * @throws {Error} when a socket cannot be handed over.
 */
function addressesToHand(runtime: Runtime, bind: ListenAddress[]): { bind: ListenAddress[]; fds: number[] } {
  const fds: number[] = [];
  const handed = bind.map((address): ListenAddress => {
    if (!runtime.listeningFd) return address;
    let fd: number | undefined;
    if (isFdAddress(address)) fd = address.fd;
    else if (isUnixAddress(address)) {
      throw new Error(`${formatAddress(address)}: a unix socket cannot be handed to a new master; restart mgr instead, or use HUP`);
    } else {
      fd = runtime.listeningFd(address);
      if (fd === undefined) {
        throw new Error(`cannot find the listening socket of ${formatAddress(address)} among this process's descriptors (USR2 on Node needs Linux's /proc)`);
      }
    }
    fds.push(fd);
    const name = isFdAddress(address) ? address.name : formatAddress(address);
    return { fd: LISTEN_FDS_START + fds.length - 1, ...(name !== undefined && { name }) };
  });
  return { bind: handed, fds };
}
