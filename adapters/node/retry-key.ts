/**
 * The URL a TypeScript module is loaded under by tsx after Node's own loading failed on it.
 *
 * @module
 */

/** The query parameter that keys a module loaded by tsx after Node failed to load it. */
export const TSX_RETRY_PARAMETER = "mgr-loader";

/** Whether `url` carries the retry parameter. */
export function hasRetryKey(url: string): boolean {
  return url.includes(`${TSX_RETRY_PARAMETER}=tsx`) && new URL(url).searchParams.get(TSX_RETRY_PARAMETER) === "tsx";
}

/**
 * `url` with the retry parameter when it names a TypeScript file. JavaScript modules keep their URL:
 * one that the failed attempt loaded never ran (Node runs nothing of a graph that fails to load or link),
 * and one that ran before (mgr's own, a package the config file imported) stays a single instance.
 */
export function withRetryKey(url: string): string {
  if (!/^file:/.test(url)) return url;
  const parsed = new URL(url);
  if (!/\.(?:[cm]?ts|tsx)$/.test(parsed.pathname)) return url;
  if (parsed.searchParams.has(TSX_RETRY_PARAMETER)) return url;
  parsed.searchParams.append(TSX_RETRY_PARAMETER, "tsx");
  return parsed.href;
}
