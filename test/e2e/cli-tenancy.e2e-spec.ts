import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bodyOf } from '../support/api-body.js';
import type { MeResponse, RolePage } from '../support/api-types.gen.js';
import { cli } from '../support/cli.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { login } from '../support/tenant-factory.js';

/** A tenant made by `org:create`, with its first Admin. */
interface Org {
  slug: string;
  name: string;
  email: string;
  password: string;
}

describe('CLI: org:create, org:list, users:assign against the running database', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** Runs org:create for a tenant of the test's own (unique slug) and expects it to succeed. */
  async function createOrg(name: string): Promise<Org> {
    const slug = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const org = { slug, name, email: `boss@${slug}.example`, password: `${slug}-admin-password` };
    const result = await cli(
      t,
      'org:create',
      '--name',
      org.name,
      '--slug',
      org.slug,
      '--admin-email',
      org.email,
      '--admin-password',
      org.password,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return org;
  }

  /** Runs users:assign --create for a new user with `role` in `org`; returns its credentials. */
  async function assignNewUser(org: Org, role: string): Promise<{ email: string; password: string }> {
    const user = { email: `counter@${org.slug}.example`, password: 'counter-password-1' };
    const result = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      user.email,
      '--role',
      role,
      '--create',
      '--password',
      user.password,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return user;
  }

  async function roleNamesOf(org: Org, user: { email: string; password: string }): Promise<string[]> {
    const token = await login(t, org.slug, user.email, user.password);
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);
    return bodyOf<MeResponse>(me)
      .roles.map((r) => r.name)
      .sort();
  }

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
    expect(
      bodyOf<RolePage>(roles)
        .data.map((r) => r.name)
        .sort(),
    ).toEqual(['Admin', 'Analyst', 'Auditor', 'Counter', 'Manager']);
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
    const taken = await createOrg('Taken');
    const result = await cli(t, 'org:create', '--name', 'Again', '--slug', taken.slug);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*unique/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing option is named, with exit code 1', async () => {
    const org = await createOrg('Options');
    const result = await cli(t, 'org:create', '--name', 'No slug');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\s+slug: /m);
    const assign = await cli(t, 'users:assign', '--tenant', org.slug);
    expect(assign.code).toBe(1);
    expect(assign.stderr).toContain('missing --email, --role');
  });

  it('org:list prints every tenant as a table and as JSON', async () => {
    const first = await createOrg('Listed');
    const second = await createOrg('Listed');
    const table = await cli(t, 'org:list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+SLUG\s+NAME\s+STATUS\s+CREATED$/m);
    expect(table.stdout).toMatch(/\sdefault\s/);
    expect(table.stdout).toMatch(new RegExp(`\\s${first.slug}\\s+Listed\\s+active\\s`));
    const json = await cli(t, 'org:list', '--json');
    const slugs = (JSON.parse(json.stdout) as { slug: string }[]).map((x) => x.slug);
    expect(slugs).toEqual(expect.arrayContaining(['default', first.slug, second.slug]));
  });

  it('users:assign --create makes a user with a role, who can log in with exactly that role', async () => {
    const org = await createOrg('Assign');
    const user = await assignNewUser(org, 'Counter');
    expect(await roleNamesOf(org, user)).toEqual(['Counter']);
  });

  it('users:assign adds a role to an existing user; unknown user or role fails clearly', async () => {
    const org = await createOrg('Assign');
    const user = await assignNewUser(org, 'Counter');
    const added = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      user.email,
      '--role',
      'Analyst',
    );
    expect(added.code).toBe(0);
    expect(await roleNamesOf(org, user)).toEqual(['Analyst', 'Counter']);

    const noUser = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      `ghost@${org.slug}.example`,
      '--role',
      'Analyst',
    );
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain('--create');
    const noRole = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      user.email,
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
    const org = await createOrg('Promote');
    const result = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      org.email,
      '--role',
      'Admin',
      '--platform-admin',
    );
    expect(result.code).toBe(0);
    const promoted = await login(t, org.slug, org.email, org.password);
    expect((await t.http().get('/api/tenants').set('Authorization', `Bearer ${promoted}`)).status).toBe(200);

    const password = `${org.slug}-platform-admin-pw`;
    const created = await cli(
      t,
      'users:assign',
      '--tenant',
      org.slug,
      '--email',
      `ops@${org.slug}.example`,
      '--role',
      'Admin',
      '--create',
      '--password',
      password,
      '--platform-admin',
    );
    expect(created.code).toBe(0);
    const token = await login(t, org.slug, `ops@${org.slug}.example`, password);
    const tenants = await t.http().get('/api/tenants').set('Authorization', `Bearer ${token}`);
    expect(tenants.status).toBe(200);
  });
});
