/**
 * The Deno adapter: workers are Deno processes serving with `Deno.serve({ reusePort })`.
 *
 * @module
 */

export { createDenoRuntime } from "./runtime.ts";
