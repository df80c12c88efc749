/**
 * Calling the user's hooks: a hook that throws, or rejects, is logged and the master carries on.
 *
 * @module
 */

import type { Hooks } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import { errorStack } from "./error-text.ts";

type HookArgs<K extends keyof Hooks> = Parameters<NonNullable<Hooks[K]>>;

/** Runs hooks from a {@linkcode Hooks} object that may be replaced (a reload reads them again). */
export class HookRunner {
  constructor(public hooks: Hooks, readonly log: Logger) {}

  /** True when hook `name` is set. */
  has(name: keyof Hooks): boolean {
    return typeof this.hooks[name] === "function";
  }

  /**
   * Calls hook `name` if it is set. Resolves when it has finished (callers that must not wait ignore
   * the promise); never rejects.
   */
  run<K extends keyof Hooks>(name: K, ...args: HookArgs<K>): Promise<void> {
    const hook = this.hooks[name] as ((...a: HookArgs<K>) => void | Promise<void>) | undefined;
    if (!hook) return Promise.resolve();
    try {
      return Promise.resolve(hook.apply(this.hooks, args)).catch((error) => this.#report(name, error));
    } catch (error) {
      this.#report(name, error);
      return Promise.resolve();
    }
  }

  #report(name: string, error: unknown): void {
    this.log.error(`Hook ${name} failed: ${errorStack(error)}`);
  }
}
