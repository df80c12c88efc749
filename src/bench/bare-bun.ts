/**
 * The Bun baseline: N Bun processes, each serving the benchmark app with
 * `Bun.serve({ reusePort: true })` on the same port, so that the kernel spreads connections across
 * them (SO_REUSEPORT). It is what a Bun user writes without mgr; this file is only the launcher that
 * starts the processes and says when all of them listen.
 *
 * Usage: `bun src/bench/bare-bun.ts APP[:EXPORT] PORT [PROCESSES]`; prints a line
 * `ready: N processes listening on http://127.0.0.1:PORT` once every process listens. Each process is
 * this same file run as `bun src/bench/bare-bun.ts --serve APP PORT`.
 *
 * @module
 */

import { readLines } from "./read-lines.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The slice of Bun's API used here, read off `globalThis` so that the file type-checks with Node's types. */
interface BunApi {
  serve(options: {
    hostname: string;
    port: number;
    reusePort: boolean;
    development: boolean;
    fetch(request: Request): Response | Promise<Response>;
  }): unknown;
  spawn(command: string[], options: { stdout: "pipe"; stderr: "inherit"; stdin: "ignore" }): {
    readonly pid: number;
    readonly stdout: ReadableStream<Uint8Array>;
    readonly exited: Promise<number>;
    kill(signal?: string): void;
  };
}

const Bun = (globalThis as unknown as { Bun: BunApi }).Bun;
/** The line each serving process prints once `Bun.serve` has returned, i.e. once it listens. */
const LISTENING = "listening";

const args = process.argv.slice(2);
if (args[0] === "--serve") {
  const [appPath, portArg] = args.slice(1);
  // `path:name` names another export than the default, as mgr's APP does.
  const [, path = appPath!, name = "default"] = /^(.+?)(?::([A-Za-z_$][\w$]*))?$/.exec(appPath!) ?? [];
  const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, { fetch(request: Request): Response | Promise<Response> }>;
  const app = module[name]!;
  // `development: false` as mgr's Bun adapter sets it: Bun's default follows NODE_ENV, which the
  // benchmark does not set, and the two must not differ by it.
  Bun.serve({ port: Number(portArg), hostname: "127.0.0.1", reusePort: true, development: false, fetch: app.fetch.bind(app) });
  process.stdout.write(`${LISTENING}\n`);
} else {
  const [appPath, portArg, processesArg = "2"] = args;
  const port = Number(portArg);
  const processes = Number(processesArg);
  if (!appPath || !Number.isInteger(port) || !Number.isInteger(processes) || processes < 1) {
    process.stderr.write("Usage: bun src/bench/bare-bun.ts APP[:EXPORT] PORT [PROCESSES]\n");
    process.exit(2);
  }
  const children = Array.from({ length: processes }, () =>
    Bun.spawn([process.execPath, import.meta.filename, "--serve", appPath, String(port)], { stdin: "ignore", stdout: "pipe", stderr: "inherit" }),
  );
  // A baseline that loses a process is no baseline: stop, and let the benchmark report it.
  for (const child of children) {
    void child.exited.then((code) => {
      process.stderr.write(`process ${child.pid} exited (code ${code})\n`);
      for (const other of children) other.kill("SIGKILL");
      process.exit(1);
    });
  }
  let listening = 0;
  await Promise.all(children.map((child) => readLines(child.stdout, (line) => {
    if (line === LISTENING && ++listening === processes) {
      process.stdout.write(`ready: ${processes} processes listening on http://127.0.0.1:${port}\n`);
    }
  })));
}

