/**
 * vitest's global setup for the behaviour suite: installs Node 24 once when the suite runs on it, and
 * hands the tests its path, or the one-line reason it could not be had (the harness then fails every
 * Node 24 test with it: the suite never skips a runtime it was asked for).
 *
 * @module
 */

import type { TestProject } from "vitest/node";
import { installNode24 } from "./node24.ts";
import { RUNTIMES_WITH_FLOOR } from "./test-runtimes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Node 24 binary, or why there is none. */
    node24: { bin: string } | { error: string };
  }
}

/** Installs Node 24 when the suite runs on it. */
export default function setup(project: TestProject): void {
  if (!RUNTIMES_WITH_FLOOR.includes("node24")) return;
  try {
    project.provide("node24", { bin: installNode24() });
  } catch (error) {
    project.provide("node24", { error: (error as Error).message });
  }
}
