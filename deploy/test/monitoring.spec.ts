import fs from 'node:fs';
import path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import YAML from 'yaml';
import {
  EXTERNAL_METRICS,
  monitoredMetrics,
  monitoringQueries,
  metricNamesIn,
} from '@realchat/testing';

const ROOT = path.resolve(__dirname, '..', '..');

/** Files under `dir` (recursively) ending in .ts. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' || e.name === 'gen' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [p] : [];
  });
}

/**
 * The metrics the apps declare: `name: '...'` of the prom-client metrics in apps/ and libs/,
 * plus prom-client's default process metrics (every app collects them). The live check is the
 * e2e spec monitoring-metrics.spec.ts, which scrapes the running apps.
 */
function declaredMetrics(): Set<string> {
  const names = new Set<string>();
  for (const top of ['apps', 'libs']) {
    for (const file of sources(path.join(ROOT, top))) {
      const code = fs.readFileSync(file, 'utf8');
      if (!code.includes('prom-client')) continue;
      for (const m of code.matchAll(/\bname:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g)) names.add(m[1]);
    }
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const m of registry.getMetricsAsArray()) names.add(m.name);
  return names;
}

describe('deploy/monitoring', () => {
  it('every alert and panel query is valid PromQL', () => {
    const queries = monitoringQueries();
    expect(queries.length).toBeGreaterThan(20);
    const broken = queries.flatMap((q) => {
      try {
        metricNamesIn(q.expr);
        return [];
      } catch (e) {
        return [`${q.where}: ${(e as Error).message}`];
      }
    });
    expect(broken).toEqual([]);
  });

  it('every metric an alert or panel uses is one the apps declare (or Prometheus / kube-state-metrics)', () => {
    const declared = declaredMetrics();
    const unknown = [...monitoredMetrics()]
      .filter(([name]) => !(name in EXTERNAL_METRICS))
      .filter(
        ([name]) => !declared.has(name.replace(/_(bucket|sum|count)$/, '')) && !declared.has(name),
      )
      .map(([name, where]) => `${name} (used by ${where.join(', ')})`);
    expect(unknown).toEqual([]);
  });

  it('every alert has a severity, a summary and a runbook section in docs/operations.md', () => {
    const { groups } = YAML.parse(
      fs.readFileSync(path.join(ROOT, 'deploy/monitoring/alerts.yaml'), 'utf8'),
    ) as {
      groups: {
        rules: {
          alert: string;
          labels: { severity: string };
          annotations: Record<string, string>;
        }[];
      }[];
    };
    const runbook = fs.readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
    const headings = new Set([...runbook.matchAll(/^### (\S+)/gm)].map((m) => m[1]));
    const problems = groups
      .flatMap((g) => g.rules)
      .flatMap((r) => [
        ...(['critical', 'warning'].includes(r.labels?.severity) ? [] : [`${r.alert}: severity`]),
        ...(r.annotations?.summary ? [] : [`${r.alert}: summary`]),
        ...(r.annotations?.runbook === `docs/operations.md#${r.alert.toLowerCase()}`
          ? []
          : [`${r.alert}: runbook annotation`]),
        ...(headings.has(r.alert) ? [] : [`${r.alert}: no "### ${r.alert}" in docs/operations.md`]),
      ]);
    expect(problems).toEqual([]);
  });
});
