/**
 * The command line: `mgr [serve] APP [options]`, read with `node:util`'s parseArgs (built into Node,
 * Bun and Deno alike), merged with the environment and the defaults into one validated {@linkcode Config}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { ConfigError, DEFAULTS, validateValue } from "../core/config.ts";
import type { Config } from "../core/config.ts";

/** A command line mgr cannot act on; printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What the command line asks for. */
export type CliCommand =
  | { command: "help" }
  | { command: "version" }
  | { command: "serve"; config: Config };

/** The flags that set a config key, with the key each sets. */
const FLAG_KEYS = {
  workers: "workers",
  bind: "bind",
  backlog: "backlog",
  timeout: "timeout",
  "graceful-timeout": "gracefulTimeout",
  keepalive: "keepalive",
  "max-requests": "maxRequests",
  "max-requests-jitter": "maxRequestsJitter",
  "log-level": "logLevel",
} as const satisfies Record<string, keyof Config>;

type ConfigFlag = keyof typeof FLAG_KEYS;

const OPTIONS = {
  workers: { type: "string", short: "w" },
  bind: { type: "string", short: "b", multiple: true },
  backlog: { type: "string" },
  timeout: { type: "string", short: "t" },
  "graceful-timeout": { type: "string" },
  keepalive: { type: "string" },
  "max-requests": { type: "string" },
  "max-requests-jitter": { type: "string" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const satisfies ParseArgsConfig["options"];

const COMMANDS = ["serve"];

/** Options of {@linkcode parseCommandLine}. */
export interface ParseCommandLineOptions {
  /** The environment: `WEB_CONCURRENCY` and `PORT` are read from it. */
  env: Record<string, string | undefined>;
  /** The default worker count when neither a flag nor `WEB_CONCURRENCY` sets one. */
  cpuCount: number;
  /** Resolves the app's module path, e.g. against the working directory; throws if it cannot be found. */
  resolveApp: (path: string) => string;
}

/**
 * Reads `argv` (without the runtime and script) into a command.
 *
 * @throws {UsageError} naming the flag or variable, the value and what is allowed.
 */
export function parseCommandLine(argv: string[], options: ParseCommandLineOptions): CliCommand {
  const { values, positionals } = parseFlags(argv);
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };

  const args = positionals[0] !== undefined && COMMANDS.includes(positionals[0]) ? positionals.slice(1) : positionals;
  if (args.length === 0) throw new UsageError("missing APP, the module to serve, e.g. `mgr app.ts`");
  if (args.length > 1) throw new UsageError(`expected one APP, got ${args.length}: ${args.join(" ")}`);

  const { env } = options;
  const config: Config = {
    ...DEFAULTS,
    app: options.resolveApp(args[0]!),
    workers: options.cpuCount,
  };
  if (env.WEB_CONCURRENCY !== undefined) {
    config.workers = fromVariable("WEB_CONCURRENCY", "workers", env.WEB_CONCURRENCY);
  }
  if (env.PORT !== undefined && values.bind === undefined) {
    config.bind = fromVariable("PORT", "bind", `0.0.0.0:${env.PORT}`);
  }
  for (const flag of Object.keys(FLAG_KEYS) as ConfigFlag[]) {
    const value = values[flag];
    if (value !== undefined) setFromFlag(config, flag, value);
  }
  return { command: "serve", config };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

function setFromFlag(config: Config, flag: ConfigFlag, value: string | string[]): void {
  const key = FLAG_KEYS[flag];
  try {
    (config as unknown as Record<string, unknown>)[key] = validateValue(key, value);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(`--${flag} must be ${error.expected}, got "${error.value}"`);
  }
}

function fromVariable<K extends keyof Config>(variable: string, key: K, value: string): Config[K] {
  try {
    return validateValue(key, value);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const shown = variable === "PORT" ? value.slice("0.0.0.0:".length) : value;
    const expected = variable === "PORT" ? "a port from 1 to 65535" : error.expected;
    throw new UsageError(`environment variable ${variable} must be ${expected}, got "${shown}"`);
  }
}

/** Rewrites parseArgs' errors as one line that names the flag and says what to do. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
    const suggestion = closestFlag(flag);
    return `unknown option ${flag}${suggestion ? `; did you mean ${suggestion}?` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const named = /Option '([^']+)'/.exec(message)?.[1] ?? "";
    const flag = /--[\w-]+/.exec(named)?.[0] ?? longFlag(named);
    if (/argument missing/.test(message)) return `${flag} needs a value`;
    if (/ambiguous/.test(message)) return `${flag} needs a value; to give one that starts with "-", write ${flag}=VALUE`;
    if (/does not take an argument/.test(message)) return `${flag} takes no value`;
  }
  return message.split("\n")[0]!;
}

/** `-t` → `--timeout`; anything else as it is. */
function longFlag(short: string): string {
  const letter = short.replace(/^-/, "");
  const entry = Object.entries(OPTIONS).find(([, option]) => "short" in option && option.short === letter);
  return entry ? `--${entry[0]}` : short;
}

function closestFlag(flag: string): string | undefined {
  const name = flag.replace(/^-+/, "").split("=")[0]!;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of Object.keys(OPTIONS)) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best && `--${best}`;
}

/** Levenshtein distance, for did-you-mean suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
