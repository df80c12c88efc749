/**
 * The runtimes the behaviour suite runs on, by name: `node24` (the Node users run, installed by
 * node24.ts), `bun`, `deno`, and `node` (the Node that runs the tests: 20, the engines floor).
 * Apart from the harness so that vitest's global setup can read it too.
 *
 * @module
 */

/** The whole suite runs on these unless `MGR_TEST_RUNTIMES` names others. */
const DEFAULT_RUNTIMES = ["node24", "bun", "deno"];

/**
 * Node 20 runs the files that use {@linkcode RUNTIMES_WITH_FLOOR} (start, serve, reload, upgrade, config
 * loading, TypeScript loading, signals), not the whole suite: on this 2-core machine the whole suite on four
 * runtimes would not fit in `npm test`'s ten minutes. `MGR_TEST_RUNTIMES=node` runs all of it on Node 20.
 */
const FLOOR_RUNTIME = "node";

const asked = process.env.MGR_TEST_RUNTIMES?.split(",").filter(Boolean);

/** The runtimes the behaviour suite runs on: Node 24, Bun and Deno, or those `MGR_TEST_RUNTIMES=node,bun` names. */
export const RUNTIMES: readonly string[] = asked ?? DEFAULT_RUNTIMES;

/** {@linkcode RUNTIMES} and Node 20, the engines floor; only those `MGR_TEST_RUNTIMES` names when it is set. */
export const RUNTIMES_WITH_FLOOR: readonly string[] = asked ?? [FLOOR_RUNTIME, ...DEFAULT_RUNTIMES];

/** The runtime `runtime` is a version of: `node24` is Node. */
export function runtimeFamily(runtime: string): string {
  return runtime === "node24" ? "node" : runtime;
}
