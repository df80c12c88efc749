/**
 * `mgr check`: the config is valid (it was resolved to get here), serving would not refuse to start
 * (the workers' account, the log files), and the app loads in a real worker.
 *
 * @module
 */

import { EXIT_APP_LOAD_ERROR, EXIT_OK, EXIT_WORKER_BOOT_ERROR } from "../core/exit-codes.ts";
import type { BootErrorKind } from "../core/protocol.ts";
import { describeExit } from "../core/supervisor.ts";
import { buildWorkerSpec } from "../core/worker-spec.ts";
import type { Runtime } from "../core/runtime.ts";
import type { MainOptions } from "./main-options.ts";
import type { ResolvedConfig } from "./resolve-config.ts";
import { probeLogFiles, resolveWorkerAccount } from "./start-checks.ts";

/** How long a checking worker may take to import the app before it is killed, in milliseconds. */
export const CHECK_TIMEOUT_MS = 60_000;

/**
 * Refuses what serving would refuse at start, in its words, then imports the app in one worker of this
 * runtime (its `setup()` does not run) and reports; resolves with 0 when it loads, 4 when it does not,
 * 3 when the worker dies otherwise.
 *
 * @throws {UsageError} as serving throws it, before any worker starts.
 */
export async function checkApp(runtime: Runtime, { config }: ResolvedConfig, options: MainOptions): Promise<number> {
  resolveWorkerAccount(config);
  probeLogFiles(config);
  // The checking worker serves no request: its logs would only create files a check must not leave.
  const quiet = { ...config, accessLog: null, errorLog: "-" };
  const spec = buildWorkerSpec(quiet, { id: 1, mode: "check", random: () => 0, configFile: null });
  const worker = runtime.spawnWorker(spec);
  let bootError: { kind: BootErrorKind; message: string } | undefined;
  let booted = false;
  worker.onMessage((message) => {
    if (message.type === "boot-error") bootError = message;
    if (message.type === "booted") booted = true;
  });
  const timer = runtime.clock.setTimeout(() => worker.kill("SIGKILL"), CHECK_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    worker.onExit((code, signal) => resolve([code, signal]))
  );
  runtime.clock.clearTimeout(timer);

  if (code === 0 && booted) {
    options.stdout(`OK: the config is valid and ${config.app} loads on ${runtime.name} ${runtime.version}\n`);
    return EXIT_OK;
  }
  if (bootError) {
    options.stderr(`mgr: error: ${config.app} failed to load: ${bootError.message}\n`);
    return EXIT_APP_LOAD_ERROR;
  }
  options.stderr(`mgr: error: the worker checking ${config.app} ${describeExit(code, signal)} before it loaded the app\n`);
  return EXIT_WORKER_BOOT_ERROR;
}
