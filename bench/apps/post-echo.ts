/**
 * An app that reads every request body whole: bench/body-timeout-cost.sh measures what bounding a
 * body's stalls (`--body-timeout`) costs a small POST with it.
 *
 * @module
 */

import { Hono } from "hono";

const app = new Hono();

app.post("/", async (c) => c.text(`got ${(await c.req.text()).length}`));

export default app;
