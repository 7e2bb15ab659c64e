import net from 'node:net';

/**
 * A TCP proxy that can hold a call in flight at a chosen point: once `holdWhen(match)` is armed,
 * the first client-to-server chunk that `match`es (and everything after it on that connection)
 * is kept back until `release()`. With `cut()` it also plays a dependency going away. Tests use
 * it to stop a request at an exact step (e.g. NextSequence sent but not delivered, or the
 * statement after the lock) and then break something while it waits.
 */
export class HoldingProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private matcher: ((chunk: Buffer) => boolean) | null = null;
  private onHeld: (() => void) | null = null;
  private readonly heldFlows: { upstream: net.Socket; chunks: Buffer[] }[] = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after a cut when `port` is given). */
  async open(port = this.port): Promise<void> {
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
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

  /** Drops every connection (held bytes are lost) and stops listening. */
  async cut(): Promise<void> {
    this.matcher = null;
    this.heldFlows.splice(0);
    for (const s of this.sockets) s.destroy();
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
