/**
 * A Deno baseline: N Deno processes, each serving the benchmark app with
 * `Deno.serve({ reusePort: true })` on the same port, so that the kernel spreads connections across
 * them (SO_REUSEPORT). It is what a Deno user writes without mgr (the other Deno baseline is
 * `deno serve --parallel`); this file is only the launcher that starts the processes and says when
 * all of them listen.
 *
 * Usage: `deno run -A --unstable-net src/bench/bare-deno.ts APP[:EXPORT] PORT [PROCESSES]`; prints a line
 * `ready: N processes listening on http://127.0.0.1:PORT` once every process listens. Each process is
 * this same file run as `deno run -A --unstable-net src/bench/bare-deno.ts --serve APP PORT`
 * (`--unstable-net` unlocks `reusePort`).
 *
 * @module
 */

import { readLines } from "./read-lines.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** The slice of Deno's API used here, read off `globalThis` so that the file type-checks with Node's types. */
interface DenoApi {
  args: string[];
  execPath(): string;
  exit(code: number): never;
  serve(options: {
    hostname: string;
    port: number;
    reusePort: boolean;
    onListen(address: { hostname: string; port: number }): void;
    handler(request: Request): Response | Promise<Response>;
  }): unknown;
  Command: new (command: string, options: { args: string[]; stdin: "null"; stdout: "piped"; stderr: "inherit" }) => {
    spawn(): {
      readonly pid: number;
      readonly stdout: ReadableStream<Uint8Array>;
      readonly status: Promise<{ code: number; signal: string | null }>;
      kill(signal?: string): void;
    };
  };
  stdout: { writeSync(data: Uint8Array): number };
  stderr: { writeSync(data: Uint8Array): number };
}

const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
/** The line each serving process prints once it listens. */
const LISTENING = "listening";
const encoder = new TextEncoder();

const args = Deno.args;
if (args[0] === "--serve") {
  const [appPath, portArg] = args.slice(1);
  // `path:name` names another export than the default, as mgr's APP does.
  const [, path = appPath!, name = "default"] = /^(.+?)(?::([A-Za-z_$][\w$]*))?$/.exec(appPath!) ?? [];
  const module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, { fetch(request: Request): Response | Promise<Response> }>;
  const app = module[name]!;
  Deno.serve({
    port: Number(portArg),
    hostname: "127.0.0.1",
    reusePort: true,
    // Replaces Deno's own "Listening on" line, as mgr's Deno adapter does.
    onListen: () => write(Deno.stdout, `${LISTENING}\n`),
    handler: app.fetch.bind(app),
  });
} else {
  const [appPath, portArg, processesArg = "2"] = args;
  const port = Number(portArg);
  const processes = Number(processesArg);
  if (!appPath || !Number.isInteger(port) || !Number.isInteger(processes) || processes < 1) {
    write(Deno.stderr, "Usage: deno run -A --unstable-net src/bench/bare-deno.ts APP[:EXPORT] PORT [PROCESSES]\n");
    Deno.exit(2);
  }
  const children = Array.from({ length: processes }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-net", import.meta.filename!, "--serve", appPath, String(port)],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn(),
  );
  // A baseline that loses a process is no baseline: stop, and let the benchmark report it.
  for (const child of children) {
    void child.status.then(({ code, signal }) => {
      write(Deno.stderr, `process ${child.pid} exited (code ${code}, signal ${signal})\n`);
      for (const other of children) {
        try {
          other.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }
      Deno.exit(1);
    });
  }
  let listening = 0;
  await Promise.all(children.map((child) => readLines(child.stdout, (line) => {
    if (line === LISTENING && ++listening === processes) {
      write(Deno.stdout, `ready: ${processes} processes listening on http://127.0.0.1:${port}\n`);
    }
  })));
}

function write(stream: { writeSync(data: Uint8Array): number }, text: string): void {
  let data = encoder.encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
}

