import { describe, expect, it } from '@jest/globals';
import { databaseNameOf, maskedUrl, toolTarget, urlForDatabase } from './pg-connection.js';

describe('connection targets of the PostgreSQL client tools', () => {
  const owner = 'postgres://owner:p%40ss%2Fw0rd@db.internal:5432/inventory?sslmode=require';

  it('puts no password on the command line and hands the decoded one over separately', () => {
    const sut = toolTarget(owner);
    expect(sut.uri).toBe('postgres://owner@db.internal:5432/inventory?sslmode=require');
    expect(sut.password).toBe('p@ss/w0rd');
  });

  it('points at another database of the same server, keeping user, host and parameters', () => {
    expect(toolTarget(owner, 'verify_0123').uri).toBe(
      'postgres://owner@db.internal:5432/verify_0123?sslmode=require',
    );
    expect(databaseNameOf(urlForDatabase(owner, 'inventory_restored'))).toBe('inventory_restored');
  });

  it('has no password to hand over when the URL carries none', () => {
    expect(toolTarget('postgres://owner@localhost/inventory').password).toBeUndefined();
  });

  it('masks the password in what it prints', () => {
    const sut = maskedUrl(owner, 'inventory_restored');
    expect(sut).toBe('postgres://owner:***@db.internal:5432/inventory_restored?sslmode=require');
    expect(sut).not.toContain('p%40ss');
  });
});
