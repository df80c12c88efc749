/**
 * Loads the adapter of one runtime. Each is imported dynamically, so a runtime never parses another's code.
 *
 * @module
 */

import type { Runtime, RuntimeName } from "../core/runtime.ts";

/** Creates the master's {@linkcode Runtime} for `name`. */
export async function loadRuntime(name: RuntimeName): Promise<Runtime> {
  switch (name) {
    case "node": {
      const { createNodeRuntime } = await import("../../adapters/node/mod.ts");
      return createNodeRuntime();
    }
    case "bun": {
      const { createBunRuntime } = await import("../../adapters/bun/mod.ts");
      return createBunRuntime();
    }
    case "deno": {
      const { createDenoRuntime } = await import("../../adapters/deno/mod.ts");
      return createDenoRuntime();
    }
  }
}
