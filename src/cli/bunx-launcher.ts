/**
 * `bunx mgr` (without `--bun`) honours the bin's `#!/usr/bin/env node` and runs it with Node, telling
 * it only through the environment that Bun launched it. The user asked for Bun, so on Node under
 * `bunx` the bin becomes a launcher: it starts the same command under Bun, relays signals to it and
 * ends as it ends; the Bun master then spawns Bun workers.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { basename, dirname, join } from "node:path";
import { detectRuntime } from "../runtime/detect.ts";

/** Set by the launcher in the Bun master's environment; the master's channel to it is fd 3 (IPC). */
export const LAUNCHED_ENV = "MGR_LAUNCHED_BY_BUNX";

/**
 * The signals mgr acts on, relayed by the launcher (USR2 would end it otherwise). Not WINCH: the
 * launcher gets one at each resize of its terminal, and the master would take it for an upgrade's.
 */
const RELAYED_SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGTTIN", "SIGTTOU", "SIGUSR1", "SIGUSR2"] as const;

/** The Bun executable to relaunch under, when Node runs this file for `bunx`; otherwise undefined. */
export function bunToRelaunchUnder(env: NodeJS.ProcessEnv): string | undefined {
  if (detectRuntime() !== "node" || !env.npm_config_user_agent?.startsWith("bun/")) return undefined;
  if (env[LAUNCHED_ENV]) return undefined; // never a relaunch loop, whatever the environment says
  // Bun sets npm_execpath to itself, unless a package manager above it already had: then look on PATH.
  const execPath = env.npm_execpath && /^bunx?(\.exe)?$/.test(basename(env.npm_execpath))
    ? env.npm_execpath
    : findOnPath("bun", env.PATH);
  if (!execPath) return undefined;
  // `bunx` is Bun itself under another name, but one that treats its first argument as a package,
  // and the master spawns its workers with its own executable; so prefer `bun` next to it.
  const sibling = join(dirname(execPath), basename(execPath).replace(/^bunx/, "bun"));
  return existsSync(sibling) ? sibling : execPath;
}

function findOnPath(name: string, path = ""): string | undefined {
  return path.split(":").filter(Boolean).map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** Runs this command under `bun`, relays signals to it, and exits as it exits. */
export function relaunchUnder(bun: string, bin: string): void {
  const child = spawn(bun, [bin, ...process.argv.slice(2)], {
    // The IPC channel is how the master learns that this launcher is gone, even by SIGKILL (see
    // followLauncher). Its own process group means terminal and group signals (Ctrl-C, `timeout`)
    // reach it only through the relay below: once each, as if it had been signalled directly, so a
    // graceful TERM is not doubled into a quick stop.
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    detached: true,
    env: { ...process.env, [LAUNCHED_ENV]: "1" },
  });
  for (const signal of RELAYED_SIGNALS) process.on(signal, () => child.kill(signal));
  child.once("error", (error) => {
    process.stderr.write(`mgr: error: Cannot start Bun (${bun}): ${error.message}\n`);
    process.exit(1);
  });
  child.once("exit", (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    for (const relayed of RELAYED_SIGNALS) process.removeAllListeners(relayed);
    process.kill(process.pid, signal);
    // Still alive: this signal does not end a process by default; exit the way a shell reports it.
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 100);
  });
}

/**
 * In a master started by the launcher: when the launcher's channel closes (it was killed, even with
 * SIGKILL, which it cannot relay), stop quickly, as for SIGQUIT; the workers follow the master.
 * Without this, a detached master would outlive its launcher and keep the port.
 */
export function followLauncher(): void {
  delete process.env[LAUNCHED_ENV]; // the workers, and the app's own children, are not launched
  process.once("disconnect", () => process.kill(process.pid, "SIGQUIT"));
}
