/**
 * The value of a Prometheus counter or gauge from an app's /metrics (summed over its label
 * sets), e.g. relay_leases_lost_total from a relay's RELAY_HTTP_PORT.
 */
export async function metricValue(port: number, name: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  let found = false;
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) {
      sum += Number(m[3]);
      found = true;
    }
  }
  if (!found) throw new Error(`no metric ${name} on port ${port}`);
  return sum;
}
