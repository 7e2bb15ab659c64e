import { isDatabaseUnavailable } from '../src';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['Prisma P1001', { code: 'P1001', message: "Can't reach database server" }, true],
    [
      'raw query with an unreachable server (P2010 + driver adapter cause)',
      {
        code: 'P2010',
        message: 'Raw query failed',
        meta: {
          driverAdapterError: {
            name: 'DriverAdapterError',
            cause: { kind: 'DatabaseNotReachable' },
          },
        },
      },
      true,
    ],
    [
      'pg admin shutdown',
      { code: '57P01', message: 'terminating connection due to administrator command' },
      true,
    ],
    ['socket refused', { cause: { code: 'ECONNREFUSED' } }, true],
    [
      'pool connect timeout (no code)',
      { message: 'timeout exceeded when trying to connect' },
      true,
    ],
    [
      'a server error whose text mentions a connection (its SQLSTATE decides)',
      { code: '42P01', message: 'relation "connection_log" does not exist' },
      false,
    ],
    [
      'a bug whose text says timeout, under a server error',
      { code: '22P02', message: 'invalid input syntax for type integer: "timeout"' },
      false,
    ],
    [
      'unique violation',
      { code: 'P2002', message: 'Unique constraint failed on the fields' },
      false,
    ],
    [
      'raw query syntax error',
      {
        code: 'P2010',
        message: 'Raw query failed',
        meta: {
          driverAdapterError: {
            cause: { kind: 'postgres', originalCode: '42601', message: 'syntax error' },
          },
        },
      },
      false,
    ],
    ['a bug', new TypeError('x is undefined'), false],
  ])('%s', (_name, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });
});
