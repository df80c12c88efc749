/**
 * docs/from-gunicorn.md says what it does: every code block in it is run here. The Python config is
 * read and compared value by value with what mgr loads from the TypeScript translation (through the
 * real config loader, `mgr print-config`, on every runtime); the command line is parsed by mgr's own
 * parser; the mgr unit is compared with what `mgr systemd` prints; and the settings table names every
 * Gunicorn setting once, with mgr names that exist.
 */

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_COMMANDS, parseCommandLine } from "../../src/cli/args.ts";
import { resolveConfig } from "../../src/cli/resolve-config.ts";
import { type Config, formatAddress } from "../../src/core/config.ts";
import { HANDLED_SIGNALS } from "../../src/core/handled-signals.ts";
import { HOOK_NAMES } from "../../src/core/hooks.ts";
import { SETTINGS } from "../../src/core/settings.ts";
import { destroyAllMasters, FIXTURES, freePort, get, isAlive, Master, ROOT, runMgr, RUNTIMES_WITH_FLOOR, waitFor } from "./harness.ts";

const DOC = readFileSync(`${ROOT}docs/from-gunicorn.md`, "utf8");

/** The fenced code blocks of the guide, in order. */
const BLOCKS = [...DOC.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
const block = (lang: string, nth = 0) => BLOCKS.filter((b) => b.lang === lang)[nth]!.text;

/** Every setting of Gunicorn's config.py (gunicorn 23 and later, HTTP/2 and dirty arbiters included). */
const GUNICORN_SETTINGS = `config wsgi_app bind backlog workers worker_class threads worker_connections max_requests
  max_requests_jitter timeout graceful_timeout keepalive limit_request_line limit_request_fields limit_request_field_size
  reload reload_engine reload_extra_files spew check_config print_config preload_app sendfile reuse_port chdir daemon
  raw_env pidfile worker_tmp_dir user group umask initgroups tmp_upload_dir secure_scheme_headers forwarded_allow_ips
  accesslog disable_redirect_access_to_syslog access_log_format errorlog loglevel capture_output logger_class logconfig
  logconfig_dict logconfig_json syslog_addr syslog syslog_prefix syslog_facility enable_stdio_inheritance statsd_host
  dogstatsd_tags statsd_prefix enable_backlog_metric proc_name default_proc_name pythonpath paste on_starting on_reload
  when_ready pre_fork post_fork post_worker_init worker_int worker_abort pre_exec pre_request post_request child_exit
  worker_exit nworkers_changed on_exit ssl_context proxy_protocol proxy_allow_ips protocol uwsgi_allow_ips keyfile
  certfile ssl_version cert_reqs ca_certs suppress_ragged_eofs do_handshake_on_connect ciphers http_protocols
  http2_cleartext http2_max_concurrent_streams http2_initial_window_size http2_max_frame_size http2_max_header_list_size
  raw_paste_global_conf permit_obsolete_folding strip_header_spaces permit_unconventional_http_method
  permit_unconventional_http_version casefold_http_method forwarder_headers header_map asgi_loop asgi_lifespan
  asgi_disconnect_grace_period http_parser root_path dirty_apps dirty_workers dirty_timeout dirty_threads
  dirty_graceful_timeout on_dirty_starting dirty_post_fork dirty_worker_init dirty_worker_exit control_socket
  control_socket_mode control_socket_disable`.split(/\s+/);

/** Stands for `multiprocessing.cpu_count() * 2 + 1`, the one Python value that is not a literal. */
const SYNC_WORKERS = Symbol("2 x cores + 1");
type PythonValue = string | number | boolean | typeof SYNC_WORKERS;

/** The assignments of a gunicorn.conf.py made of literals (and Gunicorn's worker formula). */
function readGunicornConf(text: string): Map<string, PythonValue> {
  const values = new Map<string, PythonValue>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#") || line.startsWith("import ")) continue;
    const match = /^(\w+) = (.+)$/.exec(line);
    if (!match) throw new Error(`not a setting: ${line}`);
    const [, name, raw] = match as unknown as [string, string, string];
    let value: PythonValue;
    if (raw === "multiprocessing.cpu_count() * 2 + 1") value = SYNC_WORKERS;
    else if (raw === "True" || raw === "False") value = raw === "True";
    else if (/^[\d_]+$/.test(raw)) value = Number(raw.replaceAll("_", ""));
    else if (/^(["']).*\1$/.test(raw)) value = raw.slice(1, -1);
    else throw new Error(`not a literal: ${line}`);
    values.set(name, value);
  }
  return values;
}

/** The settings table: Gunicorn's name, mgr's flags and config key (none for `—`). */
function readSettingsTable(): Map<string, { flags: string[]; names: string[] }> {
  const section = DOC.split("## Every setting")[1]!.split("\n## ")[0]!;
  const rows = new Map<string, { flags: string[]; names: string[] }>();
  for (const line of section.split("\n")) {
    const cells = /^\| `(\w+)` \| ([^|]*) \|/.exec(line);
    if (!cells) continue;
    const tokens = [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    if (rows.has(cells[1]!)) throw new Error(`${cells[1]} is in the table twice`);
    rows.set(cells[1]!, { flags: tokens.filter((t) => t.startsWith("-")), names: tokens.filter((t) => !t.startsWith("-")) });
  }
  return rows;
}

/** The config key mgr uses for Gunicorn's `name`, from the table; undefined when it has none. */
function mgrKey(table: ReturnType<typeof readSettingsTable>, name: string): keyof Config | undefined {
  const row = table.get(name);
  if (!row) throw new Error(`${name} is not in the settings table`);
  return row.names.find((n) => SETTINGS.some((s) => s.key === n)) as keyof Config | undefined;
}

/** `mgr print-config` output as key -> value and key -> source. */
function readPrintConfig(text: string): Map<string, { value: string; source: string }> {
  const rows = new Map<string, { value: string; source: string }>();
  for (const line of text.split("\n").filter(Boolean)) {
    const hash = line.lastIndexOf("  # ");
    const key = line.slice(0, line.indexOf(" "));
    rows.set(key, { value: line.slice(key.length, hash).trim(), source: line.slice(hash + 4) });
  }
  return rows;
}

/** `KEY=VALUE` lines of a unit's `[Service]` section (comments left out). */
function readUnit(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  const service = text.split("[Service]\n")[1]!.split("\n[")[0]!;
  for (const line of service.split("\n")) {
    const match = /^(\w+)=(.*)$/.exec(line);
    if (match) keys.set(match[1]!, match[2]!);
  }
  return keys;
}

/** Splits a shell command line the way sh would: backslash-newlines joined, single and double quotes. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of text.replace(/\\\n/g, " ").matchAll(pattern)) {
    words.push(match[1] ?? match[2]?.replace(/\\(.)/g, "$1") ?? match[3]!);
  }
  return words;
}

const table = readSettingsTable();
/** Flags that run the workers as the test's own account, in place of the guide's fasterapi. */
const OWN_ACCOUNT = ["--user", String(process.getuid!()), "--group", String(process.getgid!())];
const gunicorn = readGunicornConf(block("python"));

let project: string;
beforeAll(() => {
  // A project that depends on mgr as an installed package: the guide's config imports "mgr".
  project = mkdtempSync(join(tmpdir(), "mgr-from-gunicorn-"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "myapp", private: true, type: "module" }));
  mkdirSync(join(project, "node_modules"));
  symlinkSync(ROOT, join(project, "node_modules", "mgr"), "dir");
  writeFileSync(join(project, "mgr.config.ts"), block("ts"));
  copyFileSync(`${FIXTURES}app.ts`, join(project, "main.ts"));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));
afterEach(destroyAllMasters);

describe("docs/from-gunicorn.md", () => {
  it("has the code blocks this test runs, and no other", () => {
    expect(BLOCKS.map((b) => b.lang)).toEqual(["python", "ts", "sh", "ini", "ini", "sh"]);
  });

  it("names every Gunicorn setting once, with mgr flags and keys that exist", () => {
    expect([...table.keys()].sort()).toEqual([...GUNICORN_SETTINGS].sort());
    const flags = new Set(SETTINGS.flatMap((s) => (s.flag ? [`--${s.flag}`, ...(s.short ? [`-${s.short}`] : [])] : [])));
    for (const extra of ["-c", "--config", "--control"]) flags.add(extra);
    const names = new Set<string>([...SETTINGS.map((s) => s.key), ...HOOK_NAMES, ...CONFIG_COMMANDS.map((c) => `mgr ${c}`)]);
    for (const [name, row] of table) {
      for (const flag of row.flags) expect(flags, `${name}: ${flag}`).toContain(flag);
      for (const key of row.names) expect(names, `${name}: ${key}`).toContain(key);
    }
  });

  it("lists every Gunicorn master signal, each one the master handles", () => {
    const section = DOC.split("## Every signal")[1]!;
    for (const signal of ["TERM", "INT", "QUIT", "HUP", "TTIN", "TTOU", "USR1", "USR2", "WINCH"]) {
      expect(section).toMatch(new RegExp(`\`${signal}\`[^|]*\\| master`));
      expect(HANDLED_SIGNALS).toContain(`SIG${signal}`);
    }
  });

  it("parses the command line with mgr's parser into the Python config's values", () => {
    const [program, ...argv] = shellWords(block("sh"));
    expect(program).toBe("mgr");
    const command = parseCommandLine(argv);
    if (command.command !== "serve") throw new Error(`parsed as ${command.command}`);
    const { config } = resolveConfig({ app: command.app, flags: command.flags, env: {}, cpuCount: 4, resolveApp: (app) => app });
    expect(config.app).toBe("main.ts");
    for (const [name, value] of gunicorn) {
      const key = mgrKey(table, name);
      expect(key, `${name} has an mgr key in the table`).toBeDefined();
      if (value === SYNC_WORKERS) expect(config.workers).toBe(4);
      else if (key === "bind") expect(config.bind.map(formatAddress)).toEqual([value]);
      else expect(config[key!], name).toBe(value);
    }
  });

  it("translates the Gunicorn unit: the same keys, a stop timeout above the graceful timeout, and NotifyAccess=all", () => {
    const [theirs, ours] = [readUnit(block("ini", 0)), readUnit(block("ini", 1))];
    for (const key of ["Type", "User", "Group", "ExecReload", "KillMode", "Restart"]) expect(ours.get(key), key).toBe(theirs.get(key));
    expect(Number(ours.get("TimeoutStopSec"))).toBeGreaterThan(Number(gunicorn.get("graceful_timeout")));
    expect(ours.get("NotifyAccess")).toBe("all");
  });
});

describe.each(RUNTIMES_WITH_FLOOR)("docs/from-gunicorn.md on %s", (runtime) => {
  it("loads the TypeScript config through mgr's config loader with every value of the Python one", async () => {
    const printed = await runMgr(runtime, ["print-config", "main.ts"], { cwd: project });
    expect(printed.stderr).toBe("");
    expect(printed.code).toBe(0);
    const loaded = readPrintConfig(printed.stdout);
    for (const [name, value] of gunicorn) {
      const key = mgrKey(table, name);
      expect(key, `${name} has an mgr key in the table`).toBeDefined();
      const row = loaded.get(key!)!;
      expect(row.source, key).toMatch(/^config file /);
      // A worker is an event loop: one per core where Gunicorn's sync workers want 2 x cores + 1.
      expect(row.value, key).toBe(value === SYNC_WORKERS ? String(availableParallelism()) : String(value));
    }
  });

  it("serves with the translated config, and says in one line that preloadApp has no effect", async () => {
    const port = await freePort();
    // Flags win over the file: loopback, a free port and one worker for the test, and, for the user and
    // group this machine has no account of, the test's own (a no-op, as fasterapi is under the unit).
    const master = new Master(runtime, ["main.ts", "-b", `127.0.0.1:${port}`, "-w", "1", ...OWN_ACCOUNT], {}, project);
    await master.waitForLine(/Ready: 1 worker serving/, 15_000);
    expect((await get(port, "/", { fresh: true })).status).toBe(200);
    expect(master.lines(/preloadApp/)).toEqual([expect.stringMatching(/\[INFO\] preloadApp has no effect: .*each worker imports the app itself/)]);
    master.signal("SIGTERM");
    expect((await master.waitForExit(15_000)).code).toBe(0);
  }, 30_000);

  it("runs the rolling upgrade as the guide writes it: USR2, WINCH and TERM, by the pidfiles", async () => {
    const port = await freePort();
    const pidfile = join(project, "app.pid");
    const steps = block("sh", 1).trim().split("\n").map((line) => line.replace(/\s+#.*$/, "").replaceAll("/var/run/app.pid", pidfile));
    expect(steps.map((step) => step.split(" ")[1])).toEqual(["-USR2", "-WINCH", "-TERM"]);
    const run = (step: string) => execFileSync("bash", ["-c", step]);
    const master = new Master(runtime, ["main.ts", "-b", `127.0.0.1:${port}`, "-w", "1", "--pid", pidfile, ...OWN_ACCOUNT], {}, project);
    await master.waitForLine(/Ready: 1 worker serving/, 15_000);
    let newMaster: number | undefined;
    try {
      run(steps[0]!);
      newMaster = await waitFor("the new master's pid", () => {
        const pid = Number(readFileSync(pidfile, "utf8"));
        return pid !== master.pid ? pid : undefined;
      }, { timeoutMs: 15_000 });
      await master.waitForLine(new RegExp(`\\[${newMaster}\\] \\[INFO\\] Ready: 1 worker serving`), 20_000);
      run(steps[1]!);
      await master.waitForLine(/Stopping every worker gracefully/);
      run(steps[2]!);
      expect((await master.waitForExit(15_000)).code).toBe(0);
      expect((await get(port, "/", { fresh: true })).status).toBe(200);
      expect(Number(readFileSync(pidfile, "utf8"))).toBe(newMaster);
    } finally {
      if (newMaster !== undefined && isAlive(newMaster)) process.kill(newMaster, "SIGTERM");
    }
    await waitFor("the new master to stop", () => !isAlive(newMaster!), { timeoutMs: 15_000 });
  }, 60_000);

  it("prints with `mgr systemd` the unit the guide shows", async () => {
    const printed = await runMgr(runtime, ["systemd", "main.ts", "--config", join(project, "mgr.config.ts")], { cwd: project });
    expect(printed.stderr).toBe("");
    const generated = readUnit(printed.stdout);
    const documented = readUnit(block("ini", 1).replaceAll("/opt/myapp", project));
    // User= and Group= are the operator's to set; mgr systemd leaves them commented out.
    expect([...generated.keys()].sort()).toEqual([...documented.keys()].filter((k) => k !== "User" && k !== "Group").sort());
    for (const [key, value] of generated) {
      if (key === "ExecStart") {
        // The runtime and the mgr entry are this machine's; the APP and flags are the guide's.
        expect(value.split(" ").slice(-3)).toEqual(documented.get(key)!.split(" ").slice(-3));
      } else {
        expect(value, key).toBe(documented.get(key));
      }
    }
  });
});
