import { randomBytes, randomUUID } from 'node:crypto';
import {
  EventCollector,
  failure,
  freshDatabase,
  OtlpReceiver,
  ReceivedSpan,
  Stack,
  status,
  testTopic,
} from '@realchat/testing';

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;

/**
 * Traces across the built apps: a send with a client's W3C traceparent is ONE trace from the
 * client through message-api, the Conversation API, PostgreSQL and the outbox to the relay's
 * Kafka produce span, and the record's traceparent header continues it for consumers. The apps
 * export OTLP/HTTP (JSON) to a real receiver started here.
 */
describe('traces (built apps, OTLP receiver, real PostgreSQL and Kafka)', () => {
  let stack: Stack;
  let events: EventCollector;
  let receiver: OtlpReceiver;
  let topic: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const databaseUrl = await freshDatabase('e2e_tracing');
    topic = testTopic('tracing');
    [stack, events] = await Promise.all([
      Stack.start({
        databaseUrl,
        relays: 1,
        topic,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '200',
          LOG_LEVEL: 'debug',
        },
      }),
      EventCollector.start(topic),
    ]);
  });

  afterAll(async () => {
    await events?.stop();
    // Apps first: they flush their last spans to the receiver while stopping.
    const codes = await stack?.stop();
    await receiver?.close();
    expect(codes).toEqual({ 'outbox-relay': [0], 'message-api': [0], 'conversation-stub': [0] });
  });

  it('links the client, message-api, the Conversation API, PostgreSQL, the relay and the record in one trace', async () => {
    const { conversation } = await stack.conversationApi().create(['alice', 'bob']);
    const c = conversation!.conversationId;
    // The client's span, as a traced client would send it.
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const content = `traced ${randomUUID()}`;
    await stack
      .messageApi()
      .send(
        'alice',
        { conversationId: c, senderUserId: 'alice', content },
        { traceparent: `00-${traceId}-${clientSpanId}-01` },
      );

    await events.waitUntil('the traced record', (all) => all.some((e) => e.key === c));
    await receiver.waitUntil('the relay produce span of the trace', (spans) =>
      spans.some((s) => s.traceId === traceId && s.service === 'outbox-relay'),
    );
    const spans = receiver.trace(traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    /** The span's ancestors in the trace, nearest first, up to the client's span. */
    const chain = (s: ReceivedSpan): string[] => {
      const ids: string[] = [];
      for (let p = s.parentSpanId; p; p = byId.get(p)?.parentSpanId ?? '') ids.push(p);
      return ids;
    };
    const one = (what: string, pick: (s: ReceivedSpan) => boolean): ReceivedSpan => {
      const found = spans.filter(pick);
      if (found.length !== 1) {
        throw new Error(`expected one ${what}, got ${found.length} in\n${listSpans(spans)}`);
      }
      return found[0];
    };

    const server = one(
      'message-api SendMessage server span',
      (s) => s.service === 'message-api' && s.kind === SERVER && s.name.endsWith('/SendMessage'),
    );
    expect(server.parentSpanId).toBe(clientSpanId);

    for (const method of ['GetConversation', 'NextSequence']) {
      const client = one(
        `message-api ${method} client span`,
        (s) => s.service === 'message-api' && s.kind === CLIENT && s.name.endsWith(`/${method}`),
      );
      expect(chain(client)).toContain(server.spanId);
      const stub = one(
        `conversation-stub ${method} server span`,
        (s) => s.service === 'conversation-stub' && s.kind === SERVER && s.name.endsWith(method),
      );
      expect(stub.parentSpanId).toBe(client.spanId);
      // The stub's own statements are in the trace too.
      expect(spans.some((s) => isPg(s) && chain(s).includes(stub.spanId))).toBe(true);
    }

    // message-api's statements, among them the one that writes the message and its outbox row.
    const statements = spans.filter((s) => s.service === 'message-api' && isPg(s));
    expect(statements.every((s) => chain(s).includes(server.spanId))).toBe(true);
    expect(statements.some((s) => /INSERT INTO outbox/.test(String(statementOf(s))))).toBe(true);

    // The outbox row carried the send's context: the relay's produce span is its child.
    const record = events.forKey(c)[0];
    const produce = one(
      'outbox-relay produce span',
      (s) => s.service === 'outbox-relay' && s.kind === PRODUCER,
    );
    expect(produce.name).toBe(`send ${topic}`);
    expect(produce.parentSpanId).toBe(server.spanId);
    expect(produce.attributes['messaging.message.id']).toBe(record.headers['event-id']);

    // And the record continues the trace from the produce span for its consumers.
    expect(record.headers.traceparent).toBe(`00-${traceId}-${produce.spanId}-01`);

    // Spans are exported to another system: never the content, never a password in a URL.
    const exported = receiver.jsonBodies.join('\n');
    expect(exported).not.toContain(content);
    expect(exported).not.toMatch(/\/\/[^/@"]*:[^/@"]*@/);
  });

  it('names the trace and span in log lines written inside a span', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { code } = await failure(
      stack
        .messageApi()
        .send(
          null,
          { conversationId: 'c', senderUserId: 'alice', content: 'x' },
          { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        ),
    );
    expect(code).toBe(status.UNAUTHENTICATED);
    // The refusal is logged at debug inside the server span.
    const line = await stack.apis[0].waitForLog(
      (l) => l.msg === 'request refused' && l.trace_id === traceId,
    );
    const isServer = (s: ReceivedSpan) => s.service === 'message-api' && s.kind === SERVER;
    await receiver.waitUntil("the refused call's server span", () =>
      receiver.trace(traceId).some(isServer),
    );
    expect(line.span_id).toBe(receiver.trace(traceId).find(isServer)!.spanId);
  });
});

function isPg(s: ReceivedSpan): boolean {
  return (
    s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql'
  );
}

function statementOf(s: ReceivedSpan): unknown {
  return s.attributes['db.query.text'] ?? s.attributes['db.statement'];
}

function listSpans(spans: ReceivedSpan[]): string {
  return spans
    .map((s) => `${s.service} ${s.kind} ${s.name} ${s.spanId} <- ${s.parentSpanId}`)
    .join('\n');
}
