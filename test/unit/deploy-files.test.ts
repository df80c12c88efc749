/**
 * The container files in deploy/ agree with mgr and with each other: each Dockerfile runs mgr as a
 * non-root user under an init, with a command line mgr accepts; the Kubernetes manifest's probes are
 * the admin endpoint's, and its grace period outlasts preStop and `--graceful-timeout` together.
 * (No image is built here: that needs a Docker daemon and the images' registry.)
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli/args.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

/** mgr's own arguments in a container command: what follows the runtime and the entry point. */
function mgrArguments(command: string[]): string[] {
  const app = command.indexOf("app.ts");
  expect(app, `no app.ts in ${JSON.stringify(command)}`).toBeGreaterThan(0);
  return command.slice(app);
}

function serveFlags(command: string[]) {
  const parsed = parseCommandLine(mgrArguments(command));
  expect(parsed.command).toBe("serve");
  return (parsed as { flags: Record<string, string | string[] | undefined> }).flags;
}

describe.each(["node", "bun", "deno"])("deploy/docker/%s.Dockerfile", (runtime) => {
  const text = read(`deploy/docker/${runtime}.Dockerfile`);
  const json = (instruction: string) => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, "m").exec(text)![1]!) as string[];

  it("runs as a non-root user, under tini as PID 1", () => {
    expect(/^USER (\S+)$/m.exec(text)?.[1]).not.toMatch(/^(root|0)$/);
    expect(json("ENTRYPOINT")).toEqual(["/usr/bin/tini", "--"]);
  });

  it("starts mgr with flags it accepts, on all addresses, with the admin endpoint for health checks", () => {
    const command = json("CMD");
    expect(command[0]).toBe(runtime);
    const flags = serveFlags(command);
    expect(flags.bind).toEqual(["0.0.0.0:8000"]);
    expect(flags.adminBind).toBe("0.0.0.0:9090");
    expect(text).toMatch(/EXPOSE 8000 9090/);
  });
});

describe("deploy/kubernetes/mgr.yaml", () => {
  const text = read("deploy/kubernetes/mgr.yaml");
  const number = (pattern: RegExp) => Number(pattern.exec(text)![1]);

  it("gives a stopping pod longer than preStop and mgr's graceful timeout together", () => {
    const args = JSON.parse(/^\s+args: (\[.*\])$/m.exec(text)![1]!) as string[];
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
