/**
 * TypeScript apps on Node, as users write them: apps that need only their types stripped, apps that
 * need more (an enum, a namespace, a parameter property, `./x.js` naming x.ts, an extensionless or a
 * directory specifier, an imported interface, a tsconfig that targets ES2020), apps that import such
 * modules once running, and a CommonJS project. Each serves, on every Node of RUNTIMES_WITH_FLOOR;
 * what mgr's loaders can load module by module runs without tsx, and nothing warns.
 *
 * Each project is written to a directory of its own and served from there, as its user would.
 *
 * @module
 */

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destroyAllMasters, freePort, get, Master, RUNTIMES_WITH_FLOOR, runtimeFamily, waitFor } from "./harness.ts";

// Node 20 too: it loads every app through tsx, and must go on doing so.
const NODES = RUNTIMES_WITH_FLOOR.filter((runtime) => runtimeFamily(runtime) === "node");

/**
 * Answers `GET /` with `body`, and `GET /loader` with whether tsx was registered: its CommonJS hook
 * adds a `.ts` handler to `require.extensions`, which Node never has.
 */
const routes = (body: string) => `
  fetch(request: Request): Response {
    if (new URL(request.url).pathname === "/loader") {
      const extensions = (globalThis as any).process.getBuiltinModule("node:module").createRequire(import.meta.url).extensions;
      return Response.json({ tsx: typeof extensions[".ts"] === "function", url: import.meta.url });
    }
    return new Response(${body});
  },`;

const STRIP_ONLY = {
  "package.json": `{ "name": "strip-only", "type": "module" }`,
  "greet.ts": `export interface Greeting { text: string }\nexport const greet = (who: string): Greeting => ({ text: \`hello \${who}\` });\n`,
  "app.ts": `import { greet } from "./greet.ts";\nimport type { Greeting } from "./greet.ts";\n` +
    `class Counter { count: number = 0; }\nconst greeting: Greeting = greet("strip-only");\n` +
    `export default {${routes("`${greeting.text} ${new Counter().count}`")}\n};\n`,
};

const NEEDS_TSX = {
  "package.json": `{ "name": "needs-tsx", "type": "module" }`,
  "helper.ts": `export const helper = (): string => "js-specifier";\n`,
  "shape.ts": `export interface Shape { name: string }\nexport const shapeName = "type-import";\n`,
  "routes.ts": `import { helper } from "./helper.js";\nexport const route: string = \`deep \${helper()}\`;\n`,
  "enum.ts": `enum Color { Red = "enum" }\nexport default {${routes("Color.Red")}\n};\n`,
  "parameter-property.ts": `class Named { constructor(public name: string) {} }\nexport default {${routes(`new Named("parameter-property").name`)}\n};\n`,
  "js-specifier.ts": `import { helper } from "./helper.js";\nexport default {${routes("helper()")}\n};\n`,
  "type-import.ts": `import { Shape, shapeName } from "./shape.ts";\nconst shape: Shape = { name: shapeName };\nexport default {${routes("shape.name")}\n};\n`,
  "deep.ts": `import { route } from "./routes.ts";\nexport default {${routes("route")}\n};\n`,
  "namespace.ts": `namespace Names { export const value = "namespace"; }\nexport default {${routes("Names.value")}\n};\n`,
  "extensionless.ts": `import { helper } from "./helper";\nexport default {${routes("`extensionless ${helper()}`")}\n};\n`,
  "lib/index.ts": `export const library: string = "directory";\n`,
  "directory.ts": `import { library } from "./lib";\nexport default {${routes("library")}\n};\n`,
  "module.mts": `export const kind: string = "mts";\n`,
  "mjs-specifier.ts": `import { kind } from "./module.mjs";\nexport default {${routes("kind")}\n};\n`,
  "view.tsx": `export const view: string = "tsx";\n`,
  "tsx-specifier.ts": `import { view } from "./view.js";\nexport default {${routes("view")}\n};\n`,
};

// Imports modules written as `moduleResolution: nodenext` projects write them (`./x.js` for x.ts) that
// stripping alone cannot run (enums): app.ts once running, top-level.ts at its top level, which says
// each time it runs.
const IMPORTS_LATER = {
  "package.json": `{ "name": "imports-later", "type": "module" }`,
  "lazy.ts": `export enum Answer { Yes = "lazy enum" }\n`,
  // The error is thrown on line 6; esbuild's output throws it on line 8.
  "trace.ts": `enum Kind {\n  Boom = "boom",\n}\n\nexport function explode(): never {\n  throw new Error(Kind.Boom);\n}\n`,
  "enum-module.ts": `export enum Level { High = "top-level enum" }\n`,
  "app.ts": `export default {\n  async fetch(request: Request): Promise<Response> {\n` +
    `    const { pathname } = new URL(request.url);\n` +
    `    if (pathname === "/lazy") return new Response((await import("./lazy.js")).Answer.Yes);\n` +
    `    if (pathname === "/trace") {\n` +
    `      try { (await import("./trace.js")).explode(); } catch (error) { return new Response((error as Error).stack); }\n` +
    `    }\n` +
    `    return routes.fetch(request);\n  },\n};\nconst routes = {${routes(`"ok"`)}\n};\n`,
  "top-level.ts": `console.error("top level ran");\nconst { Level } = await import("./enum-module.js");\n` +
    `export default {${routes("Level.High")}\n};\n`,
};

// No "type": "module": tsx compiles the files to CommonJS, where `__dirname` exists and `./name`
// needs no extension. Node would load app.ts as an ES module (it has `export`), without `__dirname`.
const COMMONJS = {
  "package.json": `{ "name": "commonjs-app" }`,
  "name.ts": `export const name: string = "commonjs";\n`,
  "app.ts": `import { name } from "./name.ts";\nexport default {${routes("`${name} ${typeof __dirname}`")}\n};\n`,
  "extensionless.ts": `import { name } from "./name";\nexport default {${routes("`${name} ${typeof __dirname}`")}\n};\n`,
};

// Below ES2022 TypeScript assigns class fields in the constructor: `Child` keeps the name `Base` set.
// Stripped, the redeclared field would be defined anew, as undefined.
const ES2020_FIELDS = {
  "package.json": `{ "name": "es2020", "type": "module" }`,
  "tsconfig.json": `{\n  // as older projects have it\n  "compilerOptions": { "target": "ES2020", "strict": true, },\n}\n`,
  "app.ts": `class Base { name: string; constructor() { this.name = "assigned"; } }\n` +
    `class Child extends Base { name!: string; }\nexport default {${routes("String(new Child().name)")}\n};\n`,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-typescript-apps-"));
});
afterEach(async () => {
  await destroyAllMasters();
  rmSync(dir, { recursive: true, force: true });
});

function writeProject(files: Record<string, string>): string {
  const root = join(dir, "project");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/**
 * Serves `app` of the project in `root` with one worker, the project its working directory, the
 * temporary directory (where the compile cache and tsx's cache live) one of the test's own.
 */
async function serve(runtime: string, root: string, app: string): Promise<{ master: Master; port: number }> {
  const port = await freePort();
  const master = new Master(runtime, [app, "-w", "1", "-b", `127.0.0.1:${port}`], { TMPDIR: dir }, root);
  await master.waitForLine(/\[INFO\] Ready: 1 worker serving/, 20_000);
  await waitFor(`${app} to answer\n${master.log}`, async () => (await get(port, "/")).status === 200);
  return { master, port };
}

async function loader(port: number): Promise<{ tsx: boolean; url: string }> {
  return JSON.parse((await get(port, "/loader")).body) as { tsx: boolean; url: string };
}

/** Node prints its warnings as `(node:PID) ExperimentalWarning: …`. */
function expectNoWarning(master: Master): void {
  expect(master.lines(/\(node:\d+\) \w*Warning/), master.log).toEqual([]);
}

/** Whether the Node of `runtime` strips types (22.18 and 23.6 on, unflagged). */
function strips(runtime: string): boolean {
  return runtime === "node24";
}

describe.each(NODES)("TypeScript apps on %s", (runtime) => {
  it("serves an app that needs only its types stripped, without tsx", async () => {
    const root = writeProject(STRIP_ONLY);
    const { master, port } = await serve(runtime, root, "app.ts");
    expect((await get(port, "/")).body).toBe("hello strip-only 0");
    const { tsx, url } = await loader(port);
    expect(tsx, "tsx was registered").toBe(false);
    expect(url).toMatch(/\/app\.ts$/);
    expectNoWarning(master);
  });

  it("keeps what Node stripped in a cache only this user may write, and reads it from there", async () => {
    if (!strips(runtime)) return;
    const root = writeProject(STRIP_ONLY);
    const first = await serve(runtime, root, "app.ts");
    const own = join(dir, `mgr-${process.getuid!()}`);
    expect(statSync(own).mode & 0o777).toBe(0o700);
    const entries = () => readdirSync(join(own, "typescript")).filter((name) => name.endsWith(".js"));
    expect(entries().length).toBe(2); // app.ts, greet.ts
    await first.master.destroy();
    // Served from the cache: an entry altered there is what runs.
    for (const name of entries()) {
      const path = join(own, "typescript", name);
      writeFileSync(path, readFileSync(path, "utf8").replace("`hello ${who}`", "`cached ${who}`"));
    }
    const { port } = await serve(runtime, root, "app.ts");
    expect((await get(port, "/")).body).toBe("cached strip-only 0");
  });

  // mgr's loaders compile per module what stripping leaves (Node 24) and resolve as tsx does; what
  // still goes to tsx after a failed attempt: an imported interface where Node strips (a link error),
  // and a `.tsx` file.
  it.each([
    ["an enum", "enum.ts", "enum", false],
    ["a namespace", "namespace.ts", "namespace", false],
    ["a parameter property", "parameter-property.ts", "parameter-property", false],
    ["a `.js` specifier naming a `.ts` file", "js-specifier.ts", "js-specifier", false],
    ["the same two modules down", "deep.ts", "deep js-specifier", false],
    ["an extensionless specifier", "extensionless.ts", "extensionless js-specifier", false],
    ["a directory specifier", "directory.ts", "directory", false],
    ["a `.mjs` specifier naming a `.mts` file", "mjs-specifier.ts", "mts", false],
    ["an interface imported without `type`", "type-import.ts", "type-import", "where Node strips"],
    ["a `.js` specifier naming a `.tsx` file", "tsx-specifier.ts", "tsx", true],
  ] as const)("serves an app that needs more than stripping: %s", async (_what, app, body, needsTsx) => {
    const root = writeProject(NEEDS_TSX);
    const { master, port } = await serve(runtime, root, app);
    expect((await get(port, "/")).body).toBe(body);
    const { tsx, url } = await loader(port);
    expect(tsx, "tsx was registered").toBe(needsTsx === true || (needsTsx === "where Node strips" && strips(runtime)));
    // tsx loads it after a failed attempt, under a URL of its own.
    expect(url).toMatch(tsx ? new RegExp(`/${app.replace(".", "\\.")}\\?mgr-loader=tsx$`) : new RegExp(`/${app.replace(".", "\\.")}$`));
    expectNoWarning(master);
  });

  it("serves an app that imports, once running, a `.js` specifier naming a `.ts` file with an enum, without tsx", async () => {
    const root = writeProject(IMPORTS_LATER);
    const { master, port } = await serve(runtime, root, "app.ts");
    const lazy = await get(port, "/lazy");
    expect(lazy, master.log).toMatchObject({ status: 200, body: "lazy enum" });
    expect((await loader(port)).tsx, "tsx was registered").toBe(false);
    expectNoWarning(master);
  });

  it("runs the top level of an app that awaits such an import there once", async () => {
    const root = writeProject(IMPORTS_LATER);
    const { master, port } = await serve(runtime, root, "top-level.ts");
    expect((await get(port, "/")).body).toBe("top-level enum");
    expect(master.lines(/top level ran/), master.log).toHaveLength(1);
    expect((await loader(port)).tsx, "tsx was registered").toBe(false);
  });

  it("names the .ts file and its line in a stack thrown from a module esbuild compiled", async () => {
    const root = writeProject(IMPORTS_LATER);
    const { master, port } = await serve(runtime, root, "app.ts");
    const trace = await get(port, "/trace");
    expect(trace.status, master.log).toBe(200);
    // Mapped: the path the map names, the line of the source.
    expect(trace.body).toMatch(/^Error: boom\n\s+at (?:Module\.)?explode \((?:file:\/\/)?\/.*\/trace\.ts:6:\d+\)/);
  });

  it.each(["app.ts", "extensionless.ts"])("serves a CommonJS project (no \"type\": \"module\") whose .ts files use export, as CommonJS: %s", async (app) => {
    const root = writeProject(COMMONJS);
    const { master, port } = await serve(runtime, root, app);
    expect((await get(port, "/")).body).toBe("commonjs string");
    expectNoWarning(master);
  });

  it("keeps the class fields of a project that targets ES2020 assigned, as tsx compiles them", async () => {
    const root = writeProject(ES2020_FIELDS);
    const { master, port } = await serve(runtime, root, "app.ts");
    expect((await get(port, "/")).body).toBe("assigned");
    expectNoWarning(master);
  });
});
