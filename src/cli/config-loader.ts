/**
 * Reading the config from every source, again on each reload: the config file found for the command,
 * the environment and the flags.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Runtime } from "../core/runtime.ts";
import { formatAppReference, parseAppReference } from "../runtime/app-reference.ts";
import type { CliCommand } from "./args.ts";
import { findConfigFile, loadConfigFile } from "./config-file.ts";
import type { MainOptions } from "./main-options.ts";
import { type ResolvedConfig, resolveConfig } from "./resolve-config.ts";
import { UsageError } from "./usage-error.ts";

/** Reads the config again from every source; `reload` numbers the re-reads a SIGHUP asks for. */
export type ConfigLoader = (reload: number) => Promise<ResolvedConfig>;

/**
 * Creates the {@linkcode ConfigLoader} of `command`. `needsApp` is false for commands that only need
 * to find a running master: then a missing APP is fine.
 */
export function createConfigLoader(
  command: Extract<CliCommand, { flags: unknown }>,
  runtime: Runtime,
  options: MainOptions,
  needsApp: boolean,
): ConfigLoader {
  const { env, cwd } = options;
  return async (reload) => {
    const explicit = "configPath" in command ? command.configPath ?? env.MGR_CONFIG : env.MGR_CONFIG;
    const path = findConfigFile(cwd, explicit);
    const file = path ? { path, values: await loadConfigFile(path, (url) => runtime.importModule(url), reload) } : undefined;
    return resolveConfig({
      app: "app" in command ? command.app : undefined,
      flags: command.flags,
      env,
      file,
      cpuCount: runtime.cpuCount(),
      resolveApp: (reference) => resolveApp(reference, cwd, needsApp),
      appRequired: needsApp,
    });
  };
}

/** Makes the app's path absolute, so workers find it whatever their working directory. */
function resolveApp(reference: string, cwd: string, mustExist: boolean): string {
  const { path, exportName } = parseAppReference(reference);
  const absolute = resolve(cwd, path);
  if (mustExist && !existsSync(absolute)) throw new UsageError(`APP not found: ${absolute}`);
  return formatAppReference({ path: absolute, exportName });
}
