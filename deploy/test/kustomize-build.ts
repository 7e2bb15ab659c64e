import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

type Kustomization = {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
};

// The subset of kustomize that deploy/k8s uses. There is no kustomize binary in the test line
// (kubectl may be absent on CI machines), so the test builds the overlays itself; anything else
// in a kustomization.yaml is rejected rather than ignored, so that the test can never check
// something other than what `kubectl apply -k` would apply.
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);

/** `kubectl kustomize <dir>` for resources, namespace, images and strategic-merge patches. */
export function kustomizeBuild(dir: string): K8sObject[] {
  const k = YAML.parse(
    fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
  ) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${dir}: unsupported kustomize fields ${unsupported}`);

  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    objects.push(...(fs.statSync(p).isDirectory() ? kustomizeBuild(p) : readObjects(p)));
  }
  for (const patch of k.patches ?? []) {
    for (const pobj of readObjects(path.join(dir, patch.path))) {
      const target = objects.find(
        (o) => o.kind === pobj.kind && o.metadata.name === pobj.metadata.name,
      );
      if (!target) throw new Error(`${patch.path}: no ${pobj.kind}/${pobj.metadata.name} to patch`);
      Object.assign(target, strategicMerge(target, pobj));
    }
  }
  for (const o of objects) {
    for (const c of containersOf(o)) {
      const [name, tag] = splitImage(c.image);
      const rule = k.images?.find((i) => i.name === name);
      const newTag = rule?.newTag ?? tag;
      if (rule) c.image = `${rule.newName ?? name}${newTag ? `:${newTag}` : ''}`;
    }
    if (k.namespace) o.metadata.namespace = k.namespace;
  }
  return objects;
}

/** Every YAML document of a file (empty documents skipped). */
export function readObjects(file: string): K8sObject[] {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJSON() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

type Container = { name: string; image: string; [k: string]: unknown };

/** The containers of a workload's pod template (Deployment, Job), for image rewriting. */
export function containersOf(o: K8sObject): Container[] {
  const spec = o.spec as { template?: { spec?: { containers?: Container[] } } } | undefined;
  return spec?.template?.spec?.containers ?? [];
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/')
    ? [image.slice(0, at), image.slice(at + 1)]
    : [image, undefined];
}

/**
 * Kubernetes strategic merge as far as these manifests need it: maps merge key by key, lists of
 * objects that all have a `name` (containers, env, ports, volumes) merge by name, any other list
 * or value is replaced by the patch's.
 */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (l: unknown[]) => l.every((e) => isMap(e) && typeof e.name === 'string');
    if (!named(base) || !named(patch)) return patch;
    const out = base.map((e) => ({ ...(e as object) })) as Record<string, unknown>[];
    for (const p of patch as Record<string, unknown>[]) {
      const i = out.findIndex((e) => e.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p) as Record<string, unknown>;
      else out.push(p);
    }
    return out;
  }
  if (isMap(base) && isMap(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      out[key] = key in base ? strategicMerge(base[key], value) : value;
    }
    return out;
  }
  return patch;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
