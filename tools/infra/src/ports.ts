import fs from 'node:fs';
import net from 'node:net';

/**
 * The lowest port the kernel hands out by itself (listen on port 0, outgoing connections).
 * Ports below it are never taken behind our back between a check and a later bind.
 */
function ephemeralLow(): number {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/);
    return Number(low) || 32768;
  } catch {
    return 32768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/**
 * `count` consecutive free ports on 127.0.0.1, for a server that must keep its port across a
 * restart (a broker the test stops and starts again) and so cannot use port 0. They are picked
 * at random below the kernel's ephemeral range, so neither another test's port-0 server nor an
 * outgoing connection can take them while the server is down.
 */
export async function freePorts(count = 1): Promise<number> {
  const high = ephemeralLow() - count;
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * (high - 20_000));
    const all = Array.from({ length: count }, (_, i) => first + i);
    if ((await Promise.all(all.map(canBind))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} free consecutive ports found below ${high}`);
}
