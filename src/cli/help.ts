/**
 * `mgr --help`, written from the settings table so it always lists every flag.
 *
 * @module
 */

import { SETTINGS } from "../core/settings.ts";

const WIDTH = 31;

function wrap(text: string, indent: number, width = 100): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function option(flags: string, help: string): string {
  const [first = "", ...rest] = wrap(help, WIDTH);
  const head = flags.length < WIDTH - 1 ? `${flags.padEnd(WIDTH)}${first}` : `${flags}\n${" ".repeat(WIDTH)}${first}`;
  return [head, ...rest.map((l) => " ".repeat(WIDTH) + l)].join("\n");
}

const settingLines = SETTINGS.filter((s) => s.flag).map((s) => {
  const flags = `  ${s.short ? `-${s.short}, ` : "    "}--${s.flag}${s.meta ? ` ${s.meta}` : ""}`;
  return option(flags, `${s.help} [${s.defaultHelp}] (${s.env})`);
});

/** The usage text. */
export const HELP = `Usage: mgr [serve] [APP] [options]     serve APP from a supervised pool of workers
       mgr check [APP] [options]       check the config and that APP loads in a worker
       mgr print-config [APP] [options]
                                       show the effective config and where each value came from
       mgr systemd [APP] [options]     print a systemd unit (Type=notify) that serves APP
       mgr status [--json] | top | reload | scale N | stop [--quick]
                                       control a running master (top: status, live)
       mgr bench APP [options]         compare APP's throughput, latency, CPU and memory
                                       under mgr on Node, Bun and Deno (mgr bench --help)

APP is a module whose default export is a fetch handler (a Hono app, or
\`export default { fetch }\`); \`src/server.ts:api\` names another export.

Options (later wins: defaults < mgr.config.ts < environment < flags):
${option("  -c, --config PATH", "Read settings and hooks from PATH. [./mgr.config.ts if present] (MGR_CONFIG)")}
${settingLines.join("\n")}
${option("      --control PATH", "The control socket of the master to talk to. [beside --pid: app.pid -> app.mgr-control.sock; else one per address in $XDG_RUNTIME_DIR/mgr or /tmp/mgr-UID]")}
${option("      --quick", "With stop: stop at once instead of draining.")}
${option("      --json", "With status: print the status as JSON, the document of the admin endpoint's /status.")}
${option("  -h, --help", "Show this help and exit.")}
${option("  -v, --version", "Show the version and exit.")}

Signals (to the master):
  TERM  graceful stop: finish in-flight requests, then exit
  INT, QUIT  quick stop          HUP  reload: new config, new workers, no downtime
  TTIN  one worker more          TTOU one worker fewer          USR1  reopen log files
  USR2  upgrade: start a new master beside this one (pidfile -> PIDFILE.oldbin)
  WINCH stop every worker, keep the master (after USR2; HUP brings them back)

Exit codes:
  0 stopped cleanly   1 could not listen or failed   2 bad command line or config
  3 workers failed to boot   4 the app failed to load
`;
