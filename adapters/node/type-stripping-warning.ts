/**
 * Silences Node's warnings about type stripping: the one Node 22.6 to 24.2 print at the first `.ts`
 * module ("ExperimentalWarning: Type Stripping is an experimental feature…") and the one of
 * `module.stripTypeScriptTypes`, which strip-hooks.ts calls. They would land in the logs of every
 * worker of every app, while the user asked for no experiment. Every other warning, experimental ones
 * included, still prints.
 *
 * @module
 */

/** True for the warnings silenced here. */
export function isTypeStrippingWarning(warning: unknown, type?: unknown): boolean {
  const name = typeof warning === "object" && warning !== null ? (warning as Error).name : type;
  const message = typeof warning === "string" ? warning : (warning as Error | null)?.message;
  return name === "ExperimentalWarning" && typeof message === "string" && /^(?:Type Stripping|stripTypeScriptTypes) is an experimental feature/.test(message);
}

let installed = false;

/** Wraps `process.emitWarning` (once per process) so that it drops the type stripping warnings. */
export function silenceTypeStrippingWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const options = rest[0];
    const type = typeof options === "object" && options !== null ? (options as { type?: unknown }).type : options;
    if (isTypeStrippingWarning(warning, type)) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}
