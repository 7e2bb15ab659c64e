import { Client } from 'pg';
import { OUTBOX_CHANNEL } from './outbox-writer';

export interface OutboxListenerOptions {
  /** Told when the LISTEN connection comes up or goes down (for logs). */
  readonly onStateChange?: (connected: boolean, error?: Error) => void;
  /** Wait before reconnecting after the connection was lost. */
  readonly retryMs?: number;
  /** Opens the LISTEN connection (tests pass one to observe the clients). */
  readonly createClient?: (databaseUrl: string) => Client;
}

/**
 * LISTENs for outbox commits on a dedicated connection (Prisma cannot LISTEN). `start(onNotify)`
 * delivers the conversation hash of each committed event. Reconnects by itself; the relay's
 * polling fallback covers whatever is missed while disconnected.
 *
 * Only the current connection may deliver notifications or trigger a reconnect: a replaced
 * connection loses all its handlers, so its late `error`/`end` events (pg emits both when the
 * server terminates the backend) cannot tear down the new connection and leave it listening
 * unowned, which would deliver every notification twice.
 */
export class OutboxListener {
  private current: Client | null = null;
  private onNotify: (keyHash: number) => void = () => undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly retryMs: number;
  private readonly createClient: (databaseUrl: string) => Client;

  constructor(
    private readonly databaseUrl: string,
    private readonly options: OutboxListenerOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 1000;
    this.createClient =
      options.createClient ??
      ((url) => new Client({ connectionString: url, connectionTimeoutMillis: 5000 }));
  }

  /** Connects and LISTENs; a failed first attempt is retried in the background. */
  async start(onNotify: (keyHash: number) => void): Promise<void> {
    this.onNotify = onNotify;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = this.createClient(this.databaseUrl);
    this.current = client;
    client.on('notification', (n) => {
      if (client === this.current) this.onNotify(Number(n.payload));
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (e) {
      this.lost(client, e as Error);
      return;
    }
    if (client === this.current) this.options.onStateChange?.(true);
  }

  /** Drops `client` for good; if it was the current connection, reconnects after a pause. */
  private lost(client: Client, error: Error): void {
    void detach(client);
    if (client !== this.current || this.closed) return;
    this.current = null;
    this.options.onStateChange?.(false, error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.current;
    this.current = null;
    if (c) await detach(c);
  }
}

/** Removes every handler of a dropped client and closes it; its later errors are swallowed. */
function detach(client: Client): Promise<void> {
  client.removeAllListeners();
  client.on('error', () => undefined);
  return client.end().catch(() => undefined);
}
