import { describe, expect, it } from "vitest";
import { loadApp, toFileUrl } from "./app.ts";
import { parseAppReference } from "./app-reference.ts";

const load = (reference: string, module: Record<string, unknown>) => loadApp(reference, () => Promise.resolve(module));

describe("parseAppReference", () => {
  it("splits Gunicorn's module:variable and defaults to the default export", () => {
    expect(parseAppReference("/srv/app.ts:api")).toEqual({ path: "/srv/app.ts", exportName: "api" });
    expect(parseAppReference("/srv/app.ts")).toEqual({ path: "/srv/app.ts", exportName: "default" });
    expect(parseAppReference("/srv/odd:dir/app.ts")).toEqual({ path: "/srv/odd:dir/app.ts", exportName: "default" });
  });
});

describe("loadApp", () => {
  it("serves an object with a fetch method, bound to that object", async () => {
    const app = { greeting: "hi", fetch(this: { greeting: string }) { return new Response(this.greeting); } };
    const loaded = await load("/srv/app.ts", { default: app });
    expect(await (await loaded.fetch(new Request("http://x/"))).text()).toBe("hi");
  });

  it("serves a bare function and a named export", async () => {
    const loaded = await load("/srv/app.ts:api", { api: () => new Response("fn") });
    expect(await (await loaded.fetch(new Request("http://x/"))).text()).toBe("fn");
  });

  it("takes setup and teardown from the module, or else from the handler object", async () => {
    const calls: string[] = [];
    const fromModule = await load("/srv/app.ts", {
      default: { fetch: () => new Response() },
      setup: () => void calls.push("module setup"),
    });
    await fromModule.setup!();
    const fromObject = await load("/srv/app.ts", {
      default: { fetch: () => new Response(), teardown: () => void calls.push("object teardown") },
    });
    await fromObject.teardown!();
    expect(calls).toEqual(["module setup", "object teardown"]);
    expect(fromModule.teardown).toBeUndefined();
  });

  it("takes the WebSocket handlers exported beside fetch, or from the module", async () => {
    const handlers = { message() {} };
    expect((await load("/srv/app.ts", { default: { fetch: () => new Response(), websocket: handlers } })).websocket).toBe(handlers);
    expect((await load("/srv/app.ts", { default: () => new Response(), websocket: true })).websocket).toBe(true);
    expect((await load("/srv/app.ts", { default: () => new Response() })).websocket).toBeUndefined();
  });

  it.each([
    [{}, "has no default export"],
    [{ default: () => new Response(), websocket: "yes" }, "`websocket` must be Bun's WebSocket handlers, `{ server }` with a ws WebSocketServer on Node, or true on Deno; got a string"],
    [{ default: 42 }, "is not a fetch handler (got a number)"],
    [{ default: { get: () => {} } }, "is not a fetch handler (got an object without a fetch method)"],
    [{ default: () => new Response(), setup: "yes" }, "`setup` must be a function, got a string"],
  ])("refuses %j with a message that says what to export", async (module, message) => {
    await expect(load("/srv/app.ts", module)).rejects.toThrow(message);
  });

  it("names the missing export", async () => {
    await expect(load("/srv/app.ts:api", { default: () => new Response() })).rejects.toThrow("has no export `api`");
  });
});

describe("toFileUrl", () => {
  it("encodes what a URL cannot hold", () => {
    expect(toFileUrl("/srv/my app/#1.ts")).toBe("file:///srv/my%20app/%231.ts");
  });
});
