/**
 * The command line's syntax: `mgr [COMMAND] [APP] [options]`, read with `node:util`'s parseArgs (built
 * into Node, Bun and Deno alike). What the values mean is decided later, by resolveConfig.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { ConfigError, validateValue } from "../core/config.ts";
import { type Setting, type SettingKey, SETTINGS } from "../core/settings.ts";
import { closest } from "./closest.ts";
import { describeFlagValue } from "./resolve-config.ts";
import { UsageError } from "./usage-error.ts";
import { errorMessage } from "../core/error-text.ts";
import { parseBenchOptions, type BenchOptions } from "../bench/bench-options.ts";

export { UsageError } from "./usage-error.ts";

/** Commands that run or inspect a server from a config. */
export const CONFIG_COMMANDS = ["serve", "check", "print-config", "systemd"] as const;
/** Commands that talk to a running master. */
export const CONTROL_COMMANDS = ["status", "top", "reload", "scale", "stop"] as const;

export type ConfigCommand = (typeof CONFIG_COMMANDS)[number];
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

/** What the command line asks for. */
export type CliCommand =
  | { command: "help" }
  | { command: "bench"; bench: BenchOptions }
  | { command: "version" }
  | {
    command: ConfigCommand;
    /** The APP argument, if given. */
    app?: string;
    /** Setting flags as typed. */
    flags: Partial<Record<SettingKey, string | string[]>>;
    /** `-c/--config PATH`. */
    configPath?: string;
  }
  | {
    command: ControlCommand;
    /** `mgr scale N`: the new pool size, as typed. */
    count?: string;
    /** `mgr stop --quick`. */
    quick: boolean;
    /** `mgr status --json`. */
    json: boolean;
    /** Where to find the master: `--pid PATH`, or `-b` to name it by address. */
    flags: Partial<Record<SettingKey, string | string[]>>;
    /** `--control PATH`: the master's control socket. */
    controlPath?: string;
  };

const OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
  ...Object.fromEntries(
    SETTINGS.filter((s) => s.flag).map((s) => [
      s.flag!,
      {
        type: s.boolean ? "boolean" as const : "string" as const,
        ...(s.short ? { short: s.short } : {}),
        ...(s.multiple ? { multiple: true } : {}),
      },
    ]),
  ),
  config: { type: "string", short: "c" },
  control: { type: "string" },
  quick: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
};

/**
 * Reads `argv` (without the runtime and script) into a command.
 *
 * @throws {UsageError} naming the flag or argument and what is allowed.
 */
export function parseCommandLine(argv: string[]): CliCommand {
  // `mgr bench` has flags of its own (--duration, --rounds…), read by its own parser.
  if (argv[0] === "bench") {
    try {
      return { command: "bench", bench: parseBenchOptions(argv.slice(1)) };
    } catch (error) {
      throw new UsageError(errorMessage(error));
    }
  }
  const { values, positionals } = parseFlags(argv);
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };

  const first = positionals[0];
  const named = [...CONFIG_COMMANDS, ...CONTROL_COMMANDS].find((c) => c === first);
  const command = named ?? "serve";
  const args = named ? positionals.slice(1) : positionals;

  const flags: Partial<Record<SettingKey, string | string[]>> = {};
  for (const setting of SETTINGS) {
    const value = setting.flag ? values[setting.flag] : undefined;
    // A flag without a value (`--reload`) comes as true; the config reads "true" as it would from the environment.
    if (value !== undefined) flags[setting.key] = value === true ? "true" : value as string | string[];
  }

  if ((CONTROL_COMMANDS as readonly string[]).includes(command)) {
    const wanted = command === "scale" ? 1 : 0;
    if (args.length !== wanted) {
      throw new UsageError(command === "scale" ? "scale needs the number of workers, e.g. `mgr scale 4`" : `${command} takes no argument, got ${args.join(" ")}`);
    }
    return {
      command: command as ControlCommand,
      count: args[0],
      quick: values.quick === true,
      json: values.json === true,
      flags,
      controlPath: values.control as string | undefined,
    };
  }
  if (values.quick) throw new UsageError("--quick goes with `mgr stop`");
  if (values.json) throw new UsageError("--json goes with `mgr status`");
  if (args.length > 1) throw new UsageError(`expected one APP, got ${args.length}: ${args.join(" ")}`);
  return { command: command as ConfigCommand, app: args[0], flags, configPath: values.config as string | undefined };
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeNegativeNumber(error, argv) ?? describeParseError(error));
  }
}

/** The settings whose flag takes a number, as `--help` shows them (`-t SECONDS`, `-w INT`). */
const NUMERIC_SETTINGS = SETTINGS.filter((s) => s.flag && (s.meta === "INT" || s.meta === "SECONDS"));

/**
 * When a number flag is followed by a negative number (`--timeout -1`), parseArgs takes the value for
 * a flag and calls it ambiguous; the real problem is the number, so say what the config validation
 * says of it. Undefined for any other error.
 */
function describeNegativeNumber(error: unknown, argv: string[]): string | undefined {
  if ((error as { code?: string }).code !== "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return undefined;
  if (!/ambiguous/.test(error instanceof Error ? error.message : "")) return undefined;
  const end = argv.indexOf("--");
  const args = end === -1 ? argv : argv.slice(0, end);
  for (let i = 0; i < args.length - 1; i++) {
    const setting = NUMERIC_SETTINGS.find((s) => args[i] === `--${s.flag}` || (s.short && args[i] === `-${s.short}`));
    const value = args[i + 1]!;
    if (setting && /^-\.?\d/.test(value)) return validationMessage(setting, value);
  }
  return undefined;
}

function validationMessage(setting: Setting, value: string): string | undefined {
  try {
    validateValue(setting.key, value);
  } catch (error) {
    if (error instanceof ConfigError) return describeFlagValue(setting.flag!, error);
    throw error;
  }
  return undefined;
}

/** Rewrites parseArgs' errors as one line that names the flag and says what to do. */
function describeParseError(error: unknown): string {
  const message = errorMessage(error);
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
    const suggestion = closest(flag.replace(/^-+/, "").split("=")[0]!, Object.keys(OPTIONS));
    return `unknown option ${flag}${suggestion ? `; did you mean --${suggestion}?` : ""}`;
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
  const entry = Object.entries(OPTIONS).find(([, option]) => option.short === letter);
  return entry ? `--${entry[0]}` : short;
}
