import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
} from '@opentelemetry/api';
import type { OutboxRecord } from '../relay/ports';

const tracer = trace.getTracer('outbox-relay');

/** The spans of one Kafka send, ended by `end` once the send settled. */
export interface ProduceSpans {
  /** Each record's headers with `traceparent` naming its own produce span. */
  readonly headers: Record<string, string>[];
  end(error?: { kind: string; message: string }): void;
}

/**
 * One PRODUCER span per record, each a child of the trace its outbox row carries (the send that
 * wrote the row), and the record's traceparent header rewritten to that span, so a consumer
 * continues the same trace. Written here rather than with @opentelemetry/instrumentation-kafkajs:
 * that one parents every record of a send on the one active context and overwrites the header
 * with it, which would move a batch of many sends into one new, unrelated trace.
 * With tracing off the API is a no-op: no span, headers (and the row's traceparent) untouched.
 */
export function startProduceSpans(topic: string, records: readonly OutboxRecord[]): ProduceSpans {
  const spans: Span[] = [];
  const headers = records.map((r) => {
    const parent = propagation.extract(ROOT_CONTEXT, r.headers);
    const span = tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': topic,
          'messaging.message.id': r.headers['event-id'],
        },
      },
      parent,
    );
    spans.push(span);
    const own = { ...r.headers };
    propagation.inject(trace.setSpan(parent, span), own);
    return own;
  });
  return {
    headers,
    end(error) {
      for (const span of spans) {
        if (error) {
          span.setAttribute('error.type', error.kind);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        }
        span.end();
      }
    },
  };
}
