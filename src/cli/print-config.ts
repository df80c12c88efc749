/**
 * `mgr print-config`: the effective config, one key a line, with where each value came from.
 *
 * @module
 */

import { type Config, formatAddress } from "../core/config.ts";
import { SETTINGS } from "../core/settings.ts";
import type { ResolvedConfig } from "./resolve-config.ts";

function show(key: keyof Config, config: Config): string {
  const value = config[key];
  if (key === "bind") return config.bind.map(formatAddress).join(", ");
  if (key === "hooks") return Object.keys(config.hooks).join(", ") || "none";
  if (value === null) return "none";
  // A secret: print-config's output ends up in tickets and chat.
  if (key === "adminToken") return "(set)";
  // Octal, as umask(1) and --umask write it: 23 would hide that --umask 027 was meant.
  if (key === "umask") return formatUmask(config.umask!);
  return String(value);
}

/** A umask as a JavaScript octal literal with three digits, e.g. `0o027`, which `--umask` and a config file read back. */
export function formatUmask(mask: number): string {
  return `0o${mask.toString(8).padStart(3, "0")}`;
}

/** Formats `resolved` as aligned columns: key, value, source. */
export function formatConfig({ config, sources }: ResolvedConfig): string {
  const keys: (keyof Config)[] = [...SETTINGS.map((s) => s.key), "hooks"];
  const rows = keys.map((key) => [key, show(key, config), sources[key]] as const);
  const keyWidth = Math.max(...rows.map(([key]) => key.length));
  const valueWidth = Math.min(48, Math.max(...rows.map(([, value]) => value.length)));
  return rows.map(([key, value, source]) => `${key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  # ${source}\n`).join("");
}
