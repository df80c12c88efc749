/**
 * The report as one self-contained HTML file: the machine, inline SVG charts (req/s, p99 latency,
 * CPU per request, memory; one series per runtime), the table and the ratios. No script and no
 * external resource, so that it can be mailed, attached to an issue or opened offline.
 *
 * @module
 */

import { formatNumber } from "./format.ts";
import type { BenchReport, SetupReport } from "./report.ts";
import type { Spread } from "./stats.ts";
import type { BarChart, BarSeries } from "./svg-chart.ts";
import { escapeXml, renderBarChart } from "./svg-chart.ts";
import { formatComparison, formatSetupTable } from "./table.ts";

/** Each runtime's color in every chart and the legend. */
export const RUNTIME_COLORS: Record<string, string> = { node: "#43853d", bun: "#e0a100", deno: "#2b59c3" };

const MB = 1024 * 1024;

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  pick(setup: SetupReport): Spread | null;
  scale?: number;
  digits: number;
}

const CHARTS: ChartSpec[] = [
  { id: "requests-per-second", title: "Throughput", unit: "requests per second (median; whisker: middle half of rounds)", pick: (s) => s.summary.requestsPerSecond, digits: 0 },
  { id: "latency-p99", title: "Latency p99", unit: "milliseconds", pick: (s) => s.summary.latencyP99Ms, digits: 2 },
  { id: "cpu-per-request", title: "Server CPU time per 1k requests", unit: "CPU ms / 1k requests (all processes)", pick: (s) => s.summary.cpuMsPer1kRequests, digits: 1 },
  { id: "memory", title: "Memory", unit: "RSS MB, master + workers", pick: (s) => s.summary.rssTotalBytes, scale: MB, digits: 0 },
];

/** Renders `report` as an HTML document. */
export function renderHtmlReport(report: BenchReport): string {
  const categories = categoryLabels(report.setups);
  const runtimes = [...new Set(report.setups.map((s) => s.runtime))];
  const charts = CHARTS.map((spec) => renderBarChart(chartOf(spec, report.setups, categories, runtimes)));
  const machine = report.machine;
  const facts: [string, string][] = [
    ["CPU", `${machine.cpuModel}, ${machine.cpus} CPUs`],
    ["System", `${machine.os}, kernel ${machine.kernel}, ${formatNumber(machine.memoryBytes / 1024 ** 3, 1)} GiB memory`],
    ["Runtimes", machine.runtimes.map((r) => `${r.name} ${r.version}`).join(", ")],
    ["Load generator", machine.loadGenerator.version],
    ["Pinning", machine.pinning ? `load generator on CPU ${machine.pinning.loadGeneratorCpus.join(",")}, servers on CPU ${machine.pinning.serverCpus.join(",")}` : "none"],
    ["Run", `${report.options.rounds} rounds x ${report.options.durationS} s (+ ${report.options.warmupS} s warm-up), ${report.options.connections} connections, GET ${report.path}, workers ${report.options.workers.join(", ")}`],
    ["App", report.app],
    ["When", `${report.startedAt} – ${report.finishedAt}`],
    ["mgr", report.tool.version],
  ];
  const legend = runtimes.map((runtime) =>
    `<span class="key"><svg width="14" height="14" aria-hidden="true"><rect width="14" height="14" fill="${RUNTIME_COLORS[runtime] ?? "#777"}"/></svg> ${escapeXml(runtime)}</span>`
  ).join(" ");
  const names = report.setups.map((s) => `<li><b>${escapeXml(categories.get(s)!)}</b> on ${escapeXml(s.runtime)}: ${escapeXml(s.name)} (${s.workers} worker${s.workers === 1 ? "" : "s"})</li>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mgr bench: ${escapeXml(report.app)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:24px;max-width:1200px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}
table.facts td{padding:1px 12px 1px 0;vertical-align:top}table.facts td:first-child{color:#555}
.charts{display:flex;flex-wrap:wrap;gap:12px}.legend{margin:8px 0}.key{margin-right:16px}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}.warn{color:#9a3b00}
</style></head><body>
<h1>mgr bench</h1>
<table class="facts">${facts.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`).join("")}</table>
<h2>Charts</h2>
<div class="legend">${legend}</div>
<div class="charts">${charts.join("\n")}</div>
<ul>${names}</ul>
<h2>Table</h2>
<pre>${escapeXml(formatSetupTable(report))}</pre>
<h2>Ratios</h2>
<pre>${escapeXml(report.comparisons.map(formatComparison).join("\n") || "none")}</pre>
${report.warnings.length > 0 ? `<h2>Warnings</h2><ul class="warn">${report.warnings.map((w) => `<li>${escapeXml(w)}</li>`).join("")}</ul>` : ""}
${report.missingRuntimes.length > 0 ? `<p class="warn">Not found: ${escapeXml(report.missingRuntimes.map((m) => m.name).join(", "))}</p>` : ""}
</body></html>
`;
}

/**
 * The x-axis label of each setup: `mgr` or `bare` (`bare 2` for a runtime's second bare setup), with
 * the worker count when several were measured; the same label across runtimes, so bars line up.
 */
function categoryLabels(setups: SetupReport[]): Map<SetupReport, string> {
  const severalCounts = new Set(setups.map((s) => s.workers)).size > 1;
  const labels = new Map<SetupReport, string>();
  for (const setup of setups) {
    const siblings = setups.filter((s) => s.kind === "baseline" && s.runtime === setup.runtime && s.workers === setup.workers);
    const index = siblings.indexOf(setup);
    const role = setup.kind === "mgr" ? "mgr" : index === 0 ? "bare" : `bare ${index + 1}`;
    labels.set(setup, severalCounts ? `${role}, ${setup.workers} worker${setup.workers === 1 ? "" : "s"}` : role);
  }
  return labels;
}

function chartOf(spec: ChartSpec, setups: SetupReport[], labels: Map<SetupReport, string>, runtimes: string[]): BarChart {
  const scale = spec.scale ?? 1;
  const series: BarSeries[] = runtimes.map((runtime) => ({
    key: runtime,
    color: RUNTIME_COLORS[runtime] ?? "#777",
    points: setups.filter((s) => s.runtime === runtime).flatMap((setup) => {
      const spread = spec.pick(setup);
      if (!spread) return [];
      return [{
        category: labels.get(setup)!,
        value: spread.median / scale,
        low: spread.q1 / scale,
        high: spread.q3 / scale,
        title: `${setup.id}: ${formatNumber(spread.median / scale, spec.digits)} (rounds ${formatNumber(spread.min / scale, spec.digits)}–${formatNumber(spread.max / scale, spec.digits)})`,
      }];
    }),
  }));
  return { id: spec.id, title: spec.title, unit: spec.unit, categories: [...new Set(labels.values())], series };
}
