/**
 * `mgr`: parse the command line, load this runtime's adapter, run the supervisor, exit with its code.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../core/exit-codes.ts";
import { createLogger } from "../core/logger.ts";
import { createSupervisor } from "../core/supervisor.ts";
import { formatAppReference, parseAppReference } from "../runtime/app-reference.ts";
import { detectRuntime } from "../runtime/detect.ts";
import { VERSION } from "../version.ts";
import { parseCommandLine, UsageError } from "./args.ts";
import { HELP } from "./help.ts";
import { loadRuntime } from "./load-runtime.ts";

/** Options of {@linkcode main}. */
export interface MainOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs mgr with `argv` (flags and positionals only) and resolves with the exit code. */
export async function main(argv: string[], options: MainOptions): Promise<number> {
  const { stdout, stderr } = options;
  let runtime;
  try {
    runtime = await loadRuntime(detectRuntime());
  } catch (error) {
    stderr(`mgr: error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }

  let command;
  try {
    command = parseCommandLine(argv, {
      env: options.env,
      cpuCount: runtime.cpuCount(),
      resolveApp: (reference) => resolveApp(reference, options.cwd),
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`mgr: error: ${error.message} (see mgr --help)\n`);
    return EXIT_USAGE;
  }
  if (command.command === "help") {
    stdout(HELP);
    return EXIT_OK;
  }
  if (command.command === "version") {
    stdout(`mgr ${VERSION} (${runtime.name} ${runtime.version})\n`);
    return EXIT_OK;
  }

  const { config } = command;
  const logger = createLogger({ level: config.logLevel, pid: runtime.pid, write: (line) => stderr(`${line}\n`) });
  logger.info(`Starting mgr ${VERSION}`);
  const supervisor = createSupervisor({ runtime, config, logger });
  await supervisor.start();
  return supervisor.done;
}

/** Makes the app's path absolute, so workers find it whatever their working directory. */
function resolveApp(reference: string, cwd: string): string {
  const { path, exportName } = parseAppReference(reference);
  const absolute = resolve(cwd, path);
  if (!existsSync(absolute)) throw new UsageError(`APP not found: ${absolute}`);
  return formatAppReference({ path: absolute, exportName });
}
