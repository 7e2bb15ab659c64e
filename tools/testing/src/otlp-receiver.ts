import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerCleanup } from './cleanup-registry';

/** A span as an OTLP/HTTP JSON export carried it, flattened with its service name. */
export interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind number: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: OtlpKeyValue[];
      }[];
    }[];
  }[];
}

/**
 * A real OTLP/HTTP trace receiver on a free port of 127.0.0.1 (POST /v1/traces): JSON exports
 * (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) are decoded and kept; protobuf exports are accepted
 * and discarded (enough for a benchmark that only needs somewhere to send spans to).
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** The JSON export bodies as received, for checks of everything that left a process. */
  readonly jsonBodies: string[] = [];
  /** Export requests answered, of any encoding. */
  exports = 0;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<OtlpReceiver> {
    const server = http.createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registerCleanup({ what: 'OTLP receiver', close: () => receiver.close() });
    return receiver;
  }

  /** OTEL_EXPORTER_OTLP_ENDPOINT for the apps (the exporter appends /v1/traces). */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Polls until `done` holds over the received spans, or fails after `timeoutMs`. */
  async waitUntil(
    what: string,
    done: (spans: ReceivedSpan[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (done(this.spans)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; have ${this.spans.length} spans`);
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      this.exports++;
      const json = (req.headers['content-type'] ?? '').includes('json');
      if (json) {
        const body = Buffer.concat(chunks).toString('utf8');
        this.jsonBodies.push(body);
        this.keep(JSON.parse(body) as OtlpExport);
      }
      // An empty ExportTraceServiceResponse: `{}` in JSON, zero bytes in protobuf.
      res
        .writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' })
        .end(json ? '{}' : undefined);
    });
  }

  private keep(body: OtlpExport): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service,
            traceId: hexId(s.traceId),
            spanId: hexId(s.spanId),
            parentSpanId: s.parentSpanId ? hexId(s.parentSpanId) : '',
            name: s.name,
            kind: s.kind ?? 0,
            attributes: attributesOf(s.attributes),
          });
        }
      }
    }
  }
}

function attributesOf(kvs: OtlpKeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(kvs.map(({ key, value = {} }) => [key, valueOf(value)]));
}

function valueOf(v: OtlpValue): unknown {
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
}

/** OTLP/JSON ids are hex by the spec; older exporters sent base64. */
function hexId(id: string): string {
  return /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)
    ? id.toLowerCase()
    : Buffer.from(id, 'base64').toString('hex');
}
