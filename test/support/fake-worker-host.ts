/**
 * A worker host for the worker loop's tests: records what the worker sends and writes, hands the
 * test the fetch handler the worker serves, and drains when the test says so.
 *
 * @module
 */

import { DEFAULTS } from "../../src/core/config.ts";
import type { FromWorker, ToWorker, WorkerSpec } from "../../src/core/protocol.ts";
import { buildHttpEdge } from "../../src/core/worker-spec.ts";
import type { FetchHandler } from "../../src/runtime/app.ts";
import type { BodyFault } from "../../src/runtime/body-guard.ts";
import type { ClientInfo, ServeOptions, WorkerHost, WorkerServer } from "../../src/runtime/worker-host.ts";

/** A worker spec with the defaults, serving `/srv/app.ts` on 127.0.0.1:8000. */
export const SPEC: WorkerSpec = {
  id: 1,
  app: "/srv/app.ts",
  bind: [{ host: "127.0.0.1", port: 8000 }],
  backlog: 2048,
  keepaliveMs: 5_000,
  edge: buildHttpEdge(DEFAULTS),
  heartbeatMs: 1_000,
  mode: "serve",
  maxRequests: 0,
  logLevel: "info",
  logFormat: "text",
  errorLog: "-",
  accessLog: null,
  accessLogFormat: "%(h)s",
  name: null,
  configFile: null,
};

/** A host whose server records calls and whose drain resolves when the test says so. */
export class FakeHost implements WorkerHost {
  readonly sent: FromWorker[] = [];
  readonly events: string[] = [];
  readonly errors: string[] = [];
  readonly output: string[] = [];
  exitCode?: number;
  handler?: FetchHandler;
  listenError?: Error;
  finishDrain: () => void = () => {};
  #onMessage?: (message: unknown) => void;
  #onParentLost?: () => void;
  #signals = new Map<string, () => void>();

  /**
   * @param module What every import returns, unless `modules` has an entry for its URL.
   * @param modules Modules by URL; a value that is an Error makes that import reject with it.
   */
  constructor(
    readonly spec: WorkerSpec,
    readonly module: Record<string, unknown>,
    readonly modules: Record<string, unknown> = {},
  ) {}
  readonly pid = 4242;

  roundTrip(): Promise<void> {
    this.events.push("round-trip");
    return Promise.resolve();
  }
  send(message: FromWorker): Promise<void> {
    this.sent.push(message);
    // Boot steps get a test of their own; the other tests read the protocol's milestones.
    if (message.type !== "heartbeat" && message.type !== "booting") this.events.push(message.type);
    return Promise.resolve();
  }
  onMessage(fn: (message: unknown) => void): void {
    this.#onMessage = fn;
  }
  onParentLost(fn: () => void): void {
    this.#onParentLost = fn;
  }
  onSignal(signal: string, fn: () => void): void {
    this.#signals.set(signal, fn);
  }
  importModule(url: string): Promise<unknown> {
    const module = url in this.modules ? this.modules[url] : this.module;
    return module instanceof Error ? Promise.reject(module) : Promise.resolve(module);
  }
  /** What the worker loop passed to `serve`. */
  serveOptions?: ServeOptions;
  serve(handler: FetchHandler, options: ServeOptions): Promise<WorkerServer> {
    if (this.listenError) return Promise.reject(this.listenError);
    this.handler = handler;
    this.serveOptions = options;
    this.events.push("listen");
    return Promise.resolve({
      drain: () => {
        this.events.push("drain");
        return new Promise<void>((resolve) => (this.finishDrain = resolve));
      },
      close: () => this.events.push("close"),
    });
  }
  rss(): number {
    return 1234;
  }
  writeError(text: string): void {
    this.errors.push(text);
  }
  writeOutput(text: string): void {
    this.output.push(text);
  }
  boundsBodyStalls?: boolean;
  bodyFaultOf?(info: unknown): BodyFault | undefined;
  /** The peer address every request comes from, as the runtime would report it. */
  peer = "10.0.0.7";
  clientOf(): ClientInfo {
    return { address: this.peer, httpVersion: "1.1" };
  }
  exit(code: number): never {
    this.exitCode ??= code;
    this.events.push(`exit ${code}`);
    return undefined as never;
  }

  message(message: ToWorker | unknown): void {
    this.#onMessage!(message);
  }
  signal(signal: string): void {
    const handler = this.#signals.get(signal);
    if (!handler) throw new Error(`the worker has no handler for ${signal}: it would get the default action`);
    handler();
  }
  loseParent(): void {
    this.#onParentLost!();
  }
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

/** Lets every pending promise reaction run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

