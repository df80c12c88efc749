/**
 * What `mgr bench` measures: for each runtime and worker count, mgr serving the app, and with
 * `--baseline` the runtime's own multi-process setup serving the same app. A setup is a name, the
 * command that starts it in the foreground on 127.0.0.1, and the output line that says it serves.
 *
 * @module
 */

import { join } from "node:path";
import { benchFile } from "./package-root.ts";
import type { FoundRuntime, RuntimeName } from "./runtimes.ts";

/** Whether a setup is mgr or a bare setup it is compared with. */
export type SetupKind = "mgr" | "baseline";

/** What a setup's command is built from. */
export interface SetupContext {
  /** mgr's package root: the built CLI, mgr.ts and the launchers are found from here. */
  root: string;
  /** The APP argument as the user gave it, resolved to an absolute path (`:export` kept). */
  app: string;
  port: number;
}

/** One server setup to measure. */
export interface Setup {
  /** Unique, shown in tables and charts: `mgr (node)`, `node:cluster`, with ` w2` when several worker counts run. */
  id: string;
  /** The setup's name without the worker count. */
  name: string;
  kind: SetupKind;
  runtime: RuntimeName;
  workers: number;
  /** The argv that starts the server in the foreground. */
  command(context: SetupContext): string[];
  /** Variables added to the command's environment. */
  env: Record<string, string>;
  /** A line of the server's output that says every worker is serving. */
  ready: RegExp;
}

/** Which bare setups to compare with: the runtime's usual one, or every one known (Deno has two). */
export type BaselineChoice = "none" | "primary" | "all";

/** mgr's ready line, the same on every runtime (`--log-level debug` keeps it). */
const MGR_READY = /\[INFO\] Ready: \d+ workers? serving/;
/** The ready line of the bare launchers (src/bench/bare-*.ts). */
const BARE_READY = /^ready: \d+ (workers|processes) listening/;

interface SetupTemplate {
  name: string;
  kind: SetupKind;
  runtime: RuntimeName;
  /** Only for `--baseline all`. */
  extra?: boolean;
  command(context: SetupContext, executable: string, workers: number): string[];
  env?(workers: number): Record<string, string>;
  ready: RegExp;
}

// Debug logging adds the per-worker `Worker (pid:N) ready` line, which times a worker's replacement;
// mgr logs nothing per request at that level.
const mgrFlags = ({ app, port }: SetupContext, workers: number) => [app, "--workers", String(workers), "--bind", `127.0.0.1:${port}`, "--log-level", "debug"];

const TEMPLATES: SetupTemplate[] = [
  {
    name: "mgr (node)",
    kind: "mgr",
    runtime: "node",
    command: (context, node, workers) => [node, join(context.root, "dist/src/cli/bin.js"), ...mgrFlags(context, workers)],
    ready: MGR_READY,
  },
  {
    name: "node:cluster",
    kind: "baseline",
    runtime: "node",
    // tsx loads a TypeScript app, as mgr's Node workers do; the cluster workers inherit the flag.
    command: ({ app, port }, node, workers) => [node, "--import", tsxLoader(), benchFile("bare-cluster"), app, String(port), String(workers)],
    ready: BARE_READY,
  },
  {
    name: "mgr (bun)",
    kind: "mgr",
    runtime: "bun",
    command: (context, bun, workers) => [bun, join(context.root, "dist/src/cli/bin.js"), ...mgrFlags(context, workers)],
    ready: MGR_READY,
  },
  {
    name: "Bun.serve reusePort",
    kind: "baseline",
    runtime: "bun",
    command: ({ app, port }, bun, workers) => [bun, benchFile("bare-bun"), app, String(port), String(workers)],
    ready: BARE_READY,
  },
  {
    name: "mgr (deno)",
    kind: "mgr",
    runtime: "deno",
    command: (context, deno, workers) => [deno, "run", "-A", join(context.root, "mgr.ts"), ...mgrFlags(context, workers)],
    ready: MGR_READY,
  },
  {
    // One process, DENO_JOBS threads, each its own isolate and SO_REUSEPORT listener. DENO_JOBS is
    // set: its default, the CPUs this process may use, would be 1 when pinned to one core.
    name: "deno serve --parallel",
    kind: "baseline",
    runtime: "deno",
    env: (workers) => ({ DENO_JOBS: String(workers) }),
    command: ({ app, port }, deno) => [deno, "serve", "-A", "--parallel", "--host", "127.0.0.1", "--port", String(port), app],
    ready: /^deno serve: Listening on http:\/\/127\.0\.0\.1:\d+\/( with \d+ threads?)?$/,
  },
  {
    name: "Deno.serve reusePort",
    kind: "baseline",
    runtime: "deno",
    extra: true,
    command: ({ app, port }, deno, workers) => [deno, "run", "-A", "--unstable-net", benchFile("bare-deno"), app, String(port), String(workers)],
    ready: BARE_READY,
  },
];

/** Options of {@linkcode buildSetups}. */
export interface BuildSetupsOptions {
  runtimes: FoundRuntime[];
  workers: number[];
  baseline: BaselineChoice;
  /** The app names an export other than the default (`app.ts:api`): `deno serve` cannot serve it. */
  namedExport: boolean;
}

/**
 * The setups to measure, in the order of one round: by worker count, then runtime, mgr first.
 */
export function buildSetups(options: BuildSetupsOptions): Setup[] {
  const setups: Setup[] = [];
  for (const workers of options.workers) {
    for (const runtime of options.runtimes) {
      for (const template of TEMPLATES) {
        if (template.runtime !== runtime.name || !wanted(template, options)) continue;
        setups.push({
          id: options.workers.length > 1 ? `${template.name} w${workers}` : template.name,
          name: template.name,
          kind: template.kind,
          runtime: runtime.name,
          workers,
          command: (context) => template.command(context, runtime.executable, workers),
          env: template.env?.(workers) ?? {},
          ready: template.ready,
        });
      }
    }
  }
  return setups;
}

function wanted(template: SetupTemplate, options: BuildSetupsOptions): boolean {
  if (template.kind === "mgr") return true;
  if (options.baseline === "none") return false;
  // `deno serve` serves a module's default export only; Deno.serve with reusePort stands in for it.
  if (template.name === "deno serve --parallel" && options.namedExport) return false;
  if (template.extra) return options.baseline === "all" || options.namedExport;
  return true;
}

/** tsx's loader, by absolute URL: the app's project need not depend on tsx itself. */
function tsxLoader(): string {
  return import.meta.resolve("tsx");
}

