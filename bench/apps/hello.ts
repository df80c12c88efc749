/**
 * The benchmark's app: the smallest Hono app, so that what is measured is the server around it.
 * Every target serves this same module.
 *
 * @module
 */

import { Hono } from "hono";

/** The body of `GET /`; readiness probes check it, so every target is known to serve this app. */
export const HELLO_BODY = "Hello, World!";

const app = new Hono();

app.get("/", (c) => c.text(HELLO_BODY));

export default app;
