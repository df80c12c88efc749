/**
 * One config from four sources, later wins: defaults < config file < environment < flags. Each value
 * is validated once, where it comes in, and the error names its source, the value and what is allowed.
 *
 * @module
 */

import { type Config, ConfigError, DEFAULTS, formatValue, validateValue } from "../core/config.ts";
import { HOOK_NAMES } from "../core/hooks.ts";
import { type SettingKey, SETTINGS } from "../core/settings.ts";
import { UsageError } from "./usage-error.ts";
import { closest } from "./closest.ts";

/** Where each value of a resolved config came from, e.g. `flag --workers`. */
export type ConfigSources = Record<keyof Config, string>;

/** A config and where each of its values came from. */
export interface ResolvedConfig {
  config: Config;
  sources: ConfigSources;
  /** The config file read, if any. */
  configFile?: string;
}

/** The raw inputs of {@linkcode resolveConfig}. */
export interface ConfigInputs {
  /** The APP positional argument, if given. */
  app?: string;
  /** Flag values as typed, by setting key. */
  flags: Partial<Record<SettingKey, string | string[]>>;
  env: Record<string, string | undefined>;
  /** The config file's default export, and its path for messages. */
  file?: { path: string; values: unknown };
  cpuCount: number;
  /** Makes the app's module path absolute and checks it exists; throws a UsageError if not. */
  resolveApp: (reference: string) => string;
  /** False for commands that only need to find a running master; then a missing app is fine. */
  appRequired?: boolean;
}

/**
 * Resolves the effective config.
 *
 * @throws {UsageError} for any value not allowed, naming where it came from.
 */
export function resolveConfig(inputs: ConfigInputs): ResolvedConfig {
  const values: Record<string, unknown> = { ...DEFAULTS, workers: inputs.cpuCount };
  const sources = Object.fromEntries(Object.keys(values).map((key) => [key, "default"])) as ConfigSources;
  sources.workers = "default (CPU cores)";
  sources.app = "none";
  const set = (key: keyof Config, value: unknown, source: string, describe: (e: ConfigError) => string) => {
    try {
      values[key] = validateValue(key, value);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(describe(error));
      throw error;
    }
    sources[key] = source;
  };

  if (inputs.file) readFile(inputs.file.path, inputs.file.values, set);

  const { env } = inputs;
  const fromEnv = (key: keyof Config, variable: string, raw: string) =>
    set(key, raw, `environment ${variable}`, (e) => `environment variable ${variable} must be ${e.expected}, got "${raw}"`);
  if (env.WEB_CONCURRENCY !== undefined) fromEnv("workers", "WEB_CONCURRENCY", env.WEB_CONCURRENCY);
  if (env.FORWARDED_ALLOW_IPS !== undefined) fromEnv("forwardedAllowIps", "FORWARDED_ALLOW_IPS", env.FORWARDED_ALLOW_IPS);
  if (env.PORT !== undefined) {
    const port = env.PORT;
    set("bind", `0.0.0.0:${port}`, "environment PORT", () => `environment variable PORT must be a port from 1 to 65535, got "${port}"`);
  }
  for (const setting of SETTINGS) {
    const raw = env[setting.env];
    if (raw === undefined) continue;
    const value = setting.key === "bind" ? raw.split(",").map((part) => part.trim()).filter(Boolean) : raw;
    set(setting.key, value, `environment ${setting.env}`, (e) =>
      `environment variable ${setting.env} must be ${e.expected}, got "${raw}"`);
  }

  for (const setting of SETTINGS) {
    const raw = inputs.flags[setting.key];
    if (raw === undefined || !setting.flag) continue;
    set(setting.key, raw, `flag --${setting.flag}`, (e) => describeFlagValue(setting.flag!, e));
  }

  if (inputs.app !== undefined) {
    values.app = inputs.app;
    sources.app = "APP argument";
  }
  if (values.app === undefined) {
    if (inputs.appRequired === false) {
      return { config: { ...values, app: "" } as unknown as Config, sources, configFile: inputs.file?.path };
    }
    throw new UsageError("missing APP, the module to serve, e.g. `mgr app.ts` (or set `app` in mgr.config.ts)");
  }
  values.app = inputs.resolveApp(values.app as string);
  return { config: values as unknown as Config, sources, configFile: inputs.file?.path };
}

/** Says why a flag's value is not allowed, e.g. `--timeout must be a number of seconds >= 0, got "-1"`. */
export function describeFlagValue(flag: string, error: ConfigError): string {
  return `--${flag} must be ${error.expected}, got "${error.value}"`;
}

type Setter = (key: keyof Config, value: unknown, source: string, describe: (e: ConfigError) => string) => void;

/** Reads the config file's object: settings by their key, hooks by their name, anything else refused. */
function readFile(path: string, values: unknown, set: Setter): void {
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new UsageError(`${path} must default-export a config object, e.g. \`export default defineConfig({ workers: 4 })\``);
  }
  const keys = SETTINGS.map((s) => s.key as string);
  const hooks: Record<string, unknown> = {};
  const source = `config file ${path}`;
  for (const [key, value] of Object.entries(values)) {
    if (HOOK_NAMES.includes(key as never)) {
      if (value !== undefined) hooks[key] = value;
    } else if (keys.includes(key)) {
      if (value === undefined) continue;
      const shown = formatValue(value);
      set(key as SettingKey, value, source, (e) => `${path}: \`${key}\` must be ${e.expected}, got \`${shown}\``);
    } else {
      if (key === "hooks") {
        throw new UsageError(`${path}: hooks go at the top level of the config, e.g. \`onStarting(server) { … }\`, not under \`hooks\``);
      }
      const suggestion = closest(key, [...keys, ...HOOK_NAMES]);
      throw new UsageError(`${path}: unknown key \`${key}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ""}`);
    }
  }
  if (Object.keys(hooks).length > 0) {
    set("hooks", hooks, source, (e) => `${path}: hook \`${e.key}\` must be ${e.expected}, got \`${formatValue(e.value)}\``);
  }
}
