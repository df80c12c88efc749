/**
 * The runtimes the behaviour suite runs on, by name: `node` (the Node that runs the tests, the engines
 * floor), `node24` (the Node users run, see node24.ts), `bun` and `deno`. Apart from the harness so
 * that vitest's global setup can read it too.
 *
 * @module
 */

/** Every runtime name the harness knows. */
export const ALL_RUNTIMES = ["node", "node24", "bun", "deno"] as const;

/** The runtimes the behaviour suite runs on: all, or those `MGR_TEST_RUNTIMES=node24,bun` names. */
export const RUNTIMES: readonly string[] = (process.env.MGR_TEST_RUNTIMES ?? ALL_RUNTIMES.join(",")).split(",").filter(Boolean);

/** The runtime `runtime` is a version of: `node24` is Node. */
export function runtimeFamily(runtime: string): string {
  return runtime === "node24" ? "node" : runtime;
}
