/**
 * The JSON Schema (draft 2020-12) of `mgr bench --json`, version 1: what docs/bench-json.md describes,
 * as data, so that a test holds the report to it and a consumer can validate a file.
 *
 * @module
 */

const number = { type: "number" } as const;
const count = { type: "integer", minimum: 0 } as const;
const nullableNumber = { type: ["number", "null"] } as const;
const spread = {
  type: ["object", "null"],
  required: ["median", "q1", "q3", "min", "max"],
  additionalProperties: false,
  properties: { median: number, q1: number, q3: number, min: number, max: number },
} as const;
const runtimeName = { enum: ["node", "bun", "deno"] } as const;
const strings = { type: "array", items: { type: "string" } } as const;

const round = {
  type: "object",
  additionalProperties: false,
  required: [
    "round", "requests", "seconds", "requestsPerSecond", "latencyMs", "non2xx", "socketErrors", "cpuMs", "cpuMsPer1kRequests",
    "serverCpuShare", "otherCpuShare", "loadGeneratorCpuShare", "processes", "rssBytes", "coldStartMs", "workerReplaceMs", "reload",
  ],
  properties: {
    round: { type: "integer", minimum: 1 },
    requests: count,
    seconds: { type: "number", exclusiveMinimum: 0 },
    requestsPerSecond: { type: "number", minimum: 0 },
    latencyMs: {
      type: "object",
      additionalProperties: false,
      required: ["p50", "p90", "p99"],
      properties: { p50: nullableNumber, p90: nullableNumber, p99: nullableNumber },
    },
    non2xx: count,
    socketErrors: count,
    cpuMs: { type: "number", minimum: 0 },
    cpuMsPer1kRequests: nullableNumber,
    serverCpuShare: { type: "number", minimum: 0 },
    otherCpuShare: nullableNumber,
    loadGeneratorCpuShare: { type: "number", minimum: 0 },
    processes: count,
    rssBytes: {
      type: "object",
      additionalProperties: false,
      required: ["master", "workers"],
      properties: { master: count, workers: { type: "array", items: count } },
    },
    coldStartMs: { type: "number", minimum: 0 },
    workerReplaceMs: nullableNumber,
    reload: {
      type: ["object", "null"],
      additionalProperties: false,
      required: ["requests", "failedRequests", "durationMs"],
      properties: { requests: count, failedRequests: count, durationMs: nullableNumber },
    },
  },
} as const;

const summary = {
  type: "object",
  additionalProperties: false,
  required: [
    "requestsPerSecond", "latencyP50Ms", "latencyP90Ms", "latencyP99Ms", "cpuMsPer1kRequests", "rssMasterBytes", "rssWorkersBytes",
    "rssTotalBytes", "coldStartMs", "workerReplaceMs", "reloadFailedRequests", "serverCpuShare", "loadGeneratorCpuShare", "non2xx", "socketErrors",
  ],
  properties: {
    requestsPerSecond: spread,
    latencyP50Ms: spread,
    latencyP90Ms: spread,
    latencyP99Ms: spread,
    cpuMsPer1kRequests: spread,
    rssMasterBytes: spread,
    rssWorkersBytes: spread,
    rssTotalBytes: spread,
    coldStartMs: spread,
    workerReplaceMs: spread,
    reloadFailedRequests: spread,
    serverCpuShare: spread,
    loadGeneratorCpuShare: spread,
    non2xx: count,
    socketErrors: count,
  },
} as const;

/** The schema of a version 1 report. */
export const BENCH_REPORT_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "mgr bench report",
  type: "object",
  additionalProperties: false,
  required: ["schemaVersion", "tool", "startedAt", "finishedAt", "app", "path", "options", "machine", "missingRuntimes", "setups", "comparisons", "warnings"],
  properties: {
    schemaVersion: { const: 1 },
    tool: {
      type: "object",
      additionalProperties: false,
      required: ["name", "version"],
      properties: { name: { const: "mgr" }, version: { type: "string" } },
    },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: "string", format: "date-time" },
    app: { type: "string" },
    path: { type: "string", pattern: "^/" },
    options: {
      type: "object",
      additionalProperties: false,
      required: ["runtimes", "workers", "durationS", "warmupS", "rounds", "connections", "baseline"],
      properties: {
        runtimes: { type: "array", items: runtimeName, minItems: 1 },
        workers: { type: "array", items: { type: "integer", minimum: 1 }, minItems: 1 },
        durationS: { type: "integer", minimum: 1 },
        warmupS: count,
        rounds: { type: "integer", minimum: 1 },
        connections: { type: "integer", minimum: 1 },
        baseline: { type: "boolean" },
      },
    },
    machine: {
      type: "object",
      additionalProperties: false,
      required: ["cpuModel", "cpus", "os", "kernel", "memoryBytes", "runtimes", "loadGenerator", "pinning"],
      properties: {
        cpuModel: { type: "string" },
        cpus: { type: "integer", minimum: 1 },
        os: { type: "string" },
        kernel: { type: "string" },
        memoryBytes: count,
        runtimes: {
          type: "array",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "version", "executable"],
            properties: { name: runtimeName, version: { type: "string" }, executable: { type: "string" } },
          },
        },
        loadGenerator: {
          type: "object",
          additionalProperties: false,
          required: ["name", "version"],
          properties: { name: { enum: ["wrk", "autocannon"] }, version: { type: "string" } },
        },
        pinning: {
          type: ["object", "null"],
          additionalProperties: false,
          required: ["serverCpus", "loadGeneratorCpus"],
          properties: { serverCpus: { type: "array", items: count }, loadGeneratorCpus: { type: "array", items: count } },
        },
      },
    },
    missingRuntimes: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "searched"],
        properties: { name: runtimeName, searched: strings },
      },
    },
    setups: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "name", "kind", "runtime", "workers", "command", "rounds", "summary"],
        properties: {
          id: { type: "string" },
          name: { type: "string" },
          kind: { enum: ["mgr", "baseline"] },
          runtime: runtimeName,
          workers: { type: "integer", minimum: 1 },
          command: strings,
          rounds: { type: "array", items: round },
          summary,
        },
      },
    },
    comparisons: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: [
          "kind", "subject", "reference", "throughputRatio", "cpuPerRequestRatio", "p99Ratio", "pairedThroughputRatio",
          "pairedThroughputQuartiles", "pairedCpuPerRequestRatio", "throughputOk", "cpuOk",
        ],
        properties: {
          kind: { enum: ["baseline", "runtime"] },
          subject: { type: "string" },
          reference: { type: "string" },
          throughputRatio: nullableNumber,
          cpuPerRequestRatio: nullableNumber,
          p99Ratio: nullableNumber,
          pairedThroughputRatio: nullableNumber,
          pairedThroughputQuartiles: { type: ["array", "null"], items: number, minItems: 2, maxItems: 2 },
          pairedCpuPerRequestRatio: nullableNumber,
          throughputOk: { type: ["boolean", "null"] },
          cpuOk: { type: ["boolean", "null"] },
        },
      },
    },
    warnings: strings,
  },
} as const;
