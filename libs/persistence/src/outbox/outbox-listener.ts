import { Client } from 'pg';
import { OUTBOX_CHANNEL } from './outbox-writer';

/**
 * LISTENs for outbox commits on a dedicated connection (Prisma cannot LISTEN). `onNotify`
 * receives the conversation hash of each committed event. Reconnects by itself; the relay's
 * polling fallback covers whatever is missed while disconnected.
 */
export class OutboxListener {
  private client: Client | null = null;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly onNotify: (keyHash: number) => void,
    private readonly onStateChange: (connected: boolean, error?: Error) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', (n) => this.onNotify(Number(n.payload)));
    client.on('error', (e) => this.reconnect(e));
    client.on('end', () => this.reconnect(new Error('LISTEN connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.client = client;
      this.onStateChange(true);
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.reconnect(e as Error);
    }
  }

  private reconnect(error: Error): void {
    if (this.closed || this.retryTimer) return;
    this.client = null;
    this.onStateChange(false, error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.start();
    }, 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
