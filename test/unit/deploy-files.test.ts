/**
 * The container files in deploy/ agree with mgr and with each other: each Dockerfile runs mgr as a
 * non-root user under an init, its ENTRYPOINT the runtime and mgr's entry and its CMD only mgr's
 * arguments, so the Kubernetes manifest, which replaces the CMD with its `args`, runs with the Node,
 * Bun or Deno image alike; the manifest's probes are the admin endpoint's, and its grace period
 * outlasts preStop and `--graceful-timeout` together.
 * (No image is built here: that needs a Docker daemon and the images' registry.)
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

const RUNTIMES = ["node", "bun", "deno"] as const;

/** How each image's ENTRYPOINT starts mgr, after tini: the runtime and mgr's entry in the installed package. */
const MGR_ENTRIES: Record<(typeof RUNTIMES)[number], string[]> = {
  node: ["node", "node_modules/mgr/dist/src/cli/bin.js"],
  bun: ["bun", "node_modules/mgr/dist/src/cli/bin.js"],
  deno: ["deno", "run", "-A", "npm:mgr"],
};

/** The JSON form of a Dockerfile instruction (`ENTRYPOINT [...]`, `CMD [...]`). */
function instruction(text: string, name: string): string[] {
  return JSON.parse(new RegExp(`^${name} (\\[.*\\])$`, "m").exec(text)![1]!) as string[];
}

/** The flags of `mgr ARGS`, which must be a serve command line of mgr's own: APP first, no runtime. */
function serveFlags(args: string[]) {
  expect(args[0], `mgr's arguments start with the APP, not a runtime: ${JSON.stringify(args)}`).toBe("app.ts");
  const parsed = parseCommandLine(args);
  expect(parsed.command).toBe("serve");
  return (parsed as { flags: Record<string, string | string[] | undefined> }).flags;
}

describe.each(RUNTIMES)("deploy/docker/%s.Dockerfile", (runtime) => {
  const text = read(`deploy/docker/${runtime}.Dockerfile`);

  it("runs as a non-root user, under tini as PID 1, which starts mgr on its runtime", () => {
    expect(/^USER (\S+)$/m.exec(text)?.[1]).not.toMatch(/^(root|0)$/);
    expect(instruction(text, "ENTRYPOINT")).toEqual(["/usr/bin/tini", "--", ...MGR_ENTRIES[runtime]]);
  });

  it("gives mgr, as CMD, only mgr's arguments: on all addresses, with the admin endpoint for health checks", () => {
    const flags = serveFlags(instruction(text, "CMD"));
    expect(flags.bind).toEqual(["0.0.0.0:8000"]);
    expect(flags.adminBind).toBe("0.0.0.0:9090");
    expect(text).toMatch(/EXPOSE 8000 9090/);
  });
});

describe("deploy/kubernetes/mgr.yaml", () => {
  const text = read("deploy/kubernetes/mgr.yaml");
  const number = (pattern: RegExp) => Number(pattern.exec(text)![1]);
  const args = JSON.parse(/^\s+args: (\[.*\])$/m.exec(text)![1]!) as string[];

  it.each(RUNTIMES)("passes only mgr's arguments, so the %s image's ENTRYPOINT runs them, tini included", (runtime) => {
    // `command:` would replace the ENTRYPOINT, and with it tini and the runtime.
    expect(text).not.toMatch(/^\s+command:/m);
    serveFlags(args);
    const image = read(`deploy/docker/${runtime}.Dockerfile`);
    expect([...instruction(image, "ENTRYPOINT"), ...args].slice(2)).toEqual([...MGR_ENTRIES[runtime], ...args]);
  });

  it("gives a stopping pod longer than preStop and mgr's graceful timeout together", () => {
    const flags = serveFlags(args);
    const graceful = Number(flags.gracefulTimeout);
    const preStop = number(/sleep: \{ seconds: (\d+) \}/);
    expect(number(/terminationGracePeriodSeconds: (\d+)/)).toBeGreaterThan(preStop + graceful);
  });

  it("probes the admin endpoint's /readyz and /healthz, with the token from a secret", () => {
    expect(text).toMatch(/readinessProbe:\s+httpGet: \{ path: \/readyz, port: admin \}/);
    expect(text).toMatch(/livenessProbe:\s+httpGet: \{ path: \/healthz, port: admin \}/);
    expect(text).toMatch(/- name: MGR_ADMIN_TOKEN\s+valueFrom: \{ secretKeyRef:/);
    expect(text).toMatch(/runAsNonRoot: true/);
  });
});
