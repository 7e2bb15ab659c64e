// Validates Kubernetes objects against the API schemas bundled in `kubernetes-models` (offline).
// A separate ES module because kubernetes-models ships ESM only and Jest runs the tests as
// CommonJS: stdin is a JSON array of objects, stdout a JSON array of problems ([] when valid).
const objects = JSON.parse(
  await new Promise((resolve) => {
    let s = '';
    process.stdin.on('data', (c) => (s += c)).on('end', () => resolve(s));
  }),
);
const problems = [];
for (const o of objects) {
  const what = `${o.kind}/${o.metadata?.name}`;
  // apiVersion "apps/v1" -> kubernetes-models/apps/v1/<Kind>; "v1" (core) -> kubernetes-models/v1/<Kind>
  let Model;
  try {
    Model = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`))[o.kind];
  } catch {
    problems.push(`${what}: unknown apiVersion/kind ${o.apiVersion} ${o.kind}`);
    continue;
  }
  try {
    new Model(o).validate();
  } catch (e) {
    problems.push(`${what}: ${e.message}`);
  }
}
process.stdout.write(JSON.stringify(problems));
