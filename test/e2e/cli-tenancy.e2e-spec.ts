import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cli } from '../support/cli.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { login } from '../support/tenant-factory.js';

describe('CLI: org:create, org:list, users:assign against the running database', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('org:create creates a tenant with its roles and first Admin, who can then log in over HTTP', async () => {
    const result = await cli(
      t,
      'org:create',
      '--name',
      'Globex',
      '--slug',
      'globex',
      '--admin-email',
      'boss@globex.example',
      '--admin-password',
      'globex-admin-password',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/created tenant globex \([0-9a-f-]{36}\)/);
    const token = await login(t, 'globex', 'boss@globex.example', 'globex-admin-password');
    const roles = await t.http().get('/api/roles').set('Authorization', `Bearer ${token}`);
    expect((roles.body as { data: { name: string }[] }).data.map((r) => r.name).sort()).toEqual([
      'Admin',
      'Analyst',
      'Auditor',
      'Counter',
      'Manager',
    ]);
  });

  it('org:create generates and prints a password when none is given', async () => {
    const result = await cli(
      t,
      'org:create',
      '--name',
      'Initech',
      '--slug',
      'initech',
      '--admin-email',
      'b@initech.example',
    );
    expect(result.code).toBe(0);
    const password = /generated password \(shown once\): (\S+)/.exec(result.stdout)?.[1];
    expect(password).toBeDefined();
    await expect(login(t, 'initech', 'b@initech.example', password!)).resolves.toEqual(expect.any(String));
  });

  it('org:create rejects bad input with one line per field and exit code 1, writing nothing', async () => {
    const result = await cli(
      t,
      'org:create',
      '--name',
      'Bad',
      '--slug',
      'Not A Slug',
      '--settings',
      '{"limits":{"maxUsers":-1}}',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('slug');
    expect(result.stderr).toContain('settings.limits.maxUsers');
    const list = await cli(t, 'org:list', '--json');
    expect((JSON.parse(list.stdout) as { name: string }[]).map((x) => x.name)).not.toContain('Bad');
  });

  it('org:create of a taken slug is a clear error, not a stack trace', async () => {
    const result = await cli(t, 'org:create', '--name', 'Again', '--slug', 'globex');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*unique/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing option is named, with exit code 1', async () => {
    const result = await cli(t, 'org:create', '--name', 'No slug');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\s+slug: /m);
    const assign = await cli(t, 'users:assign', '--tenant', 'globex');
    expect(assign.code).toBe(1);
    expect(assign.stderr).toContain('missing --email, --role');
  });

  it('org:list prints every tenant as a table and as JSON', async () => {
    const table = await cli(t, 'org:list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+SLUG\s+NAME\s+STATUS\s+CREATED$/m);
    expect(table.stdout).toMatch(/\sdefault\s/);
    expect(table.stdout).toMatch(/\sglobex\s+Globex\s+active\s/);
    const json = await cli(t, 'org:list', '--json');
    const slugs = (JSON.parse(json.stdout) as { slug: string }[]).map((x) => x.slug);
    expect(slugs).toEqual(expect.arrayContaining(['default', 'globex', 'initech']));
  });

  it('users:assign --create makes a user with a role, who can log in with exactly that role', async () => {
    const result = await cli(
      t,
      'users:assign',
      '--tenant',
      'globex',
      '--email',
      'counter@globex.example',
      '--role',
      'Counter',
      '--create',
      '--password',
      'counter-password-1',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const token = await login(t, 'globex', 'counter@globex.example', 'counter-password-1');
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
    expect((me.body as { roles: { name: string }[] }).roles.map((r) => r.name)).toEqual(['Counter']);
  });

  it('users:assign adds a role to an existing user; unknown user or role fails clearly', async () => {
    const added = await cli(
      t,
      'users:assign',
      '--tenant',
      'globex',
      '--email',
      'counter@globex.example',
      '--role',
      'Analyst',
    );
    expect(added.code).toBe(0);
    const token = await login(t, 'globex', 'counter@globex.example', 'counter-password-1');
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
    expect((me.body as { roles: { name: string }[] }).roles.map((r) => r.name).sort()).toEqual([
      'Analyst',
      'Counter',
    ]);

    const noUser = await cli(
      t,
      'users:assign',
      '--tenant',
      'globex',
      '--email',
      'ghost@globex.example',
      '--role',
      'Analyst',
    );
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('--create');
    const noRole = await cli(
      t,
      'users:assign',
      '--tenant',
      'globex',
      '--email',
      'counter@globex.example',
      '--role',
      'Wizard',
    );
    expect(noRole.code).toBe(1);
    expect(noRole.stderr).toContain('No role Wizard');
    const noTenant = await cli(
      t,
      'users:assign',
      '--tenant',
      'nowhere',
      '--email',
      'a@b.example',
      '--role',
      'Admin',
    );
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toContain('No tenant nowhere');
  });

  it('users:assign --platform-admin promotes a user to platform administrator', async () => {
    const result = await cli(
      t,
      'users:assign',
      '--tenant',
      'initech',
      '--email',
      'b@initech.example',
      '--role',
      'Admin',
      '--platform-admin',
    );
    expect(result.code).toBe(0);
    const password = 'initech-platform-admin-pw';
    await cli(
      t,
      'users:assign',
      '--tenant',
      'initech',
      '--email',
      'ops@initech.example',
      '--role',
      'Admin',
      '--create',
      '--password',
      password,
      '--platform-admin',
    );
    const token = await login(t, 'initech', 'ops@initech.example', password);
    const tenants = await t.http().get('/api/tenants').set('Authorization', `Bearer ${token}`);
    expect(tenants.status).toBe(200);
  });
});
