/**
 * The Bun adapter: workers are `Bun.spawn` children, each serving with `Bun.serve({ reusePort })`.
 *
 * @module
 */

export { createBunRuntime } from "./runtime.ts";
