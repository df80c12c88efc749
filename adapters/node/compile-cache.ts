/**
 * Node's module compile cache for the processes that strip TypeScript.
 *
 * Stripping types loads a WebAssembly build of swc into each process: measured on Node 24, 40 ms of
 * CPU and 17 MB of RSS per worker, as much as tsx. The compile cache keeps the stripped code (and
 * V8's code cache) on disk, keyed by file and content, so a worker whose modules are already there
 * never loads swc, and a TypeScript app boots as a JavaScript one does.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import nodeModule from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentUid, ensurePrivateDirectory } from "../../src/runtime/private-directory.ts";

/** The slice of `node:module` used here: `enableCompileCache` (Node 22.1), `flushCompileCache` (22.10). */
interface CompileCacheApi {
  enableCompileCache?(directory?: string): { status: number; directory?: string; message?: string };
  flushCompileCache?(): void;
}

const api = nodeModule as unknown as CompileCacheApi;

/**
 * Turns the compile cache on for this process, where Node has one: in `NODE_COMPILE_CACHE` when the
 * user set it (Node has then turned it on already), else in `mgr-UID/compile-cache` under the temporary
 * directory, a directory only this user may write. Node's default, `node-compile-cache` in the temporary
 * directory, is shared by every user: whoever made it first could put code in another user's cache.
 * Never throws: without a cache the app loads all the same, only slower.
 */
export function enableCompileCache(env: Record<string, string | undefined> = process.env): void {
  if (!api.enableCompileCache) return;
  if (env.NODE_COMPILE_CACHE) {
    api.enableCompileCache();
    return;
  }
  const uid = currentUid();
  if (uid === undefined) return;
  try {
    const own = join(tmpdir(), `mgr-${uid}`);
    ensurePrivateDirectory(own, uid);
    const directory = join(own, "compile-cache");
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    api.enableCompileCache(directory);
  } catch {
    // Not ours or not safe: no cache.
  }
}

/**
 * Writes what this process compiled to the cache now rather than at its exit, so that the workers
 * started after it (the rest of a pool that is still booting, replacements) find it.
 */
export function flushCompileCache(): void {
  api.flushCompileCache?.();
}
