import { AppProcess, ErrorMatcher } from './app-process';
import { ConversationApi, MessageApi } from './clients';

export interface StackOptions {
  readonly databaseUrl: string;
  readonly messageApis?: number;
  readonly relays?: number;
  readonly topic?: string;
  readonly env?: Record<string, string>;
  readonly relayEnv?: Record<string, string>;
}

/**
 * Starts one message-api on a free port of 127.0.0.1 and waits until it serves. `env` must name
 * its DATABASE_URL and CONVERSATION_API_ADDR (tests point them at proxies to break a dependency).
 */
export function startMessageApi(
  env: { DATABASE_URL: string; CONVERSATION_API_ADDR: string } & Record<string, string>,
): Promise<AppProcess> {
  return AppProcess.start(
    'message-api',
    { MESSAGE_API_PORT: '0', MESSAGE_API_HOST: '127.0.0.1', ...env },
    'message-api serving realchat.message.v1.MessageApi',
  );
}

/** The three built apps as separate processes on free ports, against one database. */
export class Stack {
  readonly apis: AppProcess[] = [];
  readonly relays: AppProcess[] = [];
  private stub!: AppProcess;
  private readonly allowed: ErrorMatcher[] = [];
  private readonly clients: { close(): void }[] = [];

  private constructor(private readonly options: StackOptions) {}

  static async start(options: StackOptions): Promise<Stack> {
    const stack = new Stack(options);
    const base = { DATABASE_URL: options.databaseUrl, ...options.env };
    stack.stub = await AppProcess.start(
      'conversation-stub',
      { ...base, CONVERSATION_STUB_PORT: '0', CONVERSATION_STUB_HOST: '127.0.0.1' },
      'conversation-stub serving realchat.conversation.v1.ConversationApi',
    );
    const apis = await Promise.all(
      Array.from({ length: options.messageApis ?? 1 }, () =>
        startMessageApi({ ...base, CONVERSATION_API_ADDR: `127.0.0.1:${stack.stub.port()}` }),
      ),
    );
    stack.apis.push(...apis);
    for (let i = 0; i < (options.relays ?? 0); i++) await stack.startRelay();
    return stack;
  }

  /** Starts one more relay replica and waits until it runs. */
  async startRelay(env: Record<string, string> = {}): Promise<AppProcess> {
    const relay = await AppProcess.start(
      'outbox-relay',
      {
        DATABASE_URL: this.options.databaseUrl,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
        KAFKA_TOPIC: this.options.topic ?? 'chat.messages.v1',
        RELAY_HTTP_PORT: '0',
        RELAY_HTTP_HOST: '127.0.0.1',
        ...this.options.env,
        ...this.options.relayEnv,
        ...env,
      },
      'outbox-relay running',
    );
    relay.allowErrors(...this.allowed);
    this.relays.push(relay);
    return relay;
  }

  /** allowErrors() on every app of the stack, including relays started later. */
  allowErrors(...matchers: ErrorMatcher[]): this {
    this.allowed.push(...matchers);
    for (const p of [this.stub, ...this.apis, ...this.relays]) p.allowErrors(...matchers);
    return this;
  }

  /** The conversation-stub process (its logs, its ports). */
  get conversationStub(): AppProcess {
    return this.stub;
  }

  get stubPid(): number {
    return this.stub.pid;
  }

  get conversationAddress(): string {
    return `127.0.0.1:${this.stub.port()}`;
  }

  /** The stub's host and port, for a proxy put between a message-api and it. */
  get conversationTarget(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.stub.port() };
  }

  messageApi(i = 0): MessageApi {
    const c = new MessageApi(`127.0.0.1:${this.apis[i].port()}`);
    this.clients.push(c);
    return c;
  }

  conversationApi(): ConversationApi {
    const c = new ConversationApi(this.conversationAddress);
    this.clients.push(c);
    return c;
  }

  /** Stops everything with SIGTERM and returns the exit codes by app. */
  async stop(): Promise<Record<string, (number | null)[]>> {
    for (const c of this.clients) c.close();
    const codes: Record<string, (number | null)[]> = {};
    const all = [...this.relays, ...this.apis, this.stub].filter(Boolean);
    await Promise.all(all.map(async (p) => (codes[p.app] ??= []).push(await p.stop())));
    return codes;
  }
}
