/**
 * The stack of a hung Node worker, taken from the master. A worker's JavaScript that spins never
 * returns to its event loop, so nothing inside it can answer; but Node opens its inspector on SIGUSR1
 * from a thread of its own and interrupts running JavaScript to start it (the worker has set its
 * `debugPort` to 0, so the OS picks a free loopback port). The master finds that port among the
 * worker's sockets, pauses the worker with `Debugger.pause`, reads its call frames and its requests in
 * flight, and kills it right after: the inspector lives only as long as the capture.
 *
 * Finding the port reads `/proc`, so the capture works on Linux; elsewhere it fails at once and the
 * log names the requests of the worker's last heartbeat instead.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { get } from "node:http";
import { fileURLToPath } from "node:url";
import type { StackFrame, WorkerStackCapture } from "../../src/core/runtime.ts";
import type { InFlightRequest } from "../../src/core/runtime.ts";
import { IN_FLIGHT_EXPRESSION } from "../../src/runtime/requests-in-flight.ts";
import { openInspectorSocket } from "./inspector-socket.ts";
import { originalPosition, parseInlineSourceMap } from "../../src/runtime/source-map.ts";

/**
 * `NODE_OPTIONS` for the workers, with their inspector told to announce itself only over HTTP
 * (`/json/list`, which the capture reads): without it, a worker's inspector prints `Debugger listening
 * on ws://…` to the log, which would also break a JSON log's one object per line.
 */
export function quietInspectorOptions(options: string | undefined): string {
  if (options?.includes("--inspect-publish-uid")) return options;
  return options ? `${options} --inspect-publish-uid=http` : "--inspect-publish-uid=http";
}

/** How often the master looks for the worker's inspector port while it starts, in milliseconds. */
const PORT_POLL_MS = 10;

/** Captures where the worker `pid`'s JavaScript is; gives up after `deadlineMs`. */
export async function captureNodeWorkerStack(pid: number, deadlineMs: number): Promise<WorkerStackCapture> {
  if (process.platform !== "linux") throw new Error("finding the worker's inspector port needs Linux's /proc");
  const giveUpAt = Date.now() + deadlineMs;
  const before = loopbackListeners(pid);
  process.kill(pid, "SIGUSR1");
  let port: number | undefined;
  while (port === undefined) {
    port = [...loopbackListeners(pid)].find(([inode]) => !before.has(inode))?.[1];
    if (port !== undefined) break;
    if (Date.now() > giveUpAt) throw new Error("its inspector did not open");
    await new Promise((resolve) => setTimeout(resolve, PORT_POLL_MS));
  }
  const targets = await getJson(`http://127.0.0.1:${port}/json/list`) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("its inspector listed no target");
  const inspector = await openInspectorSocket(url);
  const timer = setTimeout(() => inspector.close(), Math.max(0, giveUpAt - Date.now()));
  try {
    // Debugger.enable announces every script first: the frames name theirs by id only.
    const scripts = new Map<string, ParsedScript>();
    inspector.on("Debugger.scriptParsed", (script) => {
      const { scriptId, url, sourceMapURL } = script as { scriptId: string; url: string; sourceMapURL?: string };
      scripts.set(scriptId, { url, sourceMapURL });
    });
    const paused = inspector.next("Debugger.paused");
    await inspector.call("Debugger.enable");
    await inspector.call("Debugger.pause");
    const { callFrames } = await paused as { callFrames: CallFrame[] };
    const frames = callFrames.map((frame) => toStackFrame(frame, scripts.get(frame.location.scriptId)));
    let inFlight: InFlightRequest[] | undefined;
    const top = callFrames[0];
    if (top) {
      const evaluated = await inspector.call("Debugger.evaluateOnCallFrame", {
        callFrameId: top.callFrameId,
        expression: IN_FLIGHT_EXPRESSION,
        returnByValue: true,
      }) as { result?: { value?: unknown } };
      const value = evaluated.result?.value;
      inFlight = typeof value === "string" ? JSON.parse(value) ?? undefined : undefined;
    }
    return { frames, inFlight };
  } finally {
    clearTimeout(timer);
    // The worker stays paused: the master kills it next, and the inspector port dies with it.
    inspector.close();
  }
}

interface CallFrame {
  callFrameId: string;
  functionName: string;
  location: { scriptId: string; lineNumber: number; columnNumber: number };
}

interface ParsedScript {
  url: string;
  sourceMapURL?: string;
}

/** A frame as its author wrote it: through the script's inline source map (tsx's) where it has one. */
function toStackFrame(frame: CallFrame, script: ParsedScript | undefined): StackFrame {
  const { lineNumber, columnNumber } = frame.location;
  const url = script?.url ?? "";
  const map = script?.sourceMapURL ? parseInlineSourceMap(script.sourceMapURL) : undefined;
  const original = map && originalPosition(map, lineNumber, columnNumber);
  if (original) {
    const source = /^(?:\/|file:)/.test(original.source) || !url ? original.source : new URL(original.source, url).href;
    return { functionName: frame.functionName, url: readable(source), line: original.line, column: original.column };
  }
  return { functionName: frame.functionName, url: readable(url), line: lineNumber + 1, column: columnNumber + 1 };
}

function readable(url: string): string {
  return url.startsWith("file://") ? fileURLToPath(url) : url;
}

/** The TCP sockets `pid` listens on at 127.0.0.1, by inode, with their ports. */
export function loopbackListeners(pid: number): Map<string, number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // Closed while being read.
      }
    }
  } catch {
    return new Map();
  }
  const listeners = new Map<string, number>();
  const table = readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1);
  for (const line of table) {
    const fields = line.trim().split(/\s+/);
    // local_address is 0100007F:PORT for 127.0.0.1; state 0A is LISTEN.
    const [address, portHex] = (fields[1] ?? "").split(":");
    if (address !== "0100007F" || fields[3] !== "0A" || !inodes.has(fields[9] ?? "")) continue;
    listeners.set(fields[9]!, parseInt(portHex!, 16));
  }
  return listeners;
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = get(url, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    request.setTimeout(1_000, () => request.destroy(new Error("its inspector did not answer")));
    request.on("error", reject);
  });
}
