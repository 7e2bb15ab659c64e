// Bundles one app into dist/apps/<app>/main.js (workspace libs inlined, npm packages external)
// plus a package.json (and package-lock.json) of the npm packages it needs: the deployable that
// `node main.js` runs, and what the Dockerfile's runtime stage installs.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = process.argv[2];
if (!app || !fs.existsSync(path.join(root, 'apps', app, 'src', 'main.ts'))) {
  process.stderr.write(`usage: build-app.mjs <app>   (no apps/${app}/src/main.ts)\n`);
  process.exit(2);
}
const outdir = path.join(root, 'dist', 'apps', app);
fs.rmSync(outdir, { recursive: true, force: true });

const result = await build({
  entryPoints: [path.join(root, 'apps', app, 'src', 'main.ts')],
  outfile: path.join(outdir, 'main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  packages: 'external',
  tsconfig: path.join(root, 'tsconfig.base.json'),
  metafile: true,
  logLevel: 'warning',
});

// The npm packages the bundle imports, at the versions the lock file pinned.
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const used = new Set();
for (const input of Object.values(result.metafile.outputs)) {
  for (const imp of input.imports) {
    if (!imp.external || imp.path.startsWith('node:')) continue;
    const name = imp.path.startsWith('@')
      ? imp.path.split('/').slice(0, 2).join('/')
      : imp.path.split('/')[0];
    if (rootPkg.dependencies?.[name]) used.add(name);
  }
}
const dependencies = Object.fromEntries([...used].sort().map((n) => [n, rootPkg.dependencies[n]]));
fs.writeFileSync(
  path.join(outdir, 'package.json'),
  JSON.stringify(
    { name: app, private: true, main: 'main.js', engines: rootPkg.engines, dependencies },
    null,
    2,
  ) + '\n',
);

// Its own package-lock.json: the workspace lock pruned to this app's dependencies (offline, no
// version may move), so that the image installs exactly these with `npm ci --omit=dev`, not
// every runtime package of the workspace (nor the optional peers npm adds for them, e.g. the
// Prisma CLI and TypeScript for @prisma/client).
fs.copyFileSync(path.join(root, 'package-lock.json'), path.join(outdir, 'package-lock.json'));
execFileSync(
  'npm',
  ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
  { cwd: outdir, stdio: ['ignore', 'ignore', 'inherit'] },
);
const pinned = new Set(
  Object.entries(JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages)
    .filter(([p]) => p)
    .map(([p, v]) => `${p.split('node_modules/').pop()}@${v.version}`),
);
const moved = Object.entries(
  JSON.parse(fs.readFileSync(path.join(outdir, 'package-lock.json'), 'utf8')).packages,
)
  .filter(([p]) => p)
  .map(([p, v]) => `${p.split('node_modules/').pop()}@${v.version}`)
  .filter((nv) => !pinned.has(nv));
if (moved.length) {
  process.stderr.write(`dist/apps/${app}/package-lock.json: not in package-lock.json: ${moved}\n`);
  process.exit(1);
}
process.stdout.write(`built dist/apps/${app}/main.js (${Object.keys(dependencies).join(', ')})\n`);
