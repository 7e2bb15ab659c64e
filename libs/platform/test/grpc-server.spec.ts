import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import pino from 'pino';
import { startGrpcServer, stopGrpcServer, unary } from '../src';
import { echo } from './support/echo-service';

describe('stopGrpcServer', () => {
  it('waits for the handler of a call the client already gave up on', async () => {
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const handlers = {
      echo: unary<Buffer, Buffer>('Echo', pino({ level: 'silent' }), async (req) => {
        events.push('handler started');
        await held;
        events.push('handler finished');
        return req;
      }),
    };
    const { server, port } = await startGrpcServer(echo, handlers, '127.0.0.1', 0);
    const Client = makeGenericClientConstructor(echo, 'Echo');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    const code = await new Promise<number>((resolve) =>
      (
        client as unknown as {
          echo: (
            r: Buffer,
            o: { deadline: Date },
            cb: (e: { code: number } | null) => void,
          ) => void;
        }
      ).echo(Buffer.from('x'), { deadline: new Date(Date.now() + 100) }, (e) =>
        resolve(e?.code ?? 0),
      ),
    );
    expect(code).toBe(status.DEADLINE_EXCEEDED);
    expect(events).toEqual(['handler started']);

    // grpc-js considers the call done; the drain must still wait for its handler.
    const stopped = stopGrpcServer(server, 10_000).then(() => events.push('server stopped'));
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual(['handler started']);
    release();
    await stopped;
    expect(events).toEqual(['handler started', 'handler finished', 'server stopped']);
    client.close();
  });
});
