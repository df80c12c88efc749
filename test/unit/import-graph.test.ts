/**
 * No import circles: walks the imports of every module under `src/`, `adapters/` and `mgr.ts` and
 * fails listing each cycle. A cycle of values breaks at import time in whichever module the runtime
 * happens to evaluate first (a top-level use of a binding not yet initialized throws); a cycle of
 * types breaks nothing yet, but says two modules are one concept in two files, so both are refused.
 *
 * Counted: `import … from`, `import type … from`, `export … from`, bare `import "…"`, and `import("…")`
 * with a literal specifier. The CLI loads an adapter with a dynamic `import()` so that a runtime never
 * parses another's code; that edge still points one way, from `src/cli/` down to `adapters/`, and an
 * adapter that imported the CLI back would be a circle all the same, so dynamic imports count too.
 * Specifiers that are not relative (`node:*`, npm packages) are outside the graph; tests are left out,
 * since nothing imports a test.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { skipRegexLiteral } from "../support/skip-regex-literal.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One import found in a module's source. */
interface ImportRef {
  specifier: string;
  /** True for `import type` and `export type`, which the emitted code does not keep. */
  typeOnly: boolean;
  dynamic: boolean;
}

type Token =
  | { kind: "word"; text: string }
  | { kind: "string"; text: string }
  | { kind: "punct"; text: string };

/**
 * Splits TypeScript source into words, string literals and punctuation, skipping comments, template
 * literals and regular expression literals, so an import inside a comment or a string is not seen.
 */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const last = () => tokens[tokens.length - 1];
  // A slash starts a regular expression where a value may begin, not after a value.
  const regexMayStart = () => {
    const previous = last();
    if (!previous) return true;
    if (previous.kind === "string") return false;
    if (previous.kind === "word") return /^(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(previous.text);
    return !")]}".includes(previous.text);
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      i = end === -1 ? source.length : end;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = "";
      while (j < source.length && source[j] !== c) {
        if (source[j] === "\\") j++;
        text += source[j] ?? "";
        j++;
      }
      tokens.push({ kind: "string", text });
      i = j + 1;
    } else if (c === "`") {
      i = skipTemplate(source, i);
      tokens.push({ kind: "string", text: "" });
    } else if (c === "/" && regexMayStart()) {
      i = skipRegexLiteral(source, i);
      while (i < source.length && /[a-z]/.test(source[i]!)) i++;
      tokens.push({ kind: "string", text: "" });
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (j < source.length && /[\w$]/.test(source[j]!)) j++;
      tokens.push({ kind: "word", text: source.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}

/** Returns the index just past the template literal that opens at `start`, `${…}` parts included. */
function skipTemplate(source: string, start: number): number {
  let i = start + 1;
  while (i < source.length && source[i] !== "`") {
    if (source[i] === "\\") {
      i += 2;
    } else if (source[i] === "$" && source[i + 1] === "{") {
      let depth = 1;
      i += 2;
      while (i < source.length && depth > 0) {
        const c = source[i]!;
        if (c === "`") i = skipTemplate(source, i) - 1;
        else if (c === '"' || c === "'") {
          i++;
          while (i < source.length && source[i] !== c) i += source[i] === "\\" ? 2 : 1;
        } else if (c === "{") depth++;
        else if (c === "}") depth--;
        i++;
      }
    } else {
      i++;
    }
  }
  return i + 1;
}

/** Every import and re-export in `source`, in order. */
function findImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const found: ImportRef[] = [];
  const is = (index: number, kind: Token["kind"], text?: string) =>
    tokens[index]?.kind === kind && (text === undefined || tokens[index]!.text === text);
  /** The specifier of the first `from "…"` at or after `index`, before the statement ends. */
  const fromClause = (index: number): string | undefined => {
    for (let j = index; j < tokens.length && !is(j, "punct", ";"); j++) {
      if (is(j, "word", "from") && is(j + 1, "string")) return tokens[j + 1]!.text;
      if (j > index && (is(j, "word", "import") || is(j, "word", "export"))) return undefined;
    }
    return undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    if (is(i - 1, "punct", ".")) continue; // `import.meta`, `x.import(…)`, `foo.export`
    if (is(i, "word", "import")) {
      if (is(i + 1, "string")) {
        found.push({ specifier: tokens[i + 1]!.text, typeOnly: false, dynamic: false });
      } else if (is(i + 1, "punct", "(")) {
        if (is(i + 2, "string") && is(i + 3, "punct", ")")) {
          found.push({ specifier: tokens[i + 2]!.text, typeOnly: false, dynamic: true });
        }
      } else if (is(i + 1, "word") || is(i + 1, "punct", "{") || is(i + 1, "punct", "*")) {
        const specifier = fromClause(i + 1);
        // `import type from "…"` imports a default export named `type`.
        const typeOnly = is(i + 1, "word", "type") && !is(i + 2, "word", "from") && !is(i + 2, "punct", ",");
        if (specifier !== undefined) found.push({ specifier, typeOnly, dynamic: false });
      }
    } else if (is(i, "word", "export")) {
      const typeOnly = is(i + 1, "word", "type");
      const start = typeOnly ? i + 2 : i + 1;
      if (is(start, "punct", "*")) {
        const specifier = fromClause(start);
        if (specifier !== undefined) found.push({ specifier, typeOnly, dynamic: false });
      } else if (is(start, "punct", "{")) {
        let close = start;
        while (close < tokens.length && !is(close, "punct", "}")) close++;
        if (is(close + 1, "word", "from") && is(close + 2, "string")) {
          found.push({ specifier: tokens[close + 2]!.text, typeOnly, dynamic: false });
        }
      }
    }
  }
  return found;
}

/** A module's outgoing edges: the module imported, and whether every import of it is type-only. */
type Graph = Map<string, Map<string, { typeOnly: boolean }>>;

/** The modules a cycle passes through, the first repeated at the end, with the type-only edges marked. */
function formatCycle(cycle: string[], graph: Graph): string {
  return cycle.map((module, index) => {
    if (index === 0) return module;
    const edge = graph.get(cycle[index - 1]!)?.get(module);
    return `${edge?.typeOnly ? "-(type)->" : "->"} ${module}`;
  }).join(" ");
}

/**
 * The cycles of `graph`: within each strongly connected part (Tarjan's algorithm), the shortest cycle
 * through each of its modules, each written from its smallest module, without repeats, sorted. Every
 * module caught in a circle is named, without listing the many longer cycles that combine them. A
 * module that imports itself is a cycle too.
 */
function findCycles(graph: Graph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (module: string) => {
    index.set(module, counter);
    low.set(module, counter);
    counter++;
    stack.push(module);
    onStack.add(module);
    for (const target of graph.get(module)?.keys() ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(module, Math.min(low.get(module)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(module, Math.min(low.get(module)!, index.get(target)!));
      }
    }
    if (low.get(module) === index.get(module)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== module);
      components.push(component);
    }
  };
  for (const module of [...graph.keys()].sort()) if (!index.has(module)) connect(module);

  const cycles = new Map<string, string[]>();
  for (const component of components) {
    const members = new Set(component);
    if (component.length === 1 && !graph.get(component[0]!)?.has(component[0]!)) continue;
    for (const module of component) {
      const cycle = shortestPathBack(graph, module, members).slice(0, -1);
      const smallest = cycle.indexOf([...cycle].sort()[0]!);
      const rotated = [...cycle.slice(smallest), ...cycle.slice(0, smallest)];
      cycles.set(rotated.join(), [...rotated, rotated[0]!]);
    }
  }
  return [...cycles.values()].sort((a, b) => a.join().localeCompare(b.join()));
}

/** The shortest way from `start` back to itself inside `members`, found breadth first. */
function shortestPathBack(graph: Graph, start: string, members: Set<string>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const module = queue[head]!;
    for (const target of [...(graph.get(module)?.keys() ?? [])].sort()) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at: string | undefined = module; at !== start && at !== undefined; at = cameFrom.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, module);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

/** Every `.ts` file under `dir` but tests, recursively, skipping `node_modules`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The repository's import graph, by path relative to the root, and the relative imports that name no file. */
function buildGraph(): { graph: Graph; unresolved: string[] } {
  const files = [...sourceFiles(join(ROOT, "src")), ...sourceFiles(join(ROOT, "adapters")), join(ROOT, "mgr.ts")];
  const graph: Graph = new Map();
  const unresolved: string[] = [];
  for (const file of files) {
    const from = relative(ROOT, file);
    const edges = new Map<string, { typeOnly: boolean }>();
    graph.set(from, edges);
    for (const ref of findImports(readFileSync(file, "utf8"))) {
      if (!ref.specifier.startsWith("./") && !ref.specifier.startsWith("../")) continue;
      const target = resolve(dirname(file), ref.specifier);
      if (!existsSync(target)) {
        unresolved.push(`${from}: ${ref.specifier}`);
        continue;
      }
      const to = relative(ROOT, target);
      edges.set(to, { typeOnly: (edges.get(to)?.typeOnly ?? true) && ref.typeOnly });
    }
  }
  return { graph, unresolved };
}

describe("the import graph of src/, adapters/ and mgr.ts", () => {
  const { graph, unresolved } = buildGraph();

  it("resolves every relative import to a file", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(unresolved).toEqual([]);
  });

  it("has no import circles, of values or of types", () => {
    const report = findCycles(graph).map((cycle) => formatCycle(cycle, graph));
    expect(report, `import circles (-(type)-> marks a type-only import):\n${report.join("\n")}`).toEqual([]);
  });
});

describe("findImports", () => {
  it("finds static, type-only, re-exported, bare and dynamic imports", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "./b.ts";',
      'import c, { type C } from "./c.ts";',
      "import {",
      "  d,",
      "  e,",
      '} from "./de.ts"',
      'import * as f from "./f.ts";',
      'import "./side-effect.ts";',
      'export { g } from "./g.ts";',
      'export type { H } from "./h.ts";',
      'export * from "./i.ts";',
      'export * as j from "./j.ts";',
      'const k = await import("./k.ts");',
      'import { type L } from "./l.ts";',
    ].join("\n");
    expect(findImports(source)).toEqual([
      { specifier: "./a.ts", typeOnly: false, dynamic: false },
      { specifier: "./b.ts", typeOnly: true, dynamic: false },
      { specifier: "./c.ts", typeOnly: false, dynamic: false },
      { specifier: "./de.ts", typeOnly: false, dynamic: false },
      { specifier: "./f.ts", typeOnly: false, dynamic: false },
      { specifier: "./side-effect.ts", typeOnly: false, dynamic: false },
      { specifier: "./g.ts", typeOnly: false, dynamic: false },
      { specifier: "./h.ts", typeOnly: true, dynamic: false },
      { specifier: "./i.ts", typeOnly: false, dynamic: false },
      { specifier: "./j.ts", typeOnly: false, dynamic: false },
      { specifier: "./k.ts", typeOnly: false, dynamic: true },
      // Only a name is a type: the statement itself is kept (verbatimModuleSyntax) and evaluates `./l.ts`.
      { specifier: "./l.ts", typeOnly: false, dynamic: false },
    ]);
  });

  it("ignores imports in comments and strings, import.meta, local exports and computed specifiers", () => {
    const source = [
      '// import { x } from "./comment.ts";',
      '/** @example import { y } from "./jsdoc.ts"; */',
      'const help = "import { z } from \'./string.ts\'";',
      'const tpl = `import { w } from "./template.ts" ${"}"}`;',
      'const re = /import "\\.\\/regex.ts"/;',
      "const url = new URL(\"../../\", import.meta.url);",
      "export { local };",
      "export const from = 1;",
      "const m = await import(url);",
      'import { real } from "./real.ts";',
    ].join("\n");
    expect(findImports(source).map((ref) => ref.specifier)).toEqual(["./real.ts"]);
  });
});

describe("findCycles", () => {
  const graphOf = (edges: Record<string, string[]>, typeOnly: string[] = []): Graph =>
    new Map(Object.entries(edges).map(([from, targets]) => [
      from,
      new Map(targets.map((to) => [to, { typeOnly: typeOnly.includes(`${from}>${to}`) }])),
    ]));

  it("finds the shortest cycle through each module caught in one, from its smallest module", () => {
    const graph = graphOf({
      "config.ts": ["access-log-format.ts", "protocol.ts"],
      "access-log-format.ts": ["logger.ts"],
      "logger.ts": ["config.ts", "protocol.ts"],
      "protocol.ts": [],
      "main.ts": ["serve.ts", "check.ts", "args.ts"],
      "serve.ts": ["main.ts"],
      "check.ts": ["main.ts"],
      "args.ts": [],
      "self.ts": ["self.ts"],
    }, ["serve.ts>main.ts", "check.ts>main.ts"]);
    expect(findCycles(graph).map((cycle) => formatCycle(cycle, graph))).toEqual([
      "access-log-format.ts -> logger.ts -> config.ts -> access-log-format.ts",
      "check.ts -(type)-> main.ts -> check.ts",
      "main.ts -> serve.ts -(type)-> main.ts",
      "self.ts -> self.ts",
    ]);
  });

  it("finds nothing in a graph whose imports point one way", () => {
    expect(findCycles(graphOf({ "a.ts": ["b.ts", "c.ts"], "b.ts": ["c.ts"], "c.ts": [] }))).toEqual([]);
  });
});
