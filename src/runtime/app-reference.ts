/**
 * Reads an app reference, `path/to/app.ts` or `path/to/app.ts:name` (Gunicorn's `module:variable`).
 *
 * @module
 */

/** A module path and the export that holds the fetch handler. */
export interface AppReference {
  path: string;
  /** The export to use; `default` when the reference names none. */
  exportName: string;
}

/**
 * Splits `path:name` into its parts. A `:` counts as the separator only when what follows is a
 * JavaScript identifier, so paths that contain a colon elsewhere still work.
 *
 * @example
 * ```ts
 * parseAppReference("src/server.ts:app"); // { path: "src/server.ts", exportName: "app" }
 * parseAppReference("app.ts");            // { path: "app.ts", exportName: "default" }
 * ```
 */
export function parseAppReference(reference: string): AppReference {
  const match = /^(.+):([A-Za-z_$][\w$]*)$/.exec(reference);
  if (match) return { path: match[1]!, exportName: match[2]! };
  return { path: reference, exportName: "default" };
}

/** Writes a reference back: the inverse of {@linkcode parseAppReference}. */
export function formatAppReference({ path, exportName }: AppReference): string {
  return exportName === "default" ? path : `${path}:${exportName}`;
}
