/**
 * The Node adapter: workers are `node:cluster` children serving through `node:http`.
 *
 * @module
 */

export { createNodeRuntime } from "./runtime.ts";
