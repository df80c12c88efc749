/**
 * `mgr`: parse the command line, load this runtime's adapter, then serve, check, print the config,
 * or talk to a running master.
 *
 * @module
 */

import { formatAddress } from "../core/config.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "../core/exit-codes.ts";
import { isFdAddress, isUnixAddress } from "../core/protocol.ts";
import { INHERITED_SOCKETS_UNSUPPORTED, UNIX_SOCKETS_UNSUPPORTED } from "../runtime/worker-host.ts";
import { detectRuntime } from "../runtime/detect.ts";
import type { Runtime } from "../core/runtime.ts";
import { VERSION } from "../version.ts";
import { parseCommandLine } from "./args.ts";
import { BENCH_HELP } from "../bench/bench-options.ts";
import { runBenchCommand } from "./bench-command.ts";
import { checkApp } from "./check-app.ts";
import { createConfigLoader } from "./config-loader.ts";
import { HELP } from "./help.ts";
import { loadRuntime } from "./load-runtime.ts";
import type { MainOptions } from "./main-options.ts";
import { formatConfig } from "./print-config.ts";
import { runControlCommand } from "./control-command.ts";
import { serve } from "./serve.ts";
import { formatSystemdUnit, selfCommand } from "./systemd-unit.ts";
import { UsageError } from "./usage-error.ts";
import { errorMessage } from "../core/error-text.ts";

/** Runs mgr with `argv` (flags and positionals only) and resolves with the exit code. */
export async function main(argv: string[], options: MainOptions): Promise<number> {
  const { stdout, stderr } = options;
  let runtime: Runtime;
  try {
    runtime = await loadRuntime(detectRuntime());
  } catch (error) {
    stderr(`mgr: error: ${errorMessage(error)}\n`);
    return EXIT_FAILURE;
  }

  try {
    const command = parseCommandLine(argv);
    switch (command.command) {
      case "help":
        stdout(HELP);
        return EXIT_OK;
      case "version":
        stdout(`mgr ${VERSION} (${runtime.name} ${runtime.version})\n`);
        return EXIT_OK;
      case "bench":
        if (command.bench.help) {
          stdout(BENCH_HELP);
          return EXIT_OK;
        }
        return await runBenchCommand(command.bench, { ...options, stderrIsTTY: process.stderr.isTTY === true });
      case "status":
      case "top":
      case "reload":
      case "scale":
      case "stop":
        return await runControlCommand(command, { ...options, runtime, loadConfig: createConfigLoader(command, runtime, options, false) });
      case "serve":
      case "check":
      case "print-config":
      case "systemd": {
        const load = createConfigLoader(command, runtime, options, true);
        const resolved = await load(0);
        const unix = resolved.config.bind.find(isUnixAddress);
        if (unix && !runtime.unixSockets && command.command !== "print-config") {
          throw new UsageError(`cannot bind ${formatAddress(unix)} on ${runtime.name}: ${UNIX_SOCKETS_UNSUPPORTED}`);
        }
        const inherited = resolved.config.bind.find(isFdAddress);
        if (inherited && !runtime.listeningFd && command.command !== "print-config") {
          throw new UsageError(`cannot bind ${formatAddress(inherited)} on ${runtime.name}: ${INHERITED_SOCKETS_UNSUPPORTED}`);
        }
        if (command.command === "print-config") {
          stdout(formatConfig(resolved));
          return EXIT_OK;
        }
        if (command.command === "check") return await checkApp(runtime, resolved, options);
        if (command.command === "systemd") {
          const args = argv.filter((_, i) => i !== argv.indexOf("systemd"));
          const { config } = resolved;
          stdout(formatSystemdUnit({ execStart: selfCommand(runtime.name, args), workingDirectory: options.cwd, config, generatedBy: `mgr ${argv.join(" ")}` }));
          return EXIT_OK;
        }
        return await serve(runtime, resolved, load, options);
      }
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`mgr: error: ${error.message} (see mgr --help)\n`);
    return EXIT_USAGE;
  }
}
