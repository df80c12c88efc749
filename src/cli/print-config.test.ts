import { describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../core/config.ts";
import { formatConfig } from "./print-config.ts";
import { resolveConfig } from "./resolve-config.ts";

/** The value column of `key` in print-config's output for `config`. */
function shown(config: Partial<Config>, key: keyof Config): string {
  const text = formatConfig({ config: { ...DEFAULTS, app: "/srv/app.ts", workers: 1, ...config }, sources: {} as never });
  const line = text.split("\n").find((row) => row.startsWith(`${key} `))!;
  return line.slice(key.length, line.lastIndexOf("  # ")).trim();
}

describe("formatConfig", () => {
  it("shows the umask in octal, as it is typed, not as the decimal number it is", () => {
    expect(shown({ umask: 0o027 }, "umask")).toBe("0o027");
    expect(shown({ umask: 0o077 }, "umask")).toBe("0o077");
    expect(shown({ umask: 0 }, "umask")).toBe("0o000");
    expect(shown({ umask: null }, "umask")).toBe("none");
  });

  it("shows --umask 027 as 0o027, not 23", () => {
    const { config, sources } = resolveConfig({ app: "app.ts", flags: { umask: "027" }, env: {}, cpuCount: 1, resolveApp: (p) => p });
    const line = formatConfig({ config, sources }).split("\n").find((row) => row.startsWith("umask "));
    expect(line).toMatch(/^umask\s+0o027\s+# flag --umask$/);
  });
});
