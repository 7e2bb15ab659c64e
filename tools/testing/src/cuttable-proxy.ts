import net from 'node:net';
import { registerCleanup } from './cleanup-registry';

/**
 * A TCP proxy that the test can cut and restore: PostgreSQL "going away" without stopping it.
 * While cut, the proxy keeps its port but resets every connection at once: giving the port back
 * and binding it again later could fail or, worse, reach whatever took it in between.
 */
export class CuttableProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private isCut = false;
  private trip: { marker: Buffer; act: () => 'forward' | 'drop' } | null = null;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  /** Starts listening (on `port`, 0: a free one), or restores the connection after cut(). */
  async open(port = 0): Promise<void> {
    this.isCut = false;
    if (this.server) return;
    this.server = net.createServer((client) => {
      if (this.isCut) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('data', (chunk: Buffer) => {
        const trip = this.trip;
        if (trip && chunk.includes(trip.marker)) {
          this.trip = null;
          // Before forwarding: the client cannot have its answer yet.
          if (trip.act() === 'drop') {
            client.destroy();
            upstream.destroy();
            return;
          }
        }
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.pipe(client);
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    registerCleanup({ what: `proxy on port ${this.port}`, close: () => this.close() });
  }

  /**
   * Calls `act` once, synchronously, when a client next sends bytes containing `marker` (e.g. the
   * name of a prepared statement), before they reach the server. `act` decides what happens to
   * them: 'forward' (e.g. to pause the client exactly while it waits for that answer) or 'drop'
   * (discarded and the connection closed: e.g. the client was killed, the statement never runs).
   */
  whenClientSends(marker: string, act: () => 'forward' | 'drop'): void {
    this.trip = { marker: Buffer.from(marker), act };
  }

  /** Resets every open connection and every new one until open() is called again. */
  async cut(): Promise<void> {
    this.isCut = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Gives the port back (at the end of the test). */
  async close(): Promise<void> {
    await this.cut();
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
