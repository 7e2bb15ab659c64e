import {
  AppProcess,
  DeletionMode,
  EXTERNAL_METRICS,
  exposedNames,
  freshDatabase,
  isExposed,
  metricValue,
  monitoredMetrics,
  Stack,
  testTopic,
} from '@realchat/testing';

/**
 * Every metric that deploy/monitoring (alerts.yaml, dashboard.json) uses is exported by a running
 * app: the stack serves a little traffic (sends, a rejected send, a sync, a deletion, events
 * published), then each app's /metrics is scraped at the port its start line names (`http`).
 * A renamed metric, or an alert on a metric nobody exports, fails here.
 */
describe('monitoring metrics (alerts and dashboard against live /metrics)', () => {
  let stack: Stack;

  beforeAll(async () => {
    const databaseUrl = await freshDatabase('e2e_monitoring');
    stack = await Stack.start({
      databaseUrl,
      relays: 1,
      topic: testTopic('monitoring'),
      // Free HTTP ports for the gRPC apps' /metrics (docs ops-contract); the relay ignores these.
      env: {
        MESSAGE_API_HTTP_PORT: '0',
        MESSAGE_API_HTTP_HOST: '127.0.0.1',
        CONVERSATION_STUB_HTTP_PORT: '0',
        CONVERSATION_STUB_HTTP_HOST: '127.0.0.1',
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('every metric an alert or panel uses appears on some app /metrics', async () => {
    const api = stack.messageApi();
    const { conversation } = await stack.conversationApi().create(['alice', 'bob']);
    const c = conversation!.conversationId;
    const sent = [];
    for (const user of ['alice', 'bob', 'alice']) {
      const { message } = await api.send(user, {
        conversationId: c,
        senderUserId: user,
        content: `metrics ${user}`,
      });
      sent.push(message!);
    }
    await expect(
      api.send('alice', { conversationId: c, senderUserId: 'alice', content: '' }),
    ).rejects.toMatchObject({ code: 3 }); // INVALID_ARGUMENT: a labelled error code on the counters
    await api.sync('bob', { conversationId: c, afterSequence: 0 });
    await api.delete('alice', {
      conversationId: c,
      messageId: sent[0].messageId,
      actorUserId: 'alice',
      mode: DeletionMode.DELETION_MODE_SOFT,
    });

    // The relay's histograms get samples once the four events are published.
    const relay = stack.relays[0];
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      (await metricValue(relay.port('http'), 'relay_events_published_total')) < 4
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await metricValue(relay.port('http'), 'relay_events_published_total')).toBe(4);

    const apps: AppProcess[] = [stack.apis[0], stack.conversationStub, relay];
    const exposed = new Set<string>();
    const noMetricsEndpoint: string[] = [];
    for (const app of apps) {
      if (!app.logs().some((l) => typeof l.http === 'string')) {
        noMetricsEndpoint.push(`${app.app} logged no \`http\` address (no /metrics endpoint)`);
        continue;
      }
      const res = await fetch(`http://127.0.0.1:${app.port('http')}/metrics`);
      expect(res.status).toBe(200);
      for (const name of exposedNames(await res.text())) exposed.add(name);
    }

    const missing = [...monitoredMetrics()]
      .filter(([name]) => !(name in EXTERNAL_METRICS))
      .filter(
        ([name]) =>
          !isExposed(name.replace(/_(bucket|sum|count)$/, ''), exposed) && !exposed.has(name),
      )
      .map(([name, where]) => `${name} (used by ${where.join(', ')})`);
    expect({ noMetricsEndpoint, missing }).toEqual({ noMetricsEndpoint: [], missing: [] });
  });
});
