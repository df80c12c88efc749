/**
 * Importing the app on Node, TypeScript included.
 *
 * Node 20 cannot run TypeScript, and the type stripping of newer Nodes leaves out enums, parameter
 * properties and `.js`-to-`.ts` import rewriting. So on every Node version a TypeScript app is loaded
 * through tsx (esbuild), registered only when the app is TypeScript: the same app then runs the same
 * way on Node 20, 22 and 24, and a JavaScript app pays nothing.
 *
 * @module
 */

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;

let tsxRegistered = false;

/** Imports `url`, registering the TypeScript loader first when the module is TypeScript. */
export async function importModule(url: string): Promise<unknown> {
  if (TYPESCRIPT.test(new URL(url).pathname) && !tsxRegistered) {
    // Both loaders, as the tsx command does: outside a `"type": "module"` package Node loads a `.ts`
    // file as CommonJS, and only tsx's CommonJS hook can compile its `export` syntax there.
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    cjs.register();
    esm.register();
    tsxRegistered = true;
  }
  return import(url);
}
