/**
 * Holds the line docs/ARCHITECTURE.md draws around `src/core/`: pure TypeScript, no runtime globals,
 * no real timers, and a leaf: no imports from `src/runtime/`, `src/cli/` or `adapters/`. Comments are ignored, so the documentation may still talk
 * about a worker *process*; code, strings and imports are not.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { skipRegexLiteral } from "../support/skip-regex-literal.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORE = join(ROOT, "src", "core");

interface Rule {
  name: string;
  /** Matches one line of code with comments blanked out; `g` flag, so every hit is reported. */
  pattern: RegExp;
}

const RULES: readonly Rule[] = [
  { name: "a `node:` import", pattern: /["'`]node:/g },
  { name: "the `Deno` global", pattern: /(?<![\w$])Deno(?![\w$])/g },
  { name: "the `Bun` global", pattern: /(?<![\w$])Bun(?![\w$])/g },
  { name: "the `process` global", pattern: /(?<![\w$])process(?![\w$])/g },
  { name: "an import from `adapters/`", pattern: /\b(?:from|import)\s*\(?\s*["'`][^"'`]*\badapters\//g },
  { name: "an import from `src/runtime/`", pattern: /\b(?:from|import)\s*\(?\s*["'`][^"'`]*\.\.\/runtime\//g },
  { name: "an import from `src/cli/`", pattern: /\b(?:from|import)\s*\(?\s*["'`][^"'`]*\.\.\/cli\//g },
];

const TIMER_CALL = /(?<![\w$.])(setTimeout|setInterval|clearTimeout|clearInterval)\s*\(/g;

/** One offending line. */
interface Violation {
  line: number;
  rule: string;
  text: string;
}

/**
 * Blanks out comments, keeping every newline so line numbers still match the file. Strings and
 * template literals are kept (an import specifier is a string); regular expression literals are
 * skipped over so a `//` or a quote inside one does not confuse the scan.
 */
function stripComments(source: string): string {
  let out = "";
  let i = 0;
  let lastSignificant = "";
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
      lastSignificant = c;
    } else if (c === "/" && (lastSignificant === "" || "(,=:[!&|?{};+-*%<>~^".includes(lastSignificant))) {
      const end = skipRegexLiteral(source, i);
      out += source.slice(i, end);
      i = end;
      lastSignificant = "/";
    } else {
      out += c;
      if (!/\s/.test(c)) lastSignificant = c;
      i++;
    }
  }
  return out;
}

/**
 * True when the timer name at `index` names a method being declared (`setTimeout(fn: () => void,
 * ms: number): TimerId;` in an interface, `setTimeout(fn, ms) { … }` in a class) rather than called.
 */
function isMethodDeclaration(code: string, index: number, openParen: number): boolean {
  const before = code.slice(0, index).replace(/\b(?:public|private|protected|static|readonly|async|override)\s+$/, "");
  const previous = before.trimEnd().slice(-1);
  if (previous !== "" && previous !== "{" && previous !== "}" && previous !== ";" && previous !== ",") return false;
  let depth = 0;
  for (let j = openParen; j < code.length; j++) {
    if (code[j] === "(") depth++;
    else if (code[j] === ")" && --depth === 0) {
      const after = code.slice(j + 1).trimStart()[0];
      return after === ":" || after === "{";
    }
  }
  return false;
}

/** Finds every line of `source` that breaks a rule. */
function findViolations(source: string): Violation[] {
  const code = stripComments(source);
  const lines = source.split("\n");
  const lineOf = (index: number) => code.slice(0, index).split("\n").length;
  const found: Violation[] = [];
  const report = (index: number, rule: string) => {
    const line = lineOf(index);
    found.push({ line, rule, text: lines[line - 1]!.trim() });
  };
  for (const rule of RULES) {
    for (const match of code.matchAll(rule.pattern)) report(match.index, rule.name);
  }
  for (const match of code.matchAll(TIMER_CALL)) {
    const openParen = match.index + match[0].length - 1;
    if (!isMethodDeclaration(code, match.index, openParen)) report(match.index, `a bare \`${match[1]}\` call`);
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Every `.ts` file under `dir` but tests, recursively. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("src/core", () => {
  it("uses no runtime globals, no real timers, and imports nothing from the layers above it", () => {
    const files = sourceFiles(CORE);
    expect(files.length).toBeGreaterThan(0);
    const report = files.flatMap((file) =>
      findViolations(readFileSync(file, "utf8")).map(
        (v) => `${relative(ROOT, file)}:${v.line}: ${v.rule}: ${v.text}`,
      )
    );
    expect(report, `src/core must stay runtime-free:\n${report.join("\n")}`).toEqual([]);
  });
});

describe("findViolations", () => {
  it("reports each kind of forbidden line with its line number", () => {
    const source = [
      'import { readFileSync } from "node:fs";', // 1
      "const ok = 1;", // 2
      "const pid = process.pid;", // 3
      "const v = Deno.version;", // 4
      "const b = Bun.version;", // 5
      "setTimeout(() => {}, 10);", // 6
      "const t = setInterval(tick, 10);", // 7
      "clearTimeout(t);", // 8
      'import { spawn } from "../../adapters/node/spawn.ts";', // 9
      'const m = await import("../adapters/bun/mod.ts");', // 10
      "if (x) clearInterval(t);", // 11
      'import type { WorkerHost } from "../runtime/worker-host.ts";', // 12
      'import { main } from "../cli/main.ts";', // 13
    ].join("\n");
    expect(findViolations(source).map((v) => [v.line, v.rule])).toEqual([
      [1, "a `node:` import"],
      [3, "the `process` global"],
      [4, "the `Deno` global"],
      [5, "the `Bun` global"],
      [6, "a bare `setTimeout` call"],
      [7, "a bare `setInterval` call"],
      [8, "a bare `clearTimeout` call"],
      [9, "an import from `adapters/`"],
      [10, "an import from `adapters/`"],
      [11, "a bare `clearInterval` call"],
      [12, "an import from `src/runtime/`"],
      [13, "an import from `src/cli/`"],
    ]);
  });

  it("allows the injected clock, method declarations and comments", () => {
    const source = [
      "/** The process id, as `process.pid` gives it on Node; `Deno.pid` on Deno. */",
      "export interface Clock {",
      "  setTimeout(fn: () => void, ms: number): TimerId;",
      "  clearTimeout(id: TimerId): void;",
      "}",
      "class Timers { setTimeout(fn: () => void, ms: number) { return this.clock.setTimeout(fn, ms); } }",
      "const id = this.#runtime.clock.setTimeout(() => this.#enqueue({ type: 'respawn' }), wait);",
      "clock.clearTimeout(id); // not setTimeout(…) from node:timers",
      "const re = /\\/\\/ not a comment \"/; const s = 'processing';",
      "const processed = 1; const Bunny = 2; const subprocess = 3;",
    ].join("\n");
    expect(findViolations(source)).toEqual([]);
  });

  it("still sees code that follows a regular expression with quotes in it", () => {
    const source = "const re = /[\"']/g; const pid = process.pid;";
    expect(findViolations(source).map((v) => v.rule)).toEqual(["the `process` global"]);
  });
});
