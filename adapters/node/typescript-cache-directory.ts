/**
 * Where compiled TypeScript is kept for the workers to share: `mgr-UID/typescript` in the temporary
 * directory, in the directory the control socket uses when there is no XDG_RUNTIME_DIR (made 0700,
 * checked). A cache another user could write would let them choose the code this user's workers run.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentUid, ensurePrivateDirectory } from "../../src/runtime/private-directory.ts";

/** The cache's directory, made if need be; undefined where there is no user id or no safe directory. */
export function typeScriptCacheDirectory(): string | undefined {
  const uid = currentUid();
  if (uid === undefined) return undefined;
  try {
    const own = join(tmpdir(), `mgr-${uid}`);
    ensurePrivateDirectory(own, uid);
    const directory = join(own, "typescript");
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    return directory;
  } catch {
    return undefined;
  }
}
