/**
 * Reading the Prometheus text format in tests with a real parser (parse-prometheus-text-format, which
 * ships no types: the slice used is typed here).
 *
 * @module
 */

// @ts-expect-error: the package has no type declarations.
import parsePrometheusText from "parse-prometheus-text-format";

/** One metric family as the parser returns it. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

/** Parses `text`; throws on what the format does not allow. */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  const families = (parsePrometheusText as (text: string) => MetricFamily[])(text);
  return new Map(families.map((family) => [family.name, family]));
}

/** The value of the sample of `name` whose labels include `labels`; throws if there is none. */
export function metricValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (!sample) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return Number(sample.value ?? sample.count);
}
