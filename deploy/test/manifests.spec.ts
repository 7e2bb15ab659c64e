import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '@realchat/platform';
import { APPS, specDefault } from './apps';
import { containersOf, K8sObject, kustomizeBuild } from './kustomize-build';

const ROOT = path.resolve(__dirname, '..', '..');
const OVERLAYS = ['dev', 'prod'];
const built = Object.fromEntries(
  OVERLAYS.map((o) => [o, kustomizeBuild(path.join(ROOT, 'deploy/k8s/overlays', o))]),
);

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
const find = (objs: K8sObject[], kind: string, name: string): any =>
  objs.find((o) => o.kind === kind && o.metadata.name === name);

/** The runService close margin (libs/platform/src/lifecycle.ts), read from the code. */
function closeMarginMs(): number {
  const src = fs.readFileSync(path.join(ROOT, 'libs/platform/src/lifecycle.ts'), 'utf8');
  const m = /CLOSE_MARGIN_MS = ([\d_]+)/.exec(src);
  if (!m) throw new Error('CLOSE_MARGIN_MS not found in libs/platform/src/lifecycle.ts');
  return Number(m[1].replace(/_/g, ''));
}

/** Peak RSS in MB per app, from the "each app < 150 MB RSS" row of docs/benchmarks.md. */
function measuredPeakRssMb(): Record<string, number> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/benchmarks.md'), 'utf8');
  const row = doc.split('\n').find((l) => /RSS under load\s*\|/.test(l));
  if (!row) throw new Error('docs/benchmarks.md has no "RSS under load" row');
  const rss = (name: string) => Number(new RegExp(`${name} (\\d+)`).exec(row)?.[1]);
  return {
    'message-api': rss('message-api'),
    'outbox-relay': rss('relay'),
    'conversation-stub': rss('conversation-stub'),
  };
}

const mebibytes = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q}: use Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe.each(OVERLAYS)('deploy/k8s/overlays/%s (kustomize build)', (overlay) => {
  const objs = built[overlay];

  it('every object is valid against the Kubernetes API schemas (kubernetes-models)', () => {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-k8s.mjs')], {
      input: JSON.stringify(objs),
      cwd: ROOT,
    });
    expect(JSON.parse(out.toString())).toEqual([]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'Job/migrate',
        'HorizontalPodAutoscaler/message-api',
        ...Object.keys(APPS).flatMap((a) => [
          `Deployment/${a}`,
          `Service/${a}`,
          `PodDisruptionBudget/${a}`,
        ]),
      ]),
    );
  });

  describe.each(Object.keys(APPS))('%s', (app) => {
    const facts = APPS[app];
    const deployment = find(objs, 'Deployment', app);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];

    /** The environment the container gets: ConfigMap keys, then `env` (values or refs). */
    const containerEnv = (): Record<string, string> => {
      const env: Record<string, string> = {};
      for (const from of container.envFrom ?? []) {
        const cm = find(objs, 'ConfigMap', from.configMapRef?.name);
        if (!cm)
          throw new Error(`${app}: envFrom names a missing ConfigMap ${from.configMapRef?.name}`);
        Object.assign(env, cm.data);
      }
      for (const e of container.env ?? []) {
        // A Secret's value is not in the manifests: a syntactically valid stand-in.
        env[e.name] =
          e.value ?? (/^DATABASE_(READ_)?URL$/.test(e.name) ? 'postgresql://u:p@db:5432/x' : 'x');
      }
      return env;
    };

    it("sets only variables of the app's config spec, each with a value the app accepts", () => {
      const env = containerEnv();
      const unknown = Object.keys(env).filter((n) => !(n in facts.spec));
      expect(unknown).toEqual([]);
      let problems: string[] = [];
      try {
        loadConfig(facts.spec, env);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        problems = e.problems;
      }
      expect(problems).toEqual([]);
    });

    it('takes DATABASE_URL from the Secret realchat-database', () => {
      const db = container.env.find((e: any) => e.name === 'DATABASE_URL');
      expect(db.valueFrom.secretKeyRef).toEqual({ name: 'realchat-database', key: 'DATABASE_URL' });
      if (overlay === 'dev') expect(find(objs, 'Secret', 'realchat-database')).toBeDefined();
    });

    it("exposes the spec's default ports, and the Service and scrape annotations use them", () => {
      const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
      const expected: Record<string, unknown> = { http: specDefault(app, facts.httpPortVar) };
      if (facts.grpcPortVar) expected.grpc = specDefault(app, facts.grpcPortVar);
      expect(ports).toEqual(expected);
      const annotations = deployment.spec.template.metadata.annotations;
      expect(annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/path': '/metrics',
        'prometheus.io/port': String(expected.http),
      });
      const service = find(objs, 'Service', app);
      expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      for (const p of service.spec.ports) expect(Object.keys(ports)).toContain(p.targetPort);
    });

    it('probes the health endpoints the app serves', () => {
      const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
      if (facts.readinessService) {
        const grpcPort = specDefault(app, facts.grpcPortVar!);
        expect(container.startupProbe.grpc).toEqual({ port: grpcPort, service: 'liveness' });
        expect(container.livenessProbe.grpc).toEqual({ port: grpcPort, service: 'liveness' });
        expect(container.readinessProbe.grpc).toEqual({
          port: grpcPort,
          service: facts.readinessService,
        });
      } else {
        // The relay's HTTP probes (the shared ones of libs/platform): each path is one they answer.
        const code = fs.readFileSync(path.join(ROOT, 'libs/platform/src/http-probes.ts'), 'utf8');
        const served = [...code.matchAll(/path === '([^']+)'/g)].map((m) => m[1]);
        for (const p of probes) {
          expect(p.httpGet.port).toBe('http');
          expect(served).toContain(p.httpGet.path);
        }
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      }
    });

    it('gives the drain its SHUTDOWN_GRACE_MS and close margin before SIGKILL', () => {
      const env = loadConfig(facts.spec, containerEnv()) as { SHUTDOWN_GRACE_MS: number };
      const preStop = container.lifecycle?.preStop?.exec?.command;
      const preStopMs = preStop ? Number(preStop[1]) * 1000 : 0;
      if (preStop) expect(preStop[0]).toBe('sleep');
      const neededMs = preStopMs + env.SHUTDOWN_GRACE_MS + closeMarginMs();
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(neededMs);
    });

    it('runs as non-root on a read-only root filesystem, with a writable /tmp', () => {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
    });

    it('requests more memory than the peak RSS measured in docs/benchmarks.md', () => {
      const peak = measuredPeakRssMb()[app];
      expect(peak).toBeGreaterThan(0);
      const { requests, limits } = container.resources;
      // MB (10^6) -> MiB; the request must hold the measured peak.
      expect(mebibytes(requests.memory)).toBeGreaterThan((peak * 1e6) / 2 ** 20);
      expect(mebibytes(limits.memory)).toBeGreaterThan(mebibytes(requests.memory));
      expect(requests.cpu).toBeDefined();
    });

    it('has a PodDisruptionBudget that selects its pods', () => {
      const pdb = find(objs, 'PodDisruptionBudget', app);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    });
  });

  it('scales message-api with an HPA and never runs more relays than shards', () => {
    const hpa = find(objs, 'HorizontalPodAutoscaler', 'message-api');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'message-api',
    });
    // The HPA owns the replica count: a `replicas` in the Deployment would reset it on apply.
    expect(find(objs, 'Deployment', 'message-api').spec.replicas).toBeUndefined();
    const relay = find(objs, 'Deployment', 'outbox-relay');
    const cm = find(objs, 'ConfigMap', 'outbox-relay-config');
    const shards = Number(
      cm.data.RELAY_SHARD_COUNT ?? specDefault('outbox-relay', 'RELAY_SHARD_COUNT'),
    );
    expect(relay.spec.replicas).toBeLessThanOrEqual(shards);
  });

  it('runs the migrations as a Job of the migrate image with DATABASE_URL from the Secret', () => {
    const job = find(objs, 'Job', 'migrate');
    const [c] = containersOf(job) as any[];
    expect(c.image).toMatch(/realchat\/migrate(:|$)/);
    expect(c.env).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'realchat-database', key: 'DATABASE_URL' } },
      },
    ]);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
  });
});
