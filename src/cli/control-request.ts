/**
 * The control socket's protocol: one JSON object per line each way, a request from `mgr status` and
 * friends, a reply from the master. Both ends parse what they read into these types or an error
 * string; neither trusts the other's bytes.
 *
 * @module
 */

import { MAX_WORKERS } from "../core/config.ts";
import type { StatusReport } from "../core/supervisor.ts";

/** A request to the master. */
export type ControlRequest =
  | { command: "status" }
  | { command: "reload" }
  | { command: "scale"; workers: number }
  | { command: "stop"; quick: boolean };

/** The master's answer. */
export type ControlReply = { ok: true; status?: StatusReport } | { ok: false; error: string };

const COMMANDS = "status, reload, scale or stop";

/**
 * Reads one request line into a request, or returns why it is not one.
 *
 * @example
 * parseControlRequest('{"command":"scale","workers":4}') // { command: "scale", workers: 4 }
 * parseControlRequest("null")                            // "a request is a JSON object, got null"
 */
export function parseControlRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `a request is one JSON object per line, got ${preview(JSON.stringify(line))}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `a request is a JSON object, got ${preview(JSON.stringify(value))}`;
  }
  const fields = value as Record<string, unknown>;
  switch (fields.command) {
    case "status":
    case "reload":
      return { command: fields.command };
    case "scale": {
      const workers = fields.workers;
      if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
        return `scale needs workers, an integer from 1 to ${MAX_WORKERS}, got ${preview(JSON.stringify(workers) ?? "nothing")}`;
      }
      return { command: "scale", workers };
    }
    case "stop": {
      const quick = fields.quick ?? false;
      if (typeof quick !== "boolean") return `stop takes quick, true or false, got ${preview(JSON.stringify(quick))}`;
      return { command: "stop", quick };
    }
    default:
      return `unknown command ${preview(JSON.stringify(fields.command) ?? "(none)")}; expected ${COMMANDS}`;
  }
}

/**
 * Reads the master's reply to `request` into a reply, or returns why it is not one. A status reply
 * must carry a report of the right shape, since it is printed field by field.
 */
export function parseControlReply(line: string, request: ControlRequest): ControlReply | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "the master's reply is not JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "the master's reply is not a JSON object";
  const fields = value as Record<string, unknown>;
  if (fields.ok === false) {
    return { ok: false, error: typeof fields.error === "string" ? fields.error : "(no reason given)" };
  }
  if (fields.ok !== true) return "the master's reply has no ok field";
  if (request.command !== "status") return { ok: true };
  return isStatusReport(fields.status) ? { ok: true, status: fields.status } : "the master's status reply is malformed";
}

function isStatusReport(value: unknown): value is StatusReport {
  if (typeof value !== "object" || value === null) return false;
  const status = value as Record<string, unknown>;
  const numbers = ["pid", "workers", "startedAt", "now"].every((key) => typeof status[key] === "number");
  return numbers && typeof status.runtime === "string" && Array.isArray(status.pool) &&
    status.pool.every((worker) => typeof worker === "object" && worker !== null && typeof (worker as { pid?: unknown }).pid === "number");
}

/** At most 40 characters of a client's bytes, so an answer or a log line never echoes a huge one. */
function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
