/**
 * The module system a file's package declares: what Node (and tsx) take a `.ts` file to be.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * `"module"` when the nearest `package.json` above `file` says `"type": "module"`, else `"commonjs"`
 * (no package.json, or no such field), as Node decides for a `.js` or `.ts` file.
 */
export function packageTypeOf(file: string): "module" | "commonjs" {
  for (let directory = dirname(file); ; directory = dirname(directory)) {
    let text: string | undefined;
    try {
      text = readFileSync(join(directory, "package.json"), "utf8");
    } catch {
      // None here: the directory above.
    }
    if (text !== undefined) {
      try {
        return (JSON.parse(text) as { type?: unknown }).type === "module" ? "module" : "commonjs";
      } catch {
        // Node refuses a package.json it cannot parse; tsx will say so.
        return "commonjs";
      }
    }
    if (dirname(directory) === directory) return "commonjs";
  }
}
