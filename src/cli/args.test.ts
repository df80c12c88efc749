import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../core/config.ts";
import { parseCommandLine, UsageError } from "./args.ts";
import { resolveConfig } from "./resolve-config.ts";

function serve(argv: string[], env: Record<string, string> = {}) {
  const command = parseCommandLine(argv);
  if (command.command !== "serve") throw new Error(`expected serve, got ${command.command}`);
  return resolveConfig({ app: command.app, flags: command.flags, env, cpuCount: 4, resolveApp: (p) => `/srv/${p}` })
    .config;
}

function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    serve(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}


describe("parseCommandLine", () => {
  it("serves APP with the defaults: one worker per core on 127.0.0.1:8000", () => {
    expect(serve(["app.ts"])).toEqual({ ...DEFAULTS, app: "/srv/app.ts", workers: 4 });
  });

  it("reads Gunicorn's --preload as preloadApp, not as a misspelt --reload", () => {
    expect(serve(["app.ts", "--preload"]).preloadApp).toBe(true);
    expect(serve(["app.ts", "--preload"]).reload).toBe(false);
    expect(serve(["app.ts"]).preloadApp).toBe(false);
    expect(usageError(["app.ts", "--preload=yes"])).toBe("--preload takes no value");
  });

  it("accepts the serve command word before APP", () => {
    expect(serve(["serve", "app.ts"]).app).toBe("/srv/app.ts");
  });

  it("reads every flag, short and long", () => {
    const config = serve([
      "app.ts:api", "-w", "3", "-b", "0.0.0.0:9000", "--bind", "[::1]:9001", "-t", "5",
      "--graceful-timeout", "7", "--keepalive", "2", "--max-requests", "100", "--max-requests-jitter", "10",
      "--backlog", "64", "--log-level", "debug",
    ]);
    expect(config).toEqual({
      ...DEFAULTS,
      app: "/srv/app.ts:api",
      workers: 3,
      bind: [{ host: "0.0.0.0", port: 9000 }, { host: "::1", port: 9001 }],
      backlog: 64,
      timeout: 5,
      gracefulTimeout: 7,
      keepalive: 2,
      maxRequests: 100,
      maxRequestsJitter: 10,
      logLevel: "debug",
    });
  });

  it("takes workers from WEB_CONCURRENCY and the port from PORT, flags winning over both", () => {
    const fromEnv = serve(["app.ts"], { WEB_CONCURRENCY: "6", PORT: "5000" });
    expect(fromEnv.workers).toBe(6);
    expect(fromEnv.bind).toEqual([{ host: "0.0.0.0", port: 5000 }]);
    const fromFlags = serve(["app.ts", "-w", "2", "-b", "127.0.0.1:7000"], { WEB_CONCURRENCY: "6", PORT: "5000" });
    expect(fromFlags.workers).toBe(2);
    expect(fromFlags.bind).toEqual([{ host: "127.0.0.1", port: 7000 }]);
  });

  it("answers help and version before anything else is checked", () => {
    expect(parseCommandLine(["-h"])).toEqual({ command: "help" });
    expect(parseCommandLine(["--help", "--workers", "0"])).toEqual({ command: "help" });
    expect(parseCommandLine(["-v"])).toEqual({ command: "version" });
  });

  const bad: [string[], Record<string, string>, string][] = [
    [[], {}, "missing APP, the module to serve, e.g. `mgr app.ts` (or set `app` in mgr.config.ts)"],
    [["a.ts", "b.ts"], {}, "expected one APP, got 2: a.ts b.ts"],
    [["app.ts", "-w", "0"], {}, '--workers must be an integer from 1 to 256, got "0"'],
    [["app.ts", "-w", "two"], {}, '--workers must be an integer from 1 to 256, got "two"'],
    [["app.ts", "-t", "-1"], {}, '--timeout must be a number of seconds >= 0, got "-1"'],
    [["app.ts", "--timeout", "-1"], {}, '--timeout must be a number of seconds >= 0, got "-1"'],
    [["app.ts", "-w", "-2"], {}, '--workers must be an integer from 1 to 256, got "-2"'],
    [["app.ts", "--keepalive", "-0.5"], {}, '--keepalive must be a number of seconds >= 0, got "-0.5"'],
    [["app.ts", "--name", "-1"], {}, '--name needs a value; to give one that starts with "-", write --name=VALUE'],
    [["app.ts", "-t", "-x"], {}, '--timeout needs a value; to give one that starts with "-", write --timeout=VALUE'],
    [["app.ts", "--timeout=-1"], {}, '--timeout must be a number of seconds >= 0, got "-1"'],
    [["app.ts", "--help=yes"], {}, "--help takes no value"],
    [["app.ts", "--max-requests", "1.5"], {}, '--max-requests must be an integer >= 0, got "1.5"'],
    [["app.ts", "--log-level", "loud"], {}, '--log-level must be one of debug, info, warning, error, critical, got "loud"'],
    [["app.ts", "-b", "localhost:99999"], {}, '--bind must be HOST:PORT, [IPv6]:PORT, HOST, unix:PATH or fd://FD, with PORT from 1 to 65535, got "localhost:99999"'],
    [["app.ts", "--worker", "2"], {}, "unknown option --worker; did you mean --workers?"],
    [["app.ts", "--zzzzzz"], {}, "unknown option --zzzzzz"],
    [["app.ts", "--workers"], {}, "--workers needs a value"],
    [["app.ts"], { WEB_CONCURRENCY: "lots" }, 'environment variable WEB_CONCURRENCY must be an integer from 1 to 256, got "lots"'],
    [["app.ts"], { PORT: "http" }, 'environment variable PORT must be a port from 1 to 65535, got "http"'],
  ];

  it.each(bad)("rejects %j (env %j) in one line: %s", (argv, env, message) => {
    const text = usageError(argv, env);
    expect(text).toBe(message);
    expect(text).not.toContain("\n");
  });
});
