import { describe, expect, it } from '@jest/globals';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { mapPostgresError } from './postgres-error-mapping.js';

/** Shaped like pg's DatabaseError, wrapped the way TypeORM's QueryFailedError wraps it. */
function queryFailed(code: string, extra: Record<string, unknown> = {}): unknown {
  return {
    name: 'QueryFailedError',
    query: 'select secret',
    parameters: ['hunter2'],
    driverError: { code, ...extra },
  };
}

describe('mapPostgresError', () => {
  it.each([
    ['23505', 409, 'conflict'],
    ['23503', 409, 'conflict'],
    ['22P02', 400, 'invalid-value'],
    ['22021', 400, 'invalid-value'],
    ['22P05', 400, 'invalid-value'],
    ['23514', 400, 'constraint-violated'],
    ['23502', 400, 'constraint-violated'],
    ['22003', 400, 'invalid-value'],
    ['40001', 409, 'concurrent-update'],
    ['40P01', 409, 'concurrent-update'],
    ['57014', 503, 'database-timeout'],
    ['08006', 503, 'database-unavailable'],
    ['57P01', 503, 'database-unavailable'],
  ])('maps SQLSTATE %s to %i %s', (code, status, type) => {
    expect(mapPostgresError(queryFailed(code))).toMatchObject({ status, type });
  });

  it('names the constraint but never the query or its values', () => {
    const sut = mapPostgresError(queryFailed('23505', { constraint: 'items_tenant_sku_key' }));
    expect(sut?.detail).toContain('items_tenant_sku_key');
    expect(JSON.stringify(sut)).not.toMatch(/secret|hunter2/);
  });

  it('maps an unwrapped driver error too', () => {
    expect(mapPostgresError({ code: '23505' })).toMatchObject({ status: 409 });
  });

  it('maps lost connections to 503', () => {
    expect(
      mapPostgresError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ),
    ).toMatchObject({
      status: 503,
      type: 'database-unavailable',
    });
    expect(mapPostgresError(new Error('Connection terminated unexpectedly'))).toMatchObject({ status: 503 });
  });

  it('maps a transaction whose connection was lost (TypeORM released its query runner) to 503', () => {
    expect(mapPostgresError(new QueryRunnerAlreadyReleasedError())).toMatchObject({
      status: 503,
      type: 'database-unavailable',
    });
    expect(mapPostgresError(new QueryRunnerProviderAlreadyReleasedError())).toMatchObject({
      status: 503,
      type: 'database-unavailable',
    });
  });

  it('leaves unknown SQLSTATEs and ordinary errors to the 500 path', () => {
    expect(mapPostgresError(queryFailed('XX000'))).toBeUndefined();
    expect(mapPostgresError(new Error('boom'))).toBeUndefined();
    expect(mapPostgresError({ code: 'not-a-sqlstate' })).toBeUndefined();
    expect(mapPostgresError(null)).toBeUndefined();
  });
});
