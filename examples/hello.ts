/**
 * A small Hono app: `npx mgr examples/hello.ts`, then `curl http://127.0.0.1:8000/`.
 */
import { Hono } from "hono";

const app = new Hono();

app.get("/", (c) => c.text("Hello from mgr!\n"));

// Which worker answered: handy for watching the pool at work.
app.get("/pid", (c) => c.json({ pid: process.pid }));

app.get("/hello/:name", (c) => c.json({ message: `Hello, ${c.req.param("name")}!` }));

app.post("/echo", async (c) => c.json(await c.req.json()));

export default app;
