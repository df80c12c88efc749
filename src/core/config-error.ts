/**
 * The error for a configuration value that is not allowed.
 *
 * @module
 */

/**
 * A value that a configuration key does not accept. Callers catch it to say where the value came
 * from (a flag, a variable, the config file) in their own words.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    /** The key, as spelled in the config file. */
    readonly key: string,
    /** The value received. */
    readonly value: unknown,
    /** What is allowed, e.g. "an integer >= 1". */
    readonly expected: string,
  ) {
    super(`option \`${key}\` must be ${expected}, got \`${formatValue(value)}\``);
  }
}

/** Renders a received value for an error message, strings as they were typed. */
export function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "function") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

