/**
 * bench/apps/hello.ts as JavaScript, byte for byte the same program: what a TypeScript app is
 * compared with (bench/typescript-cost.ts).
 *
 * @module
 */

import { Hono } from "hono";

/** The body of `GET /`. */
export const HELLO_BODY = "Hello, World!";

const app = new Hono();

app.get("/", (c) => c.text(HELLO_BODY));

export default app;
