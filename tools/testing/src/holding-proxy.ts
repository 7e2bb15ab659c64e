import net from 'node:net';
import { registerCleanup } from './cleanup-registry';

/**
 * A TCP proxy that can hold a call in flight at a chosen point: once `holdWhen(match)` is armed,
 * the first client-to-server chunk that `match`es (and everything after it on that connection)
 * is kept back until `release()`. With `cut()` it also plays a dependency going away. Tests use
 * it to stop a request at an exact step (e.g. NextSequence sent but not delivered, or the
 * statement after the lock) and then break something while it waits.
 */
export class HoldingProxy {
  private server: net.Server | null = null;
  private isCut = false;
  private readonly sockets = new Set<net.Socket>();
  private matcher: ((chunk: Buffer) => boolean) | null = null;
  private onHeld: (() => void) | null = null;
  private readonly heldFlows: { upstream: net.Socket; chunks: Buffer[] }[] = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts listening (on `port`, 0: a free one), or lets connections through again after cut(). */
  async open(port = 0): Promise<void> {
    this.isCut = false;
    if (this.server) return;
    const server = net.createServer((client) => {
      if (this.isCut) client.resetAndDestroy();
      else this.connect(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    registerCleanup({ what: `holding proxy on port ${this.port}`, close: () => this.close() });
  }

  /** Resolves once a client-to-server chunk matching `match` is being held. */
  holdWhen(match: (chunk: Buffer) => boolean = () => true): Promise<void> {
    this.matcher = match;
    return new Promise((resolve) => (this.onHeld = resolve));
  }

  /** Bytes held back so far. */
  get heldBytes(): number {
    return this.heldFlows.reduce((n, f) => n + f.chunks.reduce((m, c) => m + c.length, 0), 0);
  }

  /** Delivers what was held and forwards freely again. */
  release(): void {
    this.matcher = null;
    for (const flow of this.heldFlows.splice(0)) {
      for (const c of flow.chunks) if (!flow.upstream.destroyed) flow.upstream.write(c);
    }
  }

  /** Drops every connection (held bytes are lost) and resets new ones until open(). */
  async cut(): Promise<void> {
    this.isCut = true;
    this.matcher = null;
    this.heldFlows.splice(0);
    for (const s of this.sockets) s.destroy();
  }

  /** Gives the port back (at the end of the test; safe to call twice). */
  async close(): Promise<void> {
    await this.cut();
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => s.destroy());
    }
    let flow: { upstream: net.Socket; chunks: Buffer[] } | null = null;
    client.on('data', (chunk: Buffer) => {
      if (!flow && this.matcher?.(chunk)) {
        flow = { upstream, chunks: [] };
        this.heldFlows.push(flow);
        this.matcher = null;
        this.onHeld?.();
      }
      // Held until release(): release() empties the list, after which this flow forwards again.
      if (flow && this.heldFlows.includes(flow)) flow.chunks.push(chunk);
      else {
        flow = null;
        upstream.write(chunk);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
