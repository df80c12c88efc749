/**
 * `mgr serve`: set up the logs, the pidfile and the control socket, then run the supervisor until it
 * is done.
 *
 * @module
 */

import { resolve } from "node:path";
import { formatAddress } from "../core/config.ts";
import { EXIT_FAILURE } from "../core/exit-codes.ts";
import { isUnixAddress } from "../core/protocol.ts";
import { createLogger } from "../core/logger.ts";
import { createSupervisor } from "../core/supervisor.ts";
import { npxUpgradeWarning, PROC_TREE, watchNpmParent } from "./npm-parent.ts";
import { hasMasterTitle, masterTitle } from "../runtime/master-title.ts";
import { acquirePidfile, PidfileError } from "../runtime/pidfile.ts";
import { UnsafePathError } from "../runtime/private-directory.ts";
import type { Runtime } from "../core/runtime.ts";
import { VERSION } from "../version.ts";
import { askMasterPid } from "./control-client.ts";
import { type ControlServer, controlSocketLocation, startControlServer } from "./control-socket.ts";
import type { ConfigLoader } from "./config-loader.ts";
import type { MainOptions } from "./main-options.ts";
import type { ResolvedConfig } from "./resolve-config.ts";
import { UsageError } from "./usage-error.ts";
import process from "node:process";
import { handOverLogFiles } from "../runtime/worker-accounts.ts";
import { openLogFile, resolveWorkerAccount } from "./start-checks.ts";
import { errorMessage } from "../core/error-text.ts";
import { startServiceNotify } from "./service-notify.ts";
import { takeInheritedListeners } from "./inherited-listeners.ts";
import { createUpgrader, oldbinControlPath } from "./upgrade.ts";
import { masterCommand } from "./master-command.ts";
import { PoolCounters } from "../core/pool-counters.ts";
import type { StatusReport } from "../core/status-report.ts";
import { adminAddress, startAdminServer, takeOverAdminServer } from "./admin-server.ts";
import { type ReloadWatcher, watchForReload } from "./watch-reload.ts";
import { decideBalancing } from "../core/platform-balance.ts";
import type { Config } from "../core/config.ts";

/** Runs the master; resolves with its exit code. */
export async function serve(runtime: Runtime, resolved: ResolvedConfig, load: ConfigLoader, options: MainOptions): Promise<number> {
  // Sockets handed over by systemd or an old master replace the configured addresses, at start and
  // at every reload (a reload never changes addresses anyway).
  const inherited = takeInheritedListeners(options.env, runtime.pid);
  const servesInherited = inherited !== undefined && (inherited.from === "upgrade" || runtime.listeningFd !== undefined);
  if (servesInherited) {
    const withInherited = (found: ResolvedConfig): ResolvedConfig => ({ ...found, config: { ...found.config, bind: inherited.bind } });
    resolved = withInherited(resolved);
    const loadConfigured = load;
    load = async (reload) => withInherited(await loadConfigured(reload));
  }
  // What a new master started by USR2 inherits: this master's environment as it began.
  const masterEnv = { ...options.env };
  const { config } = resolved;
  const control = controlSocketLocation(config, options.env);
  const clash = config.bind.find((address) => isUnixAddress(address) && resolve(address.path) === resolve(control.path));
  if (clash) throw new UsageError(`cannot bind ${formatAddress(clash)}: that is where the master's control socket goes`);
  const admin = adminAddress(config);
  // The workers' account, if not the master's: one that does not exist, or that this master cannot
  // start processes as, is refused before anything starts (`mgr check` refuses the same).
  const account = resolveWorkerAccount(config);
  if (config.umask !== null) process.umask(config.umask);
  // Workers open the access log themselves; one they cannot open is refused here, as the error log is.
  if (config.accessLog !== null && config.accessLog !== "-") openLogFile("access", config.accessLog, options.stdout).close();
  const errorLog = openLogFile("error", config.errorLog, options.stderr);
  const logger = createLogger({
    level: config.logLevel,
    pid: runtime.pid,
    format: config.logFormat,
    write: (line) => errorLog.write(`${line}\n`),
  });
  runtime.setProcessTitle?.(masterTitle(config.name));
  // Workers of another account open their log files as that account.
  const handOverWorkerLogs = () => {
    for (const problem of handOverLogFiles(account, [config.errorLog, config.accessLog])) logger.warning(problem);
  };
  handOverWorkerLogs();

  let releasePidfile = () => {};
  if (config.pidfile) {
    try {
      releasePidfile = await acquirePidfile(config.pidfile, runtime.pid, {
        // Every runtime shows the master's title in /proc (comm); the control socket answers too.
        isMaster: async (pid) => hasMasterTitle(pid) || (await askMasterPid(control)) === pid,
        warn: (message) => logger.warning(message),
      });
    } catch (error) {
      if (!(error instanceof PidfileError)) throw error;
      logger.error(error.message);
      errorLog.close();
      return EXIT_FAILURE;
    }
  }

  logger.info(`Starting mgr ${VERSION}`);
  if (inherited?.from === "upgrade") {
    logger.info(`Upgrading master ${inherited.oldMaster}: serving its addresses alongside it; send it WINCH, then TERM`);
  } else if (inherited && !servesInherited) {
    logger.warning(`LISTEN_FDS is set, but ${runtime.name} workers cannot serve inherited sockets; binding ${config.bind.map(formatAddress).join(", ")} instead`);
  } else if (inherited) {
    logger.info(`Socket activation: serving the ${inherited.bind.length} socket(s) systemd passed (LISTEN_FDS)`);
  }
  // Off Linux, Bun and Deno workers may not share the port's connections (see platform-balance.ts).
  const balance = decideBalancing(runtime.name, runtime.os, config.workers);
  if (balance) logger[balance.level](balance.message);
  const fitPool = (wanted: Config): Config => {
    const workers = decideBalancing(runtime.name, runtime.os, wanted.workers)?.workers;
    return workers === undefined ? wanted : { ...wanted, workers };
  };
  if (config.preloadApp) {
    logger.info("preloadApp has no effect: with no fork to share it, each worker imports the app itself (an app that fails to import stops the master at start, exit 4)");
  }
  const systemd = startServiceNotify(runtime, options.env, config, logger);
  let reloads = 0;
  const counters = new PoolCounters(() => runtime.clock.now());
  let reloadWatcher: ReloadWatcher | undefined;
  const supervisor = createSupervisor({
    runtime,
    config: fitPool(config),
    logger,
    reloadConfig: async () => fitPool((await load(++reloads)).config),
    reopenLogs: () => {
      errorLog.reopen();
      handOverWorkerLogs();
    },
    configFile: resolved.configFile ?? null,
    onLifecycle: (event) => {
      systemd?.notifier.onLifecycle(event);
      reloadWatcher?.onLifecycle(event);
    },
    onPoolEvent: (event) => counters.record(event),
    upgrade: () => {
      const warning = npxUpgradeWarning(options.env);
      if (warning) logger.warning(warning);
      upgrader.upgrade();
    },
    beforeGracefulStop: () => upgrader.beforeGracefulStop(),
    stopWorkersOnWinch: () => upgrader.winchStopsWorkers(),
    upgradingFrom: inherited?.from === "upgrade" ? inherited.oldMaster : undefined,
  });
  // One document for `mgr status --json` and the admin endpoint's /status.
  const status = (): StatusReport => ({ ...supervisor.status(), counters: counters.snapshot() });
  const target = {
    status,
    reload: () => supervisor.reload(),
    scale: (workers: number) => supervisor.scale(workers),
    stop: (stopOptions?: { graceful?: boolean }) => supervisor.stop(stopOptions),
  };

  let stopControl = async () => {};
  let controlServer: ControlServer | undefined;
  try {
    controlServer = await startControlServer(control, target, logger);
    stopControl = () => controlServer!.close();
  } catch (error) {
    // The master serves on: a planted directory must not be a way to keep it from starting.
    if (error instanceof UnsafePathError) {
      logger.error(`Refusing to put the control socket at ${control.path}: ${error.message}; mgr status and friends will not reach this master`);
    } else {
      logger.warning(`Control socket unavailable (mgr status and friends will not reach this master): ${(error as Error).message}`);
    }
  }

  let stopAdmin = async () => {};
  if (admin && inherited?.from === "upgrade") {
    // The old master keeps its admin endpoint until it exits: this one takes the address over then.
    stopAdmin = takeOverAdminServer(() => startAdminServer(runtime, admin, { ...target, counters, token: config.adminToken }, logger), runtime, logger);
  } else if (admin) {
    try {
      stopAdmin = await startAdminServer(runtime, admin, { ...target, counters, token: config.adminToken }, logger);
    } catch (error) {
      // Asked for and missing, it would leave health checks failing with no word why: refuse to start.
      logger.error(errorMessage(error));
      await stopControl();
      releasePidfile();
      errorLog.close();
      return EXIT_FAILURE;
    }
  }

  const upgrader = createUpgrader({
    runtime,
    logger,
    bind: () => config.bind,
    command: masterCommand(runtime.name),
    env: masterEnv,
    pidfile: config.pidfile,
    control: controlServer && { server: controlServer, location: control, oldbinPath: oldbinControlPath(config, options.env) },
    notifier: systemd?.notifier,
    oldMaster: inherited?.from === "upgrade" ? inherited.oldMaster : undefined,
    workers: () => supervisor.desiredWorkers,
    handoverTimeoutMs: config.gracefulTimeout * 1000,
  });
  systemd?.notifier.starting(config.workers);
  await supervisor.start();
  if (config.reload) {
    reloadWatcher = watchForReload({ runtime, config, logger, configFile: resolved.configFile, reload: () => supervisor.reload() });
  }
  // A master started by another's USR2 has that master for a parent, which is meant to exit.
  const unwatchNpm = inherited?.from === "upgrade"
    ? () => {}
    : watchNpmParent({ env: options.env, tree: PROC_TREE, clock: runtime.clock, logger, stop: () => void supervisor.stop() });
  const code = await supervisor.done;
  // A USR2 taken before the stop starts its new master all the same: not before it is spawned.
  await upgrader.launched();
  unwatchNpm();
  reloadWatcher?.stop();
  await systemd?.close();
  await stopAdmin();
  await stopControl();
  releasePidfile();
  upgrader.release();
  errorLog.close();
  return code;
}
