/**
 * `mgr serve`: set up the logs, the pidfile and the control socket, then run the supervisor until it
 * is done.
 *
 * @module
 */

import { EXIT_FAILURE } from "../core/exit-codes.ts";
import { createLogger } from "../core/logger.ts";
import { createSupervisor } from "../core/supervisor.ts";
import { LogDestination } from "../runtime/log-file.ts";
import { acquirePidfile, PidfileError } from "../runtime/pidfile.ts";
import type { Runtime } from "../core/runtime.ts";
import { VERSION } from "../version.ts";
import { controlSocketPath, startControlServer } from "./control-socket.ts";
import type { ConfigLoader, MainOptions } from "./main.ts";
import type { ResolvedConfig } from "./resolve-config.ts";
import { UsageError } from "./usage-error.ts";

/** Runs the master; resolves with its exit code. */
export async function serve(runtime: Runtime, resolved: ResolvedConfig, load: ConfigLoader, options: MainOptions): Promise<number> {
  const { config } = resolved;
  let errorLog: LogDestination;
  try {
    errorLog = new LogDestination(config.errorLog, options.stderr);
  } catch (error) {
    throw new UsageError(`cannot open the error log ${config.errorLog}: ${(error as Error).message}`);
  }
  const logger = createLogger({
    level: config.logLevel,
    pid: runtime.pid,
    format: config.logFormat,
    write: (line) => errorLog.write(`${line}\n`),
  });
  runtime.setProcessTitle?.(`mgr: master${config.name ? ` [${config.name}]` : ""}`);

  let releasePidfile = () => {};
  if (config.pidfile) {
    try {
      releasePidfile = acquirePidfile(config.pidfile, runtime.pid);
    } catch (error) {
      if (!(error instanceof PidfileError)) throw error;
      logger.error(error.message);
      errorLog.close();
      return EXIT_FAILURE;
    }
  }

  logger.info(`Starting mgr ${VERSION}`);
  let reloads = 0;
  const supervisor = createSupervisor({
    runtime,
    config,
    logger,
    reloadConfig: async () => (await load(++reloads)).config,
    reopenLogs: () => errorLog.reopen(),
    configFile: resolved.configFile ?? null,
  });

  let stopControl = async () => {};
  try {
    stopControl = await startControlServer(controlSocketPath(config, options.env), supervisor, logger);
  } catch (error) {
    logger.warning(`Control socket unavailable (mgr status and friends will not reach this master): ${(error as Error).message}`);
  }

  await supervisor.start();
  const code = await supervisor.done;
  await stopControl();
  releasePidfile();
  errorLog.close();
  return code;
}
