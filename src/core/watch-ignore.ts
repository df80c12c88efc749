/**
 * Which changed files `--reload` ignores: `node_modules`, `.git` and every other dot-directory or
 * dot-file (editors' swap files among them), editors' backup files, and the operator's own
 * `--reload-ignore` globs.
 *
 * @module
 */

/** Path segments never watched, wherever they are in the tree. */
const IGNORED_SEGMENTS = new Set(["node_modules"]);

/**
 * Files editors write beside the one being saved: `app.ts~` backups, Vim's `.swp`/`.swx` and its
 * `4913` probe (it creates and deletes it to test the directory is writable).
 */
const EDITOR_DEBRIS = /(?:~|\.sw[px]|^4913)$/;

/**
 * Builds the ignore test for `--reload`: `relativePath` is a changed path relative to the watched
 * root, with `/` between segments. A pattern with no `/` matches a file or directory name at any
 * depth (`*.log`, `dist`); one with a `/` matches the whole relative path (`src/gen/**`). `*` matches
 * within a segment, `**` across them, `?` one character.
 *
 * @example
 * ```ts
 * const ignored = createWatchIgnore(["*.test.ts"]);
 * ignored("src/app.test.ts"); // true
 * ignored("node_modules/hono/index.js"); // true
 * ignored("src/app.ts"); // false
 * ```
 */
export function createWatchIgnore(globs: readonly string[]): (relativePath: string) => boolean {
  const byName = globs.filter((glob) => !glob.includes("/")).map(globToRegExp);
  const byPath = globs.filter((glob) => glob.includes("/")).map((glob) => globToRegExp(glob.replace(/^\.?\//, "")));
  return (relativePath) => {
    const segments = relativePath.split("/").filter((segment) => segment !== "");
    for (const segment of segments) {
      if (IGNORED_SEGMENTS.has(segment) || segment.startsWith(".")) return true;
      if (byName.some((pattern) => pattern.test(segment))) return true;
    }
    const last = segments[segments.length - 1];
    if (last !== undefined && EDITOR_DEBRIS.test(last)) return true;
    const path = segments.join("/");
    return byPath.some((pattern) => pattern.test(path) || pattern.test(`${path}/`));
  };
}

/** `*` within a segment, `**` across segments, `?` one character; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      // `**/` also matches no directory at all.
      const slash = glob[i + 2] === "/";
      source += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
