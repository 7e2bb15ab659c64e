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
