import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import {
  EmbeddedPostgres,
  EmbeddedPostgresError,
} from '../../src/platform/dev-database/embedded-postgres.js';
import { freePort } from '../support/free-port.js';

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL lifecycle', () => {
  let root: string;
  let dataDir: string;
  let port: number;
  const superuserPassword = randomBytes(12).toString('hex');
  const start = (directory = dataDir) =>
    EmbeddedPostgres.start({
      dataDir: directory,
      port,
      superuserPassword,
      database: 'inventory',
      log: () => undefined,
    });

  /** A cluster of the test's own in `root/<name>`, started, with a row to find again after a restart. */
  async function startedWithData(name: string) {
    const directory = join(root, name);
    const server = await start(directory);
    await query(server.url, 'create table kept (id int); insert into kept values (42)');
    return { directory, server };
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'inventory-enterprise-embedded-'));
    await chmod(root, 0o755); // as root the cluster runs as the postgres user, which must traverse it
    dataDir = join(root, 'postgres');
    port = await freePort();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('initialises a PostgreSQL 15 cluster, creates the database, and keeps data across restarts', async () => {
    const first = await start();
    expect(first.owned).toBe(true);
    expect(await query(first.url, 'show server_version')).toEqual([
      { server_version: expect.stringMatching(/^15\./) },
    ]);
    await query(first.url, 'create table kept (id int); insert into kept values (42)');
    await first.stop();

    const second = await start();
    expect(await query(second.url, 'select id from kept')).toEqual([{ id: 42 }]);
    await second.stop();
  });

  it('shares a server whose owner is alive and leaves it running', async () => {
    const owner = await start();
    // Another live process owns it (here: jest's parent process).
    await writeFile(join(dataDir, 'inventory-enterprise.owner'), `${process.ppid}\n`);
    const guest = await start();
    expect(guest.owned).toBe(false);
    await guest.stop();
    expect(await query(owner.url, 'select 1 as up')).toEqual([{ up: 1 }]);
    await writeFile(join(dataDir, 'inventory-enterprise.owner'), `${process.pid}\n`);
    await owner.stop();
  });

  it('adopts a server left running by a killed owner (kill -9)', async () => {
    const { directory, server: crashed } = await startedWithData('adopted');
    expect(crashed.owned).toBe(true);
    // Simulate the owner's kill -9: the server keeps running, the pid in the owner file no longer exists.
    await writeFile(join(directory, 'inventory-enterprise.owner'), '999999\n');
    const successor = await start(directory);
    expect(successor.owned).toBe(true);
    expect(await query(successor.url, 'select id from kept')).toEqual([{ id: 42 }]);
    await successor.stop();
    await expect(query(successor.url, 'select 1')).rejects.toThrow();
  });

  it('starts despite a stale postmaster.pid whose pid now belongs to another process', async () => {
    const { directory, server } = await startedWithData('stale-pid');
    await server.stop();
    const pidFile = join(directory, 'postmaster.pid');
    // A crash leaves postmaster.pid behind; after a reboot its pid may belong to anything (here: jest itself).
    await writeFile(
      pidFile,
      `${process.pid}\n${directory}\n1700000000\n${port}\n\n127.0.0.1\n  1234  5678\nready\n`,
    );
    const restarted = await start(directory);
    expect(await query(restarted.url, 'select id from kept')).toEqual([{ id: 42 }]);
    expect((await readFile(pidFile, 'utf8')).split('\n')[0]).not.toBe(String(process.pid));
    await restarted.stop();
  });

  it('refuses a port that is already taken with one clear line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const attempt = start();
      await expect(attempt).rejects.toBeInstanceOf(EmbeddedPostgresError);
      await expect(attempt).rejects.toThrow(`EMBEDDED_PG_PORT ${port} is already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses a non-empty directory that is not a cluster', async () => {
    const other = join(root, 'not-a-cluster');
    await rm(other, { recursive: true, force: true });
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'notes.txt'), 'mine');
    await expect(
      EmbeddedPostgres.start({
        dataDir: other,
        port,
        superuserPassword,
        database: 'inventory',
        log: () => undefined,
      }),
    ).rejects.toThrow('is not empty but holds no PostgreSQL cluster');
    expect(await readFile(join(other, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
