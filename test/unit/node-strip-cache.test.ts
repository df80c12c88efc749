import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStripCache, ENTRY_LIFETIME_MS, pruneOldEntries } from "../../adapters/node/strip-cache.ts";

const TAG = "node v24.22.3 strip";
const SOURCE = "const x: number = 1;\nexport default x;\n";

let dir: string;
let strips: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mgr-strip-cache-"));
  strips = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Strips by removing `: number`, recording each call. */
const strip = (source: string) => {
  strips.push(source);
  if (source.includes("enum")) throw Object.assign(new SyntaxError("TypeScript enum is not supported in strip-only mode"), { code: "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX" });
  return source.replace(": number", "");
};
const entryOf = (source: string, id = "") =>
  join(dir, `${createHash("sha256").update(TAG).update("\0").update(id).update("\0").update(source).digest("hex")}.js`);

describe("createStripCache", () => {
  it("strips a module once and serves it from disk after, to any process of the user", () => {
    const cache = createStripCache({ directory: dir, tag: TAG, strip });
    expect(cache.stripped(SOURCE)).toBe("const x = 1;\nexport default x;\n");
    const another = createStripCache({ directory: dir, tag: TAG, strip });
    expect(another.stripped(SOURCE)).toBe("const x = 1;\nexport default x;\n");
    expect(strips).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([entryOf(SOURCE).slice(dir.length + 1)]);
  });

  it("keys entries by the tag too: another Node version strips again", () => {
    createStripCache({ directory: dir, tag: TAG, strip }).stripped(SOURCE);
    createStripCache({ directory: dir, tag: "node v24.23.0 strip", strip }).stripped(SOURCE);
    expect(strips).toHaveLength(2);
  });

  it("keys entries by the module's id when given: the same source at another path strips again", () => {
    const cache = createStripCache({ directory: dir, tag: TAG, strip });
    cache.stripped(SOURCE, "/srv/a.ts");
    cache.stripped(SOURCE, "/srv/b.ts");
    cache.stripped(SOURCE, "/srv/a.ts");
    expect(strips).toHaveLength(2);
    expect(existsSync(entryOf(SOURCE, "/srv/b.ts"))).toBe(true);
  });

  it("waits for the process that holds a module's lock and takes what it wrote", () => {
    writeFileSync(`${entryOf(SOURCE)}.lock`, "4242");
    let polls = 0;
    const cache = createStripCache({
      directory: dir,
      tag: TAG,
      strip,
      isAlive: (pid) => {
        expect(pid).toBe(4242);
        // The holder finishes while this one waits.
        if (++polls === 3) writeFileSync(entryOf(SOURCE), "from the holder");
        return true;
      },
    });
    expect(cache.stripped(SOURCE)).toBe("from the holder");
    expect(strips).toEqual([]);
  });

  it("strips a module itself once the lock's holder is dead or the wait is over", () => {
    writeFileSync(`${entryOf(SOURCE)}.lock`, "4242");
    expect(createStripCache({ directory: dir, tag: TAG, strip, isAlive: () => false }).stripped(SOURCE)).toBe("const x = 1;\nexport default x;\n");
    rmSync(entryOf(SOURCE));
    const started = Date.now();
    expect(createStripCache({ directory: dir, tag: TAG, strip, isAlive: () => true, lockWaitMs: 30 }).stripped(SOURCE)).toBe("const x = 1;\nexport default x;\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(strips).toHaveLength(2);
  });

  it("throws what stripping throws, writes nothing and leaves no lock", () => {
    const cache = createStripCache({ directory: dir, tag: TAG, strip });
    expect(() => cache.stripped("enum E { A }")).toThrow(/enum is not supported/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("remembers a failure that depends on the source alone, for every process of the user, without stripping again", () => {
    const remembers = (error: unknown) => (error as { code?: unknown }).code === "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX";
    const source = "enum E { A }";
    expect(() => createStripCache({ directory: dir, tag: TAG, strip, remembers }).stripped(source)).toThrow(/enum is not supported/);
    const again = () => createStripCache({ directory: dir, tag: TAG, strip, remembers }).stripped(source);
    expect(again).toThrow(expect.objectContaining({ name: "SyntaxError", code: "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX", message: "TypeScript enum is not supported in strip-only mode" }));
    expect(again).toThrow(SyntaxError);
    expect(strips).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([entryOf(source).slice(dir.length + 1).replace(/\.js$/, ".failed")]);
  });

  it("strips anew when a remembered failure cannot be read", () => {
    const source = "const x: number = 1;\n";
    writeFileSync(entryOf(source).replace(/\.js$/, ".failed"), "{ not json");
    expect(createStripCache({ directory: dir, tag: TAG, strip, remembers: () => true }).stripped(source)).toBe("const x = 1;\n");
  });

  it("remembers no other failure", () => {
    const cache = createStripCache({ directory: dir, tag: TAG, strip, remembers: () => false });
    expect(() => cache.stripped("enum E { A }")).toThrow(/enum is not supported/);
    expect(() => cache.stripped("enum E { A }")).toThrow(/enum is not supported/);
    expect(strips).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("gives a process waiting on the lock the failure its holder remembered", () => {
    const source = "enum E { A }";
    const failure = entryOf(source).replace(/\.js$/, ".failed");
    writeFileSync(`${entryOf(source)}.lock`, "4242");
    const cache = createStripCache({
      directory: dir,
      tag: TAG,
      strip,
      remembers: () => true,
      isAlive: () => {
        writeFileSync(failure, JSON.stringify({ name: "SyntaxError", message: "remembered", code: "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX" }));
        return true;
      },
    });
    expect(() => cache.stripped(source)).toThrow("remembered");
    expect(strips).toEqual([]);
  });
});

describe("pruneOldEntries", () => {
  it("removes entries and remembered failures written too long ago and the leftovers of dead processes, keeping the rest", () => {
    const now = Date.now();
    const old = (name: string, ageMs: number) => {
      writeFileSync(join(dir, name), "x");
      const at = (now - ageMs) / 1000;
      utimesSync(join(dir, name), at, at);
    };
    old("a.js", ENTRY_LIFETIME_MS + 1000);
    old("b.js", ENTRY_LIFETIME_MS - 60_000);
    old("c.js.lock", 2 * 3_600_000);
    old("d.js.123.tmp", 2 * 3_600_000);
    old("e.js.lock", 1000);
    old("notes.txt", ENTRY_LIFETIME_MS * 2);
    old("f.failed", ENTRY_LIFETIME_MS + 1000);
    old("g.failed", 1000);
    pruneOldEntries(dir, now);
    expect(readdirSync(dir).sort()).toEqual(["b.js", "e.js.lock", "g.failed", "notes.txt"]);
    expect(existsSync(join(dir, "a.js"))).toBe(false);
  });
});
