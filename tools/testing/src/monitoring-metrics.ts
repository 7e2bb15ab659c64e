import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { parser as PromqlParser } from '@prometheus-io/lezer-promql' with {
  'resolution-mode': 'import',
};
import YAML from 'yaml';

// The package's type declarations are ES-module only; its CommonJS build (index.cjs) is what
// the tests load, so it is required at run time and typed from the declarations.
const { parser } = createRequire(__filename)('@prometheus-io/lezer-promql') as {
  parser: typeof PromqlParser;
};

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Series that Prometheus or kube-state-metrics produce, not the apps: the alerts use them for
 * what no app can report about itself (a pod that does not answer, a failing readiness probe).
 */
export const EXTERNAL_METRICS: Record<string, string> = {
  up: 'Prometheus (scrape result)',
  kube_pod_status_ready: 'kube-state-metrics (readiness probe results)',
};

/** One PromQL expression of deploy/monitoring and where it is. */
export interface MonitoringQuery {
  readonly where: string;
  readonly expr: string;
}

/** Every expression of deploy/monitoring/alerts.yaml and dashboard.json. */
export function monitoringQueries(root = ROOT): MonitoringQuery[] {
  const rules = YAML.parse(
    fs.readFileSync(path.join(root, 'deploy/monitoring/alerts.yaml'), 'utf8'),
  ) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(root, 'deploy/monitoring/dashboard.json'), 'utf8'),
  ) as { panels: { title: string; targets?: { expr: string }[] }[] };
  return [
    ...rules.groups.flatMap((g) =>
      g.rules.map((r) => ({ where: `alerts.yaml ${r.alert}`, expr: r.expr })),
    ),
    ...dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `dashboard.json "${p.title}"`, expr: t.expr })),
    ),
  ];
}

/**
 * The metric names an expression selects, from Prometheus' own PromQL grammar (the one its UI
 * uses); throws on a syntax error. Grafana's interval variables are replaced by a duration first.
 */
export function metricNamesIn(expr: string): string[] {
  const promql = expr.replace(/\$__(rate_)?interval/g, '5m');
  const names: string[] = [];
  let error: number | undefined;
  parser.parse(promql).iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        names.push(promql.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) {
    throw new Error(`PromQL syntax error at ${error}: ${promql.slice(error, error + 30)}`);
  }
  return [...new Set(names)];
}

/** Metric name -> where deploy/monitoring uses it. */
export function monitoredMetrics(root = ROOT): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const q of monitoringQueries(root)) {
    for (const name of metricNamesIn(q.expr)) used.set(name, [...(used.get(name) ?? []), q.where]);
  }
  return used;
}

/**
 * Metric names in a Prometheus text exposition: those of the samples (histograms as
 * _bucket/_sum/_count) and of the `# TYPE` lines, which a labelled metric has before its first
 * sample (e.g. an error counter while nothing failed).
 */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)[{\s]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/** True when `name` is exposed, itself or as a histogram's / summary's series. */
export function isExposed(name: string, exposed: Set<string>): boolean {
  return ['', '_bucket', '_sum', '_count'].some((s) => exposed.has(name + s));
}
