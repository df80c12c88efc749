/**
 * `mgr systemd`: a systemd unit for the server the rest of the command line describes, in the shape
 * Gunicorn users deploy (`Type=notify`, `ExecReload` sending HUP, `KillMode=mixed`).
 *
 * @module
 */

import process from "node:process";
import type { Config } from "../core/config.ts";
import type { RuntimeName } from "../core/runtime.ts";
import { VERSION } from "../version.ts";

/**
 * Seconds systemd waits past `--graceful-timeout` before it kills what is left. With equal values,
 * systemd's SIGKILL races the master's own deadline and a request still draining is lost (measured);
 * the master needs a moment after its deadline to kill stragglers, reap them and exit.
 */
export const STOP_TIMEOUT_MARGIN_S = 5;

/** Options of {@linkcode formatSystemdUnit}. */
export interface SystemdUnitOptions {
  /** The command that starts the master, each argument apart. */
  execStart: string[];
  workingDirectory: string;
  config: Pick<Config, "gracefulTimeout" | "name">;
  /** The `mgr systemd …` command line, shown in the header. */
  generatedBy: string;
}

/**
 * The unit file's text.
 *
 * @example
 * ```ts
 * formatSystemdUnit({ execStart: ["/usr/bin/node", "/srv/app/node_modules/mgr/dist/src/cli/bin.js", "app.ts"],
 *   workingDirectory: "/srv/app", config: { gracefulTimeout: 30, name: "api" }, generatedBy: "mgr systemd app.ts" });
 * ```
 */
export function formatSystemdUnit(options: SystemdUnitOptions): string {
  const { config } = options;
  const name = config.name ?? "mgr";
  return `# ${name}.service, written by \`${options.generatedBy}\` (mgr ${VERSION}).
# Install it as /etc/systemd/system/${name}.service, then: systemctl daemon-reload && systemctl enable --now ${name}
[Unit]
Description=${name} (mgr)
After=network-online.target
Wants=network-online.target

[Service]
# The master sends READY=1 once every worker is ready, RELOADING=1/READY=1 around a reload, STOPPING=1.
Type=notify
# On Node the messages come from systemd-notify, and a launcher (npx, bunx) starts the master as its
# child: both send from a pid other than the one systemd started.
NotifyAccess=all
WorkingDirectory=${escapeValue(options.workingDirectory)}
ExecStart=${options.execStart.map(quoteArgument).join(" ")}
# HUP: new config, new workers, each old one drained once a new one is ready.
ExecReload=/bin/kill -s HUP $MAINPID
# TERM to the master only: it drains its workers itself; systemd kills what is left at the timeout.
KillMode=mixed
# --graceful-timeout (${config.gracefulTimeout} s) plus ${STOP_TIMEOUT_MARGIN_S} s for the master to finish after its deadline.
TimeoutStopSec=${Math.ceil(config.gracefulTimeout) + STOP_TIMEOUT_MARGIN_S}
Restart=on-failure
# Optional: systemd restarts the service when the master's loop stops for this long (WATCHDOG=1 pings).
#WatchdogSec=30
#User=www-data
#Group=www-data

[Install]
WantedBy=multi-user.target
`;
}

/**
 * The command that starts this same master again: the runtime's executable and mgr's entry, then
 * `args` (the user's APP and flags).
 */
export function selfCommand(runtime: RuntimeName, args: string[]): string[] {
  const entry = process.argv[1] ?? "mgr";
  return runtime === "deno" ? [process.execPath, "run", "-A", entry, ...args] : [process.execPath, entry, ...args];
}

/** `%` and `$` are specifiers and variables in a unit file: doubled, they stand for themselves. */
function escapeValue(text: string): string {
  return text.replaceAll("%", "%%").replaceAll("$", "$$$$");
}

/** One ExecStart argument: bare when it can be, else double-quoted with C-style escapes. */
function quoteArgument(argument: string): string {
  const escaped = escapeValue(argument);
  if (/^[\w@%+=:,./-]+$/.test(argument)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
